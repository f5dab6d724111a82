"""A pre-norm transformer block: causal over a whole sequence or one position with a key-value cache, or
bidirectional."""

import math

import keras
from keras import ops

from keras_vq.utils.checks import check_number, check_positive_int

__all__ = ["TransformerBlock"]


def layer_norm(x, gamma, beta, epsilon):
    """LayerNormalization's maths on the last axis, in float32 (as Keras computes it under mixed precision)."""
    dtype = x.dtype
    x = ops.cast(x, "float32")
    mean = ops.mean(x, axis=-1, keepdims=True)
    variance = ops.mean(ops.square(x - mean), axis=-1, keepdims=True)
    return ops.cast((x - mean) * ops.rsqrt(variance + epsilon) * gamma + beta, dtype)


@keras.saving.register_keras_serializable(package="keras_vq")
class TransformerBlock(keras.layers.Layer):
    """Pre-norm transformer block with causal (or, with `causal=False`, bidirectional) self-attention
    (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762, in GPT-2's pre-norm arrangement, Radford et
    al. 2019):

        h = x + W_o MultiHead(LN_1(x))        (causal: position t attends to positions <= t)
        y = h + W_2 GELU(W_1 LN_2(h) + b_1) + b_2

    with `num_heads` heads of size D / num_heads, attention weights softmax(q k^T / sqrt(d)) computed
    in float32 whatever the dtype policy.

    `call(x)` runs a whole sequence `(batch, length, D)`; `step(x_t, keys, values, position)` one
    position `(batch, D)`, reading the keys and values of the positions before it from a cache
    `(batch, cache_length, num_heads, D / num_heads)` and writing its own at `position`: the same
    outputs as `call` at that position, each position computed once when drawing a sequence.

    Args:
        num_heads: attention heads; must divide the input's last axis D.
        mlp_dim: width of the feed-forward hidden layer (GPT-2: 4 D).
        dropout: dropout rate on the attention weights and after each residual branch (training only).
        layer_norm_epsilon: added to the variance in both LayerNormalizations.
        causal: whether position t attends only to positions <= t (False: to every position, as
            MaskGIT's bidirectional transformer; `step` then does not apply).

    Example:
        ```python
        import numpy as np
        from keras import ops

        from keras_vq.models.transformer.transformer_block import TransformerBlock

        block = TransformerBlock(num_heads=2, mlp_dim=32)
        x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")
        full = ops.convert_to_numpy(block(x))
        changed = x.copy()
        changed[:, 3:] = 0.0  # positions after 2 do not change what positions 0..2 give
        print(np.allclose(ops.convert_to_numpy(block(changed))[:, :3], full[:, :3], atol=1e-5))  # True
        ```
    """

    def __init__(self, num_heads, mlp_dim, dropout=0.0, layer_norm_epsilon=1e-5, causal=True, **kwargs):
        super().__init__(**kwargs)
        check_positive_int("num_heads", num_heads)
        check_positive_int("mlp_dim", mlp_dim)
        check_number("dropout", dropout, 0.0, 1.0, True, False)
        check_number("layer_norm_epsilon", layer_norm_epsilon, 0.0, math.inf, False, False)
        if not isinstance(causal, bool):
            raise ValueError(f"causal must be True or False, got {causal!r}")
        self.num_heads, self.mlp_dim, self.dropout = num_heads, mlp_dim, dropout
        self.layer_norm_epsilon, self.causal = layer_norm_epsilon, causal
        settings = dict(dtype=self.dtype_policy)
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, name="attention_norm", **settings
        )
        self.mlp_norm = keras.layers.LayerNormalization(epsilon=layer_norm_epsilon, name="mlp_norm", **settings)
        self.attention_dropout = keras.layers.Dropout(dropout, name="attention_dropout", **settings)
        self.residual_dropout = keras.layers.Dropout(dropout, name="residual_dropout", **settings)

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim % self.num_heads:
            raise ValueError(f"num_heads = {self.num_heads} must divide the inputs' last axis, {dim}")
        self.head_dim = dim // self.num_heads
        settings = dict(dtype=self.dtype_policy)
        self.query_key_value = keras.layers.Dense(3 * dim, name="query_key_value", **settings)
        self.attention_output = keras.layers.Dense(dim, name="attention_output", **settings)
        self.mlp_hidden = keras.layers.Dense(self.mlp_dim, activation="gelu", name="mlp_hidden", **settings)
        self.mlp_output = keras.layers.Dense(dim, name="mlp_output", **settings)
        for layer, width in (
            (self.attention_norm, dim),
            (self.query_key_value, dim),
            (self.attention_output, dim),
            (self.mlp_norm, dim),
            (self.mlp_hidden, dim),
            (self.mlp_output, self.mlp_dim),
        ):
            layer.build((None, width))

    def _heads(self, projected, length):
        """`(batch, length, 3 D)` -> query, key, value `(batch, length, heads, head_dim)` each."""
        split = ops.reshape(projected, (-1, length, 3, self.num_heads, self.head_dim))
        return split[:, :, 0], split[:, :, 1], split[:, :, 2]

    def call(self, inputs, training=None):
        return self.keys_and_values(inputs, training)[0]

    def keys_and_values(self, inputs, training=False):
        """`(outputs, keys, values)` of a whole sequence: `call`'s outputs, and the keys and values a
        cache holds for its positions, `(batch, length, heads, head_dim)` each (a prefix's, before the
        positions drawn one at a time)."""
        length = inputs.shape[1]
        query, key, value = self._heads(self.query_key_value(self.attention_norm(inputs)), length)
        return self._finish(inputs, self._attend(query, key, value, length, training), training), key, value

    def _attend(self, query, key, value, length, training):
        scores = ops.einsum("bqhd,bkhd->bhqk", ops.cast(query, "float32"), ops.cast(key, "float32"))
        scores = scores / math.sqrt(self.head_dim)
        if self.causal:
            scores = ops.where(ops.tril(ops.ones((length, length), "bool")), scores, -1e9)
        weights = self.attention_dropout(ops.cast(ops.softmax(scores, axis=-1), value.dtype), training=training)
        attended = ops.einsum("bhqk,bkhd->bqhd", weights, value)
        return ops.reshape(attended, (-1, length, self.num_heads * self.head_dim))

    def _finish(self, inputs, attended, training):
        hidden = inputs + self.residual_dropout(self.attention_output(attended), training=training)
        branch = self.mlp_output(self.mlp_hidden(self.mlp_norm(hidden)))
        return hidden + self.residual_dropout(branch, training=training)

    def step_weights(self):
        """The weights `step` uses, in the compute dtype, read once before a sampling loop."""
        dtype = self.compute_dtype

        def cast(variable):
            return ops.cast(variable, dtype)

        return {
            "attention_norm": (self.attention_norm.gamma, self.attention_norm.beta),
            "mlp_norm": (self.mlp_norm.gamma, self.mlp_norm.beta),
            **{
                name: (cast(layer.kernel), cast(layer.bias))
                for name, layer in (
                    ("query_key_value", self.query_key_value),
                    ("attention_output", self.attention_output),
                    ("mlp_hidden", self.mlp_hidden),
                    ("mlp_output", self.mlp_output),
                )
            },
        }

    def step(self, inputs, keys, values, position, weights, visible):
        """`(outputs, keys, values)` at one `position` (a scalar tensor): `inputs` `(batch, D)`, the
        cache's `keys` and `values` with this position's written in; `weights` from `step_weights()`;
        `visible` `(cache_length,)` bool, the positions <= `position`. Python's operators for the
        products (as `GatedPixelCNNBlock.position_step`: keras.ops' dispatch costs more than these
        products on PyTorch)."""
        batch = inputs.shape[0]
        normed = layer_norm(inputs, *weights["attention_norm"], self.layer_norm_epsilon)
        kernel, bias = weights["query_key_value"]
        projected = ops.reshape(normed @ kernel + bias, (batch, 3, self.num_heads, self.head_dim))
        query, key, value = projected[:, 0], projected[:, 1], projected[:, 2]
        keys = ops.slice_update(keys, (0, position, 0, 0), key[:, None])
        values = ops.slice_update(values, (0, position, 0, 0), value[:, None])
        scores = ops.einsum("bhd,bkhd->bhk", ops.cast(query, "float32"), ops.cast(keys, "float32"))
        scores = ops.where(visible, scores / math.sqrt(self.head_dim), -1e9)
        attended = ops.einsum("bhk,bkhd->bhd", ops.cast(ops.softmax(scores, axis=-1), values.dtype), values)
        kernel, bias = weights["attention_output"]
        hidden = inputs + ops.reshape(attended, (batch, -1)) @ kernel + bias
        normed = layer_norm(hidden, *weights["mlp_norm"], self.layer_norm_epsilon)
        kernel, bias = weights["mlp_hidden"]
        expanded = keras.activations.gelu(normed @ kernel + bias)
        kernel, bias = weights["mlp_output"]
        return hidden + expanded @ kernel + bias, keys, values

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "mlp_dim": self.mlp_dim,
            "dropout": self.dropout,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "causal": self.causal,
        }
