import numpy as np
import pytest
from keras import ops

from keras_vq.layers import ResidualStack


def numpy_conv1d_same(inputs, kernel, bias):
    """'same' 1-D convolution (cross-correlation, as Keras computes it) by explicit sums."""
    taps = kernel.shape[0]
    padded = np.pad(inputs, ((0, 0), (taps // 2, taps - 1 - taps // 2), (0, 0)))
    length = inputs.shape[1]
    return sum(padded[:, tap : tap + length] @ kernel[tap] for tap in range(taps)) + bias


def test_one_dimensional_stack_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(2, 11, 6)).astype("float32")
    stack = ResidualStack(num_residual_layers=2, residual_channels=4)
    outputs = ops.convert_to_numpy(stack(inputs))

    def relu(values):
        return np.maximum(values, 0)

    expected = inputs.astype(np.float64)
    for wide, narrow in zip(stack.wide_convolutions, stack.narrow_convolutions):
        hidden = numpy_conv1d_same(relu(expected), *(ops.convert_to_numpy(w) for w in wide.weights))
        expected = expected + numpy_conv1d_same(relu(hidden), *(ops.convert_to_numpy(w) for w in narrow.weights))
    np.testing.assert_allclose(outputs, relu(expected), rtol=1e-4, atol=1e-5)


def test_two_dimensional_stack_keeps_the_shape_and_zero_layers_is_a_relu():
    inputs = np.random.default_rng(1).normal(size=(2, 5, 7, 8)).astype("float32")
    assert tuple(ResidualStack(2, 3)(inputs).shape) == inputs.shape
    np.testing.assert_array_equal(ops.convert_to_numpy(ResidualStack(0, 3)(inputs)), np.maximum(inputs, 0))
    assert len(ResidualStack(2, 3, name="stack").weights) == 0  # built lazily from the input's rank


def test_bad_arguments_and_shapes_raise_value_errors():
    with pytest.raises(ValueError, match="num_residual_layers must be an integer >= 0, got -1"):
        ResidualStack(-1, 4)
    with pytest.raises(ValueError, match="residual_channels must be an integer >= 1, got 0"):
        ResidualStack(1, 0)
    with pytest.raises(ValueError, match=r"got shape \(2, 3, 4, 5, 6\)"):
        ResidualStack(1, 4)(np.zeros((2, 3, 4, 5, 6), "float32"))
