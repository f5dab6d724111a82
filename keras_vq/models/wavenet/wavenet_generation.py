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
computes every block at time t only (a matrix product per tap and the 1x1
convolutions), pushes the new inputs, and draws. One step costs one position
of every layer: a whole sequence costs about one full pass. The queue is a
ring buffer indexed by t mod its length; slots never written hold zeros,
which is the full pass's causal zero padding.
"""

from keras import ops

from keras_vq.models.autoregressive import draw_categorical


def incremental_generation_loop(model, uniform, temperature, speakers=None, local_codes=None, local_features=None):
    """Symbols (N, T) int32, each block computed once per step from its queue."""
    batch, length = uniform.shape
    channels = model.channels
    dtype = model.embedding.compute_dtype
    speaker = None if speakers is None else model.speaker_embedding(speakers)
    condition = local_codes if local_codes is not None else local_features
    local = None if condition is None else model.local_network(condition)  # (N, steps, L), not repeated.

    symbols = ops.zeros((batch, length), "int32")
    previous = ops.zeros((batch, 1, channels), dtype)  # The shifted input at t = 0.
    queues = [ops.zeros((batch, block.history_length, channels), dtype) for block in model.blocks]

    def step(t, state):
        symbols, previous, queues = state
        local_now = None
        if local is not None:
            local_now = ops.slice(local, (0, t // model.upsampling, 0), (batch, 1, local.shape[-1]))
        hidden, skips, updated = previous, [], []
        for block, queue in zip(model.blocks, queues):
            taps = range(block.kernel_size - 1, 0, -1)  # t - (k-1) d, ..., t - d: oldest first.
            past = ops.concatenate([
                ops.slice(queue, (0, (t - tap * block.dilation_rate) % block.history_length, 0), (batch, 1, channels))
                for tap in taps
            ], axis=1)
            output, skip = block.step(hidden, past, block.conditioning(speaker, local_now))
            updated.append(ops.slice_update(queue, (0, t % block.history_length, 0), hidden))
            skips.append(skip)
            hidden = output
        logits = model.output_head(skips)[:, 0]
        drawn = draw_categorical(logits, ops.slice(uniform, (0, t), (batch, 1))[:, 0], temperature)
        symbols = ops.slice_update(symbols, (0, t), ops.reshape(drawn, (batch, 1)))
        previous = ops.reshape(model.embedding(drawn), (batch, 1, channels))
        return symbols, previous, updated

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
