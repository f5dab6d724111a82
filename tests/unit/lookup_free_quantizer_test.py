import itertools

import numpy as np
import pytest
from keras import ops

from keras_vq.layers import LookupFreeQuantizer
from tests.backend_utils import gradient


def numpy_entropy_loss(inputs, temperature, diversity_gamma):
    """MAGVIT-v2's entropy penalty the long way, in float64: a softmax over -||z - c||^2 / temperature
    across every one of the 2^d sign vectors c (no factorisation over bits)."""
    dimension = inputs.shape[-1]
    codes = np.array(list(itertools.product([-1.0, 1.0], repeat=dimension)))
    distances = ((inputs[:, None, :].astype(np.float64) - codes[None]) ** 2).sum(-1)
    logits = -distances / temperature
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    per_vector = -(probabilities * np.log(np.maximum(probabilities, 1e-300))).sum(1).mean()
    mean = probabilities.mean(0)
    codebook = -(mean * np.log(np.maximum(mean, 1e-300))).sum()
    return per_vector - diversity_gamma * codebook


def test_signs_and_codes_equal_the_numpy_reference():
    inputs = np.random.default_rng(0).normal(size=(2, 5, 3, 6)).astype("float32")
    quantizer = LookupFreeQuantizer(embedding_dim=6)
    signs = np.where(inputs > 0, 1.0, -1.0)
    np.testing.assert_array_equal(ops.convert_to_numpy(quantizer(inputs)), signs)
    codes = ops.convert_to_numpy(quantizer.encode(inputs))
    np.testing.assert_array_equal(codes, np.packbits(inputs[..., ::-1] > 0, axis=-1, bitorder="big")[..., 0] >> 2)
    np.testing.assert_array_equal(ops.convert_to_numpy(quantizer.lookup(codes)), signs)
    assert quantizer.num_embeddings == 64


@pytest.mark.parametrize("temperature, diversity_gamma", [(0.5, 1.0), (2.0, 0.5), (0.05, 1.0)])
def test_entropy_loss_equals_the_softmax_over_all_codes(temperature, diversity_gamma):
    inputs = np.random.default_rng(1).normal(scale=0.5, size=(40, 4)).astype("float32")
    quantizer = LookupFreeQuantizer(embedding_dim=4, temperature=temperature, diversity_gamma=diversity_gamma)
    result = quantizer.quantize_vectors(inputs)
    np.testing.assert_allclose(
        float(result["entropy_loss"]), numpy_entropy_loss(inputs, temperature, diversity_gamma), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(float(result["commitment_loss"]), ((inputs - np.sign(inputs)) ** 2).mean(), rtol=1e-5)


def test_the_added_loss_weighs_entropy_and_commitment_as_configured():
    inputs = np.random.default_rng(2).normal(size=(16, 3)).astype("float32")
    quantizer = LookupFreeQuantizer(embedding_dim=3, entropy_loss_weight=0.3, beta=0.7, temperature=1.0)
    quantizer(inputs)
    metrics = quantizer.batch_metrics()
    expected = 0.3 * float(metrics["entropy_loss"]) + 0.7 * float(metrics["commitment_loss"])
    np.testing.assert_allclose(float(ops.convert_to_numpy(quantizer.losses[0])), expected, rtol=1e-5)


def test_output_gradient_is_straight_through():
    inputs = np.random.default_rng(3).normal(size=(5, 4)).astype("float32")
    upstream = np.random.default_rng(4).normal(size=inputs.shape).astype("float32")
    quantizer = LookupFreeQuantizer(embedding_dim=4)
    grads = gradient(lambda x: quantizer.quantize_vectors(x)["quantized"] * ops.convert_to_tensor(upstream), inputs)
    np.testing.assert_allclose(grads, upstream, rtol=1e-6)


def test_the_entropy_penalty_is_finite_for_large_and_tiny_inputs_under_mixed_precision():
    inputs = np.array([[1e4, -1e4, 0.0], [1e-8, -1e-8, 3.0]], "float32")
    quantizer = LookupFreeQuantizer(embedding_dim=3, dtype="mixed_bfloat16")
    result = quantizer.quantize_vectors(ops.cast(inputs, "bfloat16"))
    assert np.isfinite(float(result["entropy_loss"])) and np.isfinite(float(result["commitment_loss"]))
    grads = gradient(lambda x: quantizer.entropy_loss(x), inputs)
    assert np.isfinite(grads).all()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(embedding_dim=0), "embedding_dim must be an integer >= 1, got 0"),
        (dict(embedding_dim=17), "embedding_dim must be at most 16"),
        (dict(embedding_dim=4, temperature=0.0), r"temperature must be in range \(0.0, inf\)"),
        (dict(embedding_dim=4, entropy_loss_weight=-1.0), r"entropy_loss_weight must be in range \[0.0, inf\)"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, message):
    with pytest.raises(ValueError, match=message):
        LookupFreeQuantizer(**arguments)


def test_exact_zeros_quantise_alike_on_every_path():
    """A ReLU-ended encoder gives exact zeros; z > 0 is the bit on every path, so 0 is -1 and bit 0 everywhere."""
    inputs = np.array([[0.0, -1.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, -0.0]], "float32")
    quantizer = LookupFreeQuantizer(embedding_dim=3)
    expected_signs = np.array([[-1, -1, 1], [-1, -1, -1], [1, -1, -1]], "float32")
    expected_codes = np.array([4, 0, 1])
    codes = ops.convert_to_numpy(quantizer.encode(inputs))
    result = quantizer.quantize_vectors(inputs)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(ops.convert_to_numpy(result["indices"]), expected_codes)
    np.testing.assert_array_equal(ops.convert_to_numpy(quantizer(inputs)), expected_signs)
    np.testing.assert_array_equal(ops.convert_to_numpy(result["quantized"]), expected_signs)
    np.testing.assert_array_equal(ops.convert_to_numpy(quantizer.lookup(codes)), expected_signs)
