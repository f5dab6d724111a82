"""What PixelCNN and WaveNet share as autoregressive models over discrete symbols.

Both model a sequence (WaveNet) or raster-ordered map (PixelCNN) of
symbols x from a vocabulary of K as

    p(x | c) = prod_t p(x_t | x_<t, c),      each factor a K-way categorical,

with c their conditioning (classes and a code map; speakers and a local
sequence). `AutoregressivePrior` holds what follows from that alone: the
training loss (the mean negative log-likelihood in nats a symbol, reported
in bits as well), whole-set log-likelihoods, the model's input structure
(the symbols alone, or a dict with the conditioning), the output head
(ReLU, 1x1 conv, ReLU, 1x1 conv to float32 logits), checks of index inputs,
and drawing samples with a compiled loop from NumPy noise, reporting the stage
(`keras_vq.utils.progress`).

The draws (`draw_categorical`) are by inverse CDF, each step from a uniform number given up
front (NumPy's, from the caller's seed): generation is reproducible on every backend, and a
fast loop and its naive reference draw the same symbols from the same seed. `run_compiled`
runs a generation loop as Keras compiles a predict step (one XLA program on JAX, a graph on
TensorFlow, eager on PyTorch).

A subclass sets `SYMBOLS_KEY` (its input name for x), `BITS_METRIC` (the
name its bits are reported under) and `LOOP_NAME`, builds its functional
network with the layers `embedding` and `head`, calls `track_bits()`, and
lists its active conditioning inputs in `conditioning_keys()`.
"""

import math
import time

import keras
import numpy as np
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.distribute.data_parallel import check_fit_distribution, predict_rows, reducible_logs
from keras_vq.layers.pointwise import pointwise_matrix
from keras_vq.presets import PresetMixin
from keras_vq.utils.checks import check_index_range, check_number, integer_array
from keras_vq.utils.progress import report_stage


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


def apply_output_head(head, features):
    """Logits from ReLU(the sum of `features`) through the `head` layers."""
    hidden = keras.activations.relu(ops.sum(ops.stack(features), axis=0))
    for layer in head:
        hidden = layer(hidden)
    return hidden


def output_head_on_vectors(head):
    """The output head as a function of one position's summed features, `(N, F) -> (N, K)` logits:
    ReLU, then each 1x1 convolution of `head` as a matrix product, its weights cast to its compute
    dtype once here (the generation loops call the function once a step)."""
    matrices = [(*pointwise_matrix(layer), layer.activation, layer.compute_dtype) for layer in head]

    def logits(summed_features):
        hidden = keras.activations.relu(summed_features)
        for kernel, bias, activation, dtype in matrices:
            if keras.backend.standardize_dtype(hidden.dtype) != dtype:
                hidden = ops.cast(hidden, dtype)
            hidden = activation(hidden @ kernel + bias)
        return hidden

    return logits


class AutoregressivePrior(PresetMixin, keras.Model):
    """Base of `PixelCNN` and `WaveNet` (see the module docstring); not used on its own. Both share its
    loss (the mean negative log-likelihood of the symbols, reported in bits), output head, input checks,
    compiled drawing call and `log_likelihood_bits`.

    Example:
        ```python
        import keras_vq

        print(issubclass(keras_vq.models.PixelCNN, keras_vq.models.autoregressive_prior.AutoregressivePrior))  # True
        ```
    """

    SYMBOLS_KEY = None
    BITS_METRIC = None
    LOOP_NAME = None  # What its compiled drawing loops are called ("sampler", "generator").

    def conditioning_keys(self):
        """The inputs besides the symbols this model takes, in its input order."""
        raise NotImplementedError

    def track_bits(self):
        """Creates the metric `fit` reports the loss under, in bits (call after building)."""
        setattr(self, f"{self.BITS_METRIC}_tracker", keras.metrics.Mean(name=self.BITS_METRIC))

    def layers_dtype_policy(self):
        """The policy the layers were built with (the logits are float32 whatever it is)."""
        return self.embedding.dtype_policy

    def inputs_of(self, symbols, conditioning):
        """The model's input structure: the symbols alone, or the dict with the conditioning."""
        keys = self.conditioning_keys()
        if not keys:
            return symbols
        return {self.SYMBOLS_KEY: symbols, **{key: conditioning.get(key) for key in keys}}

    def symbols_of(self, inputs):
        return inputs[self.SYMBOLS_KEY] if isinstance(inputs, dict) else inputs

    # --- Training and likelihood -------------------------------------------------------------

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`, refused where it cannot train as the active distribution says
        (`keras_vq.distribute.data_parallel.check_fit_distribution`)."""
        check_fit_distribution(self)
        return super().fit(x, *args, **kwargs)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return reducible_logs(super().compute_metrics(x, y, y_pred, sample_weight=sample_weight))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        nats = ops.mean(keras.losses.sparse_categorical_crossentropy(self.symbols_of(x), y_pred, from_logits=True))
        getattr(self, f"{self.BITS_METRIC}_tracker").update_state(nats / math.log(2.0))
        return replicas.scale_loss(nats)  # a data-parallel step's replicas' gradients are summed

    def log_likelihood_bits(self, inputs, batch_size=256):
        """-log2 p(x | c) of each example in `inputs` (NumPy arrays as `fit`
        takes them), summed over its positions: shape (examples,).

        Example:
            ```python
            import numpy as np

            import keras_vq

            prior = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, channels=16, num_blocks=2)
            codes = np.random.default_rng(0).integers(0, 16, size=(3, 4, 4))
            print(np.round(prior.log_likelihood_bits(codes) / 16, 2))  # bits a code, near log2(16) = 4 untrained
            ```
        """
        symbols = np.asarray(self.symbols_of(inputs))
        totals = []
        for start in range(0, len(symbols), batch_size):
            part = slice(start, start + batch_size)
            batch = ({key: np.asarray(value)[part] for key, value in inputs.items()} if isinstance(inputs, dict)
                     else symbols[part])
            bits = symbol_bits(predict_rows(self, batch), symbols[part])
            totals.append(bits.reshape(len(bits), -1).sum(axis=1))
        return np.concatenate(totals)

    # --- Drawing -----------------------------------------------------------------------------

    @staticmethod
    def checked_indices(name, values, num_samples, limit):
        """`values` as `(num_samples,)` int32 in [0, limit) (one int stands for all), or ValueError naming `name`."""
        values = integer_array(name, values).astype(np.int32)
        if values.ndim == 0:
            values = np.full((num_samples,), values, np.int32)
        if values.shape != (num_samples,):
            raise ValueError(f"{name} must have shape (num_samples,) = ({num_samples},); got {values.shape}")
        check_index_range(name, values, limit)
        return values

    def draw(self, loops, method, noise_shape, temperature, seed, conditioning, what, verbose):
        """Runs `loops[method]` compiled on NumPy noise of `noise_shape` (from `seed`) and returns
        the drawn symbols as int32 NumPy; reports `what` (e.g. "codes") drawn and the rate."""
        if method not in loops:
            raise ValueError(f"method must be one of {tuple(loops)}, got {method!r}")
        check_number("temperature", temperature, 0.0, math.inf, False, False)
        inputs = {
            "uniform": np.random.default_rng(seed).random(noise_shape, dtype=np.float32),
            "temperature": np.full(noise_shape[:1], temperature, np.float32),
            **conditioning,
        }
        started = time.perf_counter()
        symbols = run_compiled(self, loops[method], f"{method}_{self.LOOP_NAME}", inputs)
        symbols = np.asarray(ops.convert_to_numpy(symbols), np.int32)
        report_stage(f"{self.name}: drew {noise_shape[0]:,} x {'x'.join(map(str, noise_shape[1:]))} {what}",
                     int(np.prod(noise_shape)), what.rstrip("s"), time.perf_counter() - started, verbose)
        return symbols

    # --- Serialisation -----------------------------------------------------------------------

    def config_with(self, arguments):
        """The config: name, trainable, the subclass's `arguments`, then the layers' dtype policy."""
        return {"name": self.name, "trainable": self.trainable, **arguments,
                "dtype": keras.saving.serialize_keras_object(self.layers_dtype_policy())}
