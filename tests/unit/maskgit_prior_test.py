"""MaskGITPrior: the cosine schedule, the masked loss, parallel decoding's invariants, and a trained prior
drawing its classes (the generic checks: `tests/catalogue.py`)."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.models import MaskGITPrior
from keras_vq.models.transformer.mask_schedule import mask_schedule, masked_counts, training_masks
from keras_vq.models.transformer.maskgit_prior import MaskedCodeBatches
from keras_vq.training import batches_from, fit_resumably
from tests.synthetic import class_pattern_codes

SMALL = dict(num_embeddings=8, dim=16, num_layers=2, num_heads=2)


def test_the_cosine_schedule_gives_the_masked_counts_of_decoding_and_of_training():
    np.testing.assert_allclose(
        mask_schedule([0.0, 1 / 3, 0.5, 1.0]), [1.0, math.sqrt(3) / 2, math.sqrt(0.5), 0.0], atol=1e-12
    )
    assert masked_counts(8, 64) == [math.floor(64 * math.cos(math.pi / 2 * s / 8)) for s in range(1, 8)] + [0]
    assert masked_counts(12, 5) == [4, 3, 2, 1, 0] + [0] * 7  # at least one code a step while any is masked
    masks = training_masks(np.random.default_rng(0), 20_000, 16)
    counts = masks.sum(axis=1)
    assert counts.min() >= 1 and counts.max() == 16
    # ceil(cos(pi u / 2) 16) for u ~ U[0, 1): P(count <= k) = 1 - (2 / pi) arccos(k / 16), 1/3 for k = 8.
    expected = 1 - 2 / math.pi * math.acos(8 / 16)
    assert abs((counts <= 8).mean() - expected) < 0.015  # > 4 standard errors of 20,000 draws


def test_the_loss_is_the_mean_negative_log_likelihood_of_the_masked_codes():
    prior = MaskGITPrior(code_shape=(3, 4), num_classes=3, **SMALL)
    rng = np.random.default_rng(1)
    codes, labels = rng.integers(0, 8, (16, 3, 4)), rng.integers(0, 3, 16)
    inputs, targets, weights = MaskedCodeBatches(prior, {"codes": codes, "class_labels": labels}, 16, evaluation=True)[
        0
    ]
    assert ((inputs["codes"] == 8) == (weights == 1)).all() and (targets == codes).all()
    logits = np.asarray(ops.convert_to_numpy(prior(inputs)), np.float64)
    log_probabilities = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    nats = -np.take_along_axis(log_probabilities, targets[..., None], axis=-1)[..., 0]
    loss = prior.compute_loss(inputs, targets, ops.convert_to_tensor(logits, "float32"), weights)
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), (nats * weights).sum() / weights.sum(), rtol=1e-5)


def test_masked_batches_resume_mid_stream_and_fit_trains_on_their_stream(tmp_path):
    """A run resumed at step 5 (`batches_from`, as `fit_resumably` resumes) sees the order and the masks
    the uninterrupted run saw there; `fit_resumably` trains the prior on that stream and resumes it."""
    prior = MaskGITPrior(code_shape=(2, 3), num_classes=2, **SMALL)
    rng = np.random.default_rng(2)
    inputs = {"codes": rng.integers(0, 8, (20, 2, 3)), "class_labels": rng.integers(0, 2, 20)}
    uninterrupted = batches_from(MaskedCodeBatches(prior, inputs, 4, seed=3), 0)
    expected = [next(uninterrupted) for _ in range(8)][5:]
    resumed = batches_from(MaskedCodeBatches(prior, inputs, 4, seed=3), 5)  # a fresh object, as after a kill
    for want, got in zip(expected, [next(resumed) for _ in range(3)]):
        for left, right in zip(keras.tree.flatten(want), keras.tree.flatten(got)):
            np.testing.assert_array_equal(left, right)
    assert not all((expected[0][2] == batch[2]).all() for batch in expected[1:])  # the masks differ by batch
    prior.compile(optimizer=keras.optimizers.Adam(1e-3))
    stream = lambda step: batches_from(MaskedCodeBatches(prior, inputs, 4, seed=3), step)  # noqa: E731
    history = fit_resumably(prior, stream, total_steps=4, steps_per_epoch=2, run_dir=tmp_path, verbose=0)
    assert len(history["masked_bits_per_code"]) == 2 and np.isfinite(history["loss"]).all()


def test_a_trained_prior_draws_its_classes_patterns_and_decoding_fixes_the_scheduled_codes_for_good():
    """Class c's maps are 2c + (row + column) mod 2 plus rare noise. After each of the 6 passes exactly
    T - masked_counts(6, T)[s] codes are fixed, and a fixed code never changes; guided draws (trained
    with class dropout) follow the classes too."""
    codes, labels, class_maps = class_pattern_codes()
    keras.utils.set_random_seed(0)
    prior = MaskGITPrior(code_shape=(3, 4), num_classes=3, class_dropout=0.1, seed=1, **SMALL)
    prior.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = prior.fit({"codes": codes, "class_labels": labels}, batch_size=64, epochs=15, verbose=0).history
    assert history["masked_bits_per_code"][-1] < 0.4 * history["masked_bits_per_code"][0]
    wanted = np.array([0, 1, 2, 0, 1, 2])
    drawn, steps = prior.sample(6, class_labels=wanted, steps=6, seed=2, return_steps=True, verbose=0)
    assert drawn.shape == (6, 3, 4) and drawn.dtype == np.int32 and steps.shape == (6, 6, 3, 4)
    fixed = (steps >= 0).reshape(6, 6, 12).sum(axis=2)
    np.testing.assert_array_equal(fixed, np.tile(12 - np.array(masked_counts(6, 12))[:, None], (1, 6)))
    for before, after in zip(steps[:-1], steps[1:]):
        assert (after[before >= 0] == before[before >= 0]).all()
    np.testing.assert_array_equal(steps[-1], drawn)
    assert (drawn == class_maps[wanted]).mean() > 0.8
    guided = prior.sample(6, class_labels=wanted, guidance_scale=2.0, steps=6, seed=2, verbose=0)
    assert (guided == class_maps[wanted]).mean() > 0.8


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda prior: prior.log_likelihood_bits(np.zeros((2, 2, 2), "int32")), "no exact log-likelihood"),
        (lambda prior: prior.fit(np.zeros((2, 2, 2), "int32"), np.zeros((2, 2, 2))), "no targets"),
        (lambda prior: prior.fit([[1]]), "takes the codes as NumPy"),
        (lambda prior: prior.fit(np.zeros((2, 2, 2), "int32"), batch_size=0), "batch_size must be an integer >= 1"),
        (lambda prior: prior.sample(2, steps=0), "steps must be an integer >= 1"),
        (lambda prior: prior.sample(2, choice_temperature=-1.0), "choice_temperature"),
    ],
)
def test_what_maskgit_cannot_do_is_refused_by_name(call, message):
    with pytest.raises((ValueError, NotImplementedError), match=message):
        call(MaskGITPrior(code_shape=(2, 2), **SMALL))
