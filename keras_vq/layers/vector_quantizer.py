"""Vector quantisation with a learned codebook (VQ-VAE, van den Oord et al. 2017)."""

import math

import keras
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.layers.quantizer import GRADIENT_ESTIMATORS, Quantizer, check_gradient, code_statistics, l2_normalize
from keras_vq.utils.checks import check_bool, check_number, check_positive_int

CODEBOOK_UPDATES = ("ema", "loss")

# Below this many codes the whole codebook is compared in one matrix product.
DEFAULT_DISTANCE_CHUNK_SIZE = 4096


@keras.saving.register_keras_serializable(package="keras_vq")
class VectorQuantizer(Quantizer):
    """Maps each vector to its nearest codebook entry (VQ-VAE, eq. 1-3).

    van den Oord, Vinyals and Kavukcuoglu, "Neural Discrete Representation
    Learning", NeurIPS 2017, https://arxiv.org/abs/1711.00937.

    Inputs of any rank >= 2 are accepted; the last axis is the embedding
    dimension D and every other axis is flattened, so a `[16, 32, 32, 64]`
    tensor is quantised as 16,384 independent vectors of 64. The output has
    the input's shape. For each vector z_e the layer picks

        k = argmin_j ||z_e - e_j||^2,   z_q = e_k,

    and passes gradients straight through (z_q = z_e + sg[e_k - z_e], so
    dz_q/dz_e is the identity), or with `gradient="rotation"` through the
    rotation trick (Fifty et al. 2024, https://arxiv.org/abs/2410.06424: the
    gradient is rotated and rescaled as z_e is to e_k; see
    `keras_vq.layers.quantizer.rotation_trick`). The training loss it adds with `add_loss` is

        codebook_loss + beta * commitment_loss,
        commitment_loss = mean ||z_e - sg[e_k]||^2,
        codebook_loss   = mean ||sg[z_e] - e_k||^2   (loss rule only),

    both averaged over all quantised elements (Sonnet's convention).

    Codebook update rules (`codebook_update`):

    * `"loss"`: the codebook is a trainable weight moved by the codebook loss
      (paper eq. 3).
    * `"ema"`: the codebook is not trainable; it follows exponential moving
      averages of the vectors assigned to each code (paper appendix A.1).

    The EMA rule, with n_i the number of vectors assigned to code i in this
    batch and Laplace smoothing `epsilon`:

        N_i <- decay * N_i + (1 - decay) * n_i
        m_i <- decay * m_i + (1 - decay) * sum_{z_e assigned to i} z_e
        N~_i = (N_i + epsilon) / (sum_j N_j + K * epsilon) * sum_j N_j
        e_i  = m_i / N~_i

    The averages start as if every code had been picked once (N_i = 1,
    m_i = e_i), so an unused code stays where it is instead of collapsing to
    zero or diverging. Updates happen only when `training=True`.

    Options, all off by default so that the layer is the paper's:

    * `dead_code_threshold`: after each training step, a code whose moving
      usage N_i (the average number of vectors it receives per batch) is
      below the threshold is re-seeded from a random encoder output of the
      current batch, with N_i reset to the threshold (so it survives only if
      it then captures at least that many vectors per batch).
    * `kmeans_init`: the first training batch sets the codebook by k-means
      (`kmeans_iterations` Lloyd steps from random batch vectors).
    * `use_cosine_similarity`: inputs and codes are l2-normalised before
      matching, so nearest means largest cosine similarity.

    The loss rule's codebook is trainable, and Keras' JAX trainer carries only
    non-trainable state out of a training step; so restarts and k-means write
    a non-trainable `codebook_offset` that is added to the trainable
    codebook. `embeddings` is always the codebook actually in use.

    The codebook and all distance maths are float32 whatever the dtype policy
    (`autocast=False`); the quantised output is cast to the compute dtype.
    Nearest neighbours are searched `distance_chunk_size` codes at a time, so
    memory grows as N * chunk, not N * K.

    In a data-parallel step (`keras_vq.distribute`) the counts, sums, k-means
    centres, restart candidates and reported figures are those of the global
    batch (`keras_vq.distribute.replicas`), so every replica keeps the same codebook.

    After every call the layer keeps that batch's `batch_commitment_loss`,
    `batch_codebook_loss`, `batch_perplexity` (exp of the entropy of code
    frequencies) and `batch_codebook_usage` (fraction of codes used) in
    non-trainable weights, which models read to report metrics.

    Args:
        num_embeddings: K, the number of codes (>= 1).
        embedding_dim: D, the size of each code and of the inputs' last axis.
        beta: commitment cost (>= 0); the paper uses 0.25.
        codebook_update: `"ema"` or `"loss"`.
        decay: EMA decay in (0, 1), for the codebook and for code usage.
        epsilon: Laplace smoothing of the EMA cluster sizes (> 0).
        dead_code_threshold: minimum moving usage before a code is re-seeded
            (>= 0; 0 turns restarts off).
        kmeans_init: initialise the codebook by k-means on the first batch.
        kmeans_iterations: Lloyd iterations for `kmeans_init` (>= 1).
        use_cosine_similarity: match l2-normalised vectors.
        distance_chunk_size: codes compared per matrix product (>= 1).
        gradient: `"straight_through"` or `"rotation"`, the gradient estimator.
        seed: seed for restarts and k-means sampling.

    Example:
        ```python
        import numpy as np

        import keras_vq

        quantizer = keras_vq.layers.VectorQuantizer(num_embeddings=512, embedding_dim=64)
        z_e = np.random.default_rng(0).normal(size=(2, 8, 8, 64)).astype("float32")
        z_q = quantizer(z_e)             # the nearest codes, with a straight-through gradient; adds its losses
        indices = quantizer.encode(z_e)  # (2, 8, 8) int32
        print(tuple(z_q.shape), tuple(indices.shape), tuple(quantizer.lookup(indices).shape))
        ```
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        beta=0.25,
        codebook_update="ema",
        decay=0.99,
        epsilon=1e-5,
        dead_code_threshold=0.0,
        kmeans_init=False,
        kmeans_iterations=10,
        use_cosine_similarity=False,
        distance_chunk_size=DEFAULT_DISTANCE_CHUNK_SIZE,
        gradient="straight_through",
        seed=None,
        **kwargs,
    ):
        check_positive_int("num_embeddings", num_embeddings)
        check_positive_int("embedding_dim", embedding_dim)
        check_number("beta", beta, 0.0, math.inf, True, False)
        if codebook_update not in CODEBOOK_UPDATES:
            raise ValueError(f"codebook_update must be one of {CODEBOOK_UPDATES}, got {codebook_update!r}")
        check_number("decay", decay, 0.0, 1.0, False, False)
        check_number("epsilon", epsilon, 0.0, math.inf, False, False)
        check_number("dead_code_threshold", dead_code_threshold, 0.0, math.inf, True, False)
        check_positive_int("kmeans_iterations", kmeans_iterations)
        check_positive_int("distance_chunk_size", distance_chunk_size)
        check_bool("kmeans_init", kmeans_init)
        check_bool("use_cosine_similarity", use_cosine_similarity)
        check_gradient(gradient)
        kwargs["autocast"] = False  # codebook maths stay float32 under mixed precision
        super().__init__(**kwargs)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.beta = float(beta)
        self.codebook_update = codebook_update
        self.decay = float(decay)
        self.epsilon = float(epsilon)
        self.dead_code_threshold = float(dead_code_threshold)
        self.kmeans_init = bool(kmeans_init)
        self.kmeans_iterations = kmeans_iterations
        self.use_cosine_similarity = bool(use_cosine_similarity)
        self.distance_chunk_size = distance_chunk_size
        self.gradient = gradient
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.metric_names = (
            ("commitment_loss",)
            + (("codebook_loss",) if codebook_update == "loss" else ())
            + ("perplexity", "codebook_usage")
        )

    # ------------------------------------------------------------------ build
    def build(self, input_shape):
        self.check_input_shape(input_shape)
        shape = (self.num_embeddings, self.embedding_dim)
        # Uniform with variance 1/D, so codes start with norm about 1.
        limit = math.sqrt(3.0 / self.embedding_dim)
        self.codebook = self.add_weight(
            shape=shape,
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=self.seed),
            trainable=self.codebook_update == "loss",
            dtype="float32",
            # Read as float32 even inside a caller's mixed-precision autocast scope
            # (this layer's own autocast=False does not cover its callers' scopes).
            autocast=False,
            name="codebook",
        )
        self.codebook_offset = None
        if self.codebook_update == "loss" and (self.kmeans_init or self.dead_code_threshold > 0):
            self.codebook_offset = self._state_weight(shape, "zeros", "codebook_offset")
        self.ema_cluster_size = self._state_weight((self.num_embeddings,), "ones", "ema_cluster_size")
        self.ema_embedding_sum = None
        if self.codebook_update == "ema":
            # m_i = e_i: every code starts as if picked once (N_i = 1).
            self.ema_embedding_sum = self._state_weight(
                shape, lambda shape, dtype: ops.copy(self.codebook.value), "ema_embedding_sum"
            )
        self.kmeans_initialized = None
        if self.kmeans_init:
            self.kmeans_initialized = self._state_weight((), "zeros", "kmeans_initialized")
        # codebook_loss is kept under the EMA rule too (as 0), so every saved VectorQuantizer has the same weights.
        self.build_batch_metrics(("commitment_loss", "codebook_loss", "perplexity", "codebook_usage"))
        self.build_random_state()

    def _state_weight(self, shape, initializer, name):
        return self.add_weight(
            shape=shape, initializer=initializer, trainable=False, dtype="float32", autocast=False, name=name
        )

    # ------------------------------------------------------------ codebook
    @property
    def embeddings(self):
        """The K x D codebook in use (offset applied, normalised if cosine).

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.VectorQuantizer(num_embeddings=16, embedding_dim=4)
            z_e = np.random.default_rng(0).normal(size=(2, 3, 3, 4)).astype("float32")
            quantizer(z_e)  # builds the codebook
            print(tuple(quantizer.embeddings.shape))  # (16, 4): (num_embeddings, embedding_dim)
            ```
        """
        return self._effective_codebook(self.codebook_offset_value())

    def codebook_offset_value(self):
        return None if self.codebook_offset is None else self.codebook_offset.value

    def _effective_codebook(self, offset):
        codebook = self.codebook.value
        if offset is not None:
            codebook = codebook + offset
        if self.use_cosine_similarity:
            codebook = l2_normalize(codebook)
        return codebook

    def _nearest_codes(self, flat_inputs, codebook):
        """Index of the nearest code for each row, `distance_chunk_size` codes at a time.

        ||z - e||^2 = ||z||^2 - 2 z.e + ||e||^2; ||z||^2 is the same for every
        code, so it is left out of the comparison. Ties go to the lowest index,
        as in a single argmin over all codes.
        """
        flat_inputs = ops.stop_gradient(flat_inputs)
        codebook = ops.stop_gradient(codebook)
        best_distance, best_index = None, None
        for start in range(0, self.num_embeddings, self.distance_chunk_size):
            codes = codebook[start : start + self.distance_chunk_size]
            distance = ops.sum(ops.square(codes), axis=1)[None, :] - 2.0 * ops.matmul(flat_inputs, ops.transpose(codes))
            index = ops.cast(ops.argmin(distance, axis=1), "int32") + start
            if start + self.distance_chunk_size >= self.num_embeddings and best_index is None:
                return index  # One chunk: no distance to compare with another chunk's.
            minimum = ops.min(distance, axis=1)
            if best_index is None:
                best_distance, best_index = minimum, index
            else:
                closer = minimum < best_distance
                best_distance = ops.where(closer, minimum, best_distance)
                best_index = ops.where(closer, index, best_index)
        return best_index

    def _flatten(self, inputs):
        flat_inputs = self.flat_float32(inputs)
        if self.use_cosine_similarity:
            flat_inputs = l2_normalize(flat_inputs)
        return flat_inputs

    # --------------------------------------------------------------- public
    def encode(self, inputs):
        """Code indices (int32) of shape `inputs.shape[:-1]`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.VectorQuantizer(num_embeddings=16, embedding_dim=4)
            z_e = np.random.default_rng(0).normal(size=(2, 3, 3, 4)).astype("float32")
            quantizer(z_e)  # builds the codebook
            print(tuple(quantizer.encode(z_e).shape))  # (2, 3, 3): one code index per vector
            ```
        """
        self.ensure_built(ops.shape(inputs))
        flat_inputs = self._flatten(inputs)
        indices = self._nearest_codes(flat_inputs, self.embeddings)
        return ops.reshape(indices, ops.shape(inputs)[:-1])

    def lookup(self, indices):
        """Codebook vectors for integer `indices`: shape `indices.shape + (D,)`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.VectorQuantizer(num_embeddings=16, embedding_dim=4)
            z_e = np.random.default_rng(0).normal(size=(2, 3, 3, 4)).astype("float32")
            quantizer(z_e)  # builds the codebook
            codes = quantizer.encode(z_e)
            print(tuple(quantizer.lookup(codes).shape))  # (2, 3, 3, 4): the codes' vectors
            ```
        """
        self.ensure_built((None, self.embedding_dim))
        return ops.take(self.embeddings, ops.cast(indices, "int32"), axis=0)

    def quantize_vectors(self, inputs):
        """Quantises `inputs` without changing any state.

        Returns a dict: `quantized` (input's shape, straight-through
        gradients), `indices` (shape `inputs.shape[:-1]`), `commitment_loss`,
        `codebook_loss` (0 for the EMA rule), `perplexity`, `codebook_usage`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.VectorQuantizer(num_embeddings=16, embedding_dim=4)
            z_e = np.random.default_rng(0).normal(size=(2, 3, 3, 4)).astype("float32")
            quantizer(z_e)  # builds the codebook
            result = quantizer.quantize_vectors(z_e)
            print(sorted(result))  # codebook_loss, codebook_usage, commitment_loss, indices, perplexity, quantized
            ```
        """
        self.ensure_built(ops.shape(inputs))
        flat_inputs = self._flatten(inputs)
        result = self._quantize_flat(flat_inputs, self.embeddings)
        return self.shaped_result(result, inputs)

    def _quantize_flat(self, flat_inputs, codebook):
        indices = self._nearest_codes(flat_inputs, codebook)
        codes = ops.take(codebook, indices, axis=0)
        commitment_loss = ops.mean(ops.square(flat_inputs - ops.stop_gradient(codes)))
        if self.codebook_update == "loss":
            codebook_loss = ops.mean(ops.square(ops.stop_gradient(flat_inputs) - codes))
        else:
            codebook_loss = ops.zeros((), "float32")
        counts, perplexity, usage = code_statistics(indices, self.num_embeddings)
        return {
            "quantized_flat": GRADIENT_ESTIMATORS[self.gradient](flat_inputs, codes),
            "codes": codes,  # The codes themselves, with the loss rule's gradient into the codebook.
            "indices": indices,
            "counts": counts,
            "commitment_loss": commitment_loss,
            "codebook_loss": codebook_loss,
            "perplexity": perplexity,
            "codebook_usage": usage,
        }

    def quantize_step(self, flat_inputs, training):
        """One call's work on float32 rows, without `add_loss`: k-means on the first
        training batch, nearest codes, then (training) the EMA and restart updates; records
        the batch statistics. Returns `_quantize_flat`'s dict. `ResidualVectorQuantizer`
        runs its stages through it."""
        offset = self.codebook_offset_value()
        if training and self.kmeans_init:
            offset = self._initialise_by_kmeans(flat_inputs, offset)
        result = self._quantize_flat(flat_inputs, self._effective_codebook(offset))
        if training:
            self._update_state(flat_inputs, result, offset)
        self.record_batch_metrics(result)
        return result

    def call(self, inputs, training=None):
        result = self.quantize_step(self._flatten(inputs), training)
        self.add_loss(result["codebook_loss"] + self.beta * result["commitment_loss"])
        return self.shaped_result(result, inputs)["quantized"]

    # ------------------------------------------------------- training state
    def _random_rows(self, flat_inputs, count):
        """`count` rows of the (global) batch `flat_inputs` drawn uniformly with replacement: the same
        rows on every replica of a data-parallel step, and the rows one device would draw."""
        offset, num_rows = replicas.global_row_range(ops.shape(flat_inputs)[0])
        num_rows = ops.cast(num_rows, "float32")
        uniform = keras.random.uniform((count,), seed=self.seed_generator)
        rows = ops.minimum(ops.floor(uniform * num_rows), num_rows - 1.0)
        return replicas.take_global_rows(ops.stop_gradient(flat_inputs), ops.cast(rows, "int32"), offset)

    def _cluster_sums(self, flat_inputs, centres):
        """Per centre, the sum of this replica's rows nearest to it and their count: `(K, D + 1)`."""
        assignment = self._nearest_codes(flat_inputs, centres)
        rows_and_ones = ops.concatenate([flat_inputs, ops.ones_like(flat_inputs[:, :1])], axis=1)
        return ops.segment_sum(rows_and_ones, assignment, num_segments=self.num_embeddings)

    def _kmeans(self, flat_inputs, centres, done=None):
        """Lloyd's algorithm from `centres` over the global batch; an empty cluster keeps its centre.

        With `done` (a boolean tensor), each replica's share of the work is skipped when it is true, but
        the sums still cross the replicas (with zeros): `tf.distribute` cannot reduce inside a branch."""
        flat_inputs = ops.stop_gradient(flat_inputs)
        for _ in range(self.kmeans_iterations):
            if done is None:
                local = self._cluster_sums(flat_inputs, centres)
            else:
                local = ops.cond(
                    done,
                    lambda: ops.zeros((self.num_embeddings, self.embedding_dim + 1), "float32"),
                    lambda: self._cluster_sums(flat_inputs, centres),
                )
            totals = replicas.replica_sum(local)
            sums, counts = totals[:, :-1], totals[:, -1]
            means = sums / ops.maximum(counts, 1.0)[:, None]
            centres = ops.where((counts > 0)[:, None], means, centres)
            if self.use_cosine_similarity:
                centres = l2_normalize(centres)
        return centres

    def _initialise_by_kmeans(self, flat_inputs, offset):
        """On the first training batch, sets the codebook to k-means centres.

        Returns the codebook offset to use from now on (loss rule) or None.
        """
        already = self.kmeans_initialized.value > 0.5
        current = self._effective_codebook(offset)
        seeds = self._random_rows(flat_inputs, self.num_embeddings)
        if replicas.num_replicas() == 1:
            codebook = ops.cond(already, lambda: current, lambda: self._kmeans(flat_inputs, seeds))
        else:  # the replicas' sums are collectives, which cannot sit inside ops.cond
            codebook = ops.where(already, current, self._kmeans(flat_inputs, seeds, done=already))
        self.kmeans_initialized.assign(ops.ones((), "float32"))
        if self.codebook_update == "ema":
            self.codebook.assign(codebook)
            self.ema_embedding_sum.assign(
                ops.where(
                    already,
                    self.ema_embedding_sum.value,
                    codebook * self.ema_cluster_size.value[:, None],
                )
            )
            return offset
        new_offset = ops.where(already, offset, codebook - self.codebook.value)
        self.codebook_offset.assign(new_offset)
        return new_offset

    def _update_state(self, flat_inputs, result, offset):
        """EMA codebook and usage updates, then dead-code restarts."""
        decay = self.decay
        cluster_size = decay * self.ema_cluster_size.value + (1.0 - decay) * result["counts"]
        if self.codebook_update == "ema":
            assigned_sums = replicas.replica_sum(
                ops.segment_sum(ops.stop_gradient(flat_inputs), result["indices"], num_segments=self.num_embeddings)
            )
            embedding_sum = decay * self.ema_embedding_sum.value + (1.0 - decay) * assigned_sums
            total = ops.sum(cluster_size)
            smoothed = (cluster_size + self.epsilon) / (total + self.num_embeddings * self.epsilon) * total
            codebook = embedding_sum / smoothed[:, None]
        if self.dead_code_threshold > 0:
            dead = cluster_size < self.dead_code_threshold
            replacements = self._random_rows(flat_inputs, self.num_embeddings)
            cluster_size = ops.where(dead, self.dead_code_threshold, cluster_size)
            if self.codebook_update == "ema":
                codebook = ops.where(dead[:, None], replacements, codebook)
                embedding_sum = ops.where(dead[:, None], replacements * self.dead_code_threshold, embedding_sum)
            else:
                offset = ops.where(dead[:, None], replacements - self.codebook.value, offset)
                self.codebook_offset.assign(offset)
        self.ema_cluster_size.assign(cluster_size)
        if self.codebook_update == "ema":
            self.ema_embedding_sum.assign(embedding_sum)
            self.codebook.assign(codebook)

    # --------------------------------------------------------------- keras
    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim,
                "beta": self.beta,
                "codebook_update": self.codebook_update,
                "decay": self.decay,
                "epsilon": self.epsilon,
                "dead_code_threshold": self.dead_code_threshold,
                "kmeans_init": self.kmeans_init,
                "kmeans_iterations": self.kmeans_iterations,
                "use_cosine_similarity": self.use_cosine_similarity,
                "distance_chunk_size": self.distance_chunk_size,
                "gradient": self.gradient,
                "seed": self.seed,
            }
        )
        return config
