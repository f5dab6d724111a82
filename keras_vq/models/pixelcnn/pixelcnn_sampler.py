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
  from the cached vertical row, the block's horizontal input at columns
  j - r .. j (cached in a one-row buffer) and the conditioning bias; then the
  output head at (i, j), the draw, and the new code's embedding written into
  the first block's buffers.

So a whole map costs about one full pass, against H * W of them. The loops
are `keras.ops.fori_loop`s inside a Keras model's predict function, so Keras
compiles the whole loop, with the weights as arguments, on each backend (an
XLA while-loop on JAX, a graph while-loop on TensorFlow; PyTorch runs it
eagerly).
"""

from keras import ops

from keras_vq.models.autoregressive import draw_categorical



def _position_bias(bias, i, j, batch):
    """The conditioning bias at (i, j): (N, 1, 1, 2C), whatever its spatial extent."""
    if bias is None:
        return None
    if bias.shape[1] == 1:
        return bias
    return ops.slice(bias, (0, i, j, 0), (batch, 1, 1, bias.shape[-1]))


def _row_bias(bias, i, batch):
    if bias is None or bias.shape[1] == 1:
        return bias
    return ops.slice(bias, (0, i, 0, 0), (batch, 1, bias.shape[2], bias.shape[-1]))


def cached_sampling_loop(prior, uniform, temperature, class_labels=None, condition=None):
    """Codes (N, H, W) int32, each block computed once a position (see the module docstring)."""
    batch, height, width = uniform.shape
    blocks = prior.blocks
    condition_features = prior.condition_features(condition)
    biases = [block.conditioning_bias(class_labels, condition_features) for block in blocks]
    dtype = prior.embedding.compute_dtype
    channels = prior.channels

    codes = ops.zeros((batch, height, width), "int32")
    # Block b's vertical input (the embedded codes for b = 0, block b-1's v' after),
    # padded as the block pads it; row i of its output reads padded rows i .. i+r.
    vertical_inputs = [
        ops.zeros((batch, height + block.padding_before, width + 2 * block.radius, channels), dtype)
        for block in blocks
    ]

    def row_step(i, state):
        codes, vertical_inputs = state
        vertical_inputs = list(vertical_inputs)
        vertical_preactivations = []
        for index, block in enumerate(blocks):
            rows = ops.slice(vertical_inputs[index], (0, i, 0, 0),
                             (batch, block.radius + 1, width + 2 * block.radius, channels))
            preactivation, output = block.vertical_step(rows, _row_bias(biases[index], i, batch))
            vertical_preactivations.append(preactivation)
            if index + 1 < len(blocks):
                following = blocks[index + 1]
                vertical_inputs[index + 1] = ops.slice_update(
                    vertical_inputs[index + 1], (0, i + following.padding_before, following.radius, 0), output
                )

        # Block b's horizontal input along row i, padded on the left as the block pads it.
        horizontal_inputs = [
            ops.zeros((batch, 1, width + block.padding_before, channels), dtype) for block in blocks
        ]

        def column_step(j, column_state):
            codes, horizontal_inputs = column_state
            horizontal_inputs = list(horizontal_inputs)
            skips = []
            for index, block in enumerate(blocks):
                columns = ops.slice(horizontal_inputs[index], (0, 0, j, 0), (batch, 1, block.radius + 1, channels))
                residual = columns[:, :, -1:]  # The block's input at (i, j) (mask B).
                vertical_here = ops.slice(vertical_preactivations[index], (0, 0, j, 0),
                                          (batch, 1, 1, 2 * block.channels))
                output, skip = block.horizontal_step(columns, residual, vertical_here,
                                                     _position_bias(biases[index], i, j, batch))
                skips.append(skip)
                last_horizontal = output
                if index + 1 < len(blocks):
                    following = blocks[index + 1]
                    horizontal_inputs[index + 1] = ops.slice_update(
                        horizontal_inputs[index + 1], (0, 0, j + following.padding_before, 0), output
                    )
            logits = prior.output_head(skips, last_horizontal)[:, 0, 0]
            drawn = draw_categorical(logits, ops.slice(uniform, (0, i, j), (batch, 1, 1))[:, 0, 0], temperature)
            codes = ops.slice_update(codes, (0, i, j), ops.reshape(drawn, (batch, 1, 1)))
            embedded = ops.reshape(prior.embedding(drawn), (batch, 1, 1, channels))
            first = blocks[0]
            horizontal_inputs[0] = ops.slice_update(
                horizontal_inputs[0], (0, 0, j + first.padding_before, 0), embedded
            )
            return codes, horizontal_inputs

        codes, horizontal_inputs = ops.fori_loop(0, width, column_step, (codes, horizontal_inputs))
        first = blocks[0]
        row = horizontal_inputs[0][:, :, first.padding_before:]
        vertical_inputs[0] = ops.slice_update(
            vertical_inputs[0], (0, i + first.padding_before, first.radius, 0), row
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
