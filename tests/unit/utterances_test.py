"""Per-speaker held-out splits, training crops, WAV files, audio plots and the linear speaker probe."""

import numpy as np
import pytest
import soundfile

from keras_vq.data.utterances import SequenceCrops, split_per_speaker, write_wav
from keras_vq.metrics import linear_probe_accuracy


def test_each_speakers_last_utterances_are_held_out():
    speakers = np.array([0, 0, 1, 0, 1, 1, 2, 2, 0])
    training, held_out = split_per_speaker(speakers, 1)
    np.testing.assert_array_equal(held_out, [5, 7, 8])
    np.testing.assert_array_equal(training, [0, 1, 2, 3, 4, 6])
    _, two = split_per_speaker(speakers[:6], 2)
    np.testing.assert_array_equal(two, [1, 3, 4, 5])
    with pytest.raises(ValueError, match="speaker 2 has 2 utterances: too few to hold out 2"):
        split_per_speaker(speakers, 2)
    with pytest.raises(ValueError, match="held_out_per_speaker must be an integer >= 1"):
        split_per_speaker(speakers, 0)


def test_crops_come_from_their_own_utterance_with_its_speaker_and_repeat_for_the_same_seed():
    # Utterance i holds the values 100 i, 100 i + 1, ...: a crop shows where it came from.
    utterances = [100.0 * index + np.arange(20 + 3 * index, dtype=np.float32) for index in range(6)]
    crops = SequenceCrops(utterances, [5, 4, 3, 2, 1, 0], batch_size=4, crop_length=8, seed=1)
    batch = crops[0]
    assert batch["audio"].shape == (4, 8, 1) and batch["audio"].dtype == np.float32
    sources = (batch["audio"][:, 0, 0] // 100).astype(int)
    np.testing.assert_array_equal(batch["speakers"], 5 - sources)
    np.testing.assert_array_equal(np.diff(batch["audio"][..., 0], axis=1), 1.0)  # Contiguous crops.
    np.testing.assert_array_equal(SequenceCrops(utterances, np.zeros(6), 4, 8, seed=1)[0]["audio"], batch["audio"])
    codes = SequenceCrops(
        [np.arange(10) + 20 * i for i in range(2)], [0, 1], 2, 5, sequence_key="symbols", channel_axis=False
    )[0]
    assert codes["symbols"].shape == (2, 5) and codes["symbols"].dtype == np.int32
    with pytest.raises(ValueError, match=r"sequences \[0, 1, 2, 3\] are shorter than crop_length=30"):
        SequenceCrops(utterances, np.zeros(6), 4, 30)


def test_wav_files_hold_the_audio_at_16_bits(tmp_path):
    audio = 0.5 * np.sin(np.linspace(0, 40, 1600, dtype=np.float32))
    path = write_wav(tmp_path / "out" / "tone.wav", audio[:, None])
    read, rate = soundfile.read(path, dtype="float32")
    assert rate == 16_000 and soundfile.info(path).subtype == "PCM_16"
    np.testing.assert_allclose(read, audio, atol=1.0 / 32_768)


def test_audio_comparison_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    import keras_vq.plots

    rows = {"original": np.sin(np.arange(4000) / 5.0), "other": np.zeros(4000)}
    keras_vq.plots.save_audio_comparison(rows, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_linear_probe_reads_a_linearly_coded_label_and_not_a_hidden_one():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 2000)
    means = 3.0 * rng.normal(size=(4, 6))
    readable = means[labels] + rng.normal(size=(2000, 6))
    noise = rng.normal(size=(2000, 6))
    assert linear_probe_accuracy(readable[:1500], labels[:1500], readable[1500:], labels[1500:], 4) > 0.95
    # Noise carries no label: held-out accuracy stays near chance (0.25).
    assert linear_probe_accuracy(noise[:1500], labels[:1500], noise[1500:], labels[1500:], 4) < 0.35
    with pytest.raises(ValueError, match=r"features must be \(examples, dims\)"):
        linear_probe_accuracy(noise[:10, :3], labels[:10], noise[:10], labels[:10], 4)
