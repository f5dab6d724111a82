"""The one interface of an autoregressive prior over discrete symbols, and what every such model shares.

A prior models a sequence (WaveNet) or raster-ordered map (PixelCNN) of
symbols x from a vocabulary of K as

    p(x | c) = prod_t p(x_t | x_<t, c),      each factor a K-way categorical,

with c its conditioning. Code that uses a prior (`VQVAE.generate`,
`VQVAE2.generate`, `keras_vq.metrics.bits_per_dim`, `keras_vq.data.prior_inputs`,
the prior recipe) knows c only by two roles, whatever the prior calls its
inputs: **labels**, one index an example (a class, or a speaker), and a
**condition**, another level's codes (VQ-VAE-2's bottom prior sees the top
codes). A prior says how it fits a level of codes (`level_spec`,
`check_fits_level`), is built for one (`for_code_level`), maps the roles to
its inputs (`conditioning_for`, `inputs_for`), scores examples
(`log_likelihood_bits`) and draws (`sample`).

`AutoregressivePrior` holds what follows from the factorisation alone: the
training loss (the mean negative log-likelihood in nats a symbol, reported
in bits as well), whole-set log-likelihoods, the output head (ReLU, 1x1 conv,
ReLU, 1x1 conv to float32 logits), checks of index inputs, and drawing:
`draw_symbols` seeds the noise, checks the temperature, runs the shared
loop (`keras_vq.models.sampling`: the naive one, or the cached one over the
prior's `cached_steps`) compiled by `run_compiled` (one XLA program on JAX,
a graph on TensorFlow, eager on PyTorch), and reports the rate
(`keras_vq.utils.progress`). The draws are by inverse CDF from NumPy's
uniform numbers given up front (the caller's seed): reproducible on every
backend, and the cached loop and its naive reference draw the same symbols.

A subclass sets `SYMBOLS_KEY` (its input name for x), `LABELS_KEY` (its input
name for labels), `BITS_METRIC` (the name its bits are reported under),
builds its functional network with the layers `embedding` and `head`, calls
`track_bits()`, and supplies `conditioning_keys()`, `condition_key`,
`level_spec()`, `for_code_level`, `cached_steps` and a `sample` that checks
its own conditioning and calls `draw_symbols`; it may override
`full_pass_logits` (what the naive loop draws from: the transformer's
guided mix). Priors over a map of codes share their inputs and checks in
`keras_vq.models.code_map_prior.CodeMapPrior`. Adding a prior is its folder
and a line in `keras_vq.models`.
"""

import dataclasses
import math
import time

import keras
import numpy as np
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.distribute.data_parallel import check_fit_distribution, predict_rows, reducible_logs
from keras_vq.layers.pointwise import pointwise_matrix
from keras_vq.models.sampling import SAMPLING_METHODS
from keras_vq.presets import PresetMixin
from keras_vq.utils.checks import check_index_range, check_number, integer_array
from keras_vq.utils.progress import report_stage

__all__ = ["AutoregressivePrior"]


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
    arguments of the compiled function, so later training is seen.

    On TensorFlow the loop follows the prior's `jit_compile` (Keras' "auto":
    XLA on a GPU, not on a CPU; `prior.compile(..., jit_compile=True)` asks
    for it anywhere). As a graph the loop runs op by op, each step's small
    operations costing what they cost to dispatch; under XLA it is one
    program, whose first call compiles for ~3 s (the test suite's many
    one-off loops would pay that over and over). A transformer prior's cached
    draw of 8 8x8 maps: 0.089 s as a graph, 0.060 s under XLA on one CPU core
    (`benchmarks/sampling.py --jit-compile`, docs/benchmarks.md)."""

    def __init__(self, model, loop, name):
        super().__init__(name=name)
        self.model = model
        self.loop = loop
        self.built = True
        if keras.backend.backend() == "tensorflow":
            self.jit_compile = model.jit_compile

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
    key = (name, shapes, model.jit_compile)  # a prior compiled again with another jit_compile: another loop
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


@dataclasses.dataclass(frozen=True)
class LevelSpec:
    """What codes a prior models: their per-example `shape` (`(None,)` for a sequence of any length),
    the `num_symbols` K they are drawn from, the `condition_shape` of the codes it is conditioned on
    (None: none), and the `stages` of a residual quantizer's codes it models a position (1: one code a
    position, the first stage's). Compared with a `CodeLevel` by `AutoregressivePrior.check_fits_level`."""

    shape: tuple
    num_symbols: int
    condition_shape: tuple | None = None
    stages: int = 1


class AutoregressivePrior(PresetMixin, keras.Model):
    """The interface of every prior, and what they share (see the module docstring); not used on its own.

    Example:
        ```python
        import keras_vq

        model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                       quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        for level in model.code_levels().values():  # any prior class would do here
            prior = keras_vq.models.PixelCNN.for_code_level(level, num_classes=10, channels=16, num_blocks=2)
            print(level.name, prior.level_spec(), prior.label_key, prior.condition_key)
        ```
    """

    SYMBOLS_KEY = None
    LABELS_KEY = None
    BITS_METRIC = None
    # Whether `log_likelihood_bits` is the exact likelihood (MaskGIT's masked model gives none).
    HAS_LIKELIHOOD = True

    # --- The interface a prior supplies -----------------------------------------------------

    @classmethod
    def for_code_level(cls, level, num_classes=None, **architecture):
        """A prior over `level` (a `CodeLevel`: its shape, K and the level it is conditioned on), with
        `num_classes` labels (None: none) and the class's own architecture arguments.

        Example:
            ```python
            import keras_vq

            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            bottom = keras_vq.models.PixelCNN.for_code_level(model.code_levels()["bottom"], channels=16,
                                                             num_blocks=2)
            print(bottom.level_spec())  # 8x8 maps of 32 codes, conditioned on the 4x4 top codes
            ```
        """
        raise NotImplementedError

    def level_spec(self):
        """The `LevelSpec` of the codes this prior models.

        Example:
            ```python
            import keras_vq

            prior = keras_vq.models.WaveNet(num_symbols=64, channels=16, num_layers=4, layers_per_cycle=4)
            print(prior.level_spec())  # LevelSpec(shape=(None,), num_symbols=64, ...): sequences of any length
            ```
        """
        raise NotImplementedError

    def conditioning_keys(self):
        """The inputs besides the symbols this model takes, in its input order."""
        raise NotImplementedError

    @property
    def condition_key(self):
        """The input that takes another level's codes (None: this prior has none)."""
        raise NotImplementedError

    def check_conditioning(self, num_samples, conditioning):
        """Raises ValueError naming what in `conditioning` (`{input name: value}`) is missing, unexpected,
        of the wrong shape or out of range for `num_samples` examples."""
        raise NotImplementedError

    def cached_steps(self, batch, shape, conditioning):
        """The `keras_vq.models.sampling.CachedSteps` that draw `batch` examples of `shape` with
        `conditioning` (`{input name: tensor}`), each position costing one position of each layer."""
        raise NotImplementedError

    def full_pass_logits(self, symbols, conditioning):
        """The logits of every position from one pass over `symbols` with `conditioning` (`{input name:
        tensor}`, as the sampling loops carry it): what the naive loop draws from. By default the call."""
        return self(self.inputs_of(symbols, conditioning), training=False)

    # --- Roles: what generic code knows of the conditioning ---------------------------------

    @property
    def label_key(self):
        """The input that takes one label an example (a class, a speaker); None when it takes none."""
        return self.LABELS_KEY if self.LABELS_KEY in self.conditioning_keys() else None

    def conditioning_for(self, labels=None, condition=None):
        """`{input name: value}` for this prior from the two roles (see the module docstring): `labels`
        (one index an example) and `condition` (another level's codes). A role given to a prior that does
        not take it is a ValueError; one it takes but not given is left to `sample`'s checks.

        Example:
            ```python
            import keras_vq

            pixelcnn = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, num_classes=10,
                                                channels=16, num_blocks=2)
            wavenet = keras_vq.models.WaveNet(num_symbols=16, channels=16, num_layers=4, layers_per_cycle=4,
                                              num_speakers=3)
            print(pixelcnn.conditioning_for(labels=[3, 3]))  # {'class_labels': [3, 3]}
            print(wavenet.conditioning_for(labels=[0, 2]))  # {'speakers': [0, 2]}
            ```
        """
        conditioning = {}
        for role, value, key in (("labels", labels, self.label_key), ("condition", condition, self.condition_key)):
            if value is None:
                continue
            if key is None:
                raise ValueError(f"this {type(self).__name__} ({self.name}) takes no {role}; got {role}")
            conditioning[key] = value
        return conditioning

    def inputs_for(self, symbols, labels=None, condition=None):
        """The model's input structure (as `fit`, `log_likelihood_bits` and `call` take it) from
        `symbols` and the two roles.

        Example:
            ```python
            import numpy as np

            import keras_vq

            prior = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, num_classes=10,
                                             channels=16, num_blocks=2)
            codes, labels = np.zeros((2, 4, 4), "int32"), np.array([3, 5])
            inputs = prior.inputs_for(codes, labels=labels)
            print(sorted(inputs), prior.log_likelihood_bits(inputs).shape)  # ['class_labels', 'codes'] (2,)
            ```
        """
        return self.inputs_of(symbols, self.conditioning_for(labels, condition))

    def check_fits_level(self, level, argument="prior"):
        """Raises ValueError, naming `argument`, unless this prior models `level`'s codes (shape and K) and
        is conditioned on the codes of the level `level` is conditioned on, and on nothing else.

        Example:
            ```python
            import keras_vq

            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            prior = keras_vq.models.PixelCNN(code_shape=(8, 8), num_embeddings=64, channels=16, num_blocks=2)
            try:
                prior.check_fits_level(model.code_levels()["codes"])
            except ValueError as error:
                print(error)  # prior must model (8, 8) maps of 32 codes (level 'codes'); got a PixelCNN over ...
            ```
        """
        spec = self.level_spec()
        shapes_fit = len(spec.shape) == len(level.shape) and all(
            mine is None or mine == theirs for mine, theirs in zip(spec.shape, level.shape)
        )  # None: any length
        if not shapes_fit or spec.num_symbols != level.num_embeddings:
            raise ValueError(
                f"{argument} must model {tuple(level.shape)} maps of {level.num_embeddings} codes (level "
                f"{level.name!r}); got a {type(self).__name__} over {spec.shape} maps of {spec.num_symbols} codes"
            )
        if spec.stages != 1 and (not level.stage_axis or spec.stages != level.codes_per_position):
            raise ValueError(
                f"{argument} models {spec.stages} residual stages a position; level {level.name!r} has "
                f"{level.codes_per_position} code{'s' if level.codes_per_position > 1 else ''} a position"
            )
        wanted = None if level.condition is None else tuple(level.condition.shape)
        if (spec.condition_shape is None) != (wanted is None) or (
            wanted is not None
            and any(mine is not None and mine != theirs for mine, theirs in zip(spec.condition_shape, wanted))
        ):
            raise ValueError(
                f"{argument} must be conditioned on {wanted} maps of codes (level {level.name!r}); it is "
                f"conditioned on {spec.condition_shape}"
            )

    # --- Shared ------------------------------------------------------------------------------

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
        return self.tracked_loss(nats)

    def training_batches(self, inputs, batch_size, seed=0):
        """The batches this prior trains on from NumPy `inputs` (as `fit` takes them): reshuffled each epoch
        from `seed`, and the same from any step whether or not a run was interrupted
        (`keras_vq.training.batches_from`). Here `keras_vq.data.CodeBatches`; MaskGIT masks each batch.

        Example:
            ```python
            import numpy as np

            import keras_vq

            prior = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, channels=8, num_blocks=1)
            batches = prior.training_batches(np.zeros((10, 4, 4), "int32"), batch_size=4, seed=0)
            print(type(batches).__name__, len(batches))  # CodeBatches 2
            ```
        """
        from keras_vq.data.codes import CodeBatches  # keras_vq.data imports the models' modules

        return CodeBatches(inputs, batch_size, seed=seed)

    def tracked_loss(self, nats):
        """The loss `nats` (mean nats a symbol) reported in bits under `BITS_METRIC`, and scaled for a
        data-parallel step, whose replicas' gradients are summed."""
        getattr(self, f"{self.BITS_METRIC}_tracker").update_state(nats / math.log(2.0))
        return replicas.scale_loss(nats)

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
            batch = (
                {key: np.asarray(value)[part] for key, value in inputs.items()}
                if isinstance(inputs, dict)
                else symbols[part]
            )
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

    def draw_symbols(self, num_samples, shape, conditioning, temperature, seed, method, verbose):
        """`num_samples` examples of `shape` drawn by the shared loop `method` ("cached" or "naive",
        `keras_vq.models.sampling`) compiled, from NumPy noise seeded by `seed`, as int32 NumPy; reports
        the codes drawn and the rate. `conditioning` is `{input name: NumPy array}`, already checked."""
        if method not in SAMPLING_METHODS:
            raise ValueError(f"method must be one of {tuple(SAMPLING_METHODS)}, got {method!r}")
        check_number("temperature", temperature, 0.0, math.inf, False, False)
        noise_shape = (num_samples, *shape)
        inputs = {
            "uniform": np.random.default_rng(seed).random(noise_shape, dtype=np.float32),
            "temperature": np.full((num_samples,), temperature, np.float32),
            **conditioning,
        }
        started = time.perf_counter()
        symbols = run_compiled(self, SAMPLING_METHODS[method], f"{method}_sampler", inputs)
        symbols = np.asarray(ops.convert_to_numpy(symbols), np.int32)
        report_stage(
            f"{self.name}: drew {num_samples:,} x {'x'.join(map(str, shape))} codes",
            int(np.prod(noise_shape)),
            "code",
            time.perf_counter() - started,
            verbose,
        )
        return symbols

    # --- Serialisation -----------------------------------------------------------------------

    def config_with(self, arguments):
        """The config: name, trainable, the subclass's `arguments`, then the layers' dtype policy."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            **arguments,
            "dtype": keras.saving.serialize_keras_object(self.layers_dtype_policy()),
        }
