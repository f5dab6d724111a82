"""recipes/librispeech_vqvae.py on the LibriSpeech fixtures: a --train-only run leaves a preset that the
evaluation and conversion can use (it names its speakers)."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

import keras_vq

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "tests" / "fixtures" / "librispeech"


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="a recipe subprocess: once, on JAX")
def test_a_train_only_run_saves_a_preset_that_names_its_speakers(tmp_path):
    command = [sys.executable, str(ROOT / "recipes" / "librispeech_vqvae.py"), "--data-dir", str(SPEECH),
               "--held-out-per-speaker", "1", "--decoders", "spectrogram", "--steps", "2", "--steps-per-epoch", "1",
               "--batch-size", "2", "--crop-length", "1024", "--spectrogram-channels", "8", "--spectrogram-blocks", "1",
               "--train-only", "--output-dir", str(tmp_path / "run")]
    environment = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    preset = tmp_path / "run" / "spectrogram" / "preset"
    metadata = keras_vq.models.VQVAE.preset_metadata(preset)
    recorded = json.loads((tmp_path / "run" / "run.json").read_text())["arguments"]
    assert metadata["speaker_ids"] == sorted(metadata["speaker_ids"]) and len(metadata["speaker_ids"]) >= 2
    assert keras_vq.models.VQVAE.from_preset(preset).decoder.num_speakers == len(metadata["speaker_ids"])
    assert recorded["train_only"] is True


@pytest.mark.parametrize("arguments, message", [
    (["--held-out-per-speaker", "30"], r"too few to hold out 30 and train on the rest"),
    (["--split", "dev-clean"], r"has splits \['train-clean-5'\], not 'dev-clean'"),
])
def test_a_split_the_data_cannot_give_is_named_before_the_run_is_started(arguments, message, tmp_path, monkeypatch):
    from keras_vq.recipes import librispeech_vqvae

    monkeypatch.setattr(sys, "argv", ["librispeech_vqvae", "--data-dir", str(SPEECH), "--decoders", "spectrogram",
                                      "--output-dir", str(tmp_path / "run"), *arguments])
    with pytest.raises(SystemExit, match=rf"^error: .*{message}"):
        keras_vq.runs.run_recipe(librispeech_vqvae.main)
    assert not (tmp_path / "run").exists()  # So the corrected command starts afresh instead of being refused.
