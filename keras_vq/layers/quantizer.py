"""What every keras_vq quantizer is: the interface models, priors and metrics rely on."""

import keras
from keras import ops

from keras_vq.distribute import replicas

# Keeps log(0) out of the entropy when a code is unused in a batch.
PERPLEXITY_LOG_FLOOR = 1e-10


class Quantizer(keras.layers.Layer):
    """The interface `VectorQuantizer`, `ResidualVectorQuantizer`, `FiniteScalarQuantizer` and
    `LookupFreeQuantizer` share, so that `VQVAE(quantizer=...)`, `VQVAE2`, the priors and the
    metrics take any of them.

    A quantizer maps vectors of `embedding_dim` (the inputs' last axis; every
    other axis is a position) to discrete codes and back:

    * `quantizer(z_e, training=...)`: the quantised tensor, the input's shape,
      with the quantizer's gradient estimator (straight-through unless it says
      otherwise); adds its training loss with `add_loss` (none for FSQ) and
      records the batch statistics below.
    * `encode(z_e)`: int32 codes, shape `z_e.shape[:-1]`, or
      `z_e.shape[:-1] + (codes_per_position,)` when a position has several
      codes (residual VQ's stages).
    * `lookup(codes)`: the vectors those codes stand for, shape
      `codes.shape + (embedding_dim,)` (`codes.shape[:-1] + (embedding_dim,)`
      for several codes a position).
    * `quantize_vectors(z_e)`: a dict, `quantized` and `indices` plus each of
      `metric_names`, computed without changing any state.
    * `num_embeddings`: the codebook size, the values each code takes (a
      prior's vocabulary); `codes_per_position`: codes at each position.
    * `metric_names` and `batch_metrics()`: the statistics of the last call
      that models report during `fit` (e.g. `commitment_loss`, `perplexity`,
      `codebook_usage`); perplexity is exp of the entropy of the batch's code
      frequencies, usage the fraction of codes that occur.

    Subclasses set `embedding_dim`, `num_embeddings` and `metric_names` in
    their constructor and call `build_batch_metrics()` in `build`.

    Example:
        ```python
        import numpy as np

        import keras_vq

        z_e = np.random.default_rng(0).normal(size=(2, 4, 4, 4)).astype("float32")
        for quantizer in (keras_vq.layers.VectorQuantizer(num_embeddings=16, embedding_dim=4),
                          keras_vq.layers.FiniteScalarQuantizer(levels=[5, 5, 4, 4]),
                          keras_vq.layers.LookupFreeQuantizer(embedding_dim=4)):
            z_q = quantizer(z_e)  # builds the layer; the quantised vectors
            codes = quantizer.encode(z_e)
            print(type(quantizer).__name__, quantizer.num_embeddings, tuple(codes.shape), quantizer.metric_names)
        ```
    """

    codes_per_position = 1
    # Whether codes have a last axis of stages (ResidualVectorQuantizer, even with one stage).
    stage_axis = False
    metric_names = ()
    # True when an untrained encoder's small outputs all quantise to the zero vector (FSQ's centre level): a
    # decoder whose ReLUs and biases start at zero would then pass no gradient back, so models start the
    # decoder's first convolution with a small random bias (`keras_vq.models.conv_autoencoder.build_decoder`).
    small_inputs_quantize_to_zero = False

    def check_input_shape(self, input_shape):
        """Raises ValueError unless `input_shape` has rank >= 2 and a last axis of `embedding_dim`."""
        name = type(self).__name__
        if len(input_shape) < 2:
            raise ValueError(
                f"{name} expects inputs of rank >= 2 whose last axis is the embedding dimension "
                f"({self.embedding_dim}); got shape {tuple(input_shape)}"
            )
        if input_shape[-1] is not None and input_shape[-1] != self.embedding_dim:
            raise ValueError(
                f"{name} expects the inputs' last axis to be embedding_dim={self.embedding_dim}; "
                f"got shape {tuple(input_shape)}"
            )

    def ensure_built(self, input_shape):
        """Builds the layer for `input_shape` if it is not built, so `encode`, `lookup` and
        `quantize_vectors` work before the first call."""
        if not self.built:
            self.build(tuple(input_shape))

    def flat_float32(self, inputs):
        """`inputs` checked and reshaped to float32 rows of `embedding_dim`."""
        self.check_input_shape(ops.shape(inputs))
        return ops.reshape(ops.cast(inputs, "float32"), (-1, self.embedding_dim))

    def shaped_result(self, result, inputs):
        """A dict of results on flat rows (`quantized_flat`, `indices`, figures) shaped as `inputs`:
        `quantized` in the compute dtype, `indices` of shape `inputs.shape[:-1]`; internal entries
        (`counts`, `codes`) left out."""
        result = {key: value for key, value in result.items() if key not in ("counts", "codes")}
        result["quantized"] = ops.cast(ops.reshape(result.pop("quantized_flat"), ops.shape(inputs)), self.compute_dtype)
        result["indices"] = ops.reshape(result["indices"], ops.shape(inputs)[:-1])
        return result

    def build_batch_metrics(self, stored_names=None):
        """One float32 weight `batch_<name>` for each of `stored_names` (default `metric_names`)."""
        self.stored_metric_names = tuple(stored_names or self.metric_names)
        for name in self.stored_metric_names:
            setattr(
                self,
                f"batch_{name}",
                self.add_weight(
                    shape=(),
                    initializer="zeros",
                    trainable=False,
                    dtype="float32",
                    autocast=False,
                    name=f"batch_{name}",
                ),
            )

    def record_batch_metrics(self, result):
        """Stores the batch statistics; in a data-parallel step, their mean over the replicas (one
        all-reduce), so every replica reports the global batch's figures."""
        values = ops.stack([ops.cast(ops.stop_gradient(result[name]), "float32") for name in self.stored_metric_names])
        if replicas.num_replicas() > 1:
            values = replicas.replica_sum(values) / replicas.num_replicas()
        for index, name in enumerate(self.stored_metric_names):
            getattr(self, f"batch_{name}").assign(values[index])

    def batch_metrics(self):
        """`{name: value}` of the last call's statistics, for each of `metric_names`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.VectorQuantizer(num_embeddings=16, embedding_dim=4)
            quantizer(np.random.default_rng(0).normal(size=(8, 4)).astype("float32"))
            print({name: round(float(value), 3) for name, value in quantizer.batch_metrics().items()})
            ```
        """
        return {name: getattr(self, f"batch_{name}").value for name in self.metric_names}

    def build_random_state(self):
        """Makes `self.seed_generator`'s state a weight of this layer: Keras saves a
        SeedGenerator's own state with neither `save_weights` nor `model.save`, so without this
        a resumed or reloaded model would draw different random numbers."""
        seed_state = ops.convert_to_numpy(self.seed_generator.state.value)
        self.random_state = self.add_weight(
            shape=seed_state.shape,
            initializer=keras.initializers.Constant(seed_state),
            trainable=False,
            dtype=self.seed_generator.state.dtype,
            name="random_state",
        )
        self.seed_generator.state = self.random_state

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("autocast", None)
        return config


def code_statistics(indices, num_embeddings):
    """`(counts, perplexity, codebook_usage)` of flat int32 `indices` over `num_embeddings` codes, counted
    over the global batch in a data-parallel step (`keras_vq.distribute.replicas`)."""
    counts = ops.segment_sum(ops.ones_like(indices, dtype="float32"), indices, num_segments=num_embeddings)
    counts = replicas.replica_sum(counts)
    probabilities = counts / ops.maximum(ops.sum(counts), 1.0)
    entropy = -ops.sum(probabilities * ops.log(probabilities + PERPLEXITY_LOG_FLOOR))
    return counts, ops.exp(entropy), ops.mean(ops.cast(counts > 0, "float32"))


def l2_normalize(vectors):
    return vectors / ops.sqrt(ops.maximum(ops.sum(ops.square(vectors), axis=-1, keepdims=True), 1e-12))


def straight_through(inputs, quantized):
    """`quantized` in value, the identity in gradient: z + sg[q - z] (van den Oord et al. 2017, eq. 1)."""
    return inputs + ops.stop_gradient(quantized - inputs)


def rotation_trick(inputs, quantized):
    """`quantized` in value; in gradient, the rotation and rescaling that take each input to its code.

    Fifty et al., "Restructuring Vector Quantization with the Rotation Trick", 2024,
    https://arxiv.org/abs/2410.06424, eq. 4 and sec. 4.2: with e the input, q its code,
    e^ = e/||e||, q^ = q/||q|| and r = (e^ + q^)/||e^ + q^||,

        q~ = sg[||q||/||e|| R] e,   R = I - 2 r r^T + 2 q^ e^T,

    so R e^ = q^ and q~ = q, while the gradient reaching e is (||q||/||e||) R^T times the gradient
    at q~: it keeps the angle between the gradient and the code, which straight-through loses.
    R is applied as two dot products, never built as a D x D matrix. The value returned is `quantized`
    exactly (the rotation's rounding error goes only into the gradient path).
    """
    inputs_norm = ops.sqrt(ops.maximum(ops.sum(ops.square(inputs), axis=-1, keepdims=True), 1e-12))
    codes_norm = ops.sqrt(ops.maximum(ops.sum(ops.square(quantized), axis=-1, keepdims=True), 1e-12))
    inputs_unit = ops.stop_gradient(inputs / inputs_norm)
    codes_unit = ops.stop_gradient(quantized / codes_norm)
    bisector = ops.stop_gradient(l2_normalize(inputs_unit + codes_unit))
    scale = ops.stop_gradient(codes_norm / inputs_norm)
    rotated = (
        inputs
        - 2.0 * bisector * ops.sum(bisector * inputs, axis=-1, keepdims=True)
        + 2.0 * codes_unit * ops.sum(inputs_unit * inputs, axis=-1, keepdims=True)
    )
    rotated = scale * rotated
    return ops.stop_gradient(quantized) + (rotated - ops.stop_gradient(rotated))  # exactly q: the bracket is 0


GRADIENT_ESTIMATORS = {"straight_through": straight_through, "rotation": rotation_trick}


def check_gradient(gradient):
    if gradient not in GRADIENT_ESTIMATORS:
        raise ValueError(f"gradient must be one of {tuple(GRADIENT_ESTIMATORS)}, got {gradient!r}")
