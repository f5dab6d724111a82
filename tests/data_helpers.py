"""Fixture data for the data tests: real files in tests/fixtures, and generated ones."""

import io
import pathlib
import shutil

import numpy as np
import soundfile
from PIL import Image

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
CIFAR10_FIXTURE = FIXTURES / "cifar10"
LIBRISPEECH_FIXTURE = FIXTURES / "librispeech"
# recipes/cifar10_vqvae.py's architecture options for a small model, for tests whose subject is the
# recipe's writes, resumption or devices rather than Sonnet's widths.
SMALL_CIFAR10_VQVAE = [
    "--hidden-channels",
    "16",
    "--residual-channels",
    "8",
    "--num-residual-layers",
    "1",
    "--num-embeddings",
    "32",
]
# name, gender, status, set: three train, two dev, one test.
KAOKORE_ROWS = [
    ("00000003.jpg", 1, 0, "train"),
    ("00000007.jpg", 0, 1, "train"),
    ("00000011.jpg", 1, 3, "train"),
    ("00000012.jpg", 0, 2, "dev"),
    ("00000020.jpg", 1, 0, "dev"),
    ("00000031.jpg", 0, 3, "test"),
]


def kaokore_image_bytes(seed, size=256):
    """A JPEG of a smooth random image."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (8, 8, 3)).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(coarse).resize((size, size), Image.BICUBIC).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def write_kaokore_labels(path, rows=KAOKORE_ROWS):
    lines = ["image,gender,status,set"] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def make_kaokore_dir(root, rows=KAOKORE_ROWS):
    """Generated images in the layout of KaoKore's download script: images_256/ + labels.csv."""
    images = root / "images_256"
    images.mkdir(parents=True)
    for seed, (name, *_) in enumerate(rows):
        (images / name).write_bytes(kaokore_image_bytes(seed))
    write_kaokore_labels(root / "labels.csv", rows)
    return root


def corrupt_jpeg_bytes():
    """A JPEG cut off two-thirds of the way through: the header reads, the pixels do not."""
    whole = kaokore_image_bytes(99)
    return whole[: 2 * len(whole) // 3]


def copy_librispeech(root):
    return pathlib.Path(shutil.copytree(LIBRISPEECH_FIXTURE, root))


def truncate_file(path, fraction=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def librispeech_flacs(root):
    return sorted(pathlib.Path(root).rglob("*.flac"))


def flac_seconds(path):
    """Duration by decoding the whole file (the inspection command reads headers only)."""
    samples, rate = soundfile.read(path)
    return len(samples) / rate


def read_rgb(path):
    return np.asarray(Image.open(path).convert("RGB"))


def cifar10_batch_bytes(files, split):
    """One official CIFAR-10 Python batch (a pickle) holding every image of `split` of `files`
    (a `Cifar10Files`), or none with `split=None`."""
    import pickle

    examples = [files.read(key) for key in sorted(files.keys(split))] if split else []
    data = (
        np.stack([e["image"].transpose(2, 0, 1).reshape(-1) for e in examples])
        if examples
        else np.zeros((0, 3072), np.uint8)
    )
    return pickle.dumps({b"data": data, b"labels": [e["label"] for e in examples]})
