"""What the autoregressive models share: inverse-CDF draws, and generation loops run compiled.

Drawing every step from a uniform number given up front (NumPy's, from the
caller's seed) makes generation reproducible on every backend, and makes a
fast loop and its naive reference draw the same symbols from the same seed.
"""

import keras
import numpy as np
from keras import ops

from keras_vq.distribute.data_parallel import predict_rows


def draw_categorical(logits, uniform, temperature):
    """Inverse-CDF draw: the first symbol whose cumulative probability exceeds u.

    logits (N, K), uniform (N,) in [0, 1), temperature (N,) > 0 -> (N,) int32.
    """
    # Python's operators where they do: the generation loops call this once a step, eagerly on PyTorch.
    uniform, temperature = (values if ops.is_tensor(values) else ops.convert_to_tensor(values, "float32")
                            for values in (uniform, temperature))
    logits = ops.cast(logits, "float32") / temperature[:, None]
    cumulative = ops.cumsum(ops.softmax(logits, axis=-1), axis=-1)
    below = ops.sum(ops.cast(cumulative < uniform[:, None], "int32"), axis=-1)
    return ops.minimum(below, logits.shape[-1] - 1)


def symbol_bits(logits, symbols):
    """-log2 softmax(logits)[symbol] at every position, in float64 NumPy:
    logits (..., K), symbols (...) ints -> (...)."""
    logits = np.asarray(logits, np.float64)
    logits = logits - logits.max(axis=-1, keepdims=True)
    log_normaliser = np.log(np.exp(logits).sum(axis=-1))
    chosen = np.take_along_axis(logits, np.asarray(symbols)[..., None].astype(np.int64), axis=-1)[..., 0]
    return (log_normaliser - chosen) / np.log(2.0)


class CompiledLoop(keras.Model):
    """Wraps `loop(model, **inputs)` in a Keras model that shares `model`'s
    layers (its weights, not copies), so that `predict_on_batch(inputs)`
    compiles the whole loop as Keras compiles any predict step: one XLA
    program on JAX, a graph on TensorFlow, eager on PyTorch. The weights are
    arguments of the compiled function, so later training is seen."""

    def __init__(self, model, loop, name):
        super().__init__(name=name)
        self.model = model
        self.loop = loop
        self.built = True

    def call(self, inputs):
        return self.loop(self.model, **inputs)


def run_compiled(model, loop, name, inputs):
    """`loop(model, **inputs)` compiled once per (model, loop, input shapes) and run on NumPy `inputs`.

    The loops size their state from the inputs' static shapes, so each shape
    gets its own compiled wrapper: a wrapper reused for another shape would be
    retraced by TensorFlow with the batch dimension unknown (None), which the
    loops cannot size their state from. The wrappers are kept on the model
    outside Keras' layer tracking (they hold no weights of their own)."""
    loops = model.__dict__.setdefault("_compiled_loops", {})
    shapes = tuple(sorted((key, np.shape(value)) for key, value in inputs.items()))
    key = (name, shapes)
    if key not in loops:
        loops[key] = CompiledLoop(model, loop, f"{model.name}_{name}")
    return predict_rows(loops[key], inputs)
