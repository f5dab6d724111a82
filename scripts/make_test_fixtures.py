"""Copies the few real files the data tests read from a shared data folder into tests/fixtures/.

    python scripts/make_test_fixtures.py --shared-data ../shared/data

CIFAR-10: two training and one test PNG per class (Krizhevsky, 2009).
LibriSpeech: two utterances each from speakers 1737 (F) and 163 (M) of Mini
LibriSpeech train-clean-5, with their transcripts, the SPEAKERS.TXT lines and
the CC BY 4.0 licence (Panayotov et al., ICASSP 2015).
"""

import argparse
import pathlib
import shutil

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
UTTERANCES = {("1737", "146161"): ("0007", "0009"), ("163", "122947"): ("0000", "0006")}


def copy_cifar10(shared):
    for split, per_class in (("train", 2), ("test", 1)):
        for class_dir in sorted((shared / "cifar10" / split).iterdir()):
            target = FIXTURES / "cifar10" / split / class_dir.name
            target.mkdir(parents=True, exist_ok=True)
            for png in sorted(class_dir.glob("*.png"))[:per_class]:
                shutil.copy(png, target / png.name)


def copy_librispeech(shared):
    source = shared / "librispeech" / "LibriSpeech"
    target = FIXTURES / "librispeech" / "LibriSpeech"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "LICENSE.TXT", target / "LICENSE.TXT")
    speakers = {speaker for speaker, _ in UTTERANCES}
    lines = (source / "SPEAKERS.TXT").read_text().splitlines()
    kept = [line for line in lines if line.startswith(";") or line.split("|")[0].strip() in speakers]
    (target / "SPEAKERS.TXT").write_text("\n".join(kept) + "\n")
    for (speaker, chapter), numbers in UTTERANCES.items():
        chapter_source = source / "train-clean-5" / speaker / chapter
        chapter_target = target / "train-clean-5" / speaker / chapter
        chapter_target.mkdir(parents=True, exist_ok=True)
        ids = [f"{speaker}-{chapter}-{number}" for number in numbers]
        for utterance_id in ids:
            shutil.copy(chapter_source / f"{utterance_id}.flac", chapter_target / f"{utterance_id}.flac")
        transcripts = (chapter_source / f"{speaker}-{chapter}.trans.txt").read_text().splitlines()
        kept = [line for line in transcripts if line.split(" ")[0] in ids]
        (chapter_target / f"{speaker}-{chapter}.trans.txt").write_text("\n".join(kept) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared-data", type=pathlib.Path, required=True)
    shared = parser.parse_args().shared_data
    copy_cifar10(shared)
    copy_librispeech(shared)
