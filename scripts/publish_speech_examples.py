"""Copies librispeech_evaluate's clips of one preset into the docs, as MP3, with their spectrograms.

    python scripts/publish_speech_examples.py --evaluation runs/librispeech_evaluate --preset librispeech

For every clip the evaluation scored (`results.json`'s "clips"): the original,
the preset's reconstruction and its conversion to the other sex, written to
`docs/audio/speech/<utterance-id>_{original,reconstruction,conversion}.mp3`
(MPEG layer III through soundfile: whole utterances as 16-bit WAV would add
about 10 MB to the repository; every browser plays MP3), and
`docs/images/speech_<utterance-id>.png` (waveform and 32 ms spectrogram of
the three, `keras_vq.plots.save_audio_comparison`) for the clips named by
`--figures`. Look at every figure and listen to every clip before publishing.
"""

import argparse
import json
import pathlib

import soundfile

import keras_vq.plots

ROOT = pathlib.Path(__file__).resolve().parents[1]
KINDS = ("original", "reconstruction", "conversion")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluation", type=pathlib.Path, required=True, help="librispeech_evaluate's --output-dir")
    parser.add_argument("--preset", required=True, help="the preset's folder name under <evaluation>/wav")
    parser.add_argument("--figures", default="", help="comma-separated utterance ids to plot into docs/images")
    parser.add_argument("--docs", type=pathlib.Path, default=ROOT / "docs")
    arguments = parser.parse_args()
    results = json.loads((arguments.evaluation / "results.json").read_text())
    wav = arguments.evaluation / "wav"
    audio_dir = arguments.docs / "audio" / "speech"
    audio_dir.mkdir(parents=True, exist_ok=True)
    figures = [name for name in arguments.figures.split(",") if name]
    unknown = sorted(set(figures) - set(results["clips"]))
    if unknown:
        raise SystemExit(f"--figures names clips the evaluation did not score: {unknown}")
    for utterance_id in results["clips"]:
        paths = {
            "original": wav / f"{utterance_id}_original.wav",
            "reconstruction": wav / arguments.preset / f"{utterance_id}_reconstruction.wav",
            "conversion": wav / arguments.preset / f"{utterance_id}_conversion.wav",
        }
        clips = {}
        for kind in KINDS:
            clips[kind], rate = soundfile.read(paths[kind], dtype="float32")
            # Written whole before it is renamed: a reader never sees half a file.
            target = audio_dir / f"{utterance_id}_{kind}.mp3"
            partial = target.with_suffix(".partial.mp3")
            soundfile.write(partial, clips[kind], rate, format="MP3", subtype="MPEG_LAYER_III")
            partial.replace(target)
        if utterance_id in figures:
            keras_vq.plots.save_audio_comparison(clips, arguments.docs / "images" / f"speech_{utterance_id}.png")
        print(utterance_id, "->", audio_dir)


if __name__ == "__main__":
    main()
