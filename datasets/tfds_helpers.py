"""What the three TFDS builders share: reading a manual directory and skipping bad files.

This module imports tensorflow_datasets; the file readers do not.
"""

import io

from keras_vq.datasets.bad_data import BadFileError, BadFileSkipper, DataNotFoundError


def manual_dir_or_none(dl_manager):
    """`dl_manager.manual_dir`, or None where TFDS has none (it raises when it is missing or empty)."""
    try:
        return dl_manager.manual_dir
    except (AssertionError, ValueError):
        return None


def open_files(files_class, dl_manager, download):
    """`files_class(manual_dir)` if the manual directory holds the data, else
    `files_class(download(dl_manager.download_dir))`."""
    manual_dir = manual_dir_or_none(dl_manager)
    if manual_dir is not None:
        try:
            return files_class(manual_dir)
        except DataNotFoundError:
            pass
    return files_class(download(dl_manager.download_dir))


def generate_examples(files, split, to_features, skip_bad_files, what):
    """Yields `(key, features)` in the canonical order; bad files raise or are counted."""
    with BadFileSkipper(skip_bad_files, what=what) as skipper:
        for key in files.keys(split):
            try:
                example = files.read(key)
            except BadFileError as error:
                skipper.handle(error)
                continue
            yield key, to_features(key, example)


def encoded_image(example):
    """The file's own bytes, for `tfds.features.Image` to store without re-encoding."""
    return io.BytesIO(example["image_bytes"])
