"""keras-vq: discrete-latent generative models for Keras 3 (TensorFlow, JAX, PyTorch).

Importing keras_vq needs only Keras and NumPy; TensorFlow is imported by the
tf.data pipelines in `keras_vq.data` alone, and only when they are used.
`keras_vq.plots` (matplotlib) is imported only by those who use it.
"""

from keras_vq import (
    atomic,
    callbacks,
    data,
    data_parallel,
    layers,
    metrics,
    models,
    output_distributions,
    presets,
    replicas,
    runs,
    saving,
    training,
)
from keras_vq.version import __version__

__all__ = ["atomic", "callbacks", "data", "data_parallel", "layers", "metrics", "models", "output_distributions",
           "presets", "replicas", "runs", "saving", "training", "__version__"]
