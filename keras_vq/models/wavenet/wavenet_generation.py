"""The steps a WaveNet gives the shared cached sampling loop (`keras_vq.models.sampling`): per-layer queues.

The naive loop runs the whole network over the whole sequence for every
step: T steps, each costing T positions of every layer (with T no longer
than the receptive field, that is recomputing the receptive field per step).

The cached steps are Paine et al. 2016, "Fast Wavenet Generation
Algorithm" (https://arxiv.org/abs/1611.09482): each block's dilated
convolution needs its input at t and at t - d, ..., t - (k-1) d, so each
block keeps a queue of its last (k-1) d inputs. A step pops the old inputs,
computes every block at time t only (the taps as one matrix product, the 1x1
convolutions as matrix products, the weights cast once before the loop),
pushes the new inputs, and draws. One step costs one position
of every layer: a whole sequence costs about one full pass. The queue is a
ring buffer indexed by t mod its length; slots never written hold zeros,
which is the full pass's causal zero padding.
"""

from keras import ops

from keras_vq.models.autoregressive_prior import output_head_on_vectors
from keras_vq.models.sampling import CachedSteps


def _conditioning_of_every_block(model, weights, speakers, local_codes, local_features, batch):
    """Every block's V_g h + V_l y + b_d, computed once for the whole sequence:
    (N, S, blocks, 2C) with S the local condition's steps (before upsampling;
    the projections are 1x1, so they commute with repeating) or 1 without one."""
    speaker = None if speakers is None else model.speaker_embedding(speakers)
    condition = local_codes if local_codes is not None else local_features
    local = None if condition is None else model.local_network(condition)  # (N, S, L), not repeated.
    steps = 1 if local is None else local.shape[1]
    per_block = []
    for block, block_weights in zip(model.blocks, weights):
        bias = block.conditioning(speaker, local)
        bias = (
            block_weights.taps_bias if bias is None else ops.cast(bias, block.compute_dtype) + block_weights.taps_bias
        )
        per_block.append(ops.broadcast_to(bias, (batch, steps, 2 * block.channels)))
    return ops.stack(per_block, axis=2)


class WaveNetSteps(CachedSteps):
    """Each block computed once a step from its queue (see the module docstring).

    Per step and block: a matrix product for each dilated tap (the queue's
    past inputs and the current one), the gate, and one for the residual
    output; the skip outputs of all blocks are one matrix product of their
    gates side by side. The weights are cast and the conditioning projected
    once, before the loop. The state is (the shifted input at t, the queues);
    a sequence is one row, so a step is the column j = t."""

    def __init__(self, model, batch, shape, speakers=None, local_codes=None, local_features=None):
        self.model, self.blocks = model, model.blocks
        dtype = model.embedding.compute_dtype
        self.weights = [block.step_weights() for block in self.blocks]
        self.conditioning = _conditioning_of_every_block(
            model, self.weights, speakers, local_codes, local_features, batch
        )
        self.skip_kernel = ops.concatenate([block_weights.skip for block_weights in self.weights], axis=0)
        self.skip_bias = ops.sum(ops.stack([block_weights.skip_bias for block_weights in self.weights]), axis=0)
        self.head = output_head_on_vectors(model.head)
        self.embeddings = ops.cast(model.embedding.embeddings, dtype)
        previous = ops.zeros((batch, model.channels), dtype)  # The shifted input at t = 0.
        queues = [ops.zeros((batch, block.history_length, model.channels), dtype) for block in self.blocks]
        self.initial_state = (previous, queues)

    def logits(self, i, t, state):
        # Arithmetic and indexing by Python's operators (see WaveNetBlock.gated_step): keras.ops' dispatch
        # would cost more than the maths on PyTorch, which runs this loop eagerly.
        previous, queues = state
        if self.conditioning.shape[1] == 1:
            conditioning_now = self.conditioning[:, 0]
        else:
            conditioning_now = self.conditioning[:, t // self.model.upsampling]
        hidden, gates, updated = previous, [], []
        for index, (block, block_weights, queue) in enumerate(zip(self.blocks, self.weights, queues)):
            taps = range(block.kernel_size - 1, 0, -1)  # t - (k-1) d, ..., t - d: oldest first.
            past = [queue[:, (t - tap * block.dilation_rate) % block.history_length] for tap in taps]
            gate = block.gated_step(past + [hidden], block_weights, conditioning_now[:, index])
            if block.history_length:  # kernel_size 1 keeps no past
                queue = ops.slice_update(queue, (0, t % block.history_length, 0), hidden[:, None])
            updated.append(queue)
            gates.append(gate)
            if block_weights.residual is not None:
                hidden = hidden + gate @ block_weights.residual + block_weights.residual_bias
        skips = ops.concatenate(gates, axis=-1) @ self.skip_kernel + self.skip_bias
        return self.head(skips), (previous, updated)

    def commit(self, i, t, drawn, state):
        _, queues = state
        return ops.take(self.embeddings, drawn, axis=0), queues
