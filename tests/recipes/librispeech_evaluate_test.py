"""recipes/librispeech_evaluate.py on the LibriSpeech fixtures with a small preset: the clips, the audio it
writes, the references and figures it reports, the conversion targets, and no silent overwrite.
Slow (an offline recogniser and pitch tracker over every clip): runs once, in the PyTorch pass."""

import json
import os
import pathlib
import sys

import keras
import numpy as np
import pytest
import soundfile

from keras_vq import speech_quality
from keras_vq.layers import VectorQuantizer
from keras_vq.models import VQVAE, SpectrogramDecoder
from tests import recipe_processes
from tests.data_helpers import FIXTURES

RECIPE = pathlib.Path(__file__).resolve().parents[2] / "recipes" / "librispeech_evaluate.py"
SPEECH = FIXTURES / "librispeech"  # Speakers 163 (M) and 1737 (F), two utterances each.
HELD_OUT = {
    "163-122947-0006": ("163", "NOW WITH RED LIGHT NOW WITH GREEN"),
    "1737-146161-0009": ("1737", "KNIT TWO TOGETHER TWICE"),
}

pytestmark = pytest.mark.skipif(keras.backend.backend() != "torch", reason="slow: runs once, in the PyTorch pass")


def small_preset(folder):
    decoder = SpectrogramDecoder(
        latent_dim=8, hop=16, fft_length=64, channels=8, num_blocks=1, num_speakers=2, griffin_lim_iterations=4
    )
    model = VQVAE(
        data_shape=(None, 1),
        data_range=(-1.0, 1.0),
        hidden_channels=8,
        num_downsamples=4,
        num_residual_layers=1,
        residual_channels=4,
        quantizer=VectorQuantizer(16, 8, seed=0),
        decoder=decoder,
    )
    model.save_to_preset(folder, metadata={"speaker_ids": [163, 1737]})
    return folder


def test_evaluation_writes_every_clip_and_scores_it_against_its_references(tmp_path):
    preset = small_preset(tmp_path / "small")
    output = tmp_path / "evaluation"
    command = [
        sys.executable,
        str(RECIPE),
        "--data-dir",
        str(SPEECH),
        "--held-out-per-speaker",
        "1",
        "--clips",
        "2",
        "--presets",
        str(preset),
        "--output-dir",
        str(output),
    ]
    environment = dict(os.environ, KERAS_BACKEND="torch", TF_CPP_MIN_LOG_LEVEL="3")
    result = recipe_processes.run(command, env=environment, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    results = json.loads((output / "results.json").read_text())
    assert results["clips"] == ["163-122947-0006", "1737-146161-0009"]  # Each speaker's held-out utterance.
    originals, transcripts = [], []
    for utterance_id, (speaker, transcript) in HELD_OUT.items():
        flac = next((SPEECH / "LibriSpeech" / "train-clean-5" / speaker).rglob(f"{utterance_id}.flac"))
        original = soundfile.read(flac, dtype="float32")[0]
        written, rate = soundfile.read(output / "wav" / f"{utterance_id}_original.wav", dtype="float32")
        assert rate == 16_000
        np.testing.assert_allclose(written, original, atol=1 / 2**15)  # Whole, at its own length.
        for kind in ("reconstruction", "conversion"):
            decoded, rate = soundfile.read(output / "wav" / "small" / f"{utterance_id}_{kind}.wav")
            assert rate == 16_000 and decoded.shape == original.shape, kind
        originals.append(original)
        transcripts.append(transcript)

    references = results["references"]
    assert list(references) == ["original", "mu_law_256", "narrowband_8khz", "loudness_shaped_noise"]
    assert references["original"]["stoi"] == pytest.approx(1.0, abs=1e-6)
    assert references["original"]["log_mel_distance_db"] == 0.0
    heard = [speech_quality.transcribe(original) for original in originals]
    assert references["original"]["wer"] == pytest.approx(speech_quality.word_error_rate(transcripts, heard))
    assert references["loudness_shaped_noise"]["stoi"] < references["mu_law_256"]["stoi"]

    small = results["presets"][str(preset)]
    assert small["decoder"] == "SpectrogramDecoding"
    assert small["bits_per_second"] == pytest.approx(16_000 / 16 * 4)  # A code of 16 every 16 samples.
    conversion = small["conversion"]["clips"]
    assert [clip["target_speaker_id"] for clip in conversion] == [1737, 163]  # The other sex: 163 M, 1737 F.
    reconstruction, _ = soundfile.read(output / "wav" / "small" / "163-122947-0006_reconstruction.wav")
    assert small["reconstruction"]["clips"][0]["stoi"] == pytest.approx(
        speech_quality.stoi(originals[0], reconstruction), abs=2e-3
    )  # The WAV is 16-bit.
    table = (output / "results.md").read_text()
    assert "| loudness shaped noise |" in table and f"| `{preset}`: conversion to the other sex | 4,000 |" in table

    again = recipe_processes.run(command, env=environment, timeout=600)
    assert again.returncode == 2 and "holds results.json; pass --overwrite" in again.stderr  # Nothing replaced.


def test_presets_whose_folders_share_a_name_write_their_audio_apart():
    from keras_vq.recipes.librispeech_evaluate import wav_folder_names

    assert wav_folder_names(["librispeech", "runs/a/preset"]) == {
        "librispeech": "librispeech",
        "runs/a/preset": "preset",
    }
    folders = wav_folder_names(["runs/a/preset", "/tmp/b/preset", "librispeech"])
    assert folders == {"runs/a/preset": "runs_a_preset", "/tmp/b/preset": "tmp_b_preset", "librispeech": "librispeech"}
