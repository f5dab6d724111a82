"""Sampling a PixelCNN: the cached loop (fast) and the naive loop (one full pass per position).

Both draw position (i, j) from the same uniform number u[n, i, j] by
inverse-CDF sampling, so for the same noise they give the same codes; they
differ only in how they get the logits.

The naive loop runs the whole network over the whole map for every position:
H * W full passes, each costing H * W positions, for H * W positions sampled.

The cached loop (Ramachandran et al. 2017, "Fast Generation for
Convolutional Autoregressive Models", https://arxiv.org/abs/1704.06001,
specialised to the two stacks of the gated PixelCNN) computes each block's
output at each position exactly once:

* at the start of row i, every block's vertical stack for the whole of row
  i: it depends only on rows above i, which are final;
* then, for j = 0 .. W-1, every block's horizontal stack at (i, j) only,
  from the cached vertical row, the block's horizontal inputs at columns
  j - r .. j (the last r kept from earlier positions) and the conditioning
  bias; then the output head at (i, j), the draw, and the new code's
  embedding kept for the first block's next positions.

So a whole map costs about one full pass, against H * W of them. The loops
are `keras.ops.fori_loop`s inside a Keras model's predict function, so Keras
compiles the whole loop, with the weights as arguments, on each backend (an
XLA while-loop on JAX, a graph while-loop on TensorFlow; PyTorch runs it
eagerly).
"""

from keras import ops

from keras_vq.models.autoregressive_prior import draw_categorical, output_head_on_vectors


def _row_bias(bias, i, batch):
    if bias is None or bias.shape[1] == 1:
        return bias
    return ops.slice(bias, (0, i, 0, 0), (batch, 1, bias.shape[2], bias.shape[-1]))


def cached_sampling_loop(prior, uniform, temperature, class_labels=None, condition=None):
    """Codes (N, H, W) int32, each block computed once a position (see the module docstring).

    A row costs each block's vertical convolution over the row and its
    vertical-to-horizontal link, for all blocks' horizontal stacks at once.
    A position costs, per block, a matrix product per column tap and one for
    the output, and the gate; the skip outputs of all blocks are one matrix
    product of their gates side by side. A block's horizontal inputs at the
    columns its taps read are a Python list in the loop state, shifted by
    one each position, so reading them costs nothing; the weights are cast
    once, before the loop. Arithmetic and indexing use Python's operators
    (see `GatedPixelCNNBlock.position_step`)."""
    batch, height, width = uniform.shape
    blocks = prior.blocks
    condition_features = prior.condition_features(condition)
    biases = [block.conditioning_bias(class_labels, condition_features) for block in blocks]
    dtype = prior.embedding.compute_dtype
    channels = prior.channels
    weights = [block.position_weights() for block in blocks]
    skip_kernel = ops.concatenate([block_weights.skip for block_weights in weights], axis=0)
    skip_bias = ops.sum(ops.stack([block_weights.skip_bias for block_weights in weights]), axis=0)
    head = output_head_on_vectors(prior.head)
    embeddings = ops.cast(prior.embedding.embeddings, dtype)

    codes = ops.zeros((batch, height, width), "int32")
    # Block b's vertical input (the embedded codes for b = 0, block b-1's v' after),
    # padded as the block pads it; row i of its output reads padded rows i .. i+r.
    vertical_inputs = [
        ops.zeros((batch, height + block.padding_before, width + 2 * block.radius, channels), dtype)
        for block in blocks
    ]
    # Block b's horizontal inputs at the columns before j that its taps read (r + 1 of them for the
    # first block, r for the others, whose last tap reads column j itself), leftmost first.
    history_lengths = [block.radius + 1 if block.is_first else block.radius for block in blocks]

    def row_step(i, state):
        codes, vertical_inputs = state
        vertical_inputs = list(vertical_inputs)
        row_preactivations = []
        for index, block in enumerate(blocks):
            rows = ops.slice(vertical_inputs[index], (0, i, 0, 0),
                             (batch, block.radius + 1, width + 2 * block.radius, channels))
            bias = _row_bias(biases[index], i, batch)
            preactivation, output = block.vertical_step(rows, bias)
            row_preactivations.append(block.row_preactivation(preactivation, bias)[:, 0])
            if index + 1 < len(blocks):
                following = blocks[index + 1]
                vertical_inputs[index + 1] = ops.slice_update(
                    vertical_inputs[index + 1], (0, i + following.padding_before, following.radius, 0), output
                )
        row_preactivations = ops.stack(row_preactivations, axis=2)  # (N, W, blocks, 2C)
        row_codes = ops.zeros((batch, width), "int32")
        histories = [[ops.zeros((batch, channels), dtype)] * length for length in history_lengths]

        def column_step(j, column_state):
            row_codes, histories = column_state
            here = row_preactivations[:, j]
            gates, shifted = [], []
            inputs = None
            for index, (block, block_weights, history) in enumerate(zip(blocks, weights, histories)):
                window = list(history) if block.is_first else list(history) + [inputs]
                inputs, gate = block.position_step(window, here[:, index], block_weights)
                gates.append(gate)
                if not block.is_first:
                    shifted.append(window[1:])
            skips = ops.concatenate(gates, axis=-1) @ skip_kernel + skip_bias
            drawn = draw_categorical(head(skips + inputs), uniform[:, i, j], temperature)
            row_codes = ops.slice_update(row_codes, (0, j), drawn[:, None])
            first_history = list(histories[0][1:]) + [ops.take(embeddings, drawn, axis=0)]
            return row_codes, [first_history] + shifted

        row_codes, _ = ops.fori_loop(0, width, column_step, (row_codes, histories))
        codes = ops.slice_update(codes, (0, i, 0), row_codes[:, None])
        first = blocks[0]
        vertical_inputs[0] = ops.slice_update(
            vertical_inputs[0], (0, i + first.padding_before, first.radius, 0),
            ops.take(embeddings, row_codes, axis=0)[:, None]
        )
        return codes, vertical_inputs

    codes, _ = ops.fori_loop(0, height, row_step, (codes, vertical_inputs))
    return codes


def naive_sampling_loop(prior, uniform, temperature, class_labels=None, condition=None):
    """Codes (N, H, W) int32, with one full forward pass of the prior per position."""
    batch, height, width = uniform.shape
    codes = ops.zeros((batch, height, width), "int32")

    def position_step(position, codes):
        i, j = position // width, position % width
        logits = prior(prior.model_inputs(codes, class_labels, condition), training=False)
        logits_here = ops.slice(logits, (0, i, j, 0), (batch, 1, 1, logits.shape[-1]))[:, 0, 0]
        drawn = draw_categorical(logits_here, ops.slice(uniform, (0, i, j), (batch, 1, 1))[:, 0, 0], temperature)
        return ops.slice_update(codes, (0, i, j), ops.reshape(drawn, (batch, 1, 1)))

    return ops.fori_loop(0, height * width, position_step, codes)


SAMPLING_LOOPS = {"cached": cached_sampling_loop, "naive": naive_sampling_loop}
