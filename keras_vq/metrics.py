"""Evaluation figures computed on whole datasets with NumPy.

Batch statistics during training come from the layers; these functions give
the figures a paper reports, over all the codes or images of a split.
"""

import keras
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


def reconstruction_report(model, data, batch_size=256):
    """Whole-split figures for a trained VQVAE, VQVAE2 or VAE on `data` (on its `data_range`).

    `mse`, `nmse` (Sonnet's: MSE over the data's variance) and `psnr_db` on
    the data's scale, and for code models the `perplexity` and
    `codebook_usage` of each level's codes over the whole split (`top_` and
    `bottom_` for VQ-VAE-2).
    """
    data = np.asarray(data)
    reconstructions = np.concatenate([
        np.asarray(model.predict(data[start:start + batch_size], verbose=0))
        for start in range(0, len(data), batch_size)
    ])
    report = {
        "examples": int(len(data)),
        "mse": mean_squared_error(data, reconstructions),
        "nmse": normalized_mean_squared_error(data, reconstructions),
        "psnr_db": peak_signal_to_noise_ratio(data, reconstructions, model.data_range),
    }
    if hasattr(model, "encode") and hasattr(model, "num_embeddings"):
        batches = [model.encode(data[start:start + batch_size]) for start in range(0, len(data), batch_size)]
        if isinstance(batches[0], tuple):  # VQ-VAE-2: (top, bottom)
            levels = {"top_": [b[0] for b in batches], "bottom_": [b[1] for b in batches]}
        else:
            levels = {"": batches}
        for prefix, codes in levels.items():
            codes = np.concatenate([keras.ops.convert_to_numpy(c) for c in codes])
            report[f"{prefix}perplexity"] = perplexity(codes, model.num_embeddings)
            report[f"{prefix}codebook_usage"] = codebook_usage(codes, model.num_embeddings)
    return report
