"""Dilated causal WaveNet blocks with global and local conditioning."""

import keras
from keras import ops

from keras_vq.layers.pixelcnn_blocks import gated_activation
from keras_vq.checks import check_positive_int


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

    def __init__(self, channels, dilation_rate=1, kernel_size=2, skip_channels=None, global_condition_dim=None,
                 local_condition_channels=None, use_residual_output=True, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("channels", channels), ("dilation_rate", dilation_rate), ("kernel_size", kernel_size)):
            check_positive_int(name, value)
        skip_channels = channels if skip_channels is None else skip_channels
        check_positive_int("skip_channels", skip_channels)
        for name, value in (("global_condition_dim", global_condition_dim),
                            ("local_condition_channels", local_condition_channels)):
            if value is not None:
                check_positive_int(name, value)
        self.channels, self.dilation_rate, self.kernel_size = channels, dilation_rate, kernel_size
        self.skip_channels = skip_channels
        self.global_condition_dim, self.local_condition_channels = global_condition_dim, local_condition_channels
        # How far back the dilated convolution reaches: the queue a generator keeps.
        self.history_length = (kernel_size - 1) * dilation_rate

        settings = dict(dtype=self.dtype_policy)
        self.dilated_convolution = keras.layers.Conv1D(
            2 * channels, kernel_size, dilation_rate=dilation_rate, name="dilated_convolution", **settings)
        # The last block of a stack has only its skip output to give.
        self.use_residual_output = bool(use_residual_output)
        self.residual_output = (
            keras.layers.Conv1D(channels, 1, name="residual_output", **settings) if use_residual_output else None
        )
        self.skip_output = keras.layers.Conv1D(skip_channels, 1, name="skip_output", **settings)
        self.global_projection = (
            keras.layers.Dense(2 * channels, use_bias=False, name="global_projection", **settings)
            if global_condition_dim else None
        )
        self.local_projection = (
            keras.layers.Conv1D(2 * channels, 1, use_bias=False, name="local_projection", **settings)
            if local_condition_channels else None
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
        bias = self.conditioning(global_condition, local_condition)
        padded = ops.pad(inputs, ((0, 0), (self.history_length, 0), (0, 0)))
        return self.gated_output(self.dilated_convolution(padded), inputs, bias)

    def step(self, inputs_now, inputs_past, bias_now=None):
        """One time step: `inputs_now` (batch, 1, C); `inputs_past` (batch,
        kernel_size - 1, C), the inputs d * (k-1), ..., d steps back, oldest
        first; `bias_now` this step's conditioning (batch, 1, 2C). Returns
        `(out, skip)`, each (batch, 1, .).

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
        inputs_now, inputs_past = ops.convert_to_tensor(inputs_now), ops.convert_to_tensor(inputs_past)
        kernel = self.dilated_convolution.kernel  # (taps, C_in, 2C); tap k-1 multiplies the current input.
        window = ops.concatenate([inputs_past, inputs_now], axis=1)
        preactivation = ops.einsum("btc,tcd->bd", window, ops.cast(kernel, window.dtype))
        preactivation = ops.expand_dims(preactivation + ops.cast(self.dilated_convolution.bias, window.dtype), 1)
        return self.gated_output(preactivation, inputs_now, bias_now)

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
