"""Listen to the LibriSpeech presets: held-out speech reconstructed, converted to another voice, and sampled.

    KERAS_BACKEND=jax python -m keras_vq.recipes.librispeech_listen --data-dir ../shared/data \
        --output-dir runs/librispeech_listen

(`python recipes/librispeech_listen.py ...` in a clone). No training: it loads
`VQVAE.from_preset("librispeech")` (its decoder: the spectrogram decoder
today) and `WaveNet.from_preset("librispeech_prior")`. Reads top to bottom:

1. The utterances the presets held out: the last `--held-out-per-speaker`
   of each speaker of `--split`, as `librispeech_vqvae` held them out; a
   speaker the presets were not trained on is an error naming it.
2. For the first female and the first male held-out speaker, the first
   `--seconds` of an utterance: the original, the preset's reconstruction
   (decoded from the codes in the speaker's own voice), and the same codes
   decoded as the other speaker.
3. `--num-samples` clips whose codes come from the WaveNet prior.
4. What the plots show, in numbers (`results.json`).

Writes `audio/*.wav` (16 kHz, 16-bit), `conversion_*.png` and
`prior_samples.png` (waveform and spectrogram of each clip), and
`results.json` (each clip's spectral centroid and loudness-envelope
correlation with its original) into `--output-dir`; the docs' Speech tutorial plays these files. JAX's compiled
generation loop is the fastest on CPU (about a minute for the defaults).
"""

import json

import keras
import numpy as np

import keras_vq
from keras_vq.data import SAMPLE_RATE, clips, held_out_utterances
from keras_vq.speech_examples import write_speech_examples


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(
        __doc__, output_dir="runs/librispeech_listen", dataset="librispeech", resumable=False
    )
    parser.add_argument("--split", default="train-clean-5", help="the LibriSpeech subset the presets held out from")
    parser.add_argument(
        "--held-out-per-speaker",
        type=int,
        default=2,
        help="each speaker's last utterances, held out (as when the presets were trained)",
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="length of every clip")
    parser.add_argument("--num-samples", type=int, default=4, help="samples from the prior")
    parser.add_argument("--overwrite", action="store_true", help="replace audio already in --output-dir")

    def check(arguments):
        keras_vq.runs.refuse_to_replace_results(arguments.output_dir, arguments.overwrite)
        audio_dir = arguments.output_dir / "audio"
        if audio_dir.is_dir() and any(audio_dir.iterdir()) and not arguments.overwrite:
            raise keras_vq.runs.RunError(
                f"{audio_dir} holds files; pass --overwrite to replace them or choose another --output-dir"
            )

    return parser.parse(
        positive_ints=("held_out_per_speaker", "num_samples"), positive_numbers=("seconds",), check=check, start=False
    )


def main():
    arguments = parse_arguments()
    vqvae = keras_vq.models.VQVAE.from_preset("librispeech")
    prior = keras_vq.models.WaveNet.from_preset("librispeech_prior")
    preset_speakers = keras_vq.models.VQVAE.preset_metadata("librispeech")["speaker_ids"]

    # 1. Held-out utterances, their speakers as the presets number them.
    _, (utterances, speakers), speaker_ids = held_out_utterances(
        "librispeech",
        arguments.split,
        arguments.held_out_per_speaker,
        data_dir=arguments.data_dir,
        download=arguments.download,
    )
    unknown = sorted({int(speaker_ids[s]) for s in speakers} - set(preset_speakers))
    if unknown:
        raise keras_vq.runs.RunError(
            f"--split {arguments.split} has speakers the presets were not trained on: "
            f"{unknown}; the presets know {preset_speakers}"
        )
    speakers = np.array([preset_speakers.index(int(speaker_ids[s])) for s in speakers])

    # 2-3. Reconstructions, conversions and prior samples, as WAV files and plots.
    samples_per_code = 2**vqvae.num_downsamples  # Clips are a whole number of codes.
    length = max(samples_per_code, int(arguments.seconds * SAMPLE_RATE) // samples_per_code * samples_per_code)
    sexes = keras_vq.data.speaker_sexes(arguments.data_dir)
    written, figures = write_speech_examples(
        vqvae,
        prior,
        clips(utterances, length),
        speakers,
        preset_speakers,
        sexes,
        arguments.output_dir,
        num_samples=arguments.num_samples,
        seed=arguments.seed,
    )

    # 4. What the plots show, in numbers: each clip's spectral centroid (a conversion should move it toward
    # the target voice) and how closely its loudness follows the original's (the words' timing).
    keras_vq.runs.write_results(arguments.output_dir, {"backend": keras.backend.backend(), "clips": figures})
    print(json.dumps(figures, indent=2))
    print("\n".join(str(path) for path in written.values()))


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
