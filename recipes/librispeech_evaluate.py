"""Score speech VQ-VAE presets by ear and by recogniser: words, intelligibility, quality, pitch, conversion.

    KERAS_BACKEND=jax python -m keras_vq.recipes.librispeech_evaluate --data-dir ../shared/data \
        --output-dir runs/librispeech_evaluate

(`python recipes/librispeech_evaluate.py ...` in a clone). No training; needs
the `speech-eval` extra. Reads top to bottom:

1. The clips: the first held-out utterance of each of the first `--clips`
   speakers of `--split` (each speaker's last `--held-out-per-speaker`
   utterances are held out, as the training recipe held them out), whole.
2. The references that bound every figure, from the originals themselves:
   the original, μ-law to 256 levels, down to 8 kHz and back, and white
   noise shaped by the original's loudness (`keras_vq.speech_quality`).
3. For each preset of `--presets` (built-in names or preset folders): each
   clip reconstructed in its own speaker's voice, and converted to a voice
   of the other sex (the next such speaker of the preset's, in speaker-id
   order, among the clips' speakers), the codes' bitrate, and the same
   figures; for a conversion, the median F0 of source, conversion and
   target (the target speaker's own clip) and how far it moved.
4. `results.json`, `results.md` (the table) and the audio: `wav/<utterance
   id>_original.wav`, and `wav/<preset>/<utterance id>_reconstruction.wav`
   and `_conversion.wav`, 16 kHz at the original's length.

Figures: corpus WER (pocketsphinx, offline), STOI, PESQ-WB, log-mel
distance (dB), F0 RMSE (Hz, frames voiced in both) and voicing agreement,
the means over clips.
"""

import math
import pathlib

import keras
import numpy as np

import keras_vq
from keras_vq import speech_quality
from keras_vq.data import SAMPLE_RATE, first_held_out_utterances, write_wav

DEFAULT_PRESETS = "librispeech"
FIGURES = (
    ("wer", "WER", "{:.2f}"),
    ("stoi", "STOI", "{:.3f}"),
    ("pesq_wb", "PESQ-WB", "{:.2f}"),
    ("log_mel_distance_db", "log-mel dist. (dB)", "{:.1f}"),
    ("f0_rmse_hz", "F0 RMSE (Hz)", "{:.0f}"),
    ("voicing_agreement", "voicing agreement", "{:.2f}"),
    ("voiced_fraction", "frames voiced", "{:.0%}"),
)


def parse_arguments():
    parser = keras_vq.runs.RecipeParser(
        __doc__, output_dir="runs/librispeech_evaluate", dataset="librispeech", resumable=False
    )
    parser.add_argument("--split", default="train-clean-5", help="the LibriSpeech subset the presets held out from")
    parser.add_argument(
        "--held-out-per-speaker",
        type=int,
        default=2,
        help="each speaker's last utterances, held out (as when the presets were trained)",
    )
    parser.add_argument(
        "--clips", type=int, default=8, help="clips: one held-out utterance of each of this many speakers"
    )
    parser.add_argument(
        "--presets",
        default=DEFAULT_PRESETS,
        help="comma-separated VQVAE presets to evaluate: built-in names or preset folders",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace the results in --output-dir")

    def check(arguments):
        keras_vq.runs.refuse_to_replace_results(arguments.output_dir, arguments.overwrite)
        arguments.presets = [name.strip() for name in arguments.presets.split(",") if name.strip()]
        if not arguments.presets:
            raise keras_vq.runs.RunError("--presets names no preset")
        twice = sorted({name for name in arguments.presets if arguments.presets.count(name) > 1})
        if twice:
            raise keras_vq.runs.RunError(f"--presets names {', '.join(twice)} more than once")

    return parser.parse(positive_ints=("held_out_per_speaker", "clips"), check=check, start=False)


def wav_folder_names(presets):
    """`{preset: its folder under wav/}`: a built-in name, or a preset folder's own name; where two presets'
    names would share a folder (`runs/a/preset`, `runs/b/preset`), each folder's whole path, its parts
    joined by "_", so that no preset's audio overwrites another's."""
    names = [pathlib.Path(preset).name for preset in presets]
    if len(set(names)) == len(names):
        return dict(zip(presets, names))
    return {
        preset: "_".join(part for part in pathlib.Path(preset).parts if part not in ("/", ".", ".."))
        for preset in presets
    }


def defined(value):
    """JSON has no NaN: an undefined figure (no voiced frame, no utterance for PESQ) is null."""
    if isinstance(value, dict):
        return {key: defined(item) for key, item in value.items()}
    if isinstance(value, list):
        return [defined(item) for item in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def conversion_targets(utterances):
    """For each clip, the index of the next clip (cyclically) whose speaker is of the other sex."""
    targets = []
    for index, utterance in enumerate(utterances):
        others = [(index + step) % len(utterances) for step in range(1, len(utterances))]
        others = [other for other in others if utterances[other].speaker_sex != utterance.speaker_sex]
        if not others:
            raise keras_vq.runs.RunError("the clips' speakers are all of one sex; conversion needs both: raise --clips")
        targets.append(others[0])
    return targets


def decode_whole(vqvae, utterances, speakers, seed):
    """Each utterance through the model (codes, then audio in voice `speakers[i]`), cut to its own length."""
    samples_per_code = 2**vqvae.num_downsamples
    decoded = []
    for utterance, speaker in zip(utterances, speakers):
        padded_length = -(-len(utterance.audio) // samples_per_code) * samples_per_code
        audio = keras_vq.data.pad_to_length(utterance.audio, padded_length)[None, :, None]
        output = vqvae.reconstruct(audio, speakers=[speaker], seed=seed)
        decoded.append(np.asarray(output, np.float32)[0, : len(utterance.audio), 0])
    return decoded


def evaluate_preset(name, utterances, targets, arguments):
    vqvae = keras_vq.models.VQVAE.from_preset(name)
    preset_speakers = [int(s) for s in keras_vq.models.VQVAE.preset_metadata(name).get("speaker_ids", [])]
    missing = sorted({u.speaker_id for u in utterances} - set(preset_speakers))
    if vqvae.decoding.num_speakers and missing:
        raise keras_vq.runs.RunError(f"preset {name} was not trained on speakers {missing}; it knows {preset_speakers}")
    own = [preset_speakers.index(u.speaker_id) if u.speaker_id in preset_speakers else 0 for u in utterances]
    target_voices = [own[target] for target in targets]
    originals = [u.audio for u in utterances]
    transcripts = [u.transcript for u in utterances]
    reconstructions = decode_whole(vqvae, utterances, own, arguments.seed)
    conversions = decode_whole(vqvae, utterances, target_voices, arguments.seed)
    folder = arguments.output_dir / "wav" / wav_folder_names(arguments.presets)[name]
    for utterance, reconstruction, conversion in zip(utterances, reconstructions, conversions):
        write_wav(folder / f"{utterance.utterance_id}_reconstruction.wav", reconstruction)
        write_wav(folder / f"{utterance.utterance_id}_conversion.wav", conversion)
    conversion_report = speech_quality.speech_quality_report(originals, conversions, transcripts)
    clips = conversion_report["clips"]
    for clip, target in zip(clips, targets):
        clip["target_speaker_id"] = utterances[target].speaker_id
        clip["source_median_f0_hz"] = clip["reference_median_f0_hz"]
        # The target's own clip is among the references: its original's median F0, measured once.
        clip["target_median_f0_hz"] = clips[target]["reference_median_f0_hz"]
        # 0: the source's pitch kept; 1: the target's reached.
        clip["f0_moved_toward_target"] = (clip["median_f0_hz"] - clip["source_median_f0_hz"]) / (
            clip["target_median_f0_hz"] - clip["source_median_f0_hz"]
        )
    moved = np.array([clip["f0_moved_toward_target"] for clip in conversion_report["clips"]], np.float64)
    conversion_report["f0_moved_toward_target"] = float(np.nanmedian(moved)) if np.isfinite(moved).any() else math.nan
    return {
        "decoder": type(vqvae.decoding).__name__,
        "bits_per_second": keras_vq.metrics.code_bits_per_second(vqvae, SAMPLE_RATE),
        "reconstruction": speech_quality.speech_quality_report(originals, reconstructions, transcripts),
        "conversion": conversion_report,
    }


def markdown_table(results):
    header = "| condition | bits/s | " + " | ".join(label for _, label, _ in FIGURES) + " |"
    lines = [header, "| --- | ---: | " + " | ".join("---:" for _ in FIGURES) + " |"]

    def row(label, rate, report):
        cells = [("—" if report.get(key) is None else form.format(report[key])) for key, _, form in FIGURES]
        lines.append(f"| {label} | {rate} | " + " | ".join(cells) + " |")

    for name, report in results["references"].items():
        row(name.replace("_", " "), "256,000" if name == "original" else "", report)
    for name, preset in results["presets"].items():
        rate = f"{preset['bits_per_second']:,.0f}"
        row(f"`{name}`: reconstruction", rate, preset["reconstruction"])
        row(f"`{name}`: conversion to the other sex", rate, preset["conversion"])
    lines += [
        "",
        "| preset: conversion | source | target speaker | F0 source (Hz) | F0 conversion | F0 target | "
        "moved toward target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, preset in results["presets"].items():
        for clip, utterance_id in zip(preset["conversion"]["clips"], results["clips"]):
            values = [
                clip.get(key)
                for key in ("source_median_f0_hz", "median_f0_hz", "target_median_f0_hz", "f0_moved_toward_target")
            ]
            cells = ["—" if value is None else f"{value:.0f}" for value in values[:3]]
            cells.append("—" if values[3] is None else f"{values[3]:.0%}")
            lines.append(f"| `{name}` | {utterance_id} | {clip['target_speaker_id']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    arguments = parse_arguments()

    # 1. The clips.
    utterances = first_held_out_utterances(
        "librispeech",
        arguments.split,
        arguments.held_out_per_speaker,
        arguments.clips,
        data_dir=arguments.data_dir,
        download=arguments.download,
    )
    targets = conversion_targets(utterances)
    originals = [u.audio for u in utterances]
    transcripts = [u.transcript for u in utterances]
    for utterance in utterances:
        write_wav(arguments.output_dir / "wav" / f"{utterance.utterance_id}_original.wav", utterance.audio)

    # 2. References: the original, its ceilings and its floor.
    results = {
        "backend": keras.backend.backend(),
        "split": arguments.split,
        "clips": [u.utterance_id for u in utterances],
        "seconds": sum(len(audio) for audio in originals) / SAMPLE_RATE,
        "references": {},
        "presets": {},
    }
    references = {"original": lambda audio: audio} | speech_quality.REFERENCES
    for name, make in references.items():
        results["references"][name] = speech_quality.speech_quality_report(
            originals, [make(audio) for audio in originals], transcripts
        )

    # 3. Each preset: reconstruction and conversion.
    for name in arguments.presets:
        results["presets"][name] = evaluate_preset(name, utterances, targets, arguments)

    # 4. Results and the table.
    results = defined(results)
    keras_vq.runs.write_results(arguments.output_dir, results)
    table = markdown_table(results)
    keras_vq.utils.atomic.write_text_atomically(arguments.output_dir / "results.md", table)
    print(table)


if __name__ == "__main__":
    keras_vq.runs.run_recipe(main)
