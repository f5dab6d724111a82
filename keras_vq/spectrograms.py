"""Short-time Fourier magnitudes of audio, the spectral loss on them, and audio back from them.

One framing everywhere: Hann windows of `fft_length` samples every `hop`
samples, centred (frame t is centred on sample t * hop, the audio reflected
at its ends), as `keras.ops.stft(..., center=True)` frames it. A clip of
`frames * hop` samples has `frames` frames (the one centred past its end is
dropped), so a VQ-VAE whose codes come every `hop` samples has one frame a code.

- `log_magnitude` (backend ops, differentiable): ln sqrt(|X|^2 + `MAGNITUDE_FLOOR`^2).
- `spectral_loss` (backend ops): the L1 distance of log magnitudes plus the
  spectral convergence ||S - Ŝ||_F / ||S||_F (Arık et al. 2018,
  https://arxiv.org/abs/1808.06719; the STFT loss of Parallel WaveGAN,
  Yamamoto et al. 2020).
- `griffin_lim` (NumPy): audio whose magnitudes match, its phases found by
  the fast Griffin-Lim iteration (Perraudin et al. 2013,
  https://doi.org/10.1109/WASPAA.2013.6701851).
- `mel_filterbank` (NumPy): triangular filters on the HTK mel scale.
"""

import functools

import numpy as np
from keras import ops

__all__ = ["log_magnitude", "spectral_loss", "stft", "istft", "griffin_lim"]

# Magnitudes below this (-100 dB of a full-scale sine's peak bin) count as this: the log stays finite in silence.
MAGNITUDE_FLOOR = 1e-5
# The fast Griffin-Lim's momentum (Perraudin et al. 2013: 0.99 converges fastest).
GRIFFIN_LIM_MOMENTUM = 0.99


def log_magnitude(audio, fft_length, hop):
    """`(batch, samples // hop, fft_length // 2 + 1)`: ln sqrt(|STFT|^2 + MAGNITUDE_FLOOR^2) of
    `(batch, samples, 1)` or `(batch, samples)` audio, in float32 (backend ops).

    Example:
        ```python
        import numpy as np
        from keras_vq import spectrograms

        time = np.arange(8_192) / 16_000
        tone = (0.5 * np.sin(2 * np.pi * 500 * time))[None].astype("float32")  # (1, 8192): 500 Hz
        log_s = np.asarray(spectrograms.log_magnitude(tone, 512, 64))
        print(log_s.shape, log_s[0, 64].argmax())  # (1, 128, 257) 16: 500 Hz is bin 16 of 31.25 Hz
        ```
    """
    audio = ops.cast(audio, "float32")
    if len(audio.shape) == 3:
        audio = audio[..., 0]
    check_length(audio.shape[1], fft_length)
    real, imaginary = ops.stft(audio, fft_length, hop, fft_length, window="hann", center=True)
    frames = ops.shape(audio)[1] // hop
    # sqrt(|X|^2 + floor^2) >= floor: finite in silence, with a finite gradient at |X| = 0.
    return ops.log(ops.sqrt(real[:, :frames] ** 2 + imaginary[:, :frames] ** 2 + MAGNITUDE_FLOOR**2))


def check_length(samples, fft_length):
    """ValueError unless `samples` (None: not known yet) exceeds `fft_length // 2`: a frame centred on
    the first sample reflects that many samples at each end, which `keras.ops.stft` refuses on
    TensorFlow and reflects otherwise on JAX and PyTorch; `log_magnitude` refuses it on every backend.
    (The NumPy `stft` reflects a short clip repeatedly, as `np.pad` does, so decoding a few codes works.)"""
    if samples is not None and samples <= fft_length // 2:
        raise ValueError(
            f"audio of {samples} samples is too short for {fft_length}-point STFT frames: it needs more "
            f"than fft_length // 2 = {fft_length // 2} samples"
        )


def spectral_loss(target_log_magnitude, predicted_log_magnitude):
    """mean |ln S - ln Ŝ| + ||S - Ŝ||_F / ||S||_F (per clip, then averaged), from log magnitudes.

    Example:
        ```python
        import numpy as np
        from keras_vq import spectrograms

        time = np.arange(8_192) / 16_000
        tone = (0.5 * np.sin(2 * np.pi * 500 * time))[None].astype("float32")  # (1, 8192): 500 Hz
        log_s = spectrograms.log_magnitude(tone, 512, 64)
        print(float(spectrograms.spectral_loss(log_s, log_s)))                # 0.0
        print(round(float(spectrograms.spectral_loss(log_s, log_s + 0.1)), 3))  # 0.205: 0.1 + (e^0.1 - 1)
        ```
    """
    target = ops.cast(target_log_magnitude, "float32")
    predicted = ops.cast(predicted_log_magnitude, "float32")
    log_distance = ops.mean(ops.abs(target - predicted))
    target_magnitude, predicted_magnitude = ops.exp(target), ops.exp(predicted)
    difference = ops.sqrt(ops.sum((target_magnitude - predicted_magnitude) ** 2, axis=(1, 2)))
    convergence = ops.mean(difference / ops.sqrt(ops.sum(target_magnitude**2, axis=(1, 2))))
    return log_distance + convergence


def hann_window(length):
    """The periodic Hann window, as `keras.ops.stft` uses it."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)).astype(np.float64)


def stft(audio, fft_length, hop):
    """`(batch, samples // hop, fft_length // 2 + 1)` complex STFT of `(batch, samples)` NumPy audio,
    framed as `log_magnitude` (which it equals in magnitude, to float32 rounding).

    Example:
        ```python
        import numpy as np
        from keras_vq import spectrograms

        time = np.arange(8_192) / 16_000
        tone = (0.5 * np.sin(2 * np.pi * 500 * time))[None].astype("float32")  # (1, 8192): 500 Hz
        spectrum = spectrograms.stft(tone, 512, 64)
        print(spectrum.shape, np.allclose(np.log(np.abs(spectrum) + 1e-5)[0, 64, 16],
                                          np.asarray(spectrograms.log_magnitude(tone, 512, 64))[0, 64, 16], atol=1e-3))
        # (1, 128, 257) True
        ```
    """
    audio = np.asarray(audio, np.float64)
    frames = audio.shape[1] // hop
    padded = np.pad(audio, ((0, 0), (fft_length // 2, fft_length // 2)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, fft_length, axis=1)[:, ::hop][:, :frames]
    return np.fft.rfft(windows * hann_window(fft_length), axis=-1)


def istft(spectrum, fft_length, hop):
    """`(batch, frames * hop)` audio whose `stft` is nearest `spectrum` in the least-squares sense
    (windowed overlap-add divided by the summed squared window; Griffin & Lim 1984).

    Example:
        ```python
        import numpy as np
        from keras_vq import spectrograms

        time = np.arange(8_192) / 16_000
        tone = (0.5 * np.sin(2 * np.pi * 500 * time))[None].astype("float32")  # (1, 8192): 500 Hz
        rebuilt = spectrograms.istft(spectrograms.stft(tone, 512, 64), 512, 64)
        print(rebuilt.shape, np.abs(rebuilt - tone).max() < 1e-6)  # (1, 8192) True: an exact round trip
        ```
    """
    if fft_length % hop:
        raise ValueError(f"fft_length must be a multiple of hop, got {fft_length} and {hop}")
    window = hann_window(fft_length)
    batch, frames = spectrum.shape[:2]
    pieces = (np.fft.irfft(spectrum, n=fft_length, axis=-1) * window).reshape(batch, frames, -1, hop)
    overlap = fft_length // hop
    total = np.zeros((batch, frames + overlap - 1, hop))
    weight = np.zeros((frames + overlap - 1, hop))
    squared_window = (window**2).reshape(overlap, hop)
    for piece in range(overlap):  # Frame t's piece-th hop lands on hop t + piece.
        total[:, piece : piece + frames] += pieces[:, :, piece]
        weight[piece : piece + frames] += squared_window[piece]
    audio = (total / np.maximum(weight, 1e-8)).reshape(batch, -1)
    return audio[:, fft_length // 2 : fft_length // 2 + frames * hop]


def griffin_lim(magnitude, fft_length, hop, iterations=64, seed=0):
    """`(batch, frames * hop)` float32 audio whose STFT magnitudes approach `magnitude`
    `(batch, frames, fft_length // 2 + 1)`: the fast Griffin-Lim iteration from seeded random phases.

    Example:
        ```python
        import numpy as np
        from keras_vq import spectrograms

        time = np.arange(8_000) / 16_000
        tone = (0.5 * np.sin(2 * np.pi * 440 * time))[None]
        magnitude = np.abs(spectrograms.stft(tone, 512, 64))
        rebuilt = spectrograms.griffin_lim(magnitude, 512, 64, iterations=64)
        error = np.abs(np.abs(spectrograms.stft(rebuilt, 512, 64)) - magnitude).sum() / magnitude.sum()
        print(rebuilt.shape, round(error, 3))  # (1, 8000) 0.062: the magnitudes within 6%, phases of its own
        ```
    """
    magnitude = np.asarray(magnitude, np.float64)
    phases = np.exp(2j * np.pi * np.random.default_rng(seed).random(magnitude.shape))
    previous = np.zeros_like(phases)
    for _ in range(iterations):
        rebuilt = stft(istft(magnitude * phases, fft_length, hop), fft_length, hop)
        accelerated = rebuilt - GRIFFIN_LIM_MOMENTUM / (1 + GRIFFIN_LIM_MOMENTUM) * previous
        phases = accelerated / np.maximum(np.abs(accelerated), 1e-12)
        previous = rebuilt
    return istft(magnitude * phases, fft_length, hop).astype(np.float32)


@functools.lru_cache(maxsize=8)
def mel_filterbank(num_bands, fft_length, sample_rate):
    """`(fft_length // 2 + 1, num_bands)` triangular filters, equally spaced on the HTK mel scale
    m = 2595 log10(1 + f / 700) from 0 Hz to the Nyquist frequency, each peaking at 1."""

    def to_mel(hz):
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    edges_hz = 700.0 * (10 ** (np.linspace(0.0, to_mel(sample_rate / 2), num_bands + 2) / 2595.0) - 1.0)
    bins_hz = np.linspace(0.0, sample_rate / 2, fft_length // 2 + 1)
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz - lower) / (centre - lower)
    falling = (upper - bins_hz) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).T.astype(np.float32)
