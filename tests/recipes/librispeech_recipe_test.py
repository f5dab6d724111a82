"""recipes/librispeech_vqvae.py: a --train-only run leaves a preset that the evaluation and conversion can use
(it names its speakers), and data it cannot split is named before the run starts."""

import pathlib
import sys

import pytest

import keras_vq
from tests.passes import RECIPE_PLUMBING

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEECH = ROOT / "tests" / "fixtures" / "librispeech"


@RECIPE_PLUMBING  # Backend-free bookkeeping.
def test_every_trained_preset_names_its_speakers_even_after_train_only(tmp_path):
    # The recipe's train() saved --train-only presets without speaker_ids; evaluating one then failed
    # ("was not trained on speakers ...; it knows []"). A tiny model stands in for the recipe's (whose end-to-end
    # run costs minutes of CI); main passes train() the same metadata for every model it trains.
    import argparse

    import numpy as np

    from keras_vq.recipes import librispeech_vqvae

    decoder = keras_vq.models.SpectrogramDecoder(latent_dim=8, hop=64, channels=8, num_blocks=1, num_speakers=2)
    model = keras_vq.models.VQVAE(
        data_shape=(None, 1),
        data_range=(-1.0, 1.0),
        hidden_channels=8,
        residual_channels=4,
        num_downsamples=6,
        decoder=decoder,
        quantizer=keras_vq.layers.VectorQuantizer(512, 8),
    )
    batch = {"audio": np.zeros((2, 1024, 1), "float32"), "speakers": np.array([0, 1])}

    def stream_from(step):
        while True:
            yield (batch,)

    arguments = argparse.Namespace(learning_rate=1e-3, steps_per_epoch=1)
    librispeech_vqvae.train(
        model, stream_from, 1, tmp_path / "spectrogram", arguments, ["spectral_loss"], {"speaker_ids": [19, 32]}
    )
    assert keras_vq.models.VQVAE.preset_metadata(tmp_path / "spectrogram" / "preset")["speaker_ids"] == [19, 32]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--held-out-per-speaker", "30"], r"too few to hold out 30 and train on the rest"),
        (["--split", "dev-clean"], r"has splits \['train-clean-5'\], not 'dev-clean'"),
    ],
)
def test_a_split_the_data_cannot_give_is_named_before_the_run_is_started(arguments, message, tmp_path, monkeypatch):
    from keras_vq.recipes import librispeech_vqvae

    monkeypatch.setattr(
        sys,
        "argv",
        [
            "librispeech_vqvae",
            "--data-dir",
            str(SPEECH),
            "--decoders",
            "spectrogram",
            "--output-dir",
            str(tmp_path / "run"),
            *arguments,
        ],
    )
    with pytest.raises(SystemExit, match=rf"^error: .*{message}"):
        keras_vq.runs.run_recipe(librispeech_vqvae.main)
    assert not (tmp_path / "run").exists()  # So the corrected command starts afresh instead of being refused.
