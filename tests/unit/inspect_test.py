"""python -m keras_vq.data.inspect on the fixtures."""

import shutil
import sys

from keras_vq.data import inspect as data_inspect
from tests import data_helpers, recipe_processes
from tests.passes import BACKEND_INDEPENDENT

pytestmark = BACKEND_INDEPENDENT


def test_inspection_prints_examples_shapes_speakers_and_duration(tmp_path, capsys):
    data_helpers.make_kaokore_dir(tmp_path / "kaokore")
    (tmp_path / "kaokore" / "images_256" / "00000031.jpg").unlink()
    data_helpers.copy_librispeech(tmp_path / "librispeech")
    shutil.copytree(data_helpers.CIFAR10_FIXTURE, tmp_path / "cifar10")
    assert data_inspect.main(["--data-dir", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "  train                 20 images  32x32x3  per class 2-2" in output
    assert "  test                  10 images  32x32x3  per class 1-1" in output
    assert "  train                  3 labelled  3 images present  256x256x3" in output
    assert "  test                   1 labelled  0 images present  none" in output
    # Four utterances of speakers 163 (M) and 1737 (F); their durations from the FLAC headers.
    seconds = sum(data_helpers.flac_seconds(path) for path in data_helpers.librispeech_flacs(tmp_path))
    minutes, rest = divmod(seconds, 60)
    assert (
        f"  train-clean-5          4 utterances  2 speakers (1 F, 1 M)  0 h {int(minutes):02d} min "
        f"{rest:04.1f} s  16000 Hz"
    ) in output


def test_inspection_of_an_empty_folder_says_what_is_missing(tmp_path):
    result = recipe_processes.run(
        [sys.executable, "-m", "keras_vq.data.inspect", "--data-dir", str(tmp_path), "--datasets", "cifar10"],
    )
    assert result.returncode == 0
    assert f"cifar10  not found: no CIFAR-10 in {tmp_path}" in result.stdout


def test_one_bad_file_is_reported_in_its_dataset_and_the_others_are_still_described(tmp_path, capsys):
    data_helpers.make_kaokore_dir(tmp_path / "kaokore")
    bad = tmp_path / "kaokore" / "images_256" / "00000031.jpg"
    bad.write_bytes(b"not an image")
    shutil.copytree(data_helpers.CIFAR10_FIXTURE, tmp_path / "cifar10")
    assert data_inspect.main(["--data-dir", str(tmp_path), "--datasets", "kaokore", "cifar10"]) == 0
    output = capsys.readouterr().out
    assert f"kaokore  unreadable: {bad}: is not a readable image" in output
    assert "  train                 20 images  32x32x3  per class 2-2" in output


def test_a_labels_file_of_random_bytes_is_refused_naming_it(tmp_path):
    import numpy as np
    import pytest

    from keras_vq.datasets.bad_data import BadFileError
    from keras_vq.datasets.kaokore import kaokore_files

    labels = tmp_path / "labels.csv"
    for content, message in (
        (np.random.default_rng(0).bytes(4000), "is not UTF-8 text"),
        (b'image,gender\n"unterminated', r"has columns \['image', 'gender'\]"),
        (b"image,gender,status,set\n00000001.jpg,0\n", "line 2: "),
    ):
        labels.write_bytes(content)
        with pytest.raises(BadFileError, match=f"{labels}: {message}"):
            kaokore_files.read_labels(labels)


def test_a_speaker_missing_from_speakers_txt_is_counted_as_such_not_as_male(tmp_path, capsys):
    data_helpers.copy_librispeech(tmp_path / "librispeech")
    speakers_file = next((tmp_path / "librispeech").rglob("SPEAKERS.TXT"))
    kept = [line for line in speakers_file.read_text().splitlines() if not line.startswith("163 ")]
    speakers_file.write_text("\n".join(kept) + "\n")
    assert data_inspect.main(["--data-dir", str(tmp_path)]) == 0
    assert "4 utterances  2 speakers (1 F, 0 M, 1 not in SPEAKERS.TXT)" in capsys.readouterr().out
