"""TFDS builder for a local copy of CIFAR-10 (folders of PNGs or the official Python batches)."""

import pathlib

import numpy as np
import tensorflow_datasets as tfds

from keras_vq.datasets import tfds_helpers
from keras_vq.datasets.cifar10 import cifar10_files


def _no_download(download_dir):
    raise tfds.core.DatasetNotFoundError(
        "this builder reads a local CIFAR-10 copy only. " + cifar10_files.DOWNLOAD_INSTRUCTIONS
    )


class Builder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """CIFAR-10 from the manual directory: `image` (32x32x3 PNG), `label`, `id`.

    The features are TFDS's own `cifar10`'s, so the same pipeline serves both.
    Registered under no name: TFDS's own `cifar10` (which downloads) is left alone.
    """

    name = "cifar10_local"
    # TFDS would derive this folder from the module name, which is wrong for
    # keras_vq.datasets (installed from datasets/ by package_dir): say it.
    pkg_dir_path = pathlib.Path(__file__).parent
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Folders of PNGs or the official Python batches."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = cifar10_files.DOWNLOAD_INSTRUCTIONS

    def __init__(self, *, skip_bad_files=False, **kwargs):
        self.skip_bad_files = skip_bad_files
        super().__init__(**kwargs)

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "id": tfds.features.Text(),
                    "image": tfds.features.Image(shape=cifar10_files.IMAGE_SHAPE, encoding_format="png"),
                    "label": tfds.features.ClassLabel(names=cifar10_files.CLASS_NAMES),
                }
            ),
            supervised_keys=("image", "label"),
            homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
            disable_shuffling=True,  # Keep the canonical order (see example_order.py).
        )

    def _split_generators(self, dl_manager):
        files = tfds_helpers.open_files(cifar10_files.Cifar10Files, dl_manager, _no_download)
        return {split: self._generate_examples(files, split) for split in files.split_names}

    def _generate_examples(self, files, split):
        def to_features(key, example):
            return {
                "id": key,
                "image": tfds_helpers.encoded_image(example),
                "label": np.int64(example["label"]),
            }

        return tfds_helpers.generate_examples(files, split, to_features, self.skip_bad_files, what="CIFAR-10 images")
