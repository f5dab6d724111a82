import numpy as np
import pytest
from keras import ops

from keras_vq.layers import GatedPixelCNNBlock
from keras_vq.layers.pixelcnn_blocks import gated_activation
from tests.backend_utils import gradient

HEIGHT = WIDTH = 11
CHANNELS = 3


def stack_of_blocks(kernel_sizes, **kwargs):
    return [
        GatedPixelCNNBlock(CHANNELS, kernel_size, is_first=index == 0, name=f"block{index}", **kwargs)
        for index, kernel_size in enumerate(kernel_sizes)
    ]


def output_of_stack(blocks, inputs, **conditioning):
    vertical = horizontal = inputs
    total = 0
    for block in blocks:
        vertical, horizontal, skip = block(vertical, horizontal, **conditioning)
        total = total + skip
    return total + horizontal


def expected_receptive_field(kernel_sizes, i, j):
    """Positions the output at (i, j) must depend on: R = the sum of the radii;
    rows i-1-R .. i-1 over columns j-R .. j+R, and row i from j-1-R to j-1."""
    reach = sum(size // 2 for size in kernel_sizes)
    field = np.zeros((HEIGHT, WIDTH), bool)
    field[max(i - 1 - reach, 0) : i, max(j - reach, 0) : j + reach + 1] = True
    field[i, max(j - 1 - reach, 0) : j] = True
    return field


@pytest.mark.parametrize("kernel_sizes", [(3,), (5, 3, 3), (7, 3)])
@pytest.mark.parametrize("position", [(5, 5), (0, 4), (6, 0), (10, 10)])
def test_output_depends_on_exactly_the_positions_before_it_within_the_receptive_field(kernel_sizes, position):
    i, j = position
    blocks = stack_of_blocks(kernel_sizes)
    inputs = np.random.default_rng(0).normal(size=(1, HEIGHT, WIDTH, CHANNELS)).astype("float32")

    def output_at_position(values):
        return output_of_stack(blocks, values)[:, i, j, :]

    dependence = np.abs(gradient(output_at_position, inputs)).sum(axis=(0, 3)) > 0
    raster = np.arange(HEIGHT * WIDTH).reshape(HEIGHT, WIDTH)
    at_or_after = raster >= raster[i, j]
    assert not dependence[at_or_after].any(), "look-ahead: the output sees the current or a later position"
    field = expected_receptive_field(kernel_sizes, i, j)
    blind = field & ~dependence
    assert not blind.any(), f"blind spot at {np.argwhere(blind).tolist()}"
    np.testing.assert_array_equal(dependence, field)


def test_first_block_excludes_the_current_position_and_later_blocks_include_their_input_there():
    inputs = np.random.default_rng(1).normal(size=(1, 5, 5, CHANNELS)).astype("float32")
    first, second = stack_of_blocks((3, 3))

    def first_output(values):
        return first(values)[1][:, 2, 2, :]

    def second_output(features):
        return second(features, features)[1][:, 2, 2, :]

    assert np.abs(gradient(first_output, inputs)[0, 2, 2]).sum() == 0
    assert np.abs(gradient(second_output, inputs)[0, 2, 2]).sum() > 0


def test_gated_activation_is_tanh_of_one_half_times_sigmoid_of_the_other():
    values = np.random.default_rng(2).normal(size=(2, 3, 3, 8)).astype("float32")
    expected = np.tanh(values[..., :4]) / (1.0 + np.exp(-values[..., 4:]))
    np.testing.assert_allclose(ops.convert_to_numpy(gated_activation(values)), expected, rtol=1e-5, atol=1e-6)


def test_class_labels_add_a_per_class_bias_that_changes_the_output():
    block = GatedPixelCNNBlock(CHANNELS, 3, is_first=True, num_classes=4)
    inputs = np.random.default_rng(3).normal(size=(1, 4, 4, CHANNELS)).astype("float32")
    twice = np.concatenate([inputs, inputs])
    same_class = ops.convert_to_numpy(block(twice, class_labels=np.array([1, 1]))[2])
    # Equal to float32 rounding: a batch's rows may be summed in another order (the vectorised kernels of
    # newer XLA and oneDNN builds differ by ~2e-7 between two rows of equal inputs).
    np.testing.assert_allclose(same_class[0], same_class[1], rtol=1e-6, atol=1e-6)
    outputs = ops.convert_to_numpy(block(twice, class_labels=np.array([0, 3]))[2])
    assert not np.allclose(outputs[0], outputs[1])


def test_spatial_condition_reaches_every_position_including_later_ones():
    """The condition is given in full (not generated), so it may be seen everywhere."""
    block = GatedPixelCNNBlock(CHANNELS, 3, is_first=True, condition_channels=2)
    inputs = np.zeros((1, 4, 4, CHANNELS), "float32")
    condition = np.random.default_rng(4).normal(size=(1, 4, 4, 2)).astype("float32")

    def output_at_origin(values):
        return block(inputs, condition=values)[2][:, 0, 0, :]

    dependence = np.abs(gradient(output_at_origin, condition)).sum(axis=(0, 3))
    assert dependence[0, 0] > 0 and dependence.sum() == dependence[0, 0]  # 1x1: only its own position


def test_missing_or_unexpected_conditioning_is_refused_by_name():
    block = GatedPixelCNNBlock(CHANNELS, 3, is_first=True, num_classes=2, name="gated")
    inputs = np.zeros((1, 4, 4, CHANNELS), "float32")
    with pytest.raises(ValueError, match="gated was built for num_classes=2; class_labels must be given"):
        block(inputs)
    with pytest.raises(ValueError, match="condition must be None"):
        block(inputs, class_labels=np.array([0]), condition=np.zeros((1, 4, 4, 2), "float32"))


@pytest.mark.parametrize(
    "argument, value, message",
    [
        ("kernel_size", 4, "kernel_size must be odd"),
        ("channels", 0, "channels must be an integer >= 1"),
        ("num_classes", -1, "num_classes must be an integer >= 1"),
    ],
)
def test_bad_arguments_are_refused(argument, value, message):
    arguments = dict(channels=4, kernel_size=3) | {argument: value}
    with pytest.raises(ValueError, match=message):
        GatedPixelCNNBlock(**arguments)
