"""A layer that turns float audio into mu-law symbols inside a model."""

import keras

from keras_vq.mu_law import mu_law_encode


@keras.saving.register_keras_serializable(package="keras_vq")
class MuLawEncoding(keras.layers.Layer):
    """`(batch, length, 1)` audio in [-1, 1] -> `(batch, length)` int32
    mu-law symbols in [0, num_symbols) (`keras_vq.mu_law.mu_law_encode`:
    ITU-T G.711 companding as in WaveNet, van den Oord et al. 2016, sec. 2.2).
    No weights; it makes a WaveNet-decoded VQ-VAE's targets part of its graph.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        symbols = keras_vq.layers.MuLawEncoding()(np.array([[[-1.0], [0.0], [1.0]]], "float32"))
        print(keras.ops.convert_to_numpy(symbols))  # [[  0 128 255]]
        ```
    """

    def __init__(self, num_symbols=256, **kwargs):
        super().__init__(**kwargs)
        self.num_symbols = num_symbols

    def call(self, audio):
        return mu_law_encode(audio[..., 0], self.num_symbols)

    def compute_output_spec(self, audio):
        return keras.KerasTensor(audio.shape[:-1], dtype="int32")

    def get_config(self):
        return super().get_config() | {"num_symbols": self.num_symbols}
