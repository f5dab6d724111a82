"""The steps a PixelCNN gives the shared cached sampling loop (`keras_vq.models.sampling`).

The naive loop runs the whole network over the whole map for every position:
H * W full passes, each costing H * W positions, for H * W positions sampled.

The cached steps (Ramachandran et al. 2017, "Fast Generation for
Convolutional Autoregressive Models", https://arxiv.org/abs/1704.06001,
specialised to the two stacks of the gated PixelCNN) compute each block's
output at each position exactly once:

* at the start of row i, every block's vertical stack for the whole of row
  i: it depends only on rows above i, which are final;
* then, for j = 0 .. W-1, every block's horizontal stack at (i, j) only,
  from the cached vertical row, the block's horizontal inputs at columns
  j - r .. j (the last r kept from earlier positions) and the conditioning
  bias; then the output head at (i, j), the draw, and the new code's
  embedding kept for the first block's next positions.

So a whole map costs about one full pass, against H * W of them.
"""

from keras import ops

from keras_vq.models.autoregressive_prior import output_head_on_vectors
from keras_vq.models.sampling import CachedSteps


def _row_bias(bias, i, batch):
    if bias is None or bias.shape[1] == 1:
        return bias
    return ops.slice(bias, (0, i, 0, 0), (batch, 1, bias.shape[2], bias.shape[-1]))


class PixelCNNSteps(CachedSteps):
    """Each block computed once a position (see the module docstring).

    A row costs each block's vertical convolution over the row and its
    vertical-to-horizontal link, for all blocks' horizontal stacks at once.
    A position costs, per block, a matrix product per column tap and one for
    the output, and the gate; the skip outputs of all blocks are one matrix
    product of their gates side by side. A block's horizontal inputs at the
    columns its taps read are a Python list in the loop state, shifted by
    one each position, so reading them costs nothing; the weights are cast
    once, before the loop. Arithmetic and indexing use Python's operators
    (see `GatedPixelCNNBlock.position_step`).

    The state is (vertical inputs, the row's preactivations, column histories):
    block b's vertical input (the embedded codes for b = 0, block b-1's v'
    after), padded as the block pads it, whose row i of output reads padded
    rows i .. i+r; the horizontal stacks' preactivations from the vertical
    stacks for the current row, (N, W, blocks, 2C); and block b's horizontal
    inputs at the columns before j that its taps read (r + 1 of them for the
    first block, r for the others, whose last tap reads column j itself),
    leftmost first."""

    def __init__(self, prior, batch, shape, class_labels=None, condition=None):
        self.batch, (self.height, self.width) = batch, shape
        self.blocks = prior.blocks
        condition_features = prior.condition_features(condition)
        self.biases = [block.conditioning_bias(class_labels, condition_features) for block in self.blocks]
        self.dtype = prior.embedding.compute_dtype
        self.channels = prior.channels
        self.weights = [block.position_weights() for block in self.blocks]
        self.skip_kernel = ops.concatenate([block_weights.skip for block_weights in self.weights], axis=0)
        self.skip_bias = ops.sum(ops.stack([block_weights.skip_bias for block_weights in self.weights]), axis=0)
        self.head = output_head_on_vectors(prior.head)
        self.embeddings = ops.cast(prior.embedding.embeddings, self.dtype)
        self.history_lengths = [block.radius + 1 if block.is_first else block.radius for block in self.blocks]
        vertical_inputs = [
            ops.zeros(
                (batch, self.height + block.padding_before, self.width + 2 * block.radius, self.channels), self.dtype
            )
            for block in self.blocks
        ]
        row_preactivations = ops.zeros((batch, self.width, len(self.blocks), 2 * self.channels), self.dtype)
        self.initial_state = (vertical_inputs, row_preactivations, self.empty_histories())

    def empty_histories(self):
        return [[ops.zeros((self.batch, self.channels), self.dtype)] * length for length in self.history_lengths]

    def start_row(self, i, state):
        vertical_inputs, _, _ = state
        vertical_inputs = list(vertical_inputs)
        row_preactivations = []
        for index, block in enumerate(self.blocks):
            rows = ops.slice(
                vertical_inputs[index],
                (0, i, 0, 0),
                (self.batch, block.radius + 1, self.width + 2 * block.radius, self.channels),
            )
            bias = _row_bias(self.biases[index], i, self.batch)
            preactivation, output = block.vertical_step(rows, bias)
            row_preactivations.append(ops.cast(block.row_preactivation(preactivation, bias)[:, 0], self.dtype))
            if index + 1 < len(self.blocks):
                following = self.blocks[index + 1]
                vertical_inputs[index + 1] = ops.slice_update(
                    vertical_inputs[index + 1], (0, i + following.padding_before, following.radius, 0), output
                )
        return vertical_inputs, ops.stack(row_preactivations, axis=2), self.empty_histories()

    def logits(self, i, j, state):
        vertical_inputs, row_preactivations, histories = state
        here = row_preactivations[:, j]
        gates, shifted = [], []
        inputs = None
        for index, (block, block_weights, history) in enumerate(zip(self.blocks, self.weights, histories)):
            window = list(history) if block.is_first else list(history) + [inputs]
            inputs, gate = block.position_step(window, here[:, index], block_weights)
            gates.append(gate)
            if not block.is_first:
                shifted.append(window[1:])
        skips = ops.concatenate(gates, axis=-1) @ self.skip_kernel + self.skip_bias
        return self.head(skips + inputs), (vertical_inputs, row_preactivations, [histories[0]] + shifted)

    def commit(self, i, j, drawn, state):
        vertical_inputs, row_preactivations, histories = state
        first_history = list(histories[0][1:]) + [ops.take(self.embeddings, drawn, axis=0)]
        return vertical_inputs, row_preactivations, [first_history] + list(histories[1:])

    def end_row(self, i, row_symbols, state):
        vertical_inputs, row_preactivations, histories = state
        first = self.blocks[0]
        vertical_inputs = [
            ops.slice_update(
                vertical_inputs[0],
                (0, i + first.padding_before, first.radius, 0),
                ops.take(self.embeddings, row_symbols, axis=0)[:, None],
            )
        ] + list(vertical_inputs[1:])
        return vertical_inputs, row_preactivations, histories
