"""keras_vq.data.load (tf.data over the TFDS builders) and load_numpy, on the fixtures."""

import hashlib
import os
import types

import keras
import numpy as np
import pytest

pytest.importorskip("tensorflow_datasets")

import keras_vq  # noqa: E402
from keras_vq.data import audio as audio_helpers  # noqa: E402
from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError  # noqa: E402
from keras_vq.datasets.cifar10 import cifar10_files  # noqa: E402
from keras_vq.datasets.librispeech import librispeech_files  # noqa: E402
from keras_vq.layers.mu_law import mu_law_expand  # noqa: E402
from tests import data_helpers  # noqa: E402

CROP = 4_096


@pytest.fixture(scope="module")
def prepared_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("prepared")


def _tf_batches(dataset):
    return [keras.tree.map_structure(np.asarray, batch) for batch in dataset]


def test_cifar10_evaluation_batches_are_the_pngs_on_the_model_scale_in_canonical_order(prepared_dir):
    dataset = keras_vq.data.load(
        "cifar10",
        "test",
        4,
        data_dir=data_helpers.CIFAR10_FIXTURE,
        evaluation=True,
        with_labels=True,
        prepared_dir=prepared_dir,
    )
    batches = _tf_batches(dataset)
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    assert [len(images) for images, _ in batches] == [4, 4, 2]  # Evaluation keeps every example.
    files = cifar10_files.Cifar10Files(data_helpers.CIFAR10_FIXTURE)
    expected = [files.read(key) for key in files.keys("test")]
    assert images.dtype == np.float32
    np.testing.assert_array_equal(images, np.stack([e["image"] for e in expected]) / np.float32(255))
    np.testing.assert_array_equal(labels, [e["label"] for e in expected])


@pytest.mark.parametrize("split", ["train", "train[:25%]", "train[25%:]", "train[3:-4]"])
def test_numpy_path_gives_the_same_evaluation_batches_as_tf_data(prepared_dir, split):
    options = dict(data_dir=data_helpers.CIFAR10_FIXTURE, evaluation=True, with_labels=True)
    from_tf = _tf_batches(keras_vq.data.load("cifar10", split, 3, prepared_dir=prepared_dir, **options))
    from_numpy = keras_vq.data.load_numpy("cifar10", split, 3, **options)
    assert len(from_numpy) == len(from_tf)
    for index, (images, labels) in enumerate(from_tf):
        np.testing.assert_array_equal(from_numpy[index][0], images)
        np.testing.assert_array_equal(from_numpy[index][1], labels)


def test_percent_slices_partition_the_split(prepared_dir):
    options = dict(data_dir=data_helpers.CIFAR10_FIXTURE, evaluation=True, prepared_dir=prepared_dir)
    whole = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "train", 20, **options)))
    head = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "train[:90%]", 20, **options)))
    tail = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "train[90%:]", 20, **options)))
    assert (len(head), len(tail)) == (18, 2)
    np.testing.assert_array_equal(np.concatenate([head, tail]), whole)


def test_training_order_is_seeded_reshuffled_each_epoch_and_drops_the_partial_batch(prepared_dir):
    def epochs(seed, count=2):
        dataset = keras_vq.data.load(
            "cifar10", "train", 8, data_dir=data_helpers.CIFAR10_FIXTURE, seed=seed, prepared_dir=prepared_dir
        )
        return [np.stack(_tf_batches(dataset)) for _ in range(count)]

    first, second = epochs(seed=1)
    assert first.shape == (2, 8, 32, 32, 3)  # 20 images: two full batches, 4 dropped.
    assert not np.array_equal(first, second)  # A new order every epoch...
    again = epochs(seed=1)
    np.testing.assert_array_equal(first, again[0])  # ...the same orders every run...
    np.testing.assert_array_equal(second, again[1])
    assert not np.array_equal(first, epochs(seed=2, count=1)[0])  # ...and another seed differs.


def test_numpy_training_batches_are_seeded_and_reshuffled_each_epoch():
    batches = keras_vq.data.load_numpy("cifar10", "train", 8, data_dir=data_helpers.CIFAR10_FIXTURE, seed=1)
    first = batches[0]
    np.testing.assert_array_equal(first, batches[0])
    batches.on_epoch_end()
    assert len(batches) == 2 and not np.array_equal(first, batches[0])


def test_kaokore_images_resize_and_labels(tmp_path, prepared_dir):
    data_helpers.make_kaokore_dir(tmp_path / "kaokore")
    dataset = keras_vq.data.load(
        "kaokore",
        "train",
        3,
        data_dir=tmp_path,
        image_size=64,
        with_labels=True,
        evaluation=True,
        prepared_dir=prepared_dir,
    )
    ((images, labels),) = _tf_batches(dataset)
    assert images.shape == (3, 64, 64, 3) and 0.0 <= images.min() and images.max() <= 1.0
    assert set(labels) == {"gender", "status"}
    numpy_images, numpy_labels = keras_vq.data.load_numpy(
        "kaokore", "train", 3, data_dir=tmp_path, image_size=64, with_labels=True, evaluation=True
    )[0]
    np.testing.assert_array_equal(numpy_labels["status"], labels["status"])
    # Area resizing: TensorFlow keeps floats, Pillow rounds to uint8.
    np.testing.assert_allclose(numpy_images, images, atol=1 / 255 + 1e-6)


def test_audio_training_crops_come_from_the_utterances_with_their_speakers(prepared_dir):
    dataset = keras_vq.data.load(
        "librispeech",
        "train-clean-5",
        2,
        data_dir=data_helpers.LIBRISPEECH_FIXTURE,
        crop_length=CROP,
        with_labels=True,
        prepared_dir=prepared_dir,
    )
    files = librispeech_files.LibrispeechFiles(data_helpers.LIBRISPEECH_FIXTURE)
    speakers = keras_vq.data.speaker_ids("train-clean-5", data_dir=data_helpers.LIBRISPEECH_FIXTURE)
    assert speakers == [163, 1737]
    utterances = [files.read(key) for key in files.keys("train-clean-5")]
    for audio, speaker_index in _tf_batches(dataset):
        assert audio.shape == (2, CROP, 1) and audio.dtype == np.float32
        for crop, index in zip(audio[:, :, 0], speaker_index):
            sources = [u for u in utterances if u["speaker_id"] == speakers[index]]
            assert any(_contains(audio_helpers.int16_to_float(u["audio"]), crop) for u in sources)


def _contains(signal, crop):
    windows = np.lib.stride_tricks.sliding_window_view(signal, len(crop))
    return bool(np.any(np.all(windows == crop, axis=1)))


@pytest.mark.parametrize("mu_law", [False, True])
def test_audio_evaluation_windows_match_numpy_and_are_every_whole_window(prepared_dir, mu_law):
    options = dict(
        data_dir=data_helpers.LIBRISPEECH_FIXTURE, crop_length=CROP, evaluation=True, with_labels=True, mu_law=mu_law
    )
    from_tf = _tf_batches(keras_vq.data.load("librispeech", "train-clean-5", 5, prepared_dir=prepared_dir, **options))
    from_numpy = keras_vq.data.load_numpy("librispeech", "train-clean-5", 5, **options)
    audio = np.concatenate([a for a, _ in from_tf])
    from_numpy_audio = np.concatenate([from_numpy[i][0] for i in range(len(from_numpy))])
    # Identical samples; mu-law's log1p may differ by an ulp between TensorFlow and NumPy.
    np.testing.assert_allclose(audio, from_numpy_audio, rtol=0, atol=1e-6 if mu_law else 0)
    files = librispeech_files.LibrispeechFiles(data_helpers.LIBRISPEECH_FIXTURE)
    expected = np.concatenate(
        [
            audio_helpers.evaluation_windows(audio_helpers.int16_to_float(files.read(key)["audio"]), CROP)
            for key in files.keys("train-clean-5")
        ]
    )
    if mu_law:
        # Mu-law by its definition, in float64.
        x = expected.astype(np.float64)
        expected = np.sign(x) * np.log(1 + 255 * np.abs(x)) / np.log(256)
        np.testing.assert_allclose(mu_law_expand(audio[:, :, 0], xp=np), x, atol=1e-5)
    np.testing.assert_allclose(audio[:, :, 0], expected, atol=1e-6)
    assert np.abs(audio).max() <= 1.0


def test_corrupt_image_stops_preparation_naming_the_file_or_is_skipped_with_a_count(tmp_path, prepared_dir):
    data_helpers.make_kaokore_dir(tmp_path)
    bad = tmp_path / "images_256" / "00000011.jpg"
    bad.write_bytes(data_helpers.corrupt_jpeg_bytes())
    for load in (keras_vq.data.load, keras_vq.data.load_numpy):
        extra = {"prepared_dir": prepared_dir} if load is keras_vq.data.load else {}
        with pytest.raises(BadFileError, match=f"{bad}: is not a decodable image"):
            load("kaokore", "train", 1, data_dir=tmp_path, **extra)
        with pytest.warns(UserWarning, match=r"skipped 1 bad .*00000011\.jpg"):
            batches = load("kaokore", "train", 1, data_dir=tmp_path, skip_bad_files=True, evaluation=True, **extra)
        assert sum(1 for _ in batches) == 2


def test_a_dangling_symlink_among_the_images_is_named_by_every_reader(tmp_path, prepared_dir):
    import shutil

    shutil.copytree(data_helpers.CIFAR10_FIXTURE, tmp_path / "cifar10")
    link = tmp_path / "cifar10" / "train" / "cat" / "zz_gone.png"
    link.symlink_to(tmp_path / "elsewhere.png")
    message = rf"{link}: is a symbolic link to {tmp_path / 'elsewhere.png'}, which does not exist"
    with pytest.raises(BadFileError, match=message):
        keras_vq.data.load("cifar10", "train", 2, data_dir=tmp_path / "cifar10", prepared_dir=prepared_dir)
    with pytest.raises(BadFileError, match=message):
        keras_vq.data.load_numpy("cifar10", "train", 2, data_dir=tmp_path / "cifar10")
    with pytest.raises(BadFileError, match=message):
        next(iter(keras_vq.data.training_batches("cifar10", "train", 2, data_dir=tmp_path / "cifar10")))


def test_preparing_a_copy_holds_its_lock_so_concurrent_processes_wait_instead_of_crashing(tmp_path, monkeypatch):
    import fcntl

    import tensorflow_datasets as tfds

    held = []

    def prepare(builder, *args, **kwargs):  # Another process trying the copy's lock now would have to wait.
        (lock,) = tmp_path.glob("*.lock")
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.append(False)
            except BlockingIOError:
                held.append(True)
        return original(builder, *args, **kwargs)

    original = tfds.core.DatasetBuilder.download_and_prepare
    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", prepare)
    keras_vq.data.load("cifar10", "train", 2, data_dir=data_helpers.CIFAR10_FIXTURE, prepared_dir=tmp_path)
    assert held == [True]


def test_truncated_flac_stops_loading_naming_the_file(tmp_path, prepared_dir):
    root = data_helpers.copy_librispeech(tmp_path / "librispeech")
    flac = data_helpers.truncate_file(data_helpers.librispeech_flacs(root)[1])
    with pytest.raises(BadFileError, match=str(flac)):
        keras_vq.data.load("librispeech", "train-clean-5", 2, data_dir=root, prepared_dir=prepared_dir)
    with pytest.raises(BadFileError, match=str(flac)):
        keras_vq.data.load_numpy("librispeech", "train-clean-5", 2, data_dir=root)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(name="mnist"), "unknown dataset 'mnist'; keras_vq loads"),
        (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
        (dict(split="train[:50"), r"split 'train\[:50' is not a split name"),
        (dict(split="validation"), r"has splits \['train', 'test'\], not 'validation'"),
        (dict(image_size=-3), "image_size must be a positive integer, got -3"),
        (dict(name="librispeech", split="train-clean-5", crop_length=0), "crop_length must be a positive integer"),
    ],
)
def test_bad_arguments_are_refused_before_any_data_is_read(arguments, message, prepared_dir):
    arguments = dict(name="cifar10", split="train", batch_size=4) | arguments
    data_dir = data_helpers.LIBRISPEECH_FIXTURE if arguments["name"] == "librispeech" else data_helpers.CIFAR10_FIXTURE
    for load in (keras_vq.data.load, keras_vq.data.load_numpy):
        with pytest.raises(ValueError, match=message):
            load(data_dir=data_dir, **arguments)


def test_missing_data_dir_names_the_place_and_the_download_option(tmp_path):
    with pytest.raises(DataNotFoundError, match=f"no LibriSpeech subset in {tmp_path}.*download=True"):
        keras_vq.data.load("librispeech", "dev-clean", 4, data_dir=tmp_path)


def test_cifar10_without_a_local_copy_is_downloaded_from_the_official_archive_only_when_asked(tmp_path):
    """`download=True` fetches the official archive (checksummed, resumable) into data_dir and unpacks the
    Python batches there; a local copy wins even with download=True."""
    from keras_vq.datasets.cifar10 import cifar10_description
    from tests.http_fixture_server import FixtureServer
    from tests.unit.downloads_test import _tarball

    with pytest.raises(DataNotFoundError, match=r"no CIFAR-10 in .*download=True"):
        keras_vq.data.load_numpy("cifar10", "test", 2, data_dir=tmp_path / "data")
    local = cifar10_files.Cifar10Files(data_helpers.CIFAR10_FIXTURE)
    members = {
        f"cifar-10-batches-py/{name}": data_helpers.cifar10_batch_bytes(local, split if number == 0 else None)
        for split, names in cifar10_files.BATCH_FILES.items()
        for number, name in enumerate(names)
    }
    tarball = _tarball(members)
    with FixtureServer() as server:
        server.add("/cifar-10-python.tar.gz", tarball, cut_times=1)
        real_download = cifar10_files.download_archive

        def from_the_fixture_server(data_dir, **options):
            return real_download(
                data_dir,
                url=server.url("/cifar-10-python.tar.gz"),
                expected_sha256=hashlib.sha256(tarball).hexdigest(),
                backoff_seconds=0.01,
                progress=False,
                **options,
            )

        cifar10_files.download_archive = from_the_fixture_server
        try:
            downloaded = keras_vq.data.load_numpy(
                "cifar10", "test", 2, data_dir=tmp_path / "data", download=True, evaluation=True
            ).concatenated()
        finally:
            cifar10_files.download_archive = real_download
    assert (tmp_path / "data" / "cifar-10-batches-py" / "test_batch").is_file()
    from_pngs = keras_vq.data.load_numpy(
        "cifar10", "test", 2, data_dir=data_helpers.CIFAR10_FIXTURE, evaluation=True
    ).concatenated()
    assert sorted(map(bytes, downloaded)) == sorted(map(bytes, from_pngs))
    assert cifar10_description.CIFAR10.download is not None


def test_fit_runs_on_the_pipeline(prepared_dir):
    dataset = keras_vq.data.load(
        "cifar10", "train", 4, data_dir=data_helpers.CIFAR10_FIXTURE, prepared_dir=prepared_dir
    )
    model = keras_vq.models.VQVAE(
        data_shape=(32, 32, 3), hidden_channels=8, residual_channels=4, quantizer=keras_vq.layers.VectorQuantizer(8, 4)
    )
    model.compile(optimizer="adam")
    history = model.fit(dataset, epochs=2, verbose=0, shuffle=False)
    assert len(history.history["reconstruction_loss"]) == 2


def test_a_file_changed_after_preparing_is_read_anew_not_served_from_the_prepared_copy(tmp_path, prepared_dir):
    # The prepared TFDS copy was keyed on the folder and file counts: a truncated file was served from it.
    root = data_helpers.copy_librispeech(tmp_path / "librispeech")
    options = dict(data_dir=root, prepared_dir=prepared_dir, evaluation=True, crop_length=CROP)
    before = _tf_batches(keras_vq.data.load("librispeech", "train-clean-5", 2, **options))
    flac = data_helpers.truncate_file(data_helpers.librispeech_flacs(root)[1])
    with pytest.raises(BadFileError, match=str(flac)):
        keras_vq.data.load("librispeech", "train-clean-5", 2, **options)
    assert len(before) > 0


def test_a_rewritten_image_of_the_same_size_changes_what_load_serves(tmp_path, prepared_dir):
    import shutil

    from PIL import Image

    root = tmp_path / "cifar10"
    shutil.copytree(data_helpers.CIFAR10_FIXTURE, root)
    options = dict(data_dir=root, prepared_dir=prepared_dir, evaluation=True)
    first = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "test", 100, **options)))
    first_png = sorted((root / "test").glob("*/*.png"))[0]
    pixels = np.asarray(Image.open(first_png))
    Image.fromarray(255 - pixels).save(first_png)
    os.utime(first_png, ns=(first_png.stat().st_atime_ns, first_png.stat().st_mtime_ns + 1_000_000_000))
    second = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "test", 100, **options)))
    numpy_path = np.concatenate(
        list(keras_vq.data.load_numpy("cifar10", "test", 100, progress=False, data_dir=root, evaluation=True))
    )
    np.testing.assert_array_equal(second, numpy_path)
    assert (second != first).any()


def test_a_same_size_rewrite_that_keeps_the_modification_time_changes_what_load_serves(tmp_path, prepared_dir):
    # As cp -p, rsync -t or tar leave a rewritten file: same size, same mtime. load and load_numpy must agree.
    import shutil

    from PIL import Image

    root = tmp_path / "cifar10"
    shutil.copytree(data_helpers.CIFAR10_FIXTURE, root)
    first_png = sorted((root / "test").glob("*/*.png"))[0]
    pixels = np.asarray(Image.open(first_png))
    Image.fromarray(pixels).save(first_png, compress_level=0)  # Uncompressed: the size depends on the shape only.
    options = dict(data_dir=root, prepared_dir=prepared_dir, evaluation=True)
    first = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "test", 100, **options)))
    before = first_png.stat()
    Image.fromarray(255 - pixels).save(first_png, compress_level=0)
    os.utime(first_png, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (first_png.stat().st_size, first_png.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    second = np.concatenate(_tf_batches(keras_vq.data.load("cifar10", "test", 100, **options)))
    numpy_path = np.concatenate(
        list(keras_vq.data.load_numpy("cifar10", "test", 100, progress=False, data_dir=root, evaluation=True))
    )
    np.testing.assert_array_equal(second, numpy_path)
    assert (second != first).any()


@pytest.mark.parametrize("split", ["train[:33%]", "train[33%:67%]", "train[-37%:]", "train[12%:13%]", "train[:-3%]"])
def test_percent_slices_between_examples_round_as_tfds_rounds_on_both_paths(prepared_dir, split):
    # 20 examples: 33% is 6.6 and 37% is 7.4, boundaries TFDS rounds to the closest example.
    import tensorflow_datasets as tfds

    split_info = types.SimpleNamespace(num_examples=20)  # What TFDS reads of the split.
    expected = tfds.core.ReadInstruction.from_spec(split).to_absolute({"train": split_info})[0]
    options = dict(data_dir=data_helpers.CIFAR10_FIXTURE, evaluation=True)
    whole = np.concatenate(
        _tf_batches(keras_vq.data.load("cifar10", "train", 20, prepared_dir=prepared_dir, **options))
    )
    from_tf = np.concatenate(
        _tf_batches(keras_vq.data.load("cifar10", split, 20, prepared_dir=prepared_dir, **options))
    )
    from_numpy = keras_vq.data.load_numpy("cifar10", split, 20, progress=False, **options).concatenated()
    np.testing.assert_array_equal(from_tf, whole[expected.from_ : expected.to])
    np.testing.assert_array_equal(from_numpy, from_tf)


@pytest.mark.parametrize("split", ["train[5:2]", "train[50%:50%]", "train[20:]", "train[:-2%]"])
def test_a_slice_that_selects_nothing_is_refused_before_reading(split):
    for load in (keras_vq.data.load, keras_vq.data.load_numpy):
        with pytest.raises(ValueError, match=r"selects no examples: of 20, it starts at"):
            load("cifar10", split, 4, data_dir=data_helpers.CIFAR10_FIXTURE)


@pytest.mark.parametrize("pipeline", ["tf.data", "numpy"])
def test_training_batches_from_any_step_continue_the_uninterrupted_stream(pipeline, prepared_dir):
    """What makes a killed recipe resume exactly: the stream from step k is the uninterrupted stream's tail,
    each pass reshuffled by (seed, pass) alone; labels come along with with_labels."""
    import itertools

    options = dict(data_dir=data_helpers.CIFAR10_FIXTURE, seed=3, pipeline=pipeline, with_labels=True)
    if pipeline == "tf.data":
        options["prepared_dir"] = prepared_dir

    def stream(start_step, count):
        batches = keras_vq.data.training_batches("cifar10", "train", 4, start_step=start_step, **options)
        return list(itertools.islice(batches, count))

    uninterrupted = stream(0, 12)  # 20 images, 5 batches a pass: passes 0, 1 and part of 2.
    resumed = stream(7, 5)
    for expected, got in zip(uninterrupted[7:], resumed):
        np.testing.assert_array_equal(expected[0], got[0])
        np.testing.assert_array_equal(expected[1], got[1])
    assert uninterrupted[0][0].shape == (4, 32, 32, 3)
    labels_per_pass = [np.concatenate([labels for _, labels in uninterrupted[start : start + 5]]) for start in (0, 5)]
    assert sorted(labels_per_pass[0]) == sorted(labels_per_pass[1])  # The same examples each pass...
    assert not np.array_equal(labels_per_pass[0], labels_per_pass[1])  # ...in another order.
    assert stream(0, 3)[2][1].tolist() == uninterrupted[2][1].tolist()  # The same seed, the same stream.


def test_training_batches_refuse_bad_arguments_by_name():
    with pytest.raises(ValueError, match="pipeline must be 'auto', 'tf.data' or 'numpy', got 'torch'"):
        keras_vq.data.training_batches("cifar10", "train", 4, pipeline="torch")
    with pytest.raises(ValueError, match="start_step must be an integer >= 0, got -1"):
        keras_vq.data.training_batches("cifar10", "train", 4, start_step=-1)
    for seed in (-1, 2**40, 1.5):
        with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*32\), got"):
            keras_vq.data.training_batches("cifar10", "train", 4, seed=seed)
    with pytest.raises(TypeError, match="for evaluation use keras_vq.data.load"):
        keras_vq.data.training_batches("cifar10", "train", 4, evaluation=True)


def test_training_batches_download_once_not_on_every_pass(prepared_dir, monkeypatch):
    import dataclasses
    import itertools

    from keras_vq.datasets import registry

    calls = []
    counting = dataclasses.replace(registry.DATASETS["cifar10"], download=lambda *args: calls.append(args))
    monkeypatch.setitem(registry.DATASETS, "cifar10", counting)
    stream = keras_vq.data.training_batches(
        "cifar10",
        "train",
        4,
        seed=0,
        pipeline="tf.data",
        download=True,
        data_dir=data_helpers.CIFAR10_FIXTURE,
        prepared_dir=prepared_dir,
        verbose=0,
    )
    assert len(list(itertools.islice(stream, 12))) == 12  # Three passes of five batches.
    assert len(calls) == 1
