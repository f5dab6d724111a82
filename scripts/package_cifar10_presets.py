"""Copies presets trained by the CIFAR-10 recipes into keras_vq and records what they reach.

    KERAS_BACKEND=tensorflow python scripts/package_cifar10_presets.py --runs /work/train \
        --prior-runs /work/runs --data-dir ../shared/data

With `--recheck` and no runs, records the check figures of the presets already packaged again (after
CHECK_IMAGES changed). For each run of MODELS found under --runs (recipes/cifar10_vqvae.py), copies
`<run>/preset/` to `keras_vq/models/<model>/presets/<preset name>/` (vqvae, vae
and vqvae2 are the `cifar10` presets; vqvae_logistic_mixture, trained with
`--output-distribution logistic_mixture`, is `cifar10_logistic_mixture`); for each
prior of keras_vq.models.PRIORS found under --prior-runs (recipes/cifar10_prior.py, in the
folder its presets entry names as `run`, e.g. `prior_vqvae/codes`), copies
its preset to the entry's `directory`. Each gets
`check_figures` in its metadata.json, on the first CHECK_IMAGES images of the
CIFAR-10 test split (which tests/unit/builtin_presets_test.py reproduces on every
backend): reconstruction figures for autoencoders, bits/code for priors.
Prints each `*_presets.py` entry's SHA-256.
"""

import argparse
import json
import pathlib
import shutil

import numpy as np

import keras_vq
from keras_vq.data.codes import encode_batch, prior_inputs
from keras_vq.presets import sha256_of
from keras_vq.utils.atomic import replace_directory, write_json_atomically

PACKAGE = pathlib.Path(keras_vq.__file__).parent
# Test images the check figures are on: each backend pass of the suite evaluates every preset on them.
CHECK_IMAGES = 200
# Run folder -> (model class, its folder under keras_vq/models, preset name).
MODELS = {
    "vqvae": (keras_vq.models.VQVAE, "vqvae", "cifar10"),
    "vae": (keras_vq.models.VAE, "vae", "cifar10"),
    "vqvae2": (keras_vq.models.VQVAE2, "vqvae2", "cifar10"),
    "vqvae_logistic_mixture": (keras_vq.models.VQVAE, "vqvae", "cifar10_logistic_mixture"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=pathlib.Path)
    parser.add_argument("--prior-runs", type=pathlib.Path)
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--recheck", action="store_true", help="record the packaged presets' check figures again")
    arguments = parser.parse_args()
    images, labels = keras_vq.data.load_numpy(
        "cifar10", f"test[:{CHECK_IMAGES}]", 100, data_dir=arguments.data_dir, evaluation=True, with_labels=True
    ).concatenated()
    for run, (model_class, folder, preset_name) in MODELS.items():
        source = arguments.runs / run / "preset" if arguments.runs else None
        target = PACKAGE / "models" / folder / "presets" / preset_name
        if refreshed(source, target, arguments.recheck):
            figures = keras_vq.metrics.reconstruction_report(model_class.from_preset(target), images)
            record_check_figures(target, figures)
    for prior_class in keras_vq.models.PRIORS.values():
        # The priors' presets packaged from recipes/cifar10_prior.py runs: the entries that name their `run`.
        for entry in (entry for entry in prior_class.builtin_presets.values() if "run" in entry):
            source = arguments.prior_runs / entry["run"] / "preset" if arguments.prior_runs else None
            target = PACKAGE / entry["directory"]
            if refreshed(source, target, arguments.recheck):
                record_check_figures(
                    target, prior_check_figures(prior_class.from_preset(target), entry, images, labels)
                )


def refreshed(source, target, recheck):
    """Copies `source` (a run's preset) to `target` when the run exists; then whether `target` gets its
    check figures: when it was copied, or with `recheck` when it is already packaged."""
    copied = bool(source and source.exists())
    if copied:
        copy_preset(source, target)
    return copied or (recheck and target.exists())


def copy_preset(source, target):
    """Copies `source` beside `target`, then swaps it in whole (`keras_vq.utils.atomic.replace_directory`)."""
    staging = target.with_name(f".{target.name}.incoming")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging)
    replace_directory(staging, target)
    return target


def prior_check_figures(prior, entry, images, labels):
    """Mean bits/code of the prior on the codes its autoencoder gives `images`."""
    autoencoder = getattr(keras_vq.models, entry["autoencoder"]).from_preset(entry["autoencoder_preset"])
    inputs = prior_inputs(encode_batch(autoencoder, images, labels), autoencoder.code_levels()[entry["level"]], prior)
    return {
        "examples": int(len(images)),
        "bits_per_code": float(prior.log_likelihood_bits(inputs).mean() / np.prod(prior.code_shape)),
    }


def record_check_figures(target, figures):
    metadata = json.loads((target / "metadata.json").read_text())
    scalars = {name: value for name, value in figures.items() if not isinstance(value, (list, dict))}
    metadata["check_figures"] = {"split": f"CIFAR-10 test[:{CHECK_IMAGES}] (keras_vq order)", **scalars}
    write_json_atomically(target / "metadata.json", metadata)
    hashes = {file: sha256_of(target / file) for file in ("config.json", "model.weights.h5")}
    print(f"{target.relative_to(PACKAGE)}: 'sha256': {hashes}")


if __name__ == "__main__":
    main()
