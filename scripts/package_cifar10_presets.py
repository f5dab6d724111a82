"""Copies presets trained by recipes/cifar10_vqvae.py into keras_vq and records what they reach.

    KERAS_BACKEND=tensorflow python scripts/package_cifar10_presets.py --runs /work/train \
        --data-dir ../shared/data

For each of vqvae, vae and vqvae2 found under --runs, copies `<run>/preset/`
to `keras_vq/models/<model>/presets/cifar10/`, adds to its metadata.json the
`check_figures` on the first CHECK_IMAGES images of the CIFAR-10 test split
(which tests/builtin_presets_test.py reproduces on every backend), and
prints the `*_presets.py` entry with the files' SHA-256.
"""

import argparse
import json
import pathlib
import shutil

import keras_vq
from keras_vq.presets import sha256_of

PACKAGE = pathlib.Path(keras_vq.__file__).parent
CHECK_IMAGES = 500
MODELS = {"vqvae": keras_vq.models.VQVAE, "vae": keras_vq.models.VAE, "vqvae2": keras_vq.models.VQVAE2}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=pathlib.Path, required=True)
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    arguments = parser.parse_args()
    images = keras_vq.data.load_numpy(
        "cifar10", f"test[:{CHECK_IMAGES}]", 100, data_dir=arguments.data_dir, evaluation=True
    ).concatenated()
    for name, model_class in MODELS.items():
        source = arguments.runs / name / "preset"
        if not source.exists():
            continue
        target = PACKAGE / "models" / name / "presets" / "cifar10"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        model = model_class.from_preset(target)
        metadata = json.loads((target / "metadata.json").read_text())
        metadata["check_figures"] = {
            "split": f"CIFAR-10 test[:{CHECK_IMAGES}] (keras_vq order)",
            **keras_vq.metrics.reconstruction_report(model, images),
        }
        (target / "metadata.json").write_text(json.dumps(metadata, indent=2, sort_keys=True))
        hashes = {file: sha256_of(target / file) for file in ("config.json", "model.weights.h5")}
        print(f"{name}: 'directory': 'models/{name}/presets/cifar10', 'sha256': {hashes}")


if __name__ == "__main__":
    main()
