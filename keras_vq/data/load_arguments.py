"""Checks shared by `load` (tf.data) and `load_numpy`, made before any data is read."""

from keras_vq.data.sources import open_files
from keras_vq.data.splits import parse_split
from keras_vq.datasets.registry import get_description


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_load_arguments(name, split, batch_size, image_size, crop_length, with_labels):
    """Returns `(description, split_spec)`; raises `ValueError` naming a bad argument."""
    description = get_description(name)
    spec = parse_split(split)
    _positive_int("batch_size", batch_size)
    if description.kind == "image" and image_size is not None:
        _positive_int("image_size", image_size)
    if description.kind == "audio":
        _positive_int("crop_length", crop_length)
        if image_size is not None:
            raise ValueError(f"image_size applies to image datasets, not {name!r}")
    if not isinstance(with_labels, bool):
        raise ValueError(f"with_labels must be True or False, got {with_labels!r}")
    return description, spec


def check_split_exists(files, spec, name):
    if spec.name not in files.split_names:
        raise ValueError(f"{name} in {files.root} has splits {files.split_names}, not {spec.name!r}")


def open_local_files(name, data_dir, spec, download):
    """The files reader with `spec`'s split checked (what is missing fetched first with `download`)."""
    files = open_files(name, data_dir, spec.name, download)
    check_split_exists(files, spec, name)
    return files


def labels_of(batch, label_keys):
    """What `with_labels=True` yields beside the data: the one label array, or a dict of several."""
    if len(label_keys) == 1:
        return batch[label_keys[0]]
    return {key: batch[key] for key in label_keys}
