"""Reading image files with a check that they decode to what a dataset promises."""

import io
import os
import pathlib

import numpy as np

from keras_vq.datasets.bad_data import BadFileError
from keras_vq.utils.extras import naming_the_extra

with naming_the_extra("reading images"):
    from PIL import Image


def files_with_suffix(folder, pattern, suffix):
    """Sorted paths under `folder` matching the glob `pattern` (e.g. "*/*") whose extension is `suffix`
    in any case: `cat.PNG` is a PNG as much as `cat.png`.

    Example:
        ```python
        import pathlib, tempfile

        from keras_vq.datasets.image_files import files_with_suffix

        folder = pathlib.Path(tempfile.mkdtemp())
        for name in ("a.png", "b.PNG", "c.txt"):
            (folder / name).touch()
        print([path.name for path in files_with_suffix(folder, "*", ".png")])  # ['a.png', 'b.PNG']
        ```
    """
    paths = sorted(path for path in pathlib.Path(folder).glob(pattern) if path.suffix.lower() == suffix.lower())
    for path in paths:
        if path.is_symlink() and not path.exists():  # Named here, not by whichever reader stats it first.
            raise BadFileError(path, f"is a symbolic link to {os.readlink(path)}, which does not exist")
    return paths


def read_image(path, expected_shape=None):
    """Returns `(pixels, encoded_bytes)` for the image file at `path`.

    `pixels` is uint8 `(height, width, 3)`. The whole image is decoded, so a
    truncated or corrupt file raises `BadFileError` naming it here rather than
    deep inside a training run. With `expected_shape`, e.g. `(256, 256, 3)`,
    any other shape raises too. `encoded_bytes` are the file's own bytes, so a
    builder can store them without re-encoding (JPEGs stay bit-identical).
    """
    try:
        with open(path, "rb") as file:
            encoded_bytes = file.read()
    except OSError as error:
        raise BadFileError(path, f"cannot be read ({error})") from error
    pixels = decode_image_bytes(encoded_bytes, path)
    if pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise BadFileError(path, f"is not an RGB image (decoded shape {pixels.shape})")
    if expected_shape is not None and pixels.shape != tuple(expected_shape):
        raise BadFileError(path, f"has shape {pixels.shape}, expected {tuple(expected_shape)}")
    return pixels, encoded_bytes


def decode_image_bytes(encoded_bytes, path):
    """Fully decodes image bytes (`path` only names them in errors)."""
    try:
        with Image.open(io.BytesIO(encoded_bytes)) as image:
            image.load()  # Image.open is lazy; load() is what fails on truncation.
            return np.asarray(image)
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError...
        raise BadFileError(path, f"is not a decodable image ({error})") from error


def read_image_shape(path):
    """Shape from the image header alone, without decoding the pixels."""
    try:
        with Image.open(path) as image:
            channels = len(image.getbands())
            return (image.height, image.width, channels)
    except Exception as error:
        raise BadFileError(path, f"is not a readable image ({error})") from error
