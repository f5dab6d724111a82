"""Mu-law quantisation of audio to discrete symbols and back, in backend ops.

ITU-T G.711 mu-law companding, as WaveNet uses it (van den Oord et al. 2016,
https://arxiv.org/abs/1609.03499, sec. 2.2): with mu = num_symbols - 1,

    f(x) = sign(x) ln(1 + mu |x|) / ln(1 + mu),      x in [-1, 1]
    symbol = round((f(x) + 1) / 2 * mu)              in {0, ..., mu}

and back, c = 2 symbol / mu - 1, x = sign(c) ((1 + mu)^|c| - 1) / mu.
Quiet samples get fine steps and loud ones coarse steps, so 256 symbols
(8 bits) carry 16-bit speech with little audible loss. These work on NumPy
arrays and on tensors of any backend, inside a model or out of it.
"""

import math

from keras import ops


def mu_law_encode(audio, num_symbols=256):
    """Float audio in [-1, 1] -> int32 symbols in [0, num_symbols), same shape."""
    mu = num_symbols - 1
    audio = ops.clip(ops.cast(audio, "float32"), -1.0, 1.0)
    companded = ops.sign(audio) * ops.log1p(mu * ops.abs(audio)) / math.log1p(mu)
    return ops.cast(ops.clip(ops.floor((companded + 1.0) / 2.0 * mu + 0.5), 0, mu), "int32")


def mu_law_decode(symbols, num_symbols=256):
    """Int symbols in [0, num_symbols) -> float32 audio in [-1, 1], same shape."""
    mu = num_symbols - 1
    companded = 2.0 * ops.cast(symbols, "float32") / mu - 1.0
    return ops.sign(companded) * ops.expm1(ops.abs(companded) * math.log1p(mu)) / mu
