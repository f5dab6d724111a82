"""Which datasets keras_vq can load, where their files are, and how to get them.

Each entry names the reader in `keras_vq.datasets` (plain Python, no
TensorFlow), the TFDS builder over it, and how to download what is missing.
"""

import dataclasses
import hashlib
import importlib
import os
import pathlib

from keras_vq.datasets.bad_data import DataNotFoundError
from keras_vq.paths import keras_vq_home
from keras_vq.datasets.cifar10 import cifar10_files
from keras_vq.datasets.kaokore import kaokore_files
from keras_vq.datasets.librispeech import librispeech_files


@dataclasses.dataclass(frozen=True)
class DatasetSource:
    name: str
    kind: str  # "image" or "audio"
    files_class: type
    builder_module: str
    download: object  # callable(data_dir, split_name, files_or_None), or None


def _download_kaokore(data_dir, split_name, files):
    # Always run: it keeps the images present and fetches only the missing ones.
    kaokore_files.download_images(data_dir)


def _download_librispeech(data_dir, split_name, files):
    if files is None or split_name not in files.split_names:
        librispeech_files.download_subset(split_name, data_dir)


SOURCES = {
    "cifar10": DatasetSource(
        "cifar10", "image", cifar10_files.Cifar10Files,
        "keras_vq.datasets.cifar10.cifar10_dataset_builder",
        None,  # Downloads go through TFDS's own cifar10 (tf.data) or Keras's (NumPy).
    ),
    "kaokore": DatasetSource(
        "kaokore", "image", kaokore_files.KaokoreFiles,
        "keras_vq.datasets.kaokore.kaokore_dataset_builder", _download_kaokore,
    ),
    "librispeech": DatasetSource(
        "librispeech", "audio", librispeech_files.LibrispeechFiles,
        "keras_vq.datasets.librispeech.librispeech_dataset_builder", _download_librispeech,
    ),
}


def get_source(name):
    if name not in SOURCES:
        raise ValueError(f"unknown dataset {name!r}; keras_vq loads {sorted(SOURCES)}")
    return SOURCES[name]


def default_data_dir(name):
    return keras_vq_home() / "data" / name


def open_files(name, data_dir=None, split_name=None, download=False):
    """The dataset's files reader over `data_dir` (default: keras_vq's own data folder).

    With `download=True`, whatever is missing is fetched into that folder
    first; otherwise a missing dataset raises `DataNotFoundError` saying where
    the data must go and how to download it.
    """
    source = get_source(name)
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"data_dir must be a path (str or os.PathLike), got {type(data_dir).__name__} {data_dir!r}")
    data_dir = pathlib.Path(data_dir).expanduser() if data_dir is not None else default_data_dir(name)
    files = None
    try:
        files = source.files_class(data_dir)
    except DataNotFoundError:
        if not download or source.download is None:
            raise
    if download and source.download is not None:
        source.download(data_dir, split_name, files)
        files = source.files_class(data_dir)
    return files


def builder_class(name):
    return importlib.import_module(get_source(name).builder_module).Builder


def prepared_dir_for(files, skip_bad_files, prepared_root=None):
    """Where TFDS keeps the prepared copy of `files`: one folder per source
    directory and content, so a changed or different copy is prepared anew."""
    prepared_root = pathlib.Path(prepared_root) if prepared_root else keras_vq_home() / "prepared"
    digest = hashlib.sha1(f"{files.fingerprint()}|skip={bool(skip_bad_files)}".encode()).hexdigest()
    return prepared_root / digest[:16]
