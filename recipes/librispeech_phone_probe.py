"""Do a speech VQ-VAE's codes carry phones? A CTC probe on frozen features, scored as phone error rate.

    KERAS_BACKEND=jax python -m keras_vq.recipes.librispeech_phone_probe --data-dir ../shared/data \
        --output-dir runs/librispeech_phone_probe

(`python recipes/librispeech_phone_probe.py ...` in a clone). Needs the
`speech-eval` extra. Reads top to bottom:

1. Utterances of `--split`, each speaker's last `--held-out-per-speaker`
   held out (as the presets held them out), with their transcripts.
2. Each transcript's phones: the CMU pronouncing dictionary that
   pocketsphinx ships (39 ARPAbet phones, a word's first pronunciation); a
   word it lacks is left out of the phone sequence, and counted.
3. Frame-rate representations of every utterance (one frame a code, 4 ms
   at 16 kHz for the presets; `--representations` picks them): the `--preset`
   VQ-VAE's codes, one-hot (`codes`) and as their codebook vectors z_q
   (`codes_zq`: the same information in D dimensions, as the decoder sees
   it; one-hot codes give a 25-frame probe 3.3 M weights to memorise the
   training utterances with); codes drawn at random with the real codes'
   usage, both ways (`random_codes`, `random_codes_zq`: the floor, what the
   code histogram alone tells); the encoder's continuous outputs z_e
   (`z_e`); and 80-band log-mel frames (`log_mel`: the upper reference, the
   audio's own spectrum).
4. The same small CTC head (`keras_vq.phone_probe`) trained on each, on the
   training utterances, for `--steps`; phone error rate on the held-out ones.
5. `results.json` and `results.md` (the table).
"""

import keras
import numpy as np

import keras_vq
from keras_vq import phone_probe, speech_quality
from keras_vq.data import SAMPLE_RATE, encode_utterance, split_per_speaker

# --representations: what each probes, by name.
REPRESENTATIONS = {
    "codes": "codes (one-hot)",
    "codes_zq": "codes as their codebook vectors z_q",
    "random_codes": "random codes, same usage (one-hot)",
    "random_codes_zq": "random codes, same usage, as z_q",
    "z_e": "continuous z_e",
    "log_mel": "log-mel (80 bands)",
}


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(
        __doc__, output_dir="runs/librispeech_phone_probe", dataset="librispeech", resumable=False
    )
    parser.add_argument("--split", default="train-clean-5", help="the LibriSpeech subset the preset held out from")
    parser.add_argument(
        "--held-out-per-speaker",
        type=int,
        default=2,
        help="each speaker's last utterances, held out (as when the preset was trained)",
    )
    parser.add_argument("--preset", default="librispeech", help="the VQVAE preset: a built-in name or a folder")
    parser.add_argument("--steps", type=int, default=1000, help="training steps of each probe")
    parser.add_argument("--batch-size", type=int, default=8, help="utterances a step")
    parser.add_argument("--hidden-units", type=int, default=256, help="the probe's hidden layer")
    parser.add_argument("--learning-rate", type=float, default=3e-3, help="Adam's")
    parser.add_argument(
        "--kernel-size", type=int, default=25, help="frames the probe's convolution sees (25: 100 ms of 4 ms frames)"
    )
    parser.add_argument(
        "--representations", default=",".join(REPRESENTATIONS), help="comma-separated: which frame features to probe"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace the results in --output-dir")

    def check(arguments):
        keras_vq.runs.refuse_to_replace_results(arguments.output_dir, arguments.overwrite)
        arguments.representations = keras_vq.runs.comma_separated_choices(
            "--representations", arguments.representations, tuple(REPRESENTATIONS)
        )

    return parser.parse(
        positive_ints=("held_out_per_speaker", "steps", "batch_size", "hidden_units", "kernel_size"),
        positive_numbers=("learning_rate",),
        check=check,
        start=False,
    )


def main():
    arguments = parse_arguments()
    vqvae = keras_vq.models.VQVAE.from_preset(arguments.preset)
    samples_per_code = 2**vqvae.num_downsamples

    # 1-2. Utterances, split as the preset's training split them, and their phones.
    batches = keras_vq.data.load_numpy(
        "librispeech",
        arguments.split,
        1,
        data_dir=arguments.data_dir,
        download=arguments.download,
        evaluation=True,
        with_labels=True,
        crop_length=samples_per_code,
    )
    training, held_out = split_per_speaker(batches.utterance_speakers, arguments.held_out_per_speaker)
    transcribed = [speech_quality.transcript_phones(text) for text in batches.transcripts]
    phone_index = {phone: index for index, phone in enumerate(speech_quality.PHONES)}
    phones = [[phone_index[phone] for phone in found] for found, _ in transcribed]
    missing = [word for _, words in transcribed for word in words]

    # 3. Representations, one frame a code.
    encoded = [encode_utterance(vqvae, audio) for audio in batches.utterances]
    codes = [codes for _, codes in encoded]
    usage = keras_vq.metrics.code_histogram(np.concatenate([codes[i] for i in training]), vqvae.num_embeddings)
    rng = np.random.default_rng(arguments.seed)
    random_codes = [rng.choice(vqvae.num_embeddings, size=len(c), p=usage / usage.sum()) for c in codes]
    log_mel = [
        speech_quality.log_mel_spectrogram(audio, hop=samples_per_code)[: len(c)].astype(np.float32)
        for audio, c in zip(batches.utterances, codes)
    ]
    codebook = np.asarray(keras.ops.convert_to_numpy(vqvae.quantizer.embeddings), np.float32)
    features = {
        "codes": (codes, vqvae.num_embeddings),
        "codes_zq": ([codebook[c] for c in codes], None),
        "random_codes": (random_codes, vqvae.num_embeddings),
        "random_codes_zq": ([codebook[c] for c in random_codes], None),
        "z_e": ([z for z, _ in encoded], None),
        "log_mel": (log_mel, None),
    }
    representations = {REPRESENTATIONS[name]: features[name] for name in arguments.representations}

    # 4. The same probe on each.
    results = {
        "backend": keras.backend.backend(),
        "preset": arguments.preset,
        "split": arguments.split,
        "training_utterances": int(len(training)),
        "held_out_utterances": int(len(held_out)),
        "held_out_phones": int(sum(len(phones[i]) for i in held_out)),
        "words_not_in_dictionary": len(missing),
        "words": sum(len(t.split()) for t in batches.transcripts),
        "frames_per_second": SAMPLE_RATE / samples_per_code,
        "code_bits_per_second": keras_vq.metrics.code_bits_per_second(vqvae, SAMPLE_RATE),
        "probe": {
            "steps": arguments.steps,
            "batch_size": arguments.batch_size,
            "hidden_units": arguments.hidden_units,
            "learning_rate": arguments.learning_rate,
            "kernel_size": arguments.kernel_size,
        },
        "phone_error_rate": {},
    }
    for name, (features, num_codes) in representations.items():
        probe = phone_probe.ctc_phone_probe(
            [features[i] for i in training],
            [phones[i] for i in training],
            [features[i] for i in held_out],
            [phones[i] for i in held_out],
            len(speech_quality.PHONES),
            num_codes=num_codes,
            steps=arguments.steps,
            batch_size=arguments.batch_size,
            learning_rate=arguments.learning_rate,
            hidden_units=arguments.hidden_units,
            kernel_size=arguments.kernel_size,
            seed=arguments.seed,
        )
        results["phone_error_rate"][name] = {key: value for key, value in probe.items() if key != "hypotheses"}
        print(f"{name}: held-out PER {probe['phone_error_rate']:.3f}", flush=True)

    # 5. Results and the table.
    keras_vq.runs.write_results(arguments.output_dir, results)
    lines = ["| representation (one frame every 4 ms) | held-out PER | training PER |", "| --- | ---: | ---: |"]
    for name, figures in results["phone_error_rate"].items():
        lines.append(f"| {name} | {figures['phone_error_rate']:.3f} | {figures['training_phone_error_rate']:.3f} |")
    table = "\n".join(lines) + "\n"
    keras_vq.utils.atomic.write_text_atomically(arguments.output_dir / "results.md", table)
    print(table)


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
