"""Data for keras_vq models.

Only the tf.data pipelines import TensorFlow, and only when called; the
embedded sample below needs NumPy alone.
"""

from keras_vq.data.embedded import load_cifar10_sample, to_pixel_scale

__all__ = ["load_cifar10_sample", "to_pixel_scale"]
