"""CIFAR-10 from a local directory, in either of two layouts.

CIFAR-10 (Krizhevsky, "Learning Multiple Layers of Features from Tiny
Images", 2009): 50,000 training and 10,000 test images, 32x32 RGB, 10
classes. Where it can download, `keras_vq.data.load` uses TFDS's own
`cifar10`; this module reads a copy a user already has:

    <data_dir>/{train,test}/<class name>/*.png        folders of PNGs
    <data_dir>/cifar-10-batches-py/data_batch_1 ...   the official Python batches

(either directly in `data_dir` or in `data_dir/cifar10/`). The official
batches are pickles; they are read with an unpickler that admits only the
NumPy array types they contain, so a tampered file cannot run code.
"""

import io
import pathlib
import pickle

import numpy as np

from keras_vq.datasets.archives import extract_tar
from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
from keras_vq.datasets.downloads import download_file
from keras_vq.datasets.example_order import canonical_order
from keras_vq.datasets.file_fingerprint import files_fingerprint
from keras_vq.datasets.image_files import files_with_suffix, read_image, read_image_shape
from keras_vq.utils.extras import naming_the_extra

with naming_the_extra("reading CIFAR-10"):
    from PIL import Image

CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
IMAGE_SHAPE = (32, 32, 3)
SPLIT_NAMES = ("train", "test")
BATCHES_DIR_NAME = "cifar-10-batches-py"
BATCH_FILES = {
    "train": tuple(f"data_batch_{number}" for number in range(1, 6)),
    "test": ("test_batch",),
}
ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# The official archive's SHA-256 (its MD5, c58f30108f718f92721af3b95e74349a, is the one published).
ARCHIVE_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DOWNLOAD_INSTRUCTIONS = (
    "Pass download=True to keras_vq.data.load to fetch the official archive into data_dir, or unpack "
    f"{ARCHIVE_URL} into data_dir yourself (giving data_dir/{BATCHES_DIR_NAME}/data_batch_1 ...), "
    "or put PNGs in data_dir/{train,test}/<class name>/."
)
# The only globals a CIFAR-10 batch pickle needs: NumPy's array reconstruction.
ALLOWED_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ALLOWED_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR-10 batch")
        return super().find_class(module, name)


def read_batch(path):
    """`(images uint8 (N, 32, 32, 3), labels int)` from an official Python batch file."""
    try:
        with open(path, "rb") as file:
            batch = _ArraysOnlyUnpickler(file, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except Exception as error:
        raise BadFileError(path, f"is not a CIFAR-10 Python batch ({error})") from error
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise BadFileError(path, f"holds data of shape {data.shape} for {len(labels)} labels")
    # Rows are 1024 red, then 1024 green, then 1024 blue values, each row-major.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _layout(candidate):
    if all((candidate / BATCHES_DIR_NAME / name).exists() for names in BATCH_FILES.values() for name in names):
        return "batches"
    if (candidate / "train").is_dir() and files_with_suffix(candidate / "train", "*/*", ".png"):
        return "folders"
    return None


def find_cifar10_dir(data_dir):
    """`(root, layout)`: the folder holding either layout, and which one it is."""
    data_dir = pathlib.Path(data_dir).expanduser()
    candidates = [data_dir, data_dir / "cifar10"]
    if data_dir.name == BATCHES_DIR_NAME:
        candidates.insert(0, data_dir.parent)
    for candidate in candidates:
        layout = _layout(candidate)
        if layout:
            return candidate, layout
    raise DataNotFoundError(
        f"no CIFAR-10 in {data_dir}: expected {data_dir / BATCHES_DIR_NAME}/data_batch_1..5 and "
        f"test_batch, or {data_dir}/train/<class name>/*.png. {DOWNLOAD_INSTRUCTIONS}"
    )


def download_archive(
    data_dir, *, url=ARCHIVE_URL, expected_sha256=ARCHIVE_SHA256, download_dir=None, progress=True, **download_options
):
    """Downloads the official archive (resumable, SHA-256 checked) and unpacks
    `data_dir/cifar-10-batches-py/`; returns the folder `Cifar10Files` reads."""
    data_dir = pathlib.Path(data_dir).expanduser()
    download_dir = pathlib.Path(download_dir) if download_dir else data_dir / "downloads"
    archive = download_file(
        url,
        download_dir / url.rsplit("/", 1)[-1],
        expected_sha256=expected_sha256,
        progress=progress,
        **download_options,
    )
    extract_tar(archive, data_dir, progress=progress)
    return find_cifar10_dir(data_dir)


class Cifar10Files:
    """The examples of a local CIFAR-10 copy; keys are `<split>/<class>/<file>` or
    `<split>/<batch file>/<row>`."""

    def __init__(self, data_dir):
        self.root, self.layout = find_cifar10_dir(data_dir)
        self._batches = {}

    @property
    def split_names(self):
        if self.layout == "batches":
            return list(SPLIT_NAMES)
        return [name for name in SPLIT_NAMES if (self.root / name).is_dir()]

    def _check_split(self, split):
        if split not in self.split_names:
            raise ValueError(f"CIFAR-10 in {self.root} has splits {self.split_names}, not {split!r}")

    def _batch(self, name):
        if name not in self._batches:
            self._batches[name] = read_batch(self.root / BATCHES_DIR_NAME / name)
        return self._batches[name]

    def _png_paths(self, split):
        paths = files_with_suffix(self.root / split, "*/*", ".png")
        for path in paths:
            if path.parent.name not in CLASS_NAMES:
                raise BadFileError(path.parent, f"is not a CIFAR-10 class; expected one of {CLASS_NAMES}")
        return paths

    def keys(self, split):
        self._check_split(split)
        if self.layout == "folders":
            keys = (f"{split}/{path.parent.name}/{path.name}" for path in self._png_paths(split))
        else:
            keys = (f"{split}/{name}/{row}" for name in BATCH_FILES[split] for row in range(len(self._batch(name)[1])))
        return canonical_order(keys)

    def read(self, key):
        """One example: `image` (uint8 32x32x3), `image_bytes` (PNG), `label` (int)."""
        split, group, item = key.split("/")
        if self.layout == "folders":
            pixels, encoded = read_image(self.root / split / group / item, IMAGE_SHAPE)
            return {"image": pixels, "image_bytes": encoded, "label": CLASS_NAMES.index(group)}
        images, labels = self._batch(group)
        pixels = images[int(item)]
        return {"image": pixels, "image_bytes": _png_bytes(pixels), "label": int(labels[int(item)])}

    def fingerprint(self):
        """Changes whenever a file of the copy is added, removed or rewritten (`files_fingerprint`)."""
        if self.layout == "batches":
            paths = [self.root / BATCHES_DIR_NAME / name for names in BATCH_FILES.values() for name in names]
            return files_fingerprint(self.root, [path for path in paths if path.exists()])
        return files_fingerprint(self.root, [path for split in self.split_names for path in self._png_paths(split)])

    def describe(self):
        """Per split: examples, distinct image shapes (PNG headers only) and examples per class."""
        summary = {}
        for split in self.split_names:
            if self.layout == "folders":
                paths = self._png_paths(split)
                shapes = sorted({read_image_shape(path) for path in paths})
                labels = [CLASS_NAMES.index(path.parent.name) for path in paths]
            else:
                arrays = [self._batch(name) for name in BATCH_FILES[split]]
                shapes = sorted({images.shape[1:] for images, _ in arrays})
                labels = [int(label) for _, batch_labels in arrays for label in batch_labels]
            summary[split] = {
                "examples": len(labels),
                "shapes": shapes,
                "per_class": np.bincount(labels, minlength=len(CLASS_NAMES)).tolist(),
            }
        return summary


def _png_bytes(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()
