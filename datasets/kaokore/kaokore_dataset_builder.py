"""TFDS builder for KaoKore v1.3 (faces from Japanese illustrations, 256x256)."""

import pathlib

import numpy as np
import tensorflow_datasets as tfds

from keras_vq.datasets import tfds_helpers
from keras_vq.datasets.kaokore import kaokore_files


class Builder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """KaoKore: `image` (256x256x3 JPEG, stored as downloaded), `gender`, `status`.

    Reads the manual directory when it holds `images_256/`; otherwise
    downloads the images from the URL list that ships with keras_vq. Splits
    (train 7,405 / dev 926 / test 926) come from the `set` column of
    `labels.csv`. Registered under no name: TFDS's registry is left alone.
    """

    name = "kaokore"
    # TFDS would derive this folder from the module name, which is wrong for
    # keras_vq.datasets (installed from datasets/ by package_dir): say it.
    pkg_dir_path = pathlib.Path(__file__).parent
    VERSION = tfds.core.Version("1.3.0")
    RELEASE_NOTES = {"1.3.0": "KaoKore v1.3 labels: 9,257 images."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = kaokore_files.DOWNLOAD_INSTRUCTIONS

    def __init__(self, *, skip_bad_files=False, download_workers=8, **kwargs):
        self.skip_bad_files = skip_bad_files
        self.download_workers = download_workers
        super().__init__(**kwargs)

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=kaokore_files.IMAGE_SHAPE, encoding_format="jpeg"),
                    "gender": tfds.features.ClassLabel(names=kaokore_files.GENDER_NAMES),
                    "status": tfds.features.ClassLabel(names=kaokore_files.STATUS_NAMES),
                }
            ),
            homepage=kaokore_files.HOMEPAGE,
            disable_shuffling=True,  # Keep the canonical order (see example_order.py).
        )

    def _split_generators(self, dl_manager):
        files = tfds_helpers.open_files(
            kaokore_files.KaokoreFiles,
            dl_manager,
            lambda download_dir: kaokore_files.download_images(
                download_dir / "kaokore",
                max_workers=self.download_workers,
                skip_bad_files=self.skip_bad_files,
            ),
        )
        return {split: self._generate_examples(files, split) for split in files.split_names}

    def _generate_examples(self, files, split):
        def to_features(key, example):
            return {
                "image": tfds_helpers.encoded_image(example),
                "gender": np.int64(example["gender"]),
                "status": np.int64(example["status"]),
            }

        return tfds_helpers.generate_examples(files, split, to_features, self.skip_bad_files, what="KaoKore images")
