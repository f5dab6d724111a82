"""Residual vector quantisation: a stack of codebooks, each quantising what the previous left
(SoundStream, Zeghidour et al. 2021; EnCodec, Defossez et al. 2022)."""

import inspect
import math

import keras
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.layers.quantizer import GRADIENT_ESTIMATORS, Quantizer
from keras_vq.layers.vector_quantizer import VectorQuantizer
from keras_vq.utils.checks import check_bool, check_number, check_positive_int

# VectorQuantizer arguments a stage takes from `stage_options` (the rest are the stack's own).
STAGE_OPTIONS = tuple(
    name
    for name in inspect.signature(VectorQuantizer.__init__).parameters
    if name not in ("self", "num_embeddings", "embedding_dim", "seed", "kwargs")
)


@keras.saving.register_keras_serializable(package="keras_vq")
class ResidualVectorQuantizer(Quantizer):
    """`num_quantizers` VectorQuantizers in sequence, each quantising the residual the
    previous ones left: N codes a position, K^N combinations from N x K codes.

    Zeghidour et al., "SoundStream: An End-to-End Neural Audio Codec", 2021,
    https://arxiv.org/abs/2107.03312, sec. 3.3 and algorithm 1 (residual VQ and
    quantizer dropout); Defossez et al., "High Fidelity Neural Audio
    Compression" (EnCodec), 2022, https://arxiv.org/abs/2210.13438.

        r_1 = z,   k_i = argmin_j ||r_i - e^(i)_j||^2,   r_{i+1} = r_i - e^(i)_{k_i},
        z_q = sum_i e^(i)_{k_i}

    The output is z_q with the gradient estimator of the stages
    (`stage_options["gradient"]`, straight-through by default) applied
    between z and z_q as a whole, so dz_q/dz is the identity as for one
    VectorQuantizer. Each stage is a `VectorQuantizer` with its own options:
    EMA or loss codebook rule, dead-code restarts (re-seeded from its own
    residuals), k-means on its first batch; `shared_codebook=True` gives all
    stages one codebook (one VectorQuantizer run N times, its EMA updated by
    each stage in turn). The loss it adds is the sum over stages of each
    stage's codebook_loss + beta * commitment_loss, with commitment
    mean ||r_i - sg[e^(i)_{k_i}]||^2 (the stages' residuals carry the
    gradient to z, as in SoundStream).

    Quantizer dropout (`quantizer_dropout` = p): in training, a fraction p of
    the examples (SoundStream: all; DAC: half) each use only their first n
    stages, n uniform in 1..N, so that a model trained once decodes at every
    bitrate; their later stages add nothing to z_q or to the loss (the
    stages' EMA statistics still see every example's residual, which is the
    one they would quantise). Inference always uses all stages;
    `encode(z, num_quantizers=n)` gives the codes of the first n, and
    `lookup` decodes codes of any n <= N stages.

    `encode` gives `(..., N)` int32 codes and `codes_per_position` is N. A
    prior (PixelCNN, WaveNet) models one code a position: train it on the
    first stage's codes (`codes[..., 0]`, the coarsest), and decode its
    samples as one stage (`lookup` of `(..., 1)` codes). `fit` reports the
    stages' summed `commitment_loss` (and `codebook_loss` under the loss
    rule), and their mean `perplexity` and `codebook_usage`.

    Args:
        num_quantizers: N, the stages (>= 1).
        num_embeddings: K, the codes of each stage's codebook.
        embedding_dim: D, the size of the vectors.
        quantizer_dropout: the fraction of training examples that use a
            random number of stages (in [0, 1]; 0 turns it off).
        shared_codebook: one codebook for all stages.
        stage_options: other `VectorQuantizer` arguments for every stage
            (beta, codebook_update, decay, epsilon, dead_code_threshold,
            kmeans_init, kmeans_iterations, distance_chunk_size, gradient).
        seed: stage i is seeded with seed + i; the dropout with seed + N.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        quantizer = keras_vq.layers.ResidualVectorQuantizer(num_quantizers=4, num_embeddings=256, embedding_dim=64,
                                                             quantizer_dropout=0.5)
        z_e = np.random.default_rng(0).normal(size=(2, 8, 8, 64)).astype("float32")
        z_q = keras.ops.convert_to_numpy(quantizer(z_e))     # the sum of four stages' codes
        codes = quantizer.encode(z_e)                        # (2, 8, 8, 4): a code a stage
        coarse = keras.ops.convert_to_numpy(quantizer.lookup(quantizer.encode(z_e, num_quantizers=1)))
        print(tuple(codes.shape), np.mean((z_e - z_q) ** 2) < np.mean((z_e - coarse) ** 2))  # True: 4 stages beat 1
        ```
    """

    def __init__(
        self,
        num_quantizers,
        num_embeddings,
        embedding_dim,
        quantizer_dropout=0.0,
        shared_codebook=False,
        stage_options=None,
        seed=None,
        **kwargs,
    ):
        check_positive_int("num_quantizers", num_quantizers)
        check_number("quantizer_dropout", quantizer_dropout, 0.0, 1.0, True, True)
        check_bool("shared_codebook", shared_codebook)
        stage_options = dict(stage_options or {})
        unknown = sorted(set(stage_options) - set(STAGE_OPTIONS))
        if unknown:
            raise ValueError(f"stage_options takes VectorQuantizer arguments {STAGE_OPTIONS}; got unknown {unknown}")
        if stage_options.get("use_cosine_similarity"):
            raise ValueError(
                "stage_options: use_cosine_similarity is not supported by ResidualVectorQuantizer "
                "(the residual of unit vectors is not a unit vector)"
            )
        kwargs["autocast"] = False
        super().__init__(**kwargs)
        self.num_quantizers = num_quantizers
        self.quantizer_dropout = float(quantizer_dropout)
        self.shared_codebook = shared_codebook
        self.stage_options = stage_options
        self.seed = seed
        # Built now, so a bad option fails here, naming itself.
        stage_count = 1 if shared_codebook else num_quantizers
        try:
            self.stages = [
                VectorQuantizer(
                    num_embeddings,
                    embedding_dim,
                    seed=None if seed is None else seed + index,
                    name=f"stage{index}",
                    dtype=self.dtype_policy,  # The stages compute as their quantizer does.
                    **stage_options,
                )
                for index in range(stage_count)
            ]
        except ValueError as error:
            if any(name in str(error) for name in stage_options):
                raise ValueError(f"stage_options: {error}") from error
            raise
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.codes_per_position = num_quantizers
        self.stage_axis = True  # (..., N) codes, N = 1 included.
        self.metric_names = self.stages[0].metric_names
        self.seed_generator = keras.random.SeedGenerator(None if seed is None else seed + num_quantizers)

    def stage(self, index):
        """The VectorQuantizer of stage `index` (the one shared quantizer with `shared_codebook`)."""
        return self.stages[0 if self.shared_codebook else index]

    def build(self, input_shape):
        self.check_input_shape(input_shape)
        for stage in self.stages:
            stage.build((None, self.embedding_dim))
        self.build_batch_metrics()
        self.build_random_state()

    def _stages_used(self, inputs, training):
        """Per row of the flattened inputs, how many stages it uses (float32), or None for all."""
        if not training or self.quantizer_dropout == 0.0:
            return None
        batch = ops.shape(inputs)[0]
        rows_per_example = math.prod(ops.shape(inputs)[1:-1])
        # Drawn for the global batch and sliced, so that a data-parallel step drops what one device would.
        offset, global_batch = replicas.global_row_range(batch)
        if replicas.num_replicas() > 1:
            global_batch = ops.cast(global_batch, "int32")
        dropped = keras.random.uniform((global_batch,), seed=self.seed_generator) < self.quantizer_dropout
        random_count = (
            ops.floor(keras.random.uniform((global_batch,), seed=self.seed_generator) * self.num_quantizers) + 1.0
        )
        count = ops.where(dropped, ops.minimum(random_count, float(self.num_quantizers)), float(self.num_quantizers))
        count = replicas.local_part(count, batch, offset)
        return ops.reshape(ops.repeat(count[:, None], rows_per_example, axis=1), (-1,))

    def call(self, inputs, training=None):
        flat_inputs = self.flat_float32(inputs)
        stages_used = self._stages_used(inputs, training)
        residual, total = flat_inputs, ops.zeros_like(flat_inputs)
        loss, metrics = 0.0, {name: 0.0 for name in self.metric_names}
        for index in range(self.num_quantizers):
            stage = self.stage(index)
            result = stage.quantize_step(residual, training)
            codes = result["codes"]
            if stages_used is None:
                active, fraction = None, 1.0
            else:
                active = ops.cast(stages_used > index, "float32")[:, None]
                fraction = ops.maximum(replicas.global_mean(active), 1e-6)  # of the global batch
            commitment = _masked_mean(ops.square(residual - ops.stop_gradient(codes)), active) / fraction
            codebook = (
                _masked_mean(ops.square(ops.stop_gradient(residual) - codes), active) / fraction
                if stage.codebook_update == "loss"
                else ops.zeros((), "float32")
            )
            loss = loss + codebook + stage.beta * commitment
            total = total + (ops.stop_gradient(codes) if active is None else ops.stop_gradient(codes) * active)
            residual = residual - ops.stop_gradient(codes)
            for name, value in (("commitment_loss", commitment), ("codebook_loss", codebook)):
                if name in metrics:
                    metrics[name] = metrics[name] + value
            for name in ("perplexity", "codebook_usage"):
                metrics[name] = metrics[name] + result[name] / self.num_quantizers
        self.record_batch_metrics(metrics)
        self.add_loss(loss)
        quantized = GRADIENT_ESTIMATORS[self.stages[0].gradient](flat_inputs, total)
        return ops.cast(ops.reshape(quantized, ops.shape(inputs)), self.compute_dtype)

    def quantize_vectors(self, inputs):
        """All stages, changing no state: `quantized`, `indices` `(..., N)`, and the summed
        `commitment_loss` (and `codebook_loss`), mean `perplexity` and `codebook_usage` of the stages.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.ResidualVectorQuantizer(num_quantizers=2, num_embeddings=16, embedding_dim=4)
            result = quantizer.quantize_vectors(np.random.default_rng(0).normal(size=(8, 4)).astype("float32"))
            print(tuple(result["indices"].shape), sorted(result))
            ```
        """
        self.ensure_built(ops.shape(inputs))
        flat_inputs = self.flat_float32(inputs)
        residual, total, indices = flat_inputs, ops.zeros_like(flat_inputs), []
        summary = {name: 0.0 for name in self.metric_names}
        for index in range(self.num_quantizers):
            stage = self.stage(index)
            result = stage.quantize_vectors(residual)
            codes = stage.lookup(result["indices"])
            indices.append(result["indices"])
            total, residual = total + codes, residual - codes
            for name in self.metric_names:
                share = 1.0 / self.num_quantizers if name in ("perplexity", "codebook_usage") else 1.0
                summary[name] = summary[name] + share * result[name]
        quantized = GRADIENT_ESTIMATORS[self.stages[0].gradient](flat_inputs, total)
        summary["quantized"] = ops.cast(ops.reshape(quantized, ops.shape(inputs)), self.compute_dtype)
        summary["indices"] = ops.reshape(
            ops.stack(indices, axis=-1), tuple(ops.shape(inputs)[:-1]) + (self.num_quantizers,)
        )
        return summary

    def encode(self, inputs, num_quantizers=None):
        """Codes (int32) of the first `num_quantizers` stages (default all): shape
        `inputs.shape[:-1] + (num_quantizers,)`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.ResidualVectorQuantizer(num_quantizers=3, num_embeddings=16, embedding_dim=4)
            z_e = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
            print(tuple(quantizer.encode(z_e).shape), tuple(quantizer.encode(z_e, num_quantizers=1).shape))
            ```
        """
        if num_quantizers is None:
            num_quantizers = self.num_quantizers
        if (
            isinstance(num_quantizers, bool)
            or not isinstance(num_quantizers, int)
            or not (1 <= num_quantizers <= self.num_quantizers)
        ):
            raise ValueError(f"num_quantizers must be an integer in [1, {self.num_quantizers}], got {num_quantizers!r}")
        self.ensure_built(ops.shape(inputs))
        residual, indices = self.flat_float32(inputs), []
        for index in range(num_quantizers):
            stage = self.stage(index)
            stage_indices = stage.encode(residual)
            indices.append(stage_indices)
            residual = residual - stage.lookup(stage_indices)
        return ops.reshape(ops.stack(indices, axis=-1), tuple(ops.shape(inputs)[:-1]) + (num_quantizers,))

    def lookup(self, indices):
        """The sum of the stages' vectors for codes of the first n <= N stages: `indices` of shape
        `(..., n)` give `(..., embedding_dim)`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.ResidualVectorQuantizer(num_quantizers=3, num_embeddings=16, embedding_dim=4)
            z_e = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")
            print(tuple(quantizer.lookup(quantizer.encode(z_e)).shape))  # (2, 5, 4)
            ```
        """
        self.ensure_built((None, self.embedding_dim))
        indices = ops.cast(indices, "int32")
        count = ops.shape(indices)[-1]
        if len(ops.shape(indices)) < 1 or not 1 <= count <= self.num_quantizers:
            raise ValueError(
                f"ResidualVectorQuantizer.lookup takes codes of shape (..., n) with 1 <= n <= "
                f"{self.num_quantizers} stages; got shape {tuple(ops.shape(indices))}"
            )
        return sum(self.stage(index).lookup(indices[..., index]) for index in range(count))

    def get_config(self):
        return super().get_config() | {
            "num_quantizers": self.num_quantizers,
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "quantizer_dropout": self.quantizer_dropout,
            "shared_codebook": self.shared_codebook,
            "stage_options": dict(self.stage_options),
            "seed": self.seed,
        }


def _masked_mean(squares, active):
    """Mean of `squares` over every element; rows where `active` is 0 count as 0 (the caller divides
    by the active fraction)."""
    return ops.mean(squares if active is None else squares * active)
