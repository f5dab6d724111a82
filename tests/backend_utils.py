"""The one place where tests differentiate with each backend's own autodiff."""

import keras
import numpy as np


def gradient(function, inputs):
    """d sum(function(inputs)) / d inputs as a NumPy array, on the current backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.convert_to_tensor(inputs)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = tf.reduce_sum(function(inputs))
        return tape.gradient(total, inputs).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda values: function(values).sum())(inputs))
    if backend == "torch":
        import torch

        inputs = torch.tensor(inputs, requires_grad=True)
        function(inputs).sum().backward()
        return inputs.grad.numpy()
    raise NotImplementedError(backend)
