"""MaskGIT's masking schedule (Chang et al. 2022, https://arxiv.org/abs/2202.04200, sec. 3.2-3.3): how many
codes training hides, and how many stay hidden after each step of parallel decoding."""

import math

import numpy as np

from keras_vq.utils.checks import check_positive_int

__all__ = ["mask_schedule", "masked_counts", "training_masks"]


def mask_schedule(ratio):
    """MaskGIT's cosine schedule gamma(r) = cos(pi r / 2): the fraction of codes masked at the point r in
    [0, 1] of decoding (1 at the start, 0 at the end), and the distribution of the masked fraction in
    training (gamma(u), u ~ U[0, 1): 2 / pi of the codes on average).

    Example:
        ```python
        from keras_vq.models.transformer.mask_schedule import mask_schedule

        print(mask_schedule([0.0, 0.5, 1.0]).round(3))  # [1.    0.707 0.   ]
        ```
    """
    return np.cos(np.pi / 2 * np.asarray(ratio, np.float64))


def masked_counts(steps, length):
    """The codes of `length` still masked after each of `steps` decoding steps: floor(gamma((s + 1) /
    steps) length), and at least one fewer each step until none (so each step fixes at least one code
    while any is masked); 0 after the last.

    Example:
        ```python
        from keras_vq.models.transformer.mask_schedule import masked_counts

        print(masked_counts(8, 64))  # [62, 59, 53, 45, 35, 24, 12, 0]: 2, 3, 6, 8, 10, 11, 12, 12 fixed a step
        ```
    """
    check_positive_int("steps", steps)
    counts, remaining = [], length
    for step in range(steps):
        remaining = max(0, min(int(math.floor(mask_schedule((step + 1) / steps) * length)), remaining - 1))
        counts.append(remaining)
    return counts


def training_masks(rng, batch, length):
    """`(batch, length)` bool: for each example, ceil(gamma(u) length) >= 1 positions masked, u ~ U[0, 1),
    the positions uniformly at random (MaskGIT's training, sec. 3.1).

    Example:
        ```python
        import numpy as np

        from keras_vq.models.transformer.mask_schedule import training_masks

        masks = training_masks(np.random.default_rng(0), 10_000, 64)
        print(round(float(masks.mean()), 2))  # 0.64: about 2 / pi of the codes
        ```
    """
    counts = np.maximum(1, np.ceil(mask_schedule(rng.random(batch)) * length)).astype(np.int64)
    ranks = rng.random((batch, length)).argsort(axis=1).argsort(axis=1)
    return ranks < counts[:, None]
