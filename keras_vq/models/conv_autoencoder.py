"""The convolutional encoder and decoder shared by VQ-VAE and VAE, and their checks."""

import collections.abc
import contextlib
import inspect
import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_vq.distribute.data_parallel import check_fit_distribution, reducible_logs
from keras_vq.layers.quantizer import Quantizer
from keras_vq.layers.residual_stack import ResidualStack
from keras_vq.layers.vector_quantizer import VectorQuantizer
from keras_vq.presets import PresetMixin
from keras_vq.saving import check_config
from keras_vq.utils.checks import check_index_range, check_shape
from keras_vq.utils.deprecation import warn_renamed

__all__ = ["ConvAutoencoder"]

CONVOLUTIONS = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D}
TRANSPOSED_CONVOLUTIONS = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose}
# Strided convolutions use 4-tap kernels, 3-tap for the rest (van den Oord et al. 2017, sec. 4.1).
DOWNSAMPLING_KERNEL = 4
SAME_SIZE_KERNEL = 3


def spatial_rank(data_shape):
    """1 for `(length, channels)` audio, 2 for `(height, width, channels)` images."""
    rank = len(data_shape) - 1
    if rank not in CONVOLUTIONS:
        raise ValueError(f"data_shape must be (length, channels) or (height, width, channels); got {tuple(data_shape)}")
    return rank


def architecture_arguments(
    data_shape, data_range, hidden_channels, num_downsamples, num_residual_layers, residual_channels
):
    """The encoder/decoder arguments, normalised (tuples, float bounds) and checked.

    Raises ValueError naming the first argument that cannot build a model.
    Returns them as a dict for `build_encoder`, `build_decoder` and
    `ConvAutoencoder.set_architecture`.
    """
    data_shape = check_shape("data_shape", data_shape, allow_none=True)
    if (
        isinstance(data_range, (str, bytes))
        or not isinstance(data_range, (tuple, list))
        or len(data_range) != 2
        or not all(
            not isinstance(bound, bool) and isinstance(bound, numbers.Real) and math.isfinite(bound)
            for bound in data_range
        )
    ):
        raise ValueError(f"data_range must be (low, high), two finite numbers, got {data_range!r}")
    data_range = tuple(float(bound) for bound in data_range)
    rank = spatial_rank(data_shape)
    if data_shape[-1] is None or data_shape[-1] < 1:
        raise ValueError(f"data_shape must give the number of channels; got {tuple(data_shape)}")
    for name, value, lowest in (
        ("num_downsamples", num_downsamples, 1),
        ("hidden_channels", hidden_channels, 2),
        ("num_residual_layers", num_residual_layers, 0),
        ("residual_channels", residual_channels, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
            raise ValueError(f"{name} must be an integer >= {lowest}, got {value!r}")
    factor = 2**num_downsamples
    for size in data_shape[:rank]:
        if size is not None and size % factor:
            raise ValueError(
                f"data_shape {tuple(data_shape)} has a spatial size not divisible by 2**num_downsamples = {factor}"
            )
    low, high = data_range
    if not low < high:
        raise ValueError(f"data_range must be (low, high) with low < high, got {tuple(data_range)}")
    return dict(
        data_shape=data_shape,
        data_range=data_range,
        hidden_channels=hidden_channels,
        num_downsamples=num_downsamples,
        num_residual_layers=num_residual_layers,
        residual_channels=residual_channels,
    )


def build_encoder(
    data_shape,
    data_range,
    num_downsamples,
    hidden_channels,
    num_residual_layers,
    residual_channels,
    output_channels,
    dtype=None,
    name="encoder",
):
    """x -> z_e: centre, strided convs, a 3-tap conv, a ResidualStack, a 1-tap conv.

    Each of the `num_downsamples` stride-2, 4-tap convolutions is followed by
    a ReLU; all but the last have `hidden_channels // 2` channels. The final
    1-tap convolution projects to `output_channels` (the embedding dimension).
    VQ-VAE-2 stacks encoders: `data_range=None` skips the centring (the input
    is already features) and `output_channels=None` the projection.
    """
    rank = spatial_rank(data_shape)
    convolution = CONVOLUTIONS[rank]
    layers = [keras.Input(shape=tuple(data_shape))]
    if data_range is not None:
        centre = 0.5 * (data_range[0] + data_range[1])
        layers.append(keras.layers.Rescaling(1.0, offset=-centre, dtype=dtype))
    for index in range(num_downsamples):
        channels = hidden_channels if index == num_downsamples - 1 else hidden_channels // 2
        layers.append(
            convolution(
                channels,
                DOWNSAMPLING_KERNEL,
                strides=2,
                padding="same",
                activation="relu",
                dtype=dtype,
                name=f"downsample{index}",
            )
        )
    layers += [
        convolution(hidden_channels, SAME_SIZE_KERNEL, padding="same", dtype=dtype, name="conv"),
        ResidualStack(num_residual_layers, residual_channels, dtype=dtype, name="residual_stack"),
    ]
    if output_channels is not None:
        layers.append(convolution(output_channels, 1, dtype=dtype, name="to_latent"))
    return keras.Sequential(layers, name=name)


# The spread of the first decoder convolution's bias when its input may start all zero
# (Quantizer.small_inputs_quantize_to_zero): enough to put the ReLUs after it off zero.
LIVE_START_BIAS_STDDEV = 0.1


def build_decoder(
    data_shape,
    data_range,
    num_downsamples,
    hidden_channels,
    num_residual_layers,
    residual_channels,
    latent_channels,
    dtype=None,
    name="decoder",
    zero_input_at_start=False,
    output_distribution=None,
):
    """z_q -> x: a 3-tap conv, a ResidualStack, stride-2 transposed convs, un-centre.

    Mirrors `build_encoder`: `num_downsamples` stride-2, 4-tap transposed
    convolutions, ReLU between them, the last one to the data's channels.
    The output is float32 whatever the dtype policy, on the data's scale.
    With `data_range=None` (VQ-VAE-2's top decoder, whose output is features)
    there is no un-centring and the output keeps the layers' dtype.
    An `output_distribution` with a likelihood (`keras_vq.output_distributions`)
    makes the last convolution output its parameters instead, in float32.
    `zero_input_at_start`: the latent may be all zero at first (FSQ); the first
    convolution then gets a small random bias (`LIVE_START_BIAS_STDDEV`), since from
    zeros through zero biases and ReLUs no gradient would reach the encoder.
    """
    rank = spatial_rank(data_shape)
    factor = 2**num_downsamples
    latent_shape = tuple(None if size is None else size // factor for size in data_shape[:rank])
    transposed = TRANSPOSED_CONVOLUTIONS[rank]
    layers = [
        keras.Input(shape=latent_shape + (latent_channels,)),
        CONVOLUTIONS[rank](
            hidden_channels,
            SAME_SIZE_KERNEL,
            padding="same",
            dtype=dtype,
            name="conv",
            bias_initializer=keras.initializers.RandomNormal(stddev=LIVE_START_BIAS_STDDEV)
            if zero_input_at_start
            else "zeros",
        ),
        ResidualStack(num_residual_layers, residual_channels, dtype=dtype, name="residual_stack"),
    ]
    for index in range(num_downsamples - 1):
        layers.append(
            transposed(
                hidden_channels // 2,
                DOWNSAMPLING_KERNEL,
                strides=2,
                padding="same",
                activation="relu",
                dtype=dtype,
                name=f"upsample{index}",
            )
        )
    if output_distribution is not None and output_distribution.has_likelihood:
        to_distribution = transposed(
            output_distribution.parameter_channels,
            DOWNSAMPLING_KERNEL,
            strides=2,
            padding="same",
            dtype="float32",
            name="to_distribution",
        )
        decoder = keras.Sequential(layers + [to_distribution], name=name)
        to_distribution.bias.assign(output_distribution.initial_bias())
        return decoder
    layers += [
        transposed(
            data_shape[-1],
            DOWNSAMPLING_KERNEL,
            strides=2,
            padding="same",
            dtype=dtype,
            name=f"upsample{num_downsamples - 1}",
        ),
    ]
    if data_range is not None:
        centre = 0.5 * (data_range[0] + data_range[1])
        layers.append(keras.layers.Rescaling(1.0, offset=centre, dtype="float32", name="to_data_scale"))
    return keras.Sequential(layers, name=name)


# VectorQuantizer's arguments, which models saved before `quantizer=` was the one spelling hold flat in their
# config. Read only by `migrate_flat_quantizer_arguments`; read from the signature: defined once, there.
FLAT_QUANTIZER_ARGUMENTS = tuple(
    name for name in inspect.signature(VectorQuantizer.__init__).parameters if name not in ("self", "seed", "kwargs")
)
# The paper's quantizer, a model's default: K = 512 codes of D = 64 (Sonnet's CIFAR-10 VQ-VAE).
DEFAULT_QUANTIZER = {"num_embeddings": 512, "embedding_dim": 64}


def migrate_flat_quantizer_arguments(config):
    """`config` with an old model config's flat VectorQuantizer arguments
    (`num_embeddings=`, `embedding_dim=`, ... beside the model's own, as
    presets saved before `quantizer=` was the one spelling hold them) moved
    into a `VectorQuantizer` under `quantizer`, built as those models built
    it: `DEFAULT_QUANTIZER` updated with the flat arguments, the model's
    `seed` and `dtype`. A config without them comes back unchanged.
    """
    flat = {name: config[name] for name in FLAT_QUANTIZER_ARGUMENTS if name in config}
    if not flat:
        return config
    if config.get("quantizer") is not None:
        raise ValueError(
            f"a model config holds both a quantizer and the flat quantizer arguments {sorted(flat)}: "
            "give a quantizer's options to the quantizer itself"
        )
    config = {name: value for name, value in config.items() if name not in flat}
    quantizer = VectorQuantizer(
        seed=config.get("seed"), dtype=config.get("dtype"), name="quantizer", **(DEFAULT_QUANTIZER | flat)
    )
    return config | {"quantizer": quantizer, "seed": None}


def refuse_flat_quantizer_arguments(model_class, kwargs):
    """Raises TypeError naming the VectorQuantizer arguments in a model's `kwargs`: they go to the quantizer."""
    flat = sorted(name for name in FLAT_QUANTIZER_ARGUMENTS if name in kwargs)
    if flat:
        given = ", ".join(f"{name}={kwargs[name]!r}" for name in flat)
        raise TypeError(
            f"{model_class.__name__} takes the quantizer's options on the quantizer: "
            f"{model_class.__name__}(quantizer=keras_vq.layers.VectorQuantizer({given})) rather than "
            f"{model_class.__name__}({given})"
        )


def resolve_quantizer(quantizer, seed, dtype, name):
    """A model's quantizer layer.

    `quantizer` is a `keras_vq.layers.Quantizer` (used as it is), its
    serialised config (from a saved model's `get_config`; checked to name
    only keras_vq classes; `seed`, when given, replaces the seed in it, so
    `from_preset(name, seed=1)` re-seeds a preset's quantizer), or None: then
    a `VectorQuantizer` named `name` is built from `DEFAULT_QUANTIZER` and
    `seed`. Raises ValueError for a `seed` beside a quantizer layer (whose
    options and seed are its own), and for anything that is not a quantizer.
    """
    if quantizer is None:
        return VectorQuantizer(seed=seed, dtype=dtype, name=name, **DEFAULT_QUANTIZER)
    if seed is not None and not isinstance(quantizer, dict):
        raise ValueError(
            f"give a quantizer's options to the quantizer itself: seed={seed!r} cannot be combined "
            f"with quantizer={type(quantizer).__name__}"
        )
    if isinstance(quantizer, dict):
        check_config(quantizer, f"the {name} config")
        if seed is not None and "seed" in quantizer.get("config", {}):
            quantizer = quantizer | {"config": quantizer["config"] | {"seed": seed}}
        quantizer = keras.saving.deserialize_keras_object(quantizer)
    if not isinstance(quantizer, Quantizer):
        raise ValueError(
            f"{name} must be a keras_vq quantizer layer (VectorQuantizer, ResidualVectorQuantizer, "
            f"FiniteScalarQuantizer, LookupFreeQuantizer) or its config; got {quantizer!r:.80}"
        )
    return quantizer


def serialize_quantizer(quantizer):
    """A quantizer's config for its model's `get_config`: the layer serialised, without the
    shape it was built for (the model builds it again), so a config survives JSON unchanged."""
    config = keras.saving.serialize_keras_object(quantizer)
    config.pop("build_config", None)
    return config


def as_data_batch(model_name, inputs):
    """`inputs` as a tensor, after refusing what is not an array of numbers (None, text, objects)
    with a message naming the model, rather than the backend's own conversion error."""
    if not hasattr(inputs, "shape") or not hasattr(inputs, "dtype"):
        array = np.asarray(inputs) if inputs is not None else None
        if array is None or array.dtype.kind not in "biuf":
            raise ValueError(
                f"{model_name} expects a float array of data (batch, ...); got {type(inputs).__name__} {inputs!r:.60}"
            )
        inputs = array
    return ops.convert_to_tensor(inputs)


def check_data_batch(model_name, data_shape, data_range, inputs):
    """Raises ValueError unless `inputs` is a float batch of `data_shape` examples."""
    shape = tuple(ops.shape(inputs))
    expected = "(batch, " + ", ".join(str(size) for size in data_shape) + ")"
    if len(shape) != len(data_shape) + 1:
        raise ValueError(f"{model_name} expects a batch of shape {expected}; got an input of shape {shape}")
    if isinstance(shape[0], int) and shape[0] == 0:  # Unknown (a tensor or None) while tracing.
        raise ValueError(f"{model_name} got an empty batch (0 examples) of shape {shape}")
    for size, wanted in zip(shape[1:], data_shape):
        if wanted is not None and size is not None and isinstance(size, int) and size != wanted:
            raise ValueError(f"{model_name} expects a batch of shape {expected}; got an input of shape {shape}")
    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if not dtype.startswith(("float", "bfloat")):
        raise ValueError(
            f"{model_name} expects floating-point data on the scale {tuple(data_range)}; got dtype "
            f"{dtype}. Integer images must be converted first, e.g. images / 255 for 8-bit pixels "
            "(keras_vq.data does this)."
        )


def checked_level_codes(method, codes, level_names):
    """`codes` if a dict with exactly the levels `level_names` (what `encode` gives); otherwise TypeError
    or ValueError naming `method` (e.g. "VQVAE.decode"), the levels it takes and what it got."""
    wanted = "{" + ", ".join(f"{name!r}: codes" for name in level_names) + "}"
    if not isinstance(codes, collections.abc.Mapping):
        shape = getattr(codes, "shape", None)
        got = f"{type(codes).__name__}" + (f" of shape {tuple(shape)}" if shape is not None else "")
        raise TypeError(f"{method} takes {wanted}, as encode gives; got {got}")
    if set(codes) != set(level_names):
        raise ValueError(f"{method} takes the levels {wanted}; got {sorted(codes)}")
    return codes


def checked_codes(argument, codes, spatial_shape, num_embeddings, codes_per_position=1, stage_axis=None):
    """`codes` as int32 NumPy, or ValueError naming `argument`, unless they are
    integers in [0, num_embeddings) of shape `(batch, *spatial_shape)` (a None
    size in `spatial_shape` takes any size >= 1), or with several codes a
    position (a ResidualVectorQuantizer's stages) `(batch, *spatial_shape, n)`,
    1 <= n <= codes_per_position (`stage_axis`: whether codes have that last
    axis; by default, when codes_per_position > 1; a one-stage residual
    quantizer's have it too). An out-of-range index would otherwise wrap
    (-1 is the last code) or read past the codebook."""
    stage_axis = codes_per_position > 1 if stage_axis is None else stage_axis
    codes = np.asarray(ops.convert_to_numpy(codes))
    expected = "(batch, " + ", ".join("any" if size is None else str(size) for size in spatial_shape)
    expected += f", 1..{codes_per_position})" if stage_axis else ")"
    rank = len(spatial_shape) + 1 + stage_axis
    if (
        codes.ndim != rank
        or codes.shape[0] < 1
        or any(
            (wanted is None and size < 1) or (wanted is not None and size != wanted)
            for size, wanted in zip(codes.shape[1:], spatial_shape)
        )
        or (stage_axis and not 1 <= codes.shape[-1] <= codes_per_position)
    ):
        raise ValueError(f"{argument} must have shape {expected}; got {codes.shape}")
    if not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"{argument} must be integer code indices; got dtype {codes.dtype}")
    check_index_range(argument, codes, num_embeddings)
    return codes.astype(np.int32)


def check_prior(prior, level, argument="prior"):
    """Raises ValueError, naming `argument`, unless `prior` is an autoregressive prior over `level`'s codes
    (`AutoregressivePrior.check_fits_level`)."""
    from keras_vq.models.autoregressive_prior import AutoregressivePrior

    if not isinstance(prior, AutoregressivePrior):
        raise ValueError(
            f"{argument} must be a prior over codes (a keras_vq.models autoregressive prior); got "
            f"{type(prior).__name__}"
        )
    prior.check_fits_level(level, argument)


class ConvAutoencoder(PresetMixin, keras.Model):
    """What VQVAE, VQVAE2 and VAE share around the encoder and decoder: one
    interface, the data checks, the architecture arguments and their part of
    the config, and presets (`from_preset`, `save_to_preset`, `presets`).

    The interface, the same for every autoencoder:

    - `encode(x)` -> `{level: codes}`: `{"codes"}` for a VQ-VAE, `{"top",
      "bottom"}` for a VQ-VAE-2, `{"latents"}` (the posterior mean) for a VAE;
    - `decode(codes, **conditioning)` takes that dict back and gives data
      (a VQ-VAE with a WaveNet decoder takes `speakers`, `temperature`, `seed`);
    - `reconstruct(x, **conditioning)` is `decode(encode(x), ...)`;
    - `model(x)` gives the decoder's output: the output distribution's
      parameters, which the loss scores, in `fit`, `evaluate` and a custom
      loop alike (for "mse", the data itself); `predict(x)` gives their mean.

    Example:
        ```python
        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        for model in (keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8),
                      keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8),
                      keras_vq.models.VAE(hidden_channels=16, residual_channels=8, latent_dim=8)):
            codes = model.encode(images[:2])  # {"codes"}, {"top", "bottom"}, {"latents"}
            print(type(model).__name__, {name: tuple(level.shape) for name, level in codes.items()},
                  tuple(model.decode(codes).shape))
        ```
    """

    # The key of the data in dict inputs (a VQVAE with a speaker-conditioned decoder).
    data_key = "audio"

    @classmethod
    def migrated_config(cls, config):
        """Reads the flat quantizer arguments of configs saved before `quantizer=` was the one spelling."""
        return migrate_flat_quantizer_arguments(config)

    # === The interface every autoencoder shares ===
    # encode(x) -> {level: codes}; decode(codes, **conditioning) -> data; reconstruct(x) = decode(encode(x)).
    # `model(x)`, and so `fit` and `evaluate`, give the decoder's output: the parameters of the output
    # distribution, which the loss scores (for "mse", the data itself); `predict` and `reconstruct` give data.

    def reconstruct(self, inputs, **conditioning):
        """`decode(encode(inputs), **conditioning)`: the data through the bottleneck.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                           quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            print(tuple(model.reconstruct(images[:2]).shape))  # (2, 32, 32, 3)
            ```
        """
        return self.decode(self.encode(inputs), **conditioning)

    def predict_step(self, *args):
        """Keras' prediction step: the output distribution's mean of what `call` returns, so that
        `predict(x)` gives data (for "mse", the same as `model(x)`; for a likelihood, its mean rather than
        its parameters; a WaveNet decoder's teacher-forced logits, as `model(x)`)."""
        result = super().predict_step(*args)
        if keras.backend.backend() == "jax":  # JAX's step is stateless: (outputs, non-trainable variables).
            outputs, state = result
            return self.output_distribution.mean(outputs), state
        return self.output_distribution.mean(result)

    def encode_levels(self, inputs):
        """Deprecated: `encode(inputs)`, which gives `{level: codes}` since 0.1."""
        warn_renamed(f"{type(self).__name__}.encode_levels(x)", f"{type(self).__name__}.encode(x)")
        return self.encode(inputs)

    def decode_levels(self, codes):
        """Deprecated: `decode(codes)`, which takes `{level: codes}` since 0.1."""
        warn_renamed(f"{type(self).__name__}.decode_levels(codes)", f"{type(self).__name__}.decode(codes)")
        return self.decode(codes)

    @contextlib.contextmanager
    def outputting_parameters(self):
        """Deprecated, and without effect: since 0.1 `model(x)` always gives the decoder's parameters
        (`predict(x)` and `reconstruct(x)` their mean)."""
        warn_renamed(
            f"{type(self).__name__}.outputting_parameters()",
            "model(x), which gives the decoder's parameters everywhere (predict(x) and reconstruct(x) give data)",
        )
        yield

    def set_architecture(
        self, data_shape, data_range, hidden_channels, num_downsamples, num_residual_layers, residual_channels
    ):
        self.data_shape, self.data_range = data_shape, data_range
        self.hidden_channels = hidden_channels
        self.num_downsamples = num_downsamples
        self.num_residual_layers = num_residual_layers
        self.residual_channels = residual_channels

    def track_quantizer_metrics(self, quantizer, prefix=""):
        """A `Mean` tracker, `<prefix><name>`, for each of the quantizer's `metric_names`: `{name: tracker}`."""
        trackers = {name: keras.metrics.Mean(name=f"{prefix}{name}") for name in quantizer.metric_names}
        for name, tracker in trackers.items():
            setattr(self, f"{prefix}{name}_tracker", tracker)  # Tracked by Keras as attributes.
        return trackers

    @staticmethod
    def update_quantizer_metrics(quantizer, trackers):
        for name, value in quantizer.batch_metrics().items():
            trackers[name].update_state(value)

    def layers_dtype_policy(self):
        """The policy the layers were built with. (A functional model's own
        `dtype_policy` is the global policy whatever `dtype` it was given.)"""
        convolutions = tuple(CONVOLUTIONS.values())
        for layer in self._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, convolutions):
                return layer.dtype_policy
        return self.dtype_policy

    def check_data_batch(self, inputs):
        check_data_batch(type(self).__name__, self.data_shape, self.data_range, inputs)

    def checked_data_batch(self, inputs):
        """`inputs` as a tensor, refused (ValueError naming the model) unless a float batch of `data_shape`."""
        inputs = as_data_batch(type(self).__name__, inputs)
        self.check_data_batch(inputs)
        return inputs

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`; NumPy data (an array, or the dict of arrays a
        speaker-conditioned model takes) is checked first, so data of the wrong
        shape or dtype, or holding a NaN or infinite value, fails before any step
        instead of turning every weight NaN."""
        check_fit_distribution(self)
        data = x.get(self.data_key) if isinstance(x, dict) else x
        if isinstance(data, np.ndarray):
            self._check_fit_data(data, "the data")
        else:
            first = self._first_batch(x)
            if first is not None:
                self._check_fit_data(first, "the first batch")
        return super().fit(x, *args, **kwargs)

    def _first_batch(self, x):
        """The data of the first batch of a `tf.data.Dataset` or a `keras.utils.PyDataset` (both can be read
        again from the start), as NumPy; None for anything else (a generator would lose the batch)."""
        if type(x).__module__.startswith("tensorflow") and hasattr(x, "take"):
            batch = next(iter(x.take(1)), None)
        elif isinstance(x, keras.utils.PyDataset) and len(x):
            batch = x[0]
        else:
            return None
        batch = batch[0] if isinstance(batch, tuple) else batch
        batch = batch.get(self.data_key) if isinstance(batch, dict) else batch
        return None if batch is None else np.asarray(ops.convert_to_numpy(batch))

    def _check_fit_data(self, data, what):
        """ValueError before any step unless `data` is finite, of the model's shape and dtype, and, for a
        decoder with a likelihood over discrete levels, within `data_range` (outside it, values are clipped
        to the first or last level and the bits/dim is misleadingly low)."""
        self.check_data_batch(data)
        finite = np.isfinite(data.reshape(len(data), -1)).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"{type(self).__name__}.fit: {what} holds NaN or infinite values in {int((~finite).sum())} "
                f"example(s), the first at index {int(np.argmin(finite))}; remove or repair them before training"
            )
        low, high = self.data_range
        if self.output_distribution.has_likelihood and (data.min() < low - 1e-6 or data.max() > high + 1e-6):
            raise ValueError(
                f"{type(self).__name__}.fit: {what} lies in [{data.min():g}, {data.max():g}], outside the "
                f"model's data_range {(low, high)}, which its {self.output_distribution.name} likelihood is over; "
                "rescale it (8-bit pixels: / 255)"
            )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return reducible_logs(super().compute_metrics(x, y, y_pred, sample_weight=sample_weight))

    def call(self, inputs, training=None, mask=None):
        self.check_data_batch(inputs[self.data_key] if isinstance(inputs, dict) else inputs)
        return super().call(inputs, training=training, mask=mask)

    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "data_shape": self.data_shape,
            "data_range": self.data_range,
            "hidden_channels": self.hidden_channels,
            "num_downsamples": self.num_downsamples,
            "num_residual_layers": self.num_residual_layers,
            "residual_channels": self.residual_channels,
            "dtype": keras.saving.serialize_keras_object(self.layers_dtype_policy()),
        }
        if self.output_distribution.has_likelihood:
            # Recorded only when not the default, so that a model trained with the MSE saves the config it
            # saved before the option existed (and a preset's architecture check still matches it).
            config["output_distribution"] = self.output_distribution.config()
        return config
