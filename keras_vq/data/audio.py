"""Audio helpers shared by the tf.data and NumPy paths: scaling and windows.

Audio reaches the models as float32 in [-1, 1]: int16 samples divided by
32,768. (Mu-law companding is `keras_vq.layers.mu_law`.)
"""

import numpy as np

__all__ = ["evaluation_windows", "pad_to_length"]

INT16_SCALE = 32_768.0


def int16_to_float(samples):
    return np.asarray(samples, dtype=np.float32) / INT16_SCALE


def pad_to_length(samples, length):
    """Zero-pads `samples` at the end to at least `length` samples.

    Example:
        ```python
        import numpy as np

        import keras_vq

        print(keras_vq.data.pad_to_length(np.ones(3), 5))  # [1. 1. 1. 0. 0.]
        ```
    """
    if len(samples) >= length:
        return samples
    return np.pad(samples, (0, length - len(samples)))


def evaluation_windows(samples, length):
    """Every non-overlapping `length`-sample window from the start (at least one, padded).

    Example:
        ```python
        import numpy as np

        import keras_vq

        print(keras_vq.data.evaluation_windows(np.arange(7.0), 3))  # [[0. 1. 2.] [3. 4. 5.]]: whole windows
        ```
    """
    samples = pad_to_length(samples, length)
    count = len(samples) // length
    return samples[: count * length].reshape(count, length)
