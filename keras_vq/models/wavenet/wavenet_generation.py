"""Generating from a WaveNet: incremental with per-layer queues (fast), or a full pass per step (naive).

Both draw step t from the same uniform number u[n, t] (inverse CDF), so for
the same noise they give the same symbols.

The naive loop runs the whole network over the whole sequence for every
step: T steps, each costing T positions of every layer (with T no longer
than the receptive field, that is recomputing the receptive field per step).

The incremental loop is Paine et al. 2016, "Fast Wavenet Generation
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

from keras_vq.models.autoregressive_prior import draw_categorical, output_head_on_vectors


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
        bias = block_weights.taps_bias if bias is None else ops.cast(bias, block.compute_dtype) + block_weights.taps_bias
        per_block.append(ops.broadcast_to(bias, (batch, steps, 2 * block.channels)))
    return ops.stack(per_block, axis=2)


def incremental_generation_loop(model, uniform, temperature, speakers=None, local_codes=None, local_features=None):
    """Symbols (N, T) int32, each block computed once per step from its queue.

    Per step and block: a matrix product for each dilated tap (the queue's
    past inputs and the current one), the gate, and one for the residual
    output; the skip outputs of all blocks are one matrix product of their
    gates side by side. The weights are cast and the conditioning
    projected once, before the loop."""
    batch, length = uniform.shape
    channels = model.channels
    dtype = model.embedding.compute_dtype
    blocks = model.blocks
    weights = [block.step_weights() for block in blocks]
    conditioning = _conditioning_of_every_block(model, weights, speakers, local_codes, local_features, batch)
    skip_kernel = ops.concatenate([block_weights.skip for block_weights in weights], axis=0)
    skip_bias = ops.sum(ops.stack([block_weights.skip_bias for block_weights in weights]), axis=0)
    head = output_head_on_vectors(model.head)
    embeddings = ops.cast(model.embedding.embeddings, dtype)

    symbols = ops.zeros((batch, length), "int32")
    previous = ops.zeros((batch, channels), dtype)  # The shifted input at t = 0.
    queues = [ops.zeros((batch, block.history_length, channels), dtype) for block in blocks]

    def step(t, state):
        # Arithmetic and indexing by Python's operators (see WaveNetBlock.gated_step): keras.ops' dispatch
        # would cost more than the maths on PyTorch, which runs this loop eagerly.
        symbols, previous, queues = state
        if conditioning.shape[1] == 1:
            conditioning_now = conditioning[:, 0]
        else:
            conditioning_now = conditioning[:, t // model.upsampling]
        hidden, gates, updated = previous, [], []
        for index, (block, block_weights, queue) in enumerate(zip(blocks, weights, queues)):
            taps = range(block.kernel_size - 1, 0, -1)  # t - (k-1) d, ..., t - d: oldest first.
            past = [queue[:, (t - tap * block.dilation_rate) % block.history_length] for tap in taps]
            gate = block.gated_step(past + [hidden], block_weights, conditioning_now[:, index])
            if block.history_length:  # kernel_size 1 keeps no past
                queue = ops.slice_update(queue, (0, t % block.history_length, 0), hidden[:, None])
            updated.append(queue)
            gates.append(gate)
            if block_weights.residual is not None:
                hidden = hidden + gate @ block_weights.residual + block_weights.residual_bias
        skips = ops.concatenate(gates, axis=-1) @ skip_kernel + skip_bias
        drawn = draw_categorical(head(skips), uniform[:, t], temperature)
        symbols = ops.slice_update(symbols, (0, t), drawn[:, None])
        return symbols, ops.take(embeddings, drawn, axis=0), updated

    symbols, _, _ = ops.fori_loop(0, length, step, (symbols, previous, queues))
    return symbols


def naive_generation_loop(model, uniform, temperature, speakers=None, local_codes=None, local_features=None):
    """Symbols (N, T) int32, with one full forward pass over the sequence per step."""
    batch, length = uniform.shape
    symbols = ops.zeros((batch, length), "int32")

    def step(t, symbols):
        logits = model(model.model_inputs(symbols, speakers, local_codes, local_features), training=False)
        logits_now = ops.slice(logits, (0, t, 0), (batch, 1, logits.shape[-1]))[:, 0]
        drawn = draw_categorical(logits_now, ops.slice(uniform, (0, t), (batch, 1))[:, 0], temperature)
        return ops.slice_update(symbols, (0, t), ops.reshape(drawn, (batch, 1)))

    return ops.fori_loop(0, length, step, symbols)


GENERATION_LOOPS = {"incremental": incremental_generation_loop, "naive": naive_generation_loop}
