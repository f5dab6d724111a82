"""Long stages report their progress: one line with counts and rate in a log, silence with verbose=0."""

import re

import keras
import numpy as np
import pytest

import keras_vq
from keras_vq.utils.progress import Progress


def test_a_stage_in_a_log_is_one_line_with_its_count_and_rate(capsys):
    progress = Progress("encoding cifar10 test", total=3, unit="batch")
    for _ in range(3):
        progress.advance()
    progress.done()
    assert re.fullmatch(
        r"encoding cifar10 test: 3/3 batches in \d+\.\d s \([\d,.]+ batches/s\)\n", capsys.readouterr().out
    )
    silent = Progress("nothing to say", total=2, verbose=0)
    silent.advance(2)
    silent.done()
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="verbose must be 'auto', 0, 1 or 2; got 'loud'"):
        Progress("x", total=1, verbose="loud")


def test_evaluation_and_sampling_report_their_stages_unless_silenced(capsys):
    model = keras_vq.models.VQVAE(
        data_shape=(8, 8, 3), hidden_channels=8, residual_channels=4, quantizer=keras_vq.layers.VectorQuantizer(8, 4)
    )
    images = np.random.default_rng(0).random((5, 8, 8, 3), dtype=np.float32)
    report = keras_vq.metrics.reconstruction_report(model, images, batch_size=2)
    assert "reconstruction report on 5 examples: 3/3 batches in" in capsys.readouterr().out
    assert keras_vq.metrics.reconstruction_report(model, images, batch_size=2, verbose=0) == report
    assert capsys.readouterr().out == ""
    if keras.backend.backend() != "torch":
        return  # Reporting is the same on every backend; compiling a sampler costs seconds on the others.
    prior = keras_vq.models.PixelCNN(code_shape=(2, 2), num_embeddings=8, channels=8, num_blocks=1)
    prior.sample(3, seed=0)
    assert re.search(r"drew 3 x 2x2 codes: 12 codes in \d+\.\d s", capsys.readouterr().out)
    prior.sample(3, seed=0, verbose=0)
    assert capsys.readouterr().out == ""
