"""Builds keras_vq/data/cifar10_sample.npz, the embedded default dataset.

Takes the first IMAGES_PER_CLASS images (by file name) of each class of the
CIFAR-10 *train* split in the `{train,test}/<class>/<name>.png` layout, so
the held-out test split is never bundled:

    python scripts/make_cifar10_sample.py --data-dir ../shared/data/cifar10

CIFAR-10: Krizhevsky, "Learning Multiple Layers of Features from Tiny
Images", technical report, University of Toronto, 2009.
"""

import argparse
import pathlib

import numpy as np
from PIL import Image

IMAGES_PER_CLASS = 300
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=pathlib.Path)
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=pathlib.Path(__file__).resolve().parents[1] / "keras_vq/data/cifar10_sample.npz",
    )
    arguments = parser.parse_args()
    images, labels, names = [], [], []
    for label, class_name in enumerate(CLASS_NAMES):
        files = sorted((arguments.data_dir / "train" / class_name).glob("*.png"))[:IMAGES_PER_CLASS]
        if len(files) < IMAGES_PER_CLASS:
            raise SystemExit(
                f"{arguments.data_dir / 'train' / class_name} has {len(files)} PNGs; need {IMAGES_PER_CLASS}"
            )
        for path in files:
            images.append(np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8))
            labels.append(label)
            names.append(f"train/{class_name}/{path.name}")
    np.savez_compressed(
        arguments.output,
        images=np.stack(images),
        labels=np.asarray(labels, np.uint8),
        file_names=np.asarray(names),
        class_names=np.asarray(CLASS_NAMES),
    )
    print(f"wrote {len(images)} images to {arguments.output} ({arguments.output.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
