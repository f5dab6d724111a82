"""Mu-law companding and quantisation of audio: the one implementation.

ITU-T G.711 mu-law companding, as WaveNet uses it (van den Oord et al. 2016,
https://arxiv.org/abs/1609.03499, sec. 2.2): with mu = num_symbols - 1,

    f(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu),      x in [-1, 1]
    symbol = round((f(x) + 1) / 2 * mu)              in {0, ..., mu}

and back, c = 2 symbol / mu - 1, x = sign(c) ((1 + mu)^|c| - 1) / mu.
Quiet samples get fine steps and loud ones coarse steps, so 256 symbols
(8 bits) carry 16-bit speech with little audible loss.

`mu_law_compress` and `mu_law_expand` are f and its inverse on any array
module with `sign`, `abs`, `log1p` and `expm1`: `keras.ops` (the default:
NumPy arrays and every backend's tensors, inside a model or out of it),
`numpy`, or `tf.math` inside a tf.data pipeline. `MuLawEncoding` is `mu_law_encode` as a
layer, so that a WaveNet-decoded VQ-VAE's targets are part of its graph. Example:

    >>> symbols = mu_law_encode(np.array([-1.0, 0.0, 0.5]))     # [0, 128, 239]
    >>> mu_law_compress(np.array([0.5]), xp=np)                 # array([0.875...])
"""

import math

import keras
from keras import ops

__all__ = ["mu_law_compress", "mu_law_expand", "mu_law_encode", "mu_law_decode", "MuLawEncoding"]

MU = 255


def mu_law_compress(audio, mu=MU, xp=ops):
    """f(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu): [-1, 1] -> [-1, 1], same shape.

    Example:
        ```python
        import numpy as np

        from keras_vq.layers.mu_law import mu_law_compress, mu_law_expand

        audio = np.array([-0.5, 0.0, 0.01, 1.0])
        companded = mu_law_compress(audio, xp=np)  # quiet samples get more of the range
        print(np.round(companded, 3))              # [-0.876  0.     0.228  1.   ]
        np.testing.assert_allclose(mu_law_expand(companded, xp=np), audio, atol=1e-6)
        ```
    """
    return xp.sign(audio) * xp.log1p(mu * xp.abs(audio)) / math.log1p(mu)


def mu_law_expand(companded, mu=MU, xp=ops):
    """The inverse of `mu_law_compress`: sign(c) ((1 + mu)^|c| - 1) / mu.

    Example:
        ```python
        import numpy as np

        from keras_vq.layers.mu_law import mu_law_expand

        print(np.round(mu_law_expand(np.array([-1.0, 0.0, 0.5]), xp=np), 4))  # [-1.      0.      0.0588]
        ```
    """
    return xp.sign(companded) * xp.expm1(xp.abs(companded) * math.log1p(mu)) / mu


def mu_law_encode(audio, num_symbols=256):
    """Float audio in [-1, 1] -> int32 symbols in [0, num_symbols), same shape.

    Example:
        ```python
        import keras
        import numpy as np

        from keras_vq.layers.mu_law import mu_law_decode, mu_law_encode

        symbols = mu_law_encode(np.array([-1.0, 0.0, 0.3, 1.0], "float32"))
        print(keras.ops.convert_to_numpy(symbols))  # [  0 128 228 255]: 256 levels, finest near 0
        ```
    """
    mu = num_symbols - 1
    companded = mu_law_compress(ops.clip(ops.cast(audio, "float32"), -1.0, 1.0), mu)
    return ops.cast(ops.clip(ops.floor((companded + 1.0) / 2.0 * mu + 0.5), 0, mu), "int32")


def mu_law_decode(symbols, num_symbols=256):
    """Int symbols in [0, num_symbols) -> float32 audio in [-1, 1], same shape.

    Example:
        ```python
        import keras
        import numpy as np

        from keras_vq.layers.mu_law import mu_law_decode, mu_law_encode

        audio = np.linspace(-1, 1, 5).astype("float32")
        decoded = keras.ops.convert_to_numpy(mu_law_decode(mu_law_encode(audio)))
        print(np.abs(decoded - audio).max() < 0.02)  # True: 8-bit mu-law is close to the original
        ```
    """
    mu = num_symbols - 1
    return mu_law_expand(2.0 * ops.cast(symbols, "float32") / mu - 1.0, mu)


@keras.saving.register_keras_serializable(package="keras_vq")
class MuLawEncoding(keras.layers.Layer):
    """`(batch, length, 1)` audio in [-1, 1] -> `(batch, length)` int32
    mu-law symbols in [0, num_symbols) (`mu_law_encode`:
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
