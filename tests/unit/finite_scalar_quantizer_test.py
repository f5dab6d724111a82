import numpy as np
import pytest
from keras import ops

from keras_vq.layers import FiniteScalarQuantizer
from tests.backend_utils import gradient


def numpy_fsq(inputs, levels):
    """FSQ from the paper's definition, in float64: bound each channel, pick the nearest of its grid
    points, and number the codes with NumPy's own mixed-radix ravel (channel 0 the fastest digit)."""
    levels = np.asarray(levels)
    half_width = (levels - 1) * (1 + 1e-3) / 2
    offset = np.where(levels % 2 == 0, 0.5, 0.0)
    bounded = half_width * np.tanh(inputs.astype(np.float64) + np.arctanh(offset / half_width)) - offset
    grids = [np.arange(level) - level // 2 for level in levels]  # each channel's integer points
    digits = np.stack(
        [np.abs(bounded[..., channel, None] - grid).argmin(-1) for channel, grid in enumerate(grids)], axis=-1
    )
    quantized = np.stack(
        [grids[channel][digits[..., channel]] / (levels[channel] // 2) for channel in range(len(levels))], axis=-1
    )
    codes = np.ravel_multi_index(tuple(np.moveaxis(digits[..., ::-1], -1, 0)), tuple(levels[::-1]))
    return quantized, codes


@pytest.mark.parametrize("levels", [[8, 5, 5, 5], [7, 5, 4], [2, 3], [8, 6, 5]])
def test_outputs_and_codes_equal_the_numpy_reference(levels):
    inputs = np.random.default_rng(0).normal(scale=2.0, size=(3, 6, 5, len(levels))).astype("float32")
    quantizer = FiniteScalarQuantizer(levels)
    expected_quantized, expected_codes = numpy_fsq(inputs, levels)
    np.testing.assert_allclose(ops.convert_to_numpy(quantizer(inputs)), expected_quantized, atol=1e-6)
    codes = ops.convert_to_numpy(quantizer.encode(inputs))
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_allclose(ops.convert_to_numpy(quantizer.lookup(codes)), expected_quantized, atol=1e-6)
    assert quantizer.num_embeddings == np.prod(levels) and quantizer.embedding_dim == len(levels)


def test_every_code_is_reachable_and_lookup_inverts_encode_over_the_whole_codebook():
    quantizer = FiniteScalarQuantizer([4, 3, 2])
    grid = ops.convert_to_numpy(quantizer.lookup(np.arange(24)))
    assert len({tuple(row) for row in grid}) == 24 and np.abs(grid).max() <= 1.0
    # For each code, the input that bounds exactly onto its grid point: bound's inverse.
    levels = np.array([4, 3, 2])
    half_width, offset = (levels - 1) * (1 + 1e-3) / 2, np.where(levels % 2 == 0, 0.5, 0.0)
    points = grid * (levels // 2)
    inputs = np.arctanh((points + offset) / half_width) - np.arctanh(offset / half_width)
    np.testing.assert_array_equal(ops.convert_to_numpy(quantizer.encode(inputs.astype("float32"))), np.arange(24))


def test_rounding_passes_the_bound_gradient_straight_through():
    levels = np.array([8, 5])
    inputs = np.random.default_rng(1).normal(size=(10, 2)).astype("float32")
    quantizer = FiniteScalarQuantizer(levels.tolist())
    grads = gradient(lambda x: quantizer.quantize_vectors(x)["quantized"], inputs)
    half_width = (levels - 1) * (1 + 1e-3) / 2
    shift = np.arctanh(np.where(levels % 2 == 0, 0.5, 0.0) / half_width)
    expected = half_width * (1 - np.tanh(inputs + shift) ** 2) / (levels // 2)  # d bound / dz, then / floor(L/2)
    np.testing.assert_allclose(grads, expected, rtol=1e-4, atol=1e-6)


def test_perplexity_and_usage_count_codes_and_there_is_no_loss():
    quantizer = FiniteScalarQuantizer([3, 3])
    inputs = np.array([[-5.0, -5.0], [-5.0, -5.0], [5.0, 5.0], [0.0, 0.0]], "float32")  # codes 0, 0, 8, 4
    quantizer(inputs)
    metrics = {name: float(value) for name, value in quantizer.batch_metrics().items()}
    probabilities = np.array([0.5, 0.25, 0.25])
    np.testing.assert_allclose(metrics["perplexity"], np.exp(-(probabilities * np.log(probabilities)).sum()), rtol=1e-5)
    np.testing.assert_allclose(metrics["codebook_usage"], 3 / 9, rtol=1e-6)
    assert quantizer.losses == []


@pytest.mark.parametrize(
    "levels, message",
    [
        ([8, 1, 5], r"levels must be integers >= 2 .*\[8, 1, 5\]"),
        ([], "levels must be a list of at least one number of levels"),
        ("855", "levels must be a list"),
        ([8, 2.5], "levels must be integers >= 2"),
    ],
)
def test_bad_levels_are_refused_naming_them(levels, message):
    with pytest.raises(ValueError, match=message):
        FiniteScalarQuantizer(levels)


def test_inputs_whose_last_axis_is_not_the_number_of_levels_are_refused():
    with pytest.raises(ValueError, match=r"last axis to be embedding_dim=3; got shape \(2, 4\)"):
        FiniteScalarQuantizer([5, 5, 5])(np.zeros((2, 4), "float32"))
