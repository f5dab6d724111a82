"""Audio helpers shared by the tf.data and NumPy paths: scaling, crops, mu-law.

Audio reaches the models as float32 in [-1, 1]: int16 samples divided by
32,768. Mu-law companding (ITU-T G.711; used by WaveNet, van den Oord et al.,
2016) maps x in [-1, 1] to sign(x) ln(1 + mu |x|) / ln(1 + mu), mu = 255.
"""

import numpy as np

INT16_SCALE = 32_768.0
MU_LAW_MU = 255.0


def int16_to_float(samples):
    return np.asarray(samples, dtype=np.float32) / INT16_SCALE


def mu_law_compress(audio, mu=MU_LAW_MU):
    audio = np.asarray(audio, dtype=np.float32)
    return np.sign(audio) * np.log1p(mu * np.abs(audio)) / np.log1p(mu)


def mu_law_expand(companded, mu=MU_LAW_MU):
    companded = np.asarray(companded, dtype=np.float32)
    return np.sign(companded) * np.expm1(np.abs(companded) * np.log1p(mu)) / mu


def pad_to_length(samples, length):
    """Zero-pads `samples` at the end to at least `length` samples."""
    if len(samples) >= length:
        return samples
    return np.pad(samples, (0, length - len(samples)))


def evaluation_windows(samples, length):
    """Every non-overlapping `length`-sample window from the start (at least one, padded)."""
    samples = pad_to_length(samples, length)
    count = len(samples) // length
    return samples[: count * length].reshape(count, length)
