"""Small, fixed synthetic datasets for tests."""

import numpy as np


def speech_like(count=4, length=32, seed=0):
    """`(audio (count, length, 1) float32 on [-1, 1], speakers (count,))`: sines of a few samples' period
    at random loudness, speakers 0, 1, 2, 0, ..."""
    rng = np.random.default_rng(seed)
    time = np.arange(length)
    audio = 0.5 * np.sin(2 * np.pi * time[None] / rng.integers(4, 12, (count, 1))) * rng.uniform(0.2, 1, (count, 1))
    return audio[..., None].astype("float32"), np.arange(count) % 3


def smooth_images(count=128, size=16, seed=0):
    """Colour sinusoids on [0, 1]: learnable in a few hundred steps, yet not constant."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:size, 0:size] / size
    images = np.empty((count, size, size, 3), "float32")
    for index in range(count):
        frequency_x, frequency_y = rng.uniform(0.5, 2.0, 2)
        phases = rng.uniform(0, 2 * np.pi, 3)
        amplitudes = rng.uniform(0.2, 0.5, 3)
        for channel in range(3):
            wave = np.sin(2 * np.pi * (frequency_x * columns + frequency_y * rows) + phases[channel])
            images[index, :, :, channel] = 0.5 + amplitudes[channel] * wave
    return images


def class_pattern_codes(count=512, num_classes=3, shape=(3, 4), num_embeddings=8, noise=0.05, seed=0):
    """`(codes, labels, class_maps)`: class c's map is 2c + (row + column) mod 2 (`class_maps[c]`), each
    code replaced by a uniform one with probability `noise`; labels cycle through the classes. What a
    class-conditional prior must learn to draw its class's pattern."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % num_classes
    class_maps = 2 * np.arange(num_classes)[:, None, None] + np.add.outer(np.arange(shape[0]), np.arange(shape[1])) % 2
    codes = class_maps[labels].astype("int32")
    noisy = rng.random(codes.shape) < noise
    codes[noisy] = rng.integers(0, num_embeddings, noisy.sum())
    return codes, labels, class_maps
