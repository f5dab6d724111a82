"""Gated PixelCNN blocks: vertical and horizontal stacks with no blind spot."""

from typing import NamedTuple

import keras
from keras import ops

from keras_vq.layers.pointwise import pointwise_matrix
from keras_vq.utils.checks import check_odd_kernel_size, check_positive_int


def gated_activation(preactivation):
    """tanh(a) * sigmoid(b), with a and b the two halves of the channel axis
    (van den Oord et al. 2016, eq. 2)."""
    # Halves by indexing, not keras.ops.split: the generation loops call this every step, and on PyTorch
    # (eager) a keras.ops call's dispatch costs more than the slicing.
    half = preactivation.shape[-1] // 2
    return ops.tanh(preactivation[..., :half]) * ops.sigmoid(preactivation[..., half:])


class PositionWeights(NamedTuple):
    """A `GatedPixelCNNBlock`'s horizontal stack as matrices for one position (see
    `GatedPixelCNNBlock.position_weights`)."""

    taps: tuple
    output: object
    output_bias: object
    skip: object
    skip_bias: object


@keras.saving.register_keras_serializable(package="keras_vq")
class GatedPixelCNNBlock(keras.layers.Layer):
    """One layer of the gated PixelCNN (van den Oord, Kalchbrenner, Vinyals,
    Espeholt, Graves and Kavukcuoglu, "Conditional Image Generation with
    PixelCNN Decoders", NeurIPS 2016, https://arxiv.org/abs/1606.05328, fig. 2).

    Two stacks of feature maps, each `(batch, height, width, channels)`:

    * the vertical stack v sees every position in the rows strictly above
      the current one (within the receptive field), through a
      `(k//2 + 1) x k` convolution over the rows above and including its own
      (the first block reads the rows strictly above);
    * the horizontal stack h sees the positions to the left in the current
      row, through a `1 x (k//2 + 1)` convolution, plus the vertical stack
      through a 1x1 link. The first block ("mask A") excludes the current
      position, later blocks ("mask B") include their input's value there.

    Masks are realised by padding and cropping rather than by zeroing kernel
    taps, so no weight is wasted, and the receptive field has no blind spot:
    with n blocks of kernel size k (r = k // 2) the output at (i, j) depends
    on every input in rows i-1 .. i-1-n*r, columns j-n*r .. j+n*r, and in row
    i on columns j-1-n*r .. j-1 -- and on nothing at or after (i, j).

    For one block, with * convolution, W_link a 1x1 convolution and c the
    conditioning bias:

        v_pre = W_v * v + c,              v' = tanh(v_pre_1) . sigmoid(v_pre_2)
        h_pre = W_h * h + W_link v_pre + c
        g     = tanh(h_pre_1) . sigmoid(h_pre_2)
        h'    = h + W_out g   (no residual in the first block),   skip = W_skip g

    Conditioning (paper eq. 4 and 5): `class_labels` (batch,) int add a
    learned per-class bias (an Embedding to 2 * channels, the paper's V^T h
    for one-hot h); `condition` (batch, height, width, condition_channels), a
    feature map on the same grid (e.g. VQ-VAE-2's top codes, upsampled for
    the bottom prior), adds a 1x1 projection (V * s).

    `call(vertical, horizontal, class_labels=None, condition=None)` returns
    `(vertical, horizontal, skip)`. Fast sampling uses the same weights one
    row (`vertical_step`) and one position (`horizontal_step`) at a time;
    `call` is those two steps applied to the whole padded map.

    Args:
        channels: channels of both stacks' outputs and of the skip output.
        kernel_size: odd k of the k x k receptive field each block adds.
        is_first: True for the first block (mask A: the current position
            and its row are excluded).
        num_classes: classes of the class-conditional bias (None for none).
        condition_channels: channels of the spatial condition (None for none).

    Example:
        ```python
        import numpy as np

        import keras_vq

        block = keras_vq.layers.GatedPixelCNNBlock(channels=32, is_first=True, num_classes=10)
        features = np.zeros((2, 8, 8, 32), "float32")
        vertical, horizontal, skip = block(features, class_labels=np.array([3, 5]))
        print(tuple(vertical.shape), tuple(horizontal.shape), tuple(skip.shape))  # each (2, 8, 8, 32)
        ```
    """

    def __init__(self, channels, kernel_size=3, is_first=False, num_classes=None, condition_channels=None, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("channels", channels)
        check_odd_kernel_size("kernel_size", kernel_size)
        if num_classes is not None:
            check_positive_int("num_classes", num_classes)
        if condition_channels is not None:
            check_positive_int("condition_channels", condition_channels)
        self.channels, self.kernel_size, self.is_first = channels, kernel_size, bool(is_first)
        self.num_classes, self.condition_channels = num_classes, condition_channels
        self.radius = kernel_size // 2
        # The first block reads the rows above (columns to the left) only: one more row
        # (column) of padding before, and the last one dropped, shifts its field by one.
        self.padding_before = self.radius + 1 if self.is_first else self.radius

        settings = dict(dtype=self.dtype_policy)
        gated = 2 * channels
        self.vertical_convolution = keras.layers.Conv2D(
            gated, (self.radius + 1, kernel_size), name="vertical_convolution", **settings
        )
        self.horizontal_convolution = keras.layers.Conv2D(
            gated, (1, self.radius + 1), name="horizontal_convolution", **settings
        )
        self.vertical_to_horizontal = keras.layers.Conv2D(gated, 1, name="vertical_to_horizontal", **settings)
        self.horizontal_output = keras.layers.Conv2D(channels, 1, name="horizontal_output", **settings)
        self.skip_output = keras.layers.Conv2D(channels, 1, name="skip_output", **settings)
        self.class_bias = (
            keras.layers.Embedding(num_classes, gated, name="class_bias", **settings) if num_classes else None
        )
        self.condition_projection = (
            keras.layers.Conv2D(gated, 1, use_bias=False, name="condition_projection", **settings)
            if condition_channels
            else None
        )

    def build(self, vertical_shape, horizontal_shape=None, class_labels_shape=None, condition_shape=None):
        # Convolutions run on padded maps and on single rows and positions: any spatial size.
        def any_size(channels):
            return (None, None, None, channels)

        self.vertical_convolution.build(any_size(vertical_shape[-1]))
        self.horizontal_convolution.build(any_size((horizontal_shape or vertical_shape)[-1]))
        self.vertical_to_horizontal.build(any_size(2 * self.channels))
        self.horizontal_output.build(any_size(self.channels))
        self.skip_output.build(any_size(self.channels))
        if self.class_bias is not None:
            self.class_bias.build((None,))
        if self.condition_projection is not None:
            self.condition_projection.build(any_size(self.condition_channels))

    def conditioning_bias(self, class_labels=None, condition=None):
        """c: (batch, 1, 1, 2C) for classes, plus (batch, H, W, 2C) for a
        spatial condition; None without conditioning."""
        if (class_labels is None) != (self.class_bias is None):
            raise ValueError(
                f"{self.name} was built for num_classes={self.num_classes}; class_labels must be "
                f"{'given' if self.class_bias is not None else 'None'}"
            )
        if (condition is None) != (self.condition_projection is None):
            raise ValueError(
                f"{self.name} was built for condition_channels={self.condition_channels}; condition must be "
                f"{'given' if self.condition_projection is not None else 'None'}"
            )
        bias = None
        if self.class_bias is not None:
            bias = ops.expand_dims(ops.expand_dims(self.class_bias(class_labels), 1), 1)
        if self.condition_projection is not None:
            projected = self.condition_projection(condition)
            bias = projected if bias is None else bias + projected
        return bias

    def pad_vertical(self, vertical):
        """The vertical input padded so that a valid convolution gives output row i from padded rows i .. i+r."""
        r = self.radius
        padded = ops.pad(vertical, ((0, 0), (self.padding_before, 0), (r, r), (0, 0)))
        return padded[:, :-1] if self.is_first else padded

    def pad_horizontal(self, horizontal):
        """The horizontal input padded so that output column j reads padded columns j .. j+r."""
        padded = ops.pad(horizontal, ((0, 0), (0, 0), (self.padding_before, 0), (0, 0)))
        return padded[:, :, :-1] if self.is_first else padded

    def vertical_step(self, padded_rows, bias=None):
        """`(v_pre, v')` for the output rows of `padded_rows` (r + 1 padded rows a row)."""
        preactivation = self.vertical_convolution(padded_rows)
        if bias is not None:
            preactivation = preactivation + bias
        return preactivation, gated_activation(preactivation)

    def horizontal_step(self, padded_columns, residual, vertical_preactivation, bias=None):
        """`(h', skip)` for the output columns of `padded_columns`; `residual`
        is the block's horizontal input at those positions (unused by the first block)."""
        preactivation = self.horizontal_convolution(padded_columns) + self.vertical_to_horizontal(
            vertical_preactivation
        )
        if bias is not None:
            preactivation = preactivation + bias
        gated = gated_activation(preactivation)
        horizontal = self.horizontal_output(gated)
        if not self.is_first:
            horizontal = horizontal + residual
        return horizontal, self.skip_output(gated)

    def position_weights(self):
        """The horizontal stack's weights for one position, cast once to the compute dtype
        (`PositionWeights`): the horizontal convolution's r + 1 column taps as `(C_in, 2C)` matrices
        (leftmost first), and the output and skip 1x1 convolutions as `(C, C)` matrices with their
        biases. A sampler computes these once, not once a position.

        Example:
            ```python
            import keras_vq

            block = keras_vq.layers.GatedPixelCNNBlock(channels=8, kernel_size=5)
            block.build((None, None, None, 8))
            weights = block.position_weights()
            print(len(weights.taps), tuple(weights.taps[0].shape), tuple(weights.skip.shape))  # 3 (8, 16) (8, 8)
            ```
        """
        kernel = ops.cast(self.horizontal_convolution.kernel, self.compute_dtype)  # (1, r + 1, C_in, 2C)
        return PositionWeights(
            tuple(kernel[0, tap] for tap in range(self.radius + 1)),
            *pointwise_matrix(self.horizontal_output),
            *pointwise_matrix(self.skip_output),
        )

    def row_preactivation(self, vertical_preactivation, bias=None):
        """The part of h_pre that comes from the vertical stack, for whole rows: W_link v_pre + b_h + c,
        `(N, rows, W, 2C)`, with b_h the horizontal convolution's bias."""
        preactivation = self.vertical_to_horizontal(vertical_preactivation) + ops.cast(
            self.horizontal_convolution.bias, self.compute_dtype
        )
        return preactivation if bias is None else preactivation + bias

    def position_step(self, window, row_preactivation, weights):
        """`(h', g)` at one position, each (N, C): `window` the block's horizontal inputs at columns
        j - r .. j (j - r - 1 .. j - 1 for the first block), leftmost first, each (N, C);
        `row_preactivation` (N, 2C) this position's `row_preactivation`; `weights` from
        `position_weights()`. g is the gate, whose skip output W_skip g the caller takes."""
        # Python's operators, not keras.ops, for the arithmetic: the same maths on every backend without
        # keras.ops' per-call dispatch, which costs more than these products on PyTorch.
        preactivation = row_preactivation
        for inputs, tap in zip(window, weights.taps):
            preactivation = preactivation + inputs @ tap
        gated = gated_activation(preactivation)
        horizontal = gated @ weights.output + weights.output_bias
        return (horizontal if self.is_first else horizontal + window[-1]), gated

    def call(self, vertical, horizontal=None, class_labels=None, condition=None):
        # Tensors on this layer's device: Keras passes a lone tensor argument through as it is (a CPU
        # tensor on a CUDA machine, on PyTorch), and the stacks add the inputs to layer outputs.
        vertical = ops.convert_to_tensor(vertical)
        horizontal = vertical if horizontal is None else ops.convert_to_tensor(horizontal)
        bias = self.conditioning_bias(class_labels, condition)
        vertical_preactivation, vertical_output = self.vertical_step(self.pad_vertical(vertical), bias)
        horizontal_output, skip = self.horizontal_step(
            self.pad_horizontal(horizontal), horizontal, vertical_preactivation, bias
        )
        return vertical_output, horizontal_output, skip

    def compute_output_shape(
        self, vertical_shape, horizontal_shape=None, class_labels_shape=None, condition_shape=None
    ):
        shape = tuple(vertical_shape[:-1]) + (self.channels,)
        return shape, shape, shape

    def get_config(self):
        return super().get_config() | {
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "is_first": self.is_first,
            "num_classes": self.num_classes,
            "condition_channels": self.condition_channels,
        }
