"""Dilated causal WaveNet blocks with global and local conditioning."""

from typing import NamedTuple

import keras
from keras import ops

from keras_vq.layers.pixelcnn_blocks import gated_activation
from keras_vq.layers.pointwise import pointwise_matrix
from keras_vq.utils.checks import check_positive_int


class StepWeights(NamedTuple):
    """A `WaveNetBlock`'s weights as matrices for one time step (see `WaveNetBlock.step_weights`)."""

    taps: object
    taps_bias: object
    residual: object
    residual_bias: object
    skip: object
    skip_bias: object


@keras.saving.register_keras_serializable(package="keras_vq")
class WaveNetBlock(keras.layers.Layer):
    """One residual layer of WaveNet (van den Oord, Dieleman, Zen, Simonyan,
    Vinyals, Graves, Kalchbrenner, Senior and Kavukcuoglu, "WaveNet: A
    Generative Model for Raw Audio", 2016, https://arxiv.org/abs/1609.03499,
    sec. 2.3-2.5 and fig. 4).

    Inputs `(batch, time, channels)`. With `*_d` a causal convolution of
    `kernel_size` taps spaced `dilation_rate` apart (the output at t sees
    inputs t, t - d, ..., t - (k-1) d, never later ones), h a global
    condition vector (e.g. a speaker embedding) and y a local condition
    sequence on the same time grid (e.g. codes upsampled to the sample rate):

        a   = W_d * x + V_g h + V_l y                    (2 * channels)
        z   = tanh(a_1) . sigmoid(a_2)                    (paper eq. 2, 3)
        out = x + W_res z,   skip = W_skip z

    `call(inputs, global_condition=None, local_condition=None)` returns
    `(out, skip)`. For fast generation (Paine et al. 2016, "Fast Wavenet
    Generation Algorithm", https://arxiv.org/abs/1611.09482),
    `step(inputs_now, inputs_past, conditioning_now)` computes one time step
    from the current input and the inputs `d, 2d, ...` steps back (held in a
    queue by the caller), with the same weights.

    Args:
        channels: residual channels (input and output).
        dilation_rate: d, the spacing of the convolution's taps.
        kernel_size: taps of the dilated convolution (the paper's 2).
        skip_channels: channels of the skip output.
        global_condition_dim: size of h (None: no global condition).
        local_condition_channels: channels of y (None: no local condition).
        use_residual_output: False for a stack's last block, whose output
            is its skip alone (`out` is then the input, unchanged).

    Example:
        ```python
        import numpy as np

        import keras_vq

        block = keras_vq.layers.WaveNetBlock(channels=32, dilation_rate=4, skip_channels=64, global_condition_dim=16)
        audio_features = np.zeros((2, 100, 32), "float32")
        speaker = np.zeros((2, 16), "float32")
        residual, skip = block(audio_features, global_condition=speaker)
        print(tuple(residual.shape), tuple(skip.shape))  # (2, 100, 32) (2, 100, 64): causal, length kept
        ```
    """

    def __init__(
        self,
        channels,
        dilation_rate=1,
        kernel_size=2,
        skip_channels=None,
        global_condition_dim=None,
        local_condition_channels=None,
        use_residual_output=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("channels", channels), ("dilation_rate", dilation_rate), ("kernel_size", kernel_size)):
            check_positive_int(name, value)
        skip_channels = channels if skip_channels is None else skip_channels
        check_positive_int("skip_channels", skip_channels)
        for name, value in (
            ("global_condition_dim", global_condition_dim),
            ("local_condition_channels", local_condition_channels),
        ):
            if value is not None:
                check_positive_int(name, value)
        self.channels, self.dilation_rate, self.kernel_size = channels, dilation_rate, kernel_size
        self.skip_channels = skip_channels
        self.global_condition_dim, self.local_condition_channels = global_condition_dim, local_condition_channels
        # How far back the dilated convolution reaches: the queue a generator keeps.
        self.history_length = (kernel_size - 1) * dilation_rate

        settings = dict(dtype=self.dtype_policy)
        self.dilated_convolution = keras.layers.Conv1D(
            2 * channels, kernel_size, dilation_rate=dilation_rate, name="dilated_convolution", **settings
        )
        # The last block of a stack has only its skip output to give.
        self.use_residual_output = bool(use_residual_output)
        self.residual_output = (
            keras.layers.Conv1D(channels, 1, name="residual_output", **settings) if use_residual_output else None
        )
        self.skip_output = keras.layers.Conv1D(skip_channels, 1, name="skip_output", **settings)
        self.global_projection = (
            keras.layers.Dense(2 * channels, use_bias=False, name="global_projection", **settings)
            if global_condition_dim
            else None
        )
        self.local_projection = (
            keras.layers.Conv1D(2 * channels, 1, use_bias=False, name="local_projection", **settings)
            if local_condition_channels
            else None
        )

    def build(self, inputs_shape, global_condition_shape=None, local_condition_shape=None):
        self.dilated_convolution.build((None, None, inputs_shape[-1]))
        if self.residual_output is not None:
            self.residual_output.build((None, None, self.channels))
        self.skip_output.build((None, None, self.channels))
        if self.global_projection is not None:
            self.global_projection.build((None, self.global_condition_dim))
        if self.local_projection is not None:
            self.local_projection.build((None, None, self.local_condition_channels))

    def conditioning(self, global_condition=None, local_condition=None):
        """V_g h (batch, 1, 2C) + V_l y (batch, time, 2C); None without conditioning."""
        for name, value, layer, size in (
            ("global_condition", global_condition, self.global_projection, "global_condition_dim"),
            ("local_condition", local_condition, self.local_projection, "local_condition_channels"),
        ):
            if (value is None) != (layer is None):
                raise ValueError(
                    f"{self.name} was built with {size}={getattr(self, size)}; {name} must be "
                    f"{'given' if layer is not None else 'None'}"
                )
        bias = None
        if self.global_projection is not None:
            bias = ops.expand_dims(self.global_projection(global_condition), 1)
        if self.local_projection is not None:
            local = self.local_projection(local_condition)
            bias = local if bias is None else bias + local
        return bias

    def gated_output(self, preactivation, inputs, bias):
        if bias is not None:
            preactivation = preactivation + bias
        gated = gated_activation(preactivation)
        outputs = inputs if self.residual_output is None else inputs + self.residual_output(gated)
        return outputs, self.skip_output(gated)

    def call(self, inputs, global_condition=None, local_condition=None):
        inputs = ops.convert_to_tensor(inputs)  # on this layer's device: the residual adds it to layer outputs
        bias = self.conditioning(global_condition, local_condition)
        padded = ops.pad(inputs, ((0, 0), (self.history_length, 0), (0, 0)))
        return self.gated_output(self.dilated_convolution(padded), inputs, bias)

    def step_weights(self):
        """This block's weights for one time step, cast once to the compute dtype (`StepWeights`):
        the dilated convolution's k taps as k `(C_in, 2C)` matrices (oldest first) and its bias, and
        the residual and skip 1x1 convolutions as matrices `(C, C)`, `(C, S)` with their biases
        (`residual` None for a stack's last block). A generator computes these once, not once a step.

        Example:
            ```python
            import keras_vq

            block = keras_vq.layers.WaveNetBlock(channels=8, dilation_rate=4, kernel_size=3, skip_channels=16)
            block.build((None, None, 8))
            weights = block.step_weights()
            print(len(weights.taps), tuple(weights.taps[0].shape), tuple(weights.skip.shape))  # 3 (8, 16) (8, 16)
            ```
        """
        dtype = self.compute_dtype
        kernel = ops.cast(self.dilated_convolution.kernel, dtype)  # (taps, C_in, 2C): tap k-1 is the current input
        taps = tuple(kernel[tap] for tap in range(self.kernel_size))
        taps_bias = ops.cast(self.dilated_convolution.bias, dtype)
        residual, residual_bias = (
            pointwise_matrix(self.residual_output) if self.residual_output is not None else (None, None)
        )
        return StepWeights(taps, taps_bias, residual, residual_bias, *pointwise_matrix(self.skip_output))

    def gated_step(self, window, weights, bias_now=None):
        """z = tanh(a_1) . sigmoid(a_2) at one time step, a = W_d x + V h + V y: `window` the block's
        inputs at t - (k-1) d, ..., t - d, t (oldest first), each (batch, C); `weights` from
        `step_weights()`; `bias_now` (batch, 2C) or None."""
        # Python's operators, not keras.ops, for the arithmetic: the same maths on every backend without
        # keras.ops' per-call dispatch, which costs more than these products on PyTorch.
        preactivation = weights.taps_bias
        for inputs, tap in zip(window, weights.taps):
            preactivation = preactivation + inputs @ tap
        if bias_now is not None:
            preactivation = preactivation + bias_now
        return gated_activation(preactivation)

    def step(self, inputs_now, inputs_past, bias_now=None):
        """One time step: `inputs_now` (batch, 1, C); `inputs_past` (batch,
        kernel_size - 1, C), the inputs d * (k-1), ..., d steps back, oldest
        first; `bias_now` this step's conditioning (batch, 1, 2C). Returns
        `(out, skip)`, each (batch, 1, .). (The generators call `gated_step`
        with weights cast once; this is the same maths for one call.)

        Example:
            ```python
            import keras
            import numpy as np

            import keras_vq

            block = keras_vq.layers.WaveNetBlock(channels=8, dilation_rate=2)
            sequence = np.random.default_rng(0).normal(size=(1, 6, 8)).astype("float32")
            full, _ = block(sequence)  # the whole sequence at once
            now, _ = block.step(sequence[:, 5:6], sequence[:, 3:4])  # step 5 alone, given step 5 - 2
            np.testing.assert_allclose(keras.ops.convert_to_numpy(now)[:, 0], keras.ops.convert_to_numpy(full)[:, 5],
                                       atol=1e-5)
            print("step matches the full pass")
            ```
        """
        dtype = self.compute_dtype
        inputs_now, inputs_past = ops.cast(inputs_now, dtype), ops.cast(inputs_past, dtype)
        window = [inputs_past[:, tap] for tap in range(self.kernel_size - 1)] + [inputs_now[:, 0]]
        weights = self.step_weights()
        gated = self.gated_step(window, weights, None if bias_now is None else ops.cast(bias_now, dtype)[:, 0])
        outputs = inputs_now[:, 0]
        if weights.residual is not None:
            outputs = outputs + ops.matmul(gated, weights.residual) + weights.residual_bias
        skip = ops.matmul(gated, weights.skip) + weights.skip_bias
        return ops.expand_dims(outputs, 1), ops.expand_dims(skip, 1)

    def compute_output_shape(self, inputs_shape, global_condition_shape=None, local_condition_shape=None):
        return tuple(inputs_shape), tuple(inputs_shape[:-1]) + (self.skip_channels,)

    def get_config(self):
        return super().get_config() | {
            "channels": self.channels,
            "dilation_rate": self.dilation_rate,
            "kernel_size": self.kernel_size,
            "skip_channels": self.skip_channels,
            "global_condition_dim": self.global_condition_dim,
            "local_condition_channels": self.local_condition_channels,
            "use_residual_output": self.use_residual_output,
        }
