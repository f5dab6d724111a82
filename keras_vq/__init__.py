"""keras-vq: discrete-latent generative models for Keras 3 (TensorFlow, JAX, PyTorch).

Importing keras_vq needs only Keras and NumPy; TensorFlow is imported by the
tf.data pipelines in `keras_vq.data` alone, and only when they are used.
`keras_vq.plots` (matplotlib) is imported only by those who use it.
"""

from keras_vq import (
    callbacks,
    data,
    distribute,
    layers,
    metrics,
    models,
    output_distributions,
    presets,
    runs,
    saving,
    training,
    utils,
)
from keras_vq.version import __version__

__all__ = [
    "callbacks",
    "data",
    "distribute",
    "layers",
    "metrics",
    "models",
    "output_distributions",
    "presets",
    "runs",
    "saving",
    "training",
    "utils",
    "__version__",
]
