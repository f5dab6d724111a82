"""Writes the synthetic dummy_data/ folders the TFDS builder tests read.

Every file is generated (gradients, tones), in each dataset's real layout;
no real image or recording is in them. Run from the repository root:
    python scripts/make_dummy_data.py
"""

import pathlib

import numpy as np
import soundfile
from PIL import Image

DATASETS_DIR = pathlib.Path(__file__).resolve().parent.parent / "datasets"


def gradient_image(size, seed):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size)
    base = rng.uniform(0, 255, 3)
    pixels = base * ramp[:, None, None] + (255 - base) * ramp[None, :, None] / 2
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def make_kaokore(root):
    images = root / "images_256"
    images.mkdir(parents=True, exist_ok=True)
    rows = [
        ("00000000.jpg", 1, 0, "train"),
        ("00000001.jpg", 0, 1, "train"),
        ("00000002.jpg", 1, 3, "train"),
        ("00000003.jpg", 0, 2, "dev"),
        ("00000004.jpg", 1, 0, "dev"),
        ("00000005.jpg", 0, 3, "test"),
    ]
    for seed, (name, *_) in enumerate(rows):
        gradient_image(256, seed).save(images / name, quality=60)
    lines = ["image,gender,status,set"] + [",".join(map(str, row)) for row in rows]
    (root / "labels.csv").write_text("\n".join(lines) + "\n")


def make_librispeech(root):
    subset = root / "LibriSpeech" / "dev-clean"
    speakers = {"1": ("F", "10"), "2": ("M", "20")}
    header = ";ID  |SEX| SUBSET           |MINUTES| NAME\n"
    rows = "".join(f"{sid:<5}| {sex} | dev-clean        | 0.01  | Reader {sid}\n" for sid, (sex, _) in speakers.items())
    (root / "LibriSpeech").mkdir(parents=True, exist_ok=True)
    (root / "LibriSpeech" / "SPEAKERS.TXT").write_text(header + rows)
    for speaker_number, (speaker, (_, chapter)) in enumerate(speakers.items()):
        folder = subset / speaker / chapter
        folder.mkdir(parents=True, exist_ok=True)
        transcripts = []
        for utterance in range(2):
            name = f"{speaker}-{chapter}-{utterance:04d}"
            seconds = 0.25 + 0.05 * utterance
            time = np.arange(int(16_000 * seconds)) / 16_000
            tone = 0.3 * np.sin(2 * np.pi * (220 + 110 * speaker_number + 20 * utterance) * time)
            soundfile.write(folder / f"{name}.flac", (tone * 32767).astype(np.int16), 16_000)
            transcripts.append(f"{name} DUMMY UTTERANCE {utterance}")
        (folder / f"{speaker}-{chapter}.trans.txt").write_text("\n".join(transcripts) + "\n")


def make_cifar10(root):
    classes = ("airplane", "cat", "truck")
    for split, per_class in (("train", 2), ("test", 1)):
        for class_number, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(per_class):
                gradient_image(32, 100 * class_number + index).save(folder / f"{name}_{index}.png")


if __name__ == "__main__":
    make_kaokore(DATASETS_DIR / "kaokore" / "dummy_data")
    make_librispeech(DATASETS_DIR / "librispeech" / "dummy_data")
    make_cifar10(DATASETS_DIR / "cifar10" / "dummy_data")
