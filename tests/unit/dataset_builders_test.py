"""TFDS's own builder tests, run on each builder's synthetic dummy_data/."""

import pytest

tfds = pytest.importorskip("tensorflow_datasets")
pytest.importorskip("dill")  # tensorflow_datasets.testing needs it.

from keras_vq.datasets.cifar10 import cifar10_dataset_builder  # noqa: E402
from keras_vq.datasets.kaokore import kaokore_dataset_builder  # noqa: E402
from keras_vq.datasets.librispeech import librispeech_dataset_builder  # noqa: E402
from tests.passes import BACKEND_INDEPENDENT  # noqa: E402

pytestmark = BACKEND_INDEPENDENT


class UnregisteredBuilderTestCase(tfds.testing.DatasetBuilderTestCase):
    """Our builders are deliberately not registered (TFDS's own `librispeech`
    and `cifar10` keep their names), so `test_registered` checks that instead."""

    def test_registered(self):
        from tensorflow_datasets.core import registered

        # TFDS keeps every registered builder class in this table; ours must not be there under any name
        # (dropping `skip_registration=True` puts it there, and would shadow TFDS's own librispeech).
        self.assertNotIn(self.DATASET_CLASS, list(registered._DATASET_REGISTRY.values()))
        if self.DATASET_CLASS.name in tfds.list_builders(with_community_datasets=False):
            self.assertIsNot(tfds.builder_cls(self.DATASET_CLASS.name), self.DATASET_CLASS)


class KaokoreBuilderTest(UnregisteredBuilderTestCase):
    DATASET_CLASS = kaokore_dataset_builder.Builder
    EXAMPLE_DIR = DATASET_CLASS.pkg_dir_path / "dummy_data"
    SPLITS = {"train": 3, "dev": 2, "test": 1}


class LibrispeechBuilderTest(UnregisteredBuilderTestCase):
    DATASET_CLASS = librispeech_dataset_builder.Builder
    EXAMPLE_DIR = DATASET_CLASS.pkg_dir_path / "dummy_data"
    SPLITS = {"dev-clean": 4}


class Cifar10BuilderTest(UnregisteredBuilderTestCase):
    DATASET_CLASS = cifar10_dataset_builder.Builder
    EXAMPLE_DIR = DATASET_CLASS.pkg_dir_path / "dummy_data"
    SPLITS = {"train": 6, "test": 3}


del UnregisteredBuilderTestCase  # Only its subclasses are tests.
