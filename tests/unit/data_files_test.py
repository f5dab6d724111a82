"""The plain-Python readers in keras_vq.datasets, on real and generated fixtures."""

import hashlib
import pathlib
import pickle
import tempfile

import numpy as np
import pytest
import soundfile
from PIL import Image

from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
from keras_vq.datasets.cifar10 import cifar10_files
from keras_vq.datasets.example_order import canonical_order
from keras_vq.datasets.kaokore import kaokore_files
from keras_vq.datasets.librispeech import librispeech_files
from tests import data_helpers
from tests.passes import BACKEND_INDEPENDENT

pytestmark = BACKEND_INDEPENDENT


def test_cifar10_folders_are_read_with_labels_from_the_class_folder():
    files = cifar10_files.Cifar10Files(data_helpers.FIXTURES)  # Finds the cifar10/ child.
    assert files.layout == "folders" and files.split_names == ["train", "test"]
    keys = files.keys("train")
    assert len(keys) == 20 and keys == canonical_order(keys)
    example = files.read(keys[0])
    _, class_name, file_name = keys[0].split("/")
    expected = np.asarray(Image.open(data_helpers.CIFAR10_FIXTURE / "train" / class_name / file_name))
    np.testing.assert_array_equal(example["image"], expected)
    assert example["label"] == cifar10_files.CLASS_NAMES.index(class_name)


def _write_batches(root, files):
    """The official Python batches, holding the fixture PNGs (train in data_batch_1)."""
    batches = root / cifar10_files.BATCHES_DIR_NAME
    batches.mkdir(parents=True)
    for split, names in cifar10_files.BATCH_FILES.items():
        keys = sorted(files.keys(split))
        examples = [files.read(key) for key in keys]
        data = np.stack([e["image"].transpose(2, 0, 1).reshape(-1) for e in examples])
        for number, name in enumerate(names):
            rows = slice(None) if number == 0 else slice(0, 0)
            batch = {b"data": data[rows], b"labels": [e["label"] for e in examples][rows]}
            (batches / name).write_bytes(pickle.dumps(batch))
    return root


def test_cifar10_pngs_are_found_whatever_the_case_of_their_extension(tmp_path):
    import shutil

    shutil.copytree(data_helpers.CIFAR10_FIXTURE, tmp_path / "cifar10")
    renamed = sorted((tmp_path / "cifar10" / "train").glob("*/*.png"))[:3]
    for path in renamed:
        path.rename(path.with_suffix(".PNG"))
    files = cifar10_files.Cifar10Files(tmp_path)
    keys = files.keys("train")
    assert len(keys) == 20
    assert {key.split("/")[-1] for key in keys} >= {path.with_suffix(".PNG").name for path in renamed}


def test_cifar10_official_batches_give_the_same_images_as_the_pngs(tmp_path):
    folders = cifar10_files.Cifar10Files(data_helpers.CIFAR10_FIXTURE)
    batches = cifar10_files.Cifar10Files(_write_batches(tmp_path, folders))
    assert batches.layout == "batches"
    from_batches = sorted(
        (batches.read(key)["label"], batches.read(key)["image"].tobytes()) for key in batches.keys("test")
    )
    from_pngs = sorted(
        (folders.read(key)["label"], folders.read(key)["image"].tobytes()) for key in folders.keys("test")
    )
    assert from_batches == from_pngs
    assert batches.describe()["train"]["examples"] == 20


PICKLE_MARKER = pathlib.Path(tempfile.gettempdir()) / "keras_vq_pickle_ran"


class _RunsCode:
    """Unpickling this creates PICKLE_MARKER, if the unpickler lets it."""

    def __reduce__(self):
        return (open, (str(PICKLE_MARKER), "w"))


def test_cifar10_batch_pickle_cannot_run_code(tmp_path):
    batches = tmp_path / cifar10_files.BATCHES_DIR_NAME
    batches.mkdir()
    for names in cifar10_files.BATCH_FILES.values():
        for name in names:
            (batches / name).write_bytes(pickle.dumps({b"data": _RunsCode(), b"labels": []}))
    PICKLE_MARKER.unlink(missing_ok=True)
    files = cifar10_files.Cifar10Files(tmp_path)
    with pytest.raises(
        BadFileError, match=r"data_batch_1: is not a CIFAR-10 Python batch \(global .*open is not allowed"
    ):
        files.keys("train")
    assert not PICKLE_MARKER.exists()


def test_librispeech_utterance_has_audio_transcript_and_speaker():
    files = librispeech_files.LibrispeechFiles(data_helpers.LIBRISPEECH_FIXTURE)
    assert files.split_names == ["train-clean-5"] and files.speakers("train-clean-5") == [163, 1737]
    example = files.read("train-clean-5/1737-146161-0007")
    path = data_helpers.LIBRISPEECH_FIXTURE / "LibriSpeech/train-clean-5/1737/146161/1737-146161-0007.flac"
    expected, rate = soundfile.read(path, dtype="int16")
    assert rate == 16_000 and example["audio"].dtype == np.int16
    np.testing.assert_array_equal(example["audio"], expected)
    transcripts = (path.parent / "1737-146161.trans.txt").read_text().splitlines()
    assert f"1737-146161-0007 {example['transcript']}" in transcripts
    assert (example["speaker_id"], example["chapter_id"], example["speaker_sex"]) == (1737, 146161, "F")
    assert files.read("train-clean-5/163-122947-0000")["speaker_sex"] == "M"


def test_truncated_flac_raises_an_error_naming_the_file(tmp_path):
    root = data_helpers.copy_librispeech(tmp_path / "librispeech")
    flac = data_helpers.truncate_file(data_helpers.librispeech_flacs(root)[0])
    files = librispeech_files.LibrispeechFiles(root)
    with pytest.raises(BadFileError, match=f"{flac}: is "):
        files.read(f"train-clean-5/{flac.stem}")


def test_corrupt_jpeg_raises_an_error_naming_the_file(tmp_path):
    root = data_helpers.make_kaokore_dir(tmp_path / "kaokore")
    bad = root / "images_256" / "00000007.jpg"
    bad.write_bytes(data_helpers.corrupt_jpeg_bytes())
    files = kaokore_files.KaokoreFiles(tmp_path)  # Finds the kaokore/ child.
    with pytest.raises(BadFileError, match=f"{bad}: is not a decodable image"):
        files.read("00000007.jpg")
    assert files.read("00000003.jpg")["image"].shape == (256, 256, 3)


def test_kaokore_image_of_the_wrong_size_is_refused(tmp_path):
    root = data_helpers.make_kaokore_dir(tmp_path)
    (root / "images_256" / "00000003.jpg").write_bytes(data_helpers.kaokore_image_bytes(0, size=128))
    with pytest.raises(BadFileError, match=r"has shape \(128, 128, 3\), expected \(256, 256, 3\)"):
        kaokore_files.KaokoreFiles(root).read("00000003.jpg")


def test_kaokore_splits_come_from_the_set_column(tmp_path):
    files = kaokore_files.KaokoreFiles(data_helpers.make_kaokore_dir(tmp_path))
    assert files.split_names == ["train", "dev", "test"]
    assert sorted(files.keys("dev")) == ["00000012.jpg", "00000020.jpg"]
    example = files.read("00000011.jpg")
    assert (example["gender"], example["status"]) == (1, 3)


def test_shipped_kaokore_labels_and_urls_are_v1_3():
    rows = kaokore_files.read_labels()
    counts = {split: sum(row["set"] == split for row in rows) for split in ("train", "dev", "test")}
    assert len(rows) == 9_257 and counts == {"train": 7_405, "dev": 926, "test": 926}
    urls = kaokore_files.read_urls()
    assert max(int(row["image"][:8]) for row in rows) < len(urls)
    assert all(url.startswith(("http://", "https://")) for url in urls)
    recorded = {
        line.split("\t")[0]: line.split("\t")[2]
        for line in (kaokore_files.PACKAGE_DIR / "checksums.tsv").read_text().splitlines()
    }
    for path in (kaokore_files.LABELS_PATH, kaokore_files.URLS_PATH):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[path.name]


@pytest.mark.parametrize(
    "files_class, expected",
    [
        (cifar10_files.Cifar10Files, r"no CIFAR-10 in .*empty: expected .*cifar-10-batches-py.*download=True"),
        (kaokore_files.KaokoreFiles, r"no KaoKore images in .*empty: expected .*images_256.*download=True"),
        (
            librispeech_files.LibrispeechFiles,
            r"no LibriSpeech subset in .*empty: expected .*LibriSpeech.*download=True",
        ),
    ],
)
def test_missing_or_empty_data_dir_says_where_data_goes_and_how_to_download(tmp_path, files_class, expected):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match=expected):
        files_class(tmp_path / "empty")
    with pytest.raises(DataNotFoundError):
        files_class(tmp_path / "does-not-exist")
