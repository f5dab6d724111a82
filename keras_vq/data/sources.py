"""Where a dataset's files are, and how to get them (the datasets themselves
are described in `keras_vq.datasets.registry`)."""

import hashlib
import os
import pathlib

from keras_vq.datasets.bad_data import DataNotFoundError
from keras_vq.datasets.registry import get_description
from keras_vq.utils.paths import keras_vq_home


def default_data_dir(name):
    return keras_vq_home() / "data" / name


def open_files(name, data_dir=None, split_name=None, download=False):
    """The dataset's files reader over `data_dir` (default: keras_vq's own data folder).

    With `download=True`, whatever is missing is fetched into that folder
    first; otherwise a missing dataset raises `DataNotFoundError` saying where
    the data must go and how to download it.
    """
    description = get_description(name)
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"data_dir must be a path (str or os.PathLike), got {type(data_dir).__name__} {data_dir!r}")
    data_dir = pathlib.Path(data_dir).expanduser() if data_dir is not None else default_data_dir(name)
    reader_class = description.reader_class()
    files = None
    try:
        files = reader_class(data_dir)
    except DataNotFoundError:
        if not download or description.download is None:
            raise
    if download and description.download is not None:
        description.download(data_dir, split_name, files)
        files = reader_class(data_dir)
    return files


def prepared_dir_for(files, skip_bad_files, prepared_root=None):
    """Where TFDS keeps the prepared copy of `files`: one folder per source
    directory and content, so a changed or different copy is prepared anew."""
    prepared_root = pathlib.Path(prepared_root) if prepared_root else keras_vq_home() / "prepared"
    digest = hashlib.sha1(f"{files.fingerprint()}|skip={bool(skip_bad_files)}".encode()).hexdigest()
    return prepared_root / digest[:16]
