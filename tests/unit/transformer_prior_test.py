"""TransformerPrior: causal, its key-value cache draws what the full pass draws, classifier-free guidance,
and the hierarchical VQ-VAE-2 path with no line that names it (the generic checks: `tests/catalogue.py`)."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import VectorQuantizer
from keras_vq.models import VQVAE2, TransformerPrior
from keras_vq.models.sampling import draw_categorical
from keras_vq.models.transformer.code_sequence_embedding import CodeSequenceEmbedding
from tests.synthetic import class_pattern_codes

SMALL = dict(num_embeddings=8, dim=16, num_layers=2, num_heads=2)


def conditional_prior(**options):
    return TransformerPrior(
        code_shape=(3, 4), num_classes=3, condition_shape=(2, 2), condition_num_embeddings=5, **SMALL, **options
    )


def conditioning(count, seed=0):
    rng = np.random.default_rng(seed)
    return dict(class_labels=rng.integers(0, 3, count), condition=rng.integers(0, 5, (count, 2, 2)))


def numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor))


@pytest.mark.parametrize("guidance_scale", [1.0, 3.0])
def test_cached_and_naive_samplers_draw_identical_codes_with_labels_condition_and_guidance(guidance_scale):
    prior = conditional_prior(class_dropout=0.2)
    given = conditioning(4)
    cached = prior.sample(4, **given, guidance_scale=guidance_scale, seed=5, method="cached", verbose=0)
    naive = prior.sample(4, **given, guidance_scale=guidance_scale, seed=5, method="naive", verbose=0)
    assert cached.shape == (4, 3, 4) and cached.dtype == np.int32
    np.testing.assert_array_equal(cached, naive)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="reads the loop's logits as it runs: eager on PyTorch")
def test_the_key_value_caches_logits_equal_the_full_pass_at_every_position(monkeypatch):
    """Every logit, not only the drawn codes (which a slightly wrong cache reproduces most of the time):
    with the condition prefix, and guided (the cache holds both halves of the batch)."""
    from keras_vq.models import sampling

    prior = conditional_prior(class_dropout=0.2)
    given = conditioning(3)
    seen = []

    def recording(logits, uniform, temperature):
        seen.append(numpy(logits))
        return draw_categorical(logits, uniform, temperature)

    monkeypatch.setattr(sampling, "draw_categorical", recording)
    codes = prior.sample(3, **given, guidance_scale=2.5, seed=4, method="cached", verbose=0)
    inputs = prior.model_inputs(codes, given["class_labels"], given["condition"])
    null = dict(inputs, class_labels=np.full(3, 3, "int32"))  # the null class: index num_classes
    conditional, unconditional = numpy(prior(inputs)), numpy(prior(null))
    guided = unconditional + 2.5 * (conditional - unconditional)
    assert len(seen) == 3 * 4  # one draw a position, in raster order
    np.testing.assert_allclose(np.stack(seen, axis=1).reshape(guided.shape), guided, rtol=1e-4, atol=1e-4)


def test_logits_at_a_position_ignore_codes_at_and_after_it():
    prior = conditional_prior()
    given = conditioning(1)
    codes = np.random.default_rng(1).integers(0, 8, (1, 3, 4))
    changed = codes.copy()
    changed[0, 1, 2] = (changed[0, 1, 2] + 1) % 8  # position 6 in raster order
    before = numpy(prior(prior.model_inputs(codes, **given))).reshape(12, 8)
    after = numpy(prior(prior.model_inputs(changed, **given))).reshape(12, 8)
    np.testing.assert_allclose(after[:7], before[:7], atol=1e-6)  # positions 0..6 see only codes before them
    assert np.abs(after[7:] - before[7:]).max(axis=1).min() > 1e-5  # every later position sees the change


def test_class_dropout_gives_the_null_class_at_its_rate_in_training_only():
    embedding = CodeSequenceEmbedding(num_embeddings=4, dim=3, code_length=2, num_classes=5, class_dropout=0.3, seed=0)
    labels = np.arange(4000) % 5
    codes = np.zeros((4000, 2), "int32")
    tables = numpy(embedding(codes, labels)), numpy(embedding(codes, labels, training=True))
    start = numpy(embedding.start_embeddings) + numpy(embedding.position_embeddings)[0]  # the first position's
    assert np.allclose(tables[0][:, 0], start[labels])  # inference: every label's own token
    is_null = np.all(np.isclose(tables[1][:, 0], start[5]), axis=1)
    assert np.allclose(tables[1][~is_null, 0], start[labels[~is_null]])
    assert abs(is_null.mean() - 0.3) < 0.03  # > 4 standard errors of 4,000 draws


@pytest.mark.parametrize(
    "options, arguments, message",
    [
        ({}, dict(guidance_scale=2.0, class_labels=[0, 1]), r"guidance_scale = 2.0 needs .*class_dropout=0.0"),
        (dict(class_dropout=0.1), dict(guidance_scale=float("nan"), class_labels=[0, 1]), "guidance_scale must"),
        ({}, dict(class_labels=[0, 3]), r"class_labels .*\[0, 3\)"),
        ({}, dict(), "class_labels must be given"),
    ],
)
def test_bad_sampling_arguments_are_refused_by_name(options, arguments, message):
    prior = TransformerPrior(code_shape=(2, 2), num_classes=3, **SMALL, **options)
    with pytest.raises(ValueError, match=message):
        prior.sample(2, verbose=0, **arguments)


def test_a_trained_class_conditional_prior_samples_its_classes_patterns_and_guidance_sharpens_them():
    """Class c's maps are 2c + (row + column) mod 2 plus rare noise; a prior trained with class dropout
    draws its class's pattern, and guidance at s = 3 gives the class's first code more probability (later
    codes tell the class to the unconditional model too, so guidance changes little there)."""
    codes, labels, class_maps = class_pattern_codes()
    keras.utils.set_random_seed(0)
    prior = TransformerPrior(code_shape=(3, 4), num_classes=3, class_dropout=0.2, seed=1, **SMALL)
    prior.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = prior.fit({"codes": codes, "class_labels": labels}, batch_size=64, epochs=12, verbose=0).history
    assert history["bits_per_code"][-1] < 0.5 * history["bits_per_code"][0]
    wanted = np.array([0, 1, 2, 0, 1, 2])
    expected = class_maps[wanted]
    assert (prior.sample(6, class_labels=wanted, seed=2, verbose=0) == expected).mean() > 0.8
    conditioning = {"class_labels": ops.convert_to_tensor(wanted, "int32")}
    scale = {"guidance_scale": ops.convert_to_tensor(np.full(6, 3.0, "float32"))}
    chances = [
        np.take_along_axis(
            numpy(ops.softmax(prior.full_pass_logits(ops.convert_to_tensor(expected, "int32"), conditioning | given))),
            expected[..., None],
            axis=-1,
        )[:, 0, 0].mean()
        for given in ({}, scale)
    ]
    assert chances[1] > chances[0] > 0.8, chances


def test_vqvae2_generates_from_transformer_priors_over_its_two_levels():
    """The hierarchical path takes any prior (issue 30, item 2): the bottom prior reads the top codes as
    its prefix, so other top codes change the bottom codes drawn from the same noise."""
    model = VQVAE2(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, quantizer=VectorQuantizer(8, 4))
    levels = model.code_levels()
    top = TransformerPrior.for_code_level(levels["top"], num_classes=2, dim=8, num_layers=1, num_heads=2)
    bottom = TransformerPrior.for_code_level(levels["bottom"], num_classes=2, dim=8, num_layers=1, num_heads=2)
    assert bottom.condition_shape == (2, 2) and bottom.code_shape == (4, 4)
    images = model.generate(top, bottom, 2, class_labels=[0, 1], seed=0)
    assert images.shape == (2, 16, 16, 3) and np.isfinite(images).all()
    condition = np.zeros((2, 2, 2), "int32")
    first = bottom.sample(2, class_labels=[0, 1], condition=condition, seed=3, verbose=0)
    again = bottom.sample(2, class_labels=[0, 1], condition=condition, seed=3, verbose=0)
    other = bottom.sample(2, class_labels=[0, 1], condition=condition + 5, seed=3, verbose=0)
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()
