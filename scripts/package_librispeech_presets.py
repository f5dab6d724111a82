"""Copies the presets trained by recipes/librispeech_vqvae.py into keras_vq and records check figures.

    KERAS_BACKEND=jax python scripts/package_librispeech_presets.py --run runs/librispeech \
        --data-dir ../shared/data --evaluation runs/librispeech_evaluate/results.json

Copies `<run>/<--decoder>/preset` (the spectrogram decoder's by default) to
`VQVAE` preset "librispeech" and `<run>/prior/preset` to `WaveNet` preset
"librispeech_prior" (the transposed-decoder model stays in the run: at 64x
it reconstructs nothing but the mean, NMSE 1.0, and is not worth shipping).
Each gets `check_figures` in its metadata.json, on the first CHECK_SAMPLES
samples of the first CHECK_CLIPS held-out utterances (`check_clips`), which
tests/unit/builtin_presets_test.py reproduces on every backend; with
`--evaluation`, the VQVAE's also records what recipes/librispeech_evaluate.py
measured of the run's preset folder (`evaluation`: WER, STOI, PESQ, pitch of
the reconstructions and the conversions, beside the references). Prints each
preset's SHA-256 for the `*_presets.py` entries.
"""

import argparse
import json
import pathlib

import keras
import numpy as np

import keras_vq
from keras_vq.data.utterances import clips, held_out_utterances
from keras_vq.presets import sha256_of

PACKAGE = pathlib.Path(keras_vq.__file__).parent
SPLIT, HELD_OUT_PER_SPEAKER = "train-clean-5", 2
CHECK_CLIPS, CHECK_SAMPLES = 8, 4096
# What save_to_preset records itself in metadata.json.
RECORD_KEYS = ("backend", "class_name", "keras_version", "keras_vq_version", "parameter_count", "sha256")
PRESETS = {  # preset -> (model class, preset directory inside keras_vq)
    "librispeech": (keras_vq.models.VQVAE, "models/vqvae/presets/librispeech"),
    "librispeech_prior": (keras_vq.models.WaveNet, "models/wavenet/presets/librispeech_prior"),
}


def check_clips(data_dir):
    """The check clips `(CHECK_CLIPS, CHECK_SAMPLES, 1)` and their speaker indices."""
    _, (utterances, speakers), _ = held_out_utterances("librispeech", SPLIT, HELD_OUT_PER_SPEAKER, data_dir=data_dir)
    return clips(utterances[:CHECK_CLIPS], CHECK_SAMPLES), speakers[:CHECK_CLIPS]


def check_figures(model, audio, speakers, autoencoder=None):
    """What a test recomputes: reconstruction or likelihood figures on the check clips."""
    if isinstance(model, keras_vq.models.WaveNet):  # The prior, on the autoencoder's codes of the clips.
        codes = np.asarray(keras.ops.convert_to_numpy(autoencoder.encode(audio)["codes"]))
        bits = model.log_likelihood_bits({"symbols": codes, "speakers": np.asarray(speakers)})
        return {"bits_per_code": float(bits.mean() / codes.shape[1])}
    if model.has_wavenet_decoder:
        return keras_vq.metrics.wavenet_decoder_report(model, audio, speakers)
    if isinstance(model.decoder, keras_vq.models.SpectrogramDecoder):
        return keras_vq.metrics.spectrogram_decoder_report(model, audio, speakers)
    return keras_vq.metrics.reconstruction_report(model, audio)


def evaluation_of(results_path, run_preset):
    """What librispeech_evaluate measured of `run_preset` (its summaries, not each clip's), with the
    references it stood beside, or None without `results_path`."""
    if results_path is None:
        return None
    results = json.loads(results_path.read_text())
    evaluated = {pathlib.Path(name).resolve(): figures for name, figures in results["presets"].items()}
    if run_preset.resolve() not in evaluated:
        raise SystemExit(f"{results_path} did not evaluate {run_preset}; it evaluated {sorted(results['presets'])}")
    figures = evaluated[run_preset.resolve()]

    def summary(report):
        return {key: value for key, value in report.items() if key != "clips"}

    return {
        "clips": results["clips"],
        "seconds": results["seconds"],
        "references": {name: summary(report) for name, report in results["references"].items()},
        "bits_per_second": figures["bits_per_second"],
        "reconstruction": summary(figures["reconstruction"]),
        "conversion": summary(figures["conversion"]),
        "recipe": "python -m keras_vq.recipes.librispeech_evaluate",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=pathlib.Path, required=True)
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument(
        "--decoder",
        default="spectrogram",
        choices=("spectrogram", "wavenet"),
        help="the run's VQ-VAE to ship as 'librispeech'",
    )
    parser.add_argument("--evaluation", type=pathlib.Path, help="librispeech_evaluate's results.json of the run")
    arguments = parser.parse_args()
    audio, speakers = check_clips(arguments.data_dir)
    autoencoder = None
    for preset, (model_class, directory) in PRESETS.items():
        run_preset = arguments.run / (arguments.decoder if model_class is keras_vq.models.VQVAE else "prior") / "preset"
        target = PACKAGE / directory
        # Saved anew, not copied: the run saved its compiled model, whose weights file also holds Adam's
        # moments (three times the size); save_to_preset keeps the weights only.
        recorded = json.loads((run_preset / "metadata.json").read_text())
        own = {key: value for key, value in recorded.items() if key not in RECORD_KEYS}
        model_class.from_preset(run_preset).save_to_preset(target, metadata=own, overwrite=True)
        model = model_class.from_preset(target)
        metadata = json.loads((target / "metadata.json").read_text())
        if model_class is keras_vq.models.VQVAE:
            autoencoder = model
            evaluation = evaluation_of(arguments.evaluation, run_preset)
            if evaluation is not None:
                metadata["evaluation"] = evaluation
        metadata["check_figures"] = {
            # The first `samples` samples of the first `clips` held-out utterances (the last
            # `held_out_per_speaker` of each speaker of `split`: keras_vq.data.utterances).
            "split": SPLIT,
            "held_out_per_speaker": HELD_OUT_PER_SPEAKER,
            "clips": CHECK_CLIPS,
            "samples": CHECK_SAMPLES,
            **check_figures(model, audio, speakers, autoencoder),
        }
        (target / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True))
        hashes = {name: sha256_of(target / name) for name in ("config.json", "model.weights.h5")}
        print(f"{directory}: {json.dumps(metadata['check_figures'])}\n  'sha256': {hashes}")


if __name__ == "__main__":
    main()
