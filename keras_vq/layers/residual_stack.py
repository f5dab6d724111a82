"""The residual stack of the VQ-VAE encoder and decoder."""

import keras

CONVOLUTIONS = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D}


@keras.saving.register_keras_serializable(package="keras_vq")
class ResidualStack(keras.layers.Layer):
    """`num_residual_layers` residual blocks, then a ReLU (VQ-VAE, section 4.1).

    Each block maps x to x + conv_1(relu(conv_3(relu(x)))), where conv_3 is a
    3-tap (3 or 3x3) convolution to `residual_channels` and conv_1 a 1-tap
    convolution back to the input's channels; the stack ends with a ReLU, as in
    van den Oord et al. 2017 and DeepMind Sonnet's VQ-VAE example.

    Inputs are `(batch, length, channels)` (1-D, audio) or
    `(batch, height, width, channels)` (2-D, images); the output has the same
    shape. The spatial rank is read from the input when the layer is built.

    Args:
        num_residual_layers: number of blocks (>= 0).
        residual_channels: channels inside each block (>= 1).

    Example:
        ```python
        import numpy as np

        import keras_vq

        stack = keras_vq.layers.ResidualStack(num_residual_layers=2, residual_channels=32)
        print(tuple(stack(np.zeros((1, 8, 8, 128), "float32")).shape))  # (1, 8, 8, 128): the shape is kept
        ```
    """

    def __init__(self, num_residual_layers, residual_channels, **kwargs):
        if isinstance(num_residual_layers, bool) or not isinstance(num_residual_layers, int) or num_residual_layers < 0:
            raise ValueError(f"num_residual_layers must be an integer >= 0, got {num_residual_layers!r}")
        if isinstance(residual_channels, bool) or not isinstance(residual_channels, int) or residual_channels < 1:
            raise ValueError(f"residual_channels must be an integer >= 1, got {residual_channels!r}")
        super().__init__(**kwargs)
        self.num_residual_layers = num_residual_layers
        self.residual_channels = residual_channels

    def build(self, input_shape):
        spatial_rank = len(input_shape) - 2
        if spatial_rank not in CONVOLUTIONS:
            raise ValueError(
                "ResidualStack expects (batch, length, channels) or (batch, height, width, "
                f"channels) inputs; got shape {tuple(input_shape)}"
            )
        convolution = CONVOLUTIONS[spatial_rank]
        channels = input_shape[-1]
        self.wide_convolutions, self.narrow_convolutions = [], []
        for index in range(self.num_residual_layers):
            wide = convolution(
                self.residual_channels, 3, padding="same", dtype=self.dtype_policy, name=f"block{index}_conv3"
            )
            narrow = convolution(channels, 1, dtype=self.dtype_policy, name=f"block{index}_conv1")
            wide.build(input_shape)
            narrow.build(tuple(input_shape[:-1]) + (self.residual_channels,))
            self.wide_convolutions.append(wide)
            self.narrow_convolutions.append(narrow)

    def call(self, inputs):
        outputs = keras.ops.convert_to_tensor(inputs)  # on this layer's device: each layer's output is added to it
        for wide, narrow in zip(self.wide_convolutions, self.narrow_convolutions):
            outputs = outputs + narrow(keras.activations.relu(wide(keras.activations.relu(outputs))))
        return keras.activations.relu(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_residual_layers": self.num_residual_layers,
                "residual_channels": self.residual_channels,
            }
        )
        return config
