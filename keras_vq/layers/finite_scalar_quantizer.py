"""Finite scalar quantisation: each channel rounded to a few levels, no codebook (Mentzer et al. 2023)."""

import math

import keras
import numpy as np
from keras import ops

from keras_vq.layers.quantizer import Quantizer, code_statistics
from keras_vq.utils.checks import check_number

# Widens the bound a little past the outermost levels so that atanh(o / h) below is defined for L = 2.
BOUND_EPSILON = 1e-3


@keras.saving.register_keras_serializable(package="keras_vq")
class FiniteScalarQuantizer(Quantizer):
    """Rounds each of d channels to one of `levels[i]` values: an implicit codebook of
    prod(levels) codes with nothing to learn, so nothing collapses.

    Mentzer, Minnen, Agustsson and Tschannen, "Finite Scalar Quantization: VQ-VAE Made
    Simple", ICLR 2024, https://arxiv.org/abs/2309.15505, sec. 3 and appendix A.1.

    The last axis of the input has d = `len(levels)` channels (the encoder
    projects to d, the `embedding_dim`); every other axis is a position. For
    channel i with L = levels[i], half-width h = (L - 1)(1 + eps)/2 and offset
    o = 0.5 for even L (0 for odd, so that an even number of levels is
    symmetric about 0 too),

        bound(z) = h tanh(z + atanh(o / h)) - o     (bound(0) = 0; rounds into [-floor(L/2), ceil(L/2) - 1])
        z_q      = round(bound(z)) / floor(L / 2)          (in [-1, 1])

    with the rounding's gradient passed straight through. (The paper's code
    has 1 - eps and tan for the shift; 1 + eps and atanh, as in
    vector-quantize-pytorch, make bound(0) exactly 0 and keep L = 2 defined.) A code is the
    mixed-radix integer of the channels' digits d_i = round(bound(z_i)) +
    floor(L_i / 2) in [0, L_i): index = sum_i d_i prod_{j<i} L_j. The paper's
    suggestions for a codebook size: [8, 6, 5] (2^8), [8, 5, 5, 5] (2^10),
    [7, 5, 5, 5, 5] (2^12), [8, 8, 8, 6, 5] (2^14), [8, 8, 8, 5, 5, 5] (2^16).

    There is no loss: `fit` reports `perplexity` and `codebook_usage`.
    An untrained encoder's outputs are small and all round to the centre
    code, the zero vector; the models therefore start their decoder with a
    small random bias so that gradients flow from the first step
    (`small_inputs_quantize_to_zero`).
    Everything is computed in float32 under mixed precision; the output is cast
    to the compute dtype.

    Args:
        levels: the number of levels of each channel, each >= 2.

    Example:
        ```python
        import numpy as np

        import keras_vq

        quantizer = keras_vq.layers.FiniteScalarQuantizer(levels=[8, 5, 5, 5])  # 1,000 codes, d = 4
        z_e = np.random.default_rng(0).normal(size=(2, 8, 8, 4)).astype("float32")
        z_q = quantizer(z_e)          # every channel on its grid in [-1, 1]
        codes = quantizer.encode(z_e)  # (2, 8, 8) int32 in [0, 1000)
        print(quantizer.num_embeddings, tuple(codes.shape), np.allclose(quantizer.lookup(codes), z_q))
        ```
    """

    def __init__(self, levels, **kwargs):
        if isinstance(levels, (str, bytes)) or not hasattr(levels, "__len__") or len(levels) < 1:
            raise ValueError(f"levels must be a list of at least one number of levels (each >= 2), got {levels!r}")
        for level in levels:
            if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 2:
                raise ValueError(
                    f"levels must be integers >= 2 (a channel needs two values to carry anything); got {list(levels)!r}"
                )
        kwargs["autocast"] = False  # The rounding maths stay float32 under mixed precision.
        super().__init__(**kwargs)
        self.levels = [int(level) for level in levels]
        self.embedding_dim = len(self.levels)
        self.num_embeddings = math.prod(self.levels)
        # Above 2**24 codes the per-batch code counts alone (perplexity, usage) take 64 MB and more a call.
        check_number("the codebook size prod(levels)", self.num_embeddings, 2, 2**24, True, True)
        self.metric_names = ("perplexity", "codebook_usage")
        self.small_inputs_quantize_to_zero = True
        levels = np.asarray(self.levels, np.float32)
        self._half_levels = levels // 2  # floor(L / 2): digits run over [0, L) around it
        self._half_width = (levels - 1.0) * (1.0 + BOUND_EPSILON) / 2.0
        self._offset = np.where(levels % 2 == 0, 0.5, 0.0).astype(np.float32)
        self._shift = np.arctanh(self._offset / self._half_width).astype(np.float32)
        self._radix = np.cumprod([1] + self.levels[:-1]).astype(np.int64)

    def build(self, input_shape):
        self.check_input_shape(input_shape)
        self.build_batch_metrics()

    def bound(self, inputs):
        """h tanh(z + atanh(o/h)) - o per channel: float32 values in (-L/2, L/2)."""
        half_width, shift, offset = (
            ops.convert_to_tensor(value) for value in (self._half_width, self._shift, self._offset)
        )
        return half_width * ops.tanh(inputs + shift) - offset

    def _quantize_flat(self, flat_inputs):
        bounded = self.bound(flat_inputs)
        rounded = bounded + ops.stop_gradient(ops.round(bounded) - bounded)  # straight-through rounding
        half_levels = ops.convert_to_tensor(self._half_levels)
        digits = ops.cast(ops.round(bounded) + half_levels, "int32")
        indices = ops.sum(digits * ops.convert_to_tensor(self._radix.astype(np.int32)), axis=-1)
        _, perplexity, usage = code_statistics(indices, self.num_embeddings)
        return {
            "quantized_flat": rounded / half_levels,
            "indices": indices,
            "perplexity": perplexity,
            "codebook_usage": usage,
        }

    def quantize_vectors(self, inputs):
        """`{"quantized", "indices", "perplexity", "codebook_usage"}`, changing no state.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.FiniteScalarQuantizer(levels=[5, 5, 5])
            result = quantizer.quantize_vectors(np.zeros((4, 3), "float32"))
            print(result["indices"], float(result["perplexity"]))  # [62 62 62 62] 1.0: the middle code
            ```
        """
        return self.shaped_result(self._quantize_flat(self.flat_float32(inputs)), inputs)

    def call(self, inputs, training=None):
        result = self._quantize_flat(self.flat_float32(inputs))
        self.record_batch_metrics(result)
        return self.shaped_result(result, inputs)["quantized"]

    def encode(self, inputs):
        """Codes (int32) in [0, prod(levels)), shape `inputs.shape[:-1]`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            quantizer = keras_vq.layers.FiniteScalarQuantizer(levels=[3, 4])
            print(quantizer.encode(np.array([[-9.0, -9.0], [9.0, 9.0]], "float32")))  # [0 11]: the corners
            ```
        """
        return ops.reshape(self._quantize_flat(self.flat_float32(inputs))["indices"], ops.shape(inputs)[:-1])

    def lookup(self, indices):
        """The grid vectors of codes: shape `indices.shape + (len(levels),)`, on [-1, 1].

        Example:
            ```python
            import keras_vq

            quantizer = keras_vq.layers.FiniteScalarQuantizer(levels=[3, 4])
            print(quantizer.lookup([0, 11]))  # [[-1, -1], [1, 0.5]]
            ```
        """
        indices = ops.expand_dims(ops.cast(indices, "int32"), -1)
        radix, levels = (ops.convert_to_tensor(np.asarray(value, np.int32)) for value in (self._radix, self.levels))
        digits = (indices // radix) % levels
        return ops.cast(digits, "float32") / ops.convert_to_tensor(self._half_levels) - 1.0

    def get_config(self):
        return super().get_config() | {"levels": list(self.levels)}
