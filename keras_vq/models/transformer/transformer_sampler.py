"""The steps a TransformerPrior gives the shared cached sampling loop (`keras_vq.models.sampling`): a
key-value cache.

The naive loop runs the whole transformer over the whole sequence for every position: T full passes,
each costing every layer's projections at C + T positions and attention over (C + T)^2 pairs, for T
positions drawn. With a cache (as every causal language model samples; keras-hub's `CausalLM` and
`CachedMultiHeadAttention`) each position is computed once:

* before the first position, the condition prefix (C positions, if any) in one pass of every block,
  whose keys and values fill the first C rows of each block's cache;
* at position t, the input token (the start token at t = 0, else x_(t-1)'s embedding) plus its
  position's, through each block at that one position: its query attends over the cached keys and
  values of positions <= C + t, after its own key and value are written at C + t; then the final
  LayerNorm and the logits.

So a whole map costs about one full pass of projections, against T of them. With classifier-free
guidance the batch is doubled, the second half with the null class, and each position's logits are
l_u + s (l_c - l_u) (Ho and Salimans 2022); both halves then take the same drawn code.
"""

from keras import ops

from keras_vq.models.sampling import CachedSteps
from keras_vq.models.transformer.transformer_block import layer_norm

__all__ = ["TransformerSteps", "guided_batch", "guided_logits"]


def guided_batch(prior, class_labels, condition):
    """The class labels and condition of a guided draw: the batch, then the batch with the null class."""
    null = ops.full(ops.shape(class_labels), prior.sequence_embedding.null_class, "int32")
    class_labels = ops.concatenate([ops.cast(class_labels, "int32"), null], axis=0)
    return class_labels, None if condition is None else ops.concatenate([condition, condition], axis=0)


def guided_logits(logits, guidance_scale):
    """l_u + s (l_c - l_u) from the logits of a guided batch (conditional half first): `(2N, ..., K)` -> `(N, ..., K)`."""
    conditional, unconditional = ops.split(logits, 2, axis=0)
    scale = ops.reshape(ops.cast(guidance_scale, logits.dtype), (-1,) + (1,) * (len(logits.shape) - 1))
    return unconditional + scale * (conditional - unconditional)


class TransformerSteps(CachedSteps):
    """Each block computed once a position, with a key-value cache (see the module docstring).

    The state is (each block's keys, each block's values, the next input token): the caches are
    `(batch, C + T, heads, head_dim)`, written a position at a time; the token `(batch, D)` is the start
    token before the first position and the embedding of the code drawn last after it."""

    def __init__(self, prior, batch, shape, class_labels=None, condition=None, guidance_scale=None):
        embedding = prior.sequence_embedding
        self.columns = shape[-1]
        self.guidance_scale = guidance_scale
        if guidance_scale is not None:
            class_labels, condition = guided_batch(prior, class_labels, condition)
            batch = 2 * batch
        self.tables = embedding.tables()
        self.blocks = prior.blocks
        self.block_weights = [block.step_weights() for block in self.blocks]
        self.final_norm = (prior.final_norm.gamma, prior.final_norm.beta, prior.final_norm.epsilon)
        self.logits_kernel, self.logits_bias = prior.logits_layer.kernel, prior.logits_layer.bias
        self.offset = embedding.condition_length
        length = embedding.condition_length + embedding.code_length
        self.positions = ops.arange(length)
        dtype = embedding.compute_dtype
        keys, values = [], []
        prefix = None if condition is None else embedding.condition_tokens(condition, self.tables)
        for block in self.blocks:
            cache = ops.zeros((batch, length, block.num_heads, block.head_dim), dtype)
            if prefix is None:
                keys.append(cache)
                values.append(cache)
                continue
            prefix, prefix_keys, prefix_values = block.keys_and_values(prefix)
            keys.append(ops.slice_update(cache, (0, 0, 0, 0), ops.cast(prefix_keys, dtype)))
            values.append(ops.slice_update(cache, (0, 0, 0, 0), ops.cast(prefix_values, dtype)))
        self.initial_state = (keys, values, embedding.start_tokens(class_labels, batch, self.tables))

    def logits(self, i, j, state):
        keys, values, token = state
        position = self.offset + i * self.columns + j
        hidden = token + ops.take(self.tables["positions"], position, axis=0)
        visible = self.positions <= position
        new_keys, new_values = [], []
        for block, weights, block_keys, block_values in zip(self.blocks, self.block_weights, keys, values):
            hidden, block_keys, block_values = block.step(hidden, block_keys, block_values, position, weights, visible)
            new_keys.append(block_keys)
            new_values.append(block_values)
        gamma, beta, epsilon = self.final_norm
        normed = ops.cast(layer_norm(hidden, gamma, beta, epsilon), "float32")
        logits = normed @ self.logits_kernel + self.logits_bias
        if self.guidance_scale is not None:
            logits = guided_logits(logits, self.guidance_scale)
        return logits, (new_keys, new_values, token)

    def commit(self, i, j, drawn, state):
        keys, values, _ = state
        if self.guidance_scale is not None:
            drawn = ops.concatenate([drawn, drawn], axis=0)
        return keys, values, ops.take(self.tables["codes"], drawn, axis=0)
