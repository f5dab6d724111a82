"""Evaluation figures computed on whole datasets with NumPy.

Batch statistics during training come from the layers; these functions give
the figures a paper reports, over all the codes or images of a split.
"""

import numpy as np


def code_histogram(indices, num_embeddings):
    """How often each of the `num_embeddings` codes occurs in `indices`."""
    indices = np.asarray(indices).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        raise ValueError(
            f"indices must lie in [0, {num_embeddings}); got values from {indices.min()} to {indices.max()}"
        )
    return np.bincount(indices, minlength=num_embeddings)


def perplexity(indices, num_embeddings):
    """exp(entropy) of the code frequencies: K if all codes are equally used, 1 if one code is."""
    counts = code_histogram(indices, num_embeddings).astype(np.float64)
    probabilities = counts[counts > 0] / counts.sum()
    return float(np.exp(-np.sum(probabilities * np.log(probabilities))))


def codebook_usage(indices, num_embeddings):
    """Fraction of the codes that occur at least once."""
    return float(np.mean(code_histogram(indices, num_embeddings) > 0))


def mean_squared_error(targets, predictions):
    targets, predictions = np.asarray(targets, np.float64), np.asarray(predictions, np.float64)
    return float(np.mean((targets - predictions) ** 2))


def normalized_mean_squared_error(targets, predictions):
    """MSE over the variance of the targets on the same scale (Sonnet's VQ-VAE example)."""
    return mean_squared_error(targets, predictions) / float(np.var(np.asarray(targets, np.float64)))


def peak_signal_to_noise_ratio(targets, predictions, data_range=(0.0, 1.0)):
    """PSNR in dB: 10 log10(peak^2 / MSE), peak = high - low of the data's scale."""
    peak = data_range[1] - data_range[0]
    return float(10.0 * np.log10(peak**2 / mean_squared_error(targets, predictions)))
