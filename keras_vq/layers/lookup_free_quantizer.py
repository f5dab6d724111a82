"""Lookup-free quantisation: each channel's sign is one bit of the code (MAGVIT-v2, Yu et al. 2023)."""

import math

import keras
import numpy as np
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.layers.quantizer import PERPLEXITY_LOG_FLOOR, Quantizer, code_statistics, straight_through
from keras_vq.utils.checks import check_number, check_positive_int

# The codebook entropy enumerates all 2^d codes for every vector: past this it is too large to hold.
MAX_EMBEDDING_DIM = 16


@keras.saving.register_keras_serializable(package="keras_vq")
class LookupFreeQuantizer(Quantizer):
    """Quantises each of d channels to its sign, z_q in {-1, 1}^d: an implicit codebook of 2^d
    codes, one bit a channel, with no lookup and no codebook to learn.

    Yu et al., "Language Model Beats Diffusion: Tokenizer is Key to Visual Generation"
    (MAGVIT-v2), ICLR 2024, https://arxiv.org/abs/2310.05737, sec. 3.1, eq. 2-5.

        z_q,i = 1 if z_i > 0 else -1,     index = sum_i [z_i > 0] 2^i

    (bit i of the code is channel i), with the straight-through gradient. The
    training loss it adds is

        entropy_loss_weight * (E[H(p(c|z))] - diversity_gamma * H(E[p(c|z)]))
          + beta * mean (z - sg[z_q])^2,

    where p(c|z) = softmax_c(-||z - c||^2 / temperature) over the 2^d codes c:
    the first term makes each vector confident of its code, the second makes
    the batch use many codes (the paper's entropy penalty; the commitment term
    is the one vector-quantize-pytorch adds). Because ||z - c||^2 differs
    between c_i = 1 and c_i = -1 by 4 z_i, p(c|z) factorises over bits,
    p(c_i = 1|z) = sigmoid(4 z_i / temperature), so the per-vector entropy is a
    sum of d binary entropies; the batch's mean distribution does not factorise
    and is computed exactly over the 2^d codes (memory N x 2^d for N vectors,
    so d <= 16 here). Entropies are in nats, in float32 under mixed precision.

    `fit` reports `commitment_loss`, `entropy_loss` (the bracket above),
    `perplexity` and `codebook_usage`.

    Args:
        embedding_dim: d, the number of bits of a code (1 to 16).
        entropy_loss_weight: weight of the entropy penalty (>= 0); 0.1 in
            vector-quantize-pytorch.
        diversity_gamma: weight of the batch (codebook) entropy inside it (>= 0).
        beta: commitment cost (>= 0).
        temperature: of p(c|z) (> 0); 0.01 in vector-quantize-pytorch.

    Example:
        ```python
        import numpy as np

        import keras_vq

        quantizer = keras_vq.layers.LookupFreeQuantizer(embedding_dim=10)  # 1,024 codes
        z_e = np.random.default_rng(0).normal(size=(2, 8, 8, 10)).astype("float32")
        z_q = quantizer(z_e, training=True)  # signs; adds the entropy penalty and commitment loss
        codes = quantizer.encode(z_e)        # (2, 8, 8) int32 in [0, 1024)
        print(quantizer.num_embeddings, tuple(codes.shape), np.array_equal(quantizer.lookup(codes), z_q))
        ```
    """

    def __init__(
        self, embedding_dim, entropy_loss_weight=0.1, diversity_gamma=1.0, beta=0.25, temperature=0.01, **kwargs
    ):
        check_positive_int("embedding_dim", embedding_dim)
        if embedding_dim > MAX_EMBEDDING_DIM:
            raise ValueError(
                f"embedding_dim must be at most {MAX_EMBEDDING_DIM} (the codebook entropy enumerates "
                f"all 2^embedding_dim codes), got {embedding_dim}"
            )
        check_number("entropy_loss_weight", entropy_loss_weight, 0.0, math.inf, True, False)
        check_number("diversity_gamma", diversity_gamma, 0.0, math.inf, True, False)
        check_number("beta", beta, 0.0, math.inf, True, False)
        check_number("temperature", temperature, 0.0, math.inf, False, False)
        kwargs["autocast"] = False  # The entropies stay float32 under mixed precision.
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = 2**embedding_dim
        self.entropy_loss_weight = float(entropy_loss_weight)
        self.diversity_gamma = float(diversity_gamma)
        self.beta = float(beta)
        self.temperature = float(temperature)
        self.metric_names = ("commitment_loss", "entropy_loss", "perplexity", "codebook_usage")
        self._bit_values = (2 ** np.arange(embedding_dim)).astype(np.int32)
        # Row c holds code c's bits (1 for +1): the 2^d x d table of every code.
        self._code_bits = ((np.arange(self.num_embeddings)[:, None] >> np.arange(embedding_dim)) & 1).astype(np.float32)

    def build(self, input_shape):
        self.check_input_shape(input_shape)
        self.build_batch_metrics()

    def entropy_loss(self, flat_inputs):
        """E[H(p(c|z))] - diversity_gamma H(E[p(c|z)]) over the rows of `flat_inputs`, in nats."""
        logits = 4.0 * flat_inputs / self.temperature  # log p(c_i = 1|z) - log p(c_i = -1|z)
        log_one, log_zero = ops.log_sigmoid(logits), ops.log_sigmoid(-logits)
        probability_one = ops.exp(log_one)
        per_vector = -ops.sum(probability_one * log_one + (1.0 - probability_one) * log_zero, axis=-1)
        code_bits = ops.convert_to_tensor(self._code_bits)
        log_code_probabilities = ops.matmul(log_one, ops.transpose(code_bits)) + ops.matmul(
            log_zero, ops.transpose(1.0 - code_bits)
        )
        # E[p(c|z)] over the global batch of a data-parallel step, so the codebook entropy is the one
        # computed on one device (the gradient is summed back over the replicas).
        global_rows = ops.cast(replicas.global_row_range(ops.shape(flat_inputs)[0])[1], "float32")
        mean_probabilities = replicas.replica_sum(ops.sum(ops.exp(log_code_probabilities), axis=0)) / global_rows
        codebook_entropy = -ops.sum(mean_probabilities * ops.log(mean_probabilities + PERPLEXITY_LOG_FLOOR))
        return ops.mean(per_vector) - self.diversity_gamma * codebook_entropy

    def _quantize_flat(self, flat_inputs):
        positive = flat_inputs > 0
        signs = ops.where(positive, 1.0, -1.0)
        indices = ops.sum(ops.cast(positive, "int32") * ops.convert_to_tensor(self._bit_values), axis=-1)
        _, perplexity, usage = code_statistics(indices, self.num_embeddings)
        return {
            "quantized_flat": straight_through(flat_inputs, signs),
            "indices": indices,
            "commitment_loss": ops.mean(ops.square(flat_inputs - signs)),
            "entropy_loss": self.entropy_loss(flat_inputs),
            "perplexity": perplexity,
            "codebook_usage": usage,
        }

    def quantize_vectors(self, inputs):
        """`{"quantized", "indices", "commitment_loss", "entropy_loss", "perplexity", "codebook_usage"}`,
        changing no state.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.LookupFreeQuantizer(embedding_dim=3)
            result = quantizer.quantize_vectors(np.array([[0.5, -2.0, 1.0]], "float32"))
            print(result["quantized"], result["indices"], float(result["commitment_loss"]))  # [[1 -1 1]] [5] 0.25
            ```
        """
        return self.shaped_result(self._quantize_flat(self.flat_float32(inputs)), inputs)

    def call(self, inputs, training=None):
        result = self._quantize_flat(self.flat_float32(inputs))
        self.record_batch_metrics(result)
        self.add_loss(self.entropy_loss_weight * result["entropy_loss"] + self.beta * result["commitment_loss"])
        return self.shaped_result(result, inputs)["quantized"]

    def encode(self, inputs):
        """Codes (int32) in [0, 2^d), shape `inputs.shape[:-1]`: bit i set where channel i is positive.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.LookupFreeQuantizer(embedding_dim=3)
            print(quantizer.encode(np.array([[0.5, -2.0, 1.0]], "float32")))  # [5]: bits 0 and 2
            ```
        """
        flat_inputs = self.flat_float32(inputs)
        indices = ops.sum(ops.cast(flat_inputs > 0, "int32") * ops.convert_to_tensor(self._bit_values), axis=-1)
        return ops.reshape(indices, ops.shape(inputs)[:-1])

    def lookup(self, indices):
        """The sign vectors of codes: shape `indices.shape + (d,)`, entries -1 or 1.

        Example:
            ```python
            import keras_vq

            quantizer = keras_vq.layers.LookupFreeQuantizer(embedding_dim=3)
            print(quantizer.lookup([5]))  # [[1, -1, 1]]
            ```
        """
        indices = ops.expand_dims(ops.cast(indices, "int32"), -1)
        bits = (indices // ops.convert_to_tensor(self._bit_values)) % 2
        return 2.0 * ops.cast(bits, "float32") - 1.0

    def get_config(self):
        return super().get_config() | {
            "embedding_dim": self.embedding_dim,
            "entropy_loss_weight": self.entropy_loss_weight,
            "diversity_gamma": self.diversity_gamma,
            "beta": self.beta,
            "temperature": self.temperature,
        }
