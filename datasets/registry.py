"""Every dataset keras_vq loads: one entry each (see `dataset_description`)."""

from keras_vq.datasets.cifar10.cifar10_description import CIFAR10
from keras_vq.datasets.kaokore.kaokore_description import KAOKORE
from keras_vq.datasets.librispeech.librispeech_description import LIBRISPEECH

DATASETS = {description.name: description for description in (CIFAR10, KAOKORE, LIBRISPEECH)}


def get_description(name):
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; keras_vq loads {sorted(DATASETS)}")
    return DATASETS[name]
