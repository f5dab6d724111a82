"""Drawing from any autoregressive prior: one cached loop and one naive loop, shared by every prior.

A prior over symbols x in raster order (a sequence, or a map read row by
row) factorises as p(x | c) = prod_t p(x_t | x_<t, c). Drawing visits the
positions in that order; at each it needs the logits of p(x_t | x_<t, c),
draws x_t by inverse CDF from the uniform number u_t given up front
(`draw_categorical`), and records it. How the logits are obtained is the
only thing a prior decides:

* `naive_sampling_loop`: one full forward pass of the prior over the whole
  (partly drawn) input for every position, the reference any faster loop
  must reproduce. It needs nothing from the prior but its call
  (`full_pass_logits`: the call, or with classifier-free guidance the
  guided mix of two calls).
* `cached_sampling_loop`: the prior supplies `cached_steps(batch, shape,
  conditioning)`, a `CachedSteps` object that keeps what earlier positions
  computed (PixelCNN's vertical stacks and column windows; WaveNet's per-layer
  queues; a transformer's keys and values) so that each position costs one
  position of each layer, not a full pass.

Both loops draw position t from the same u_t, so for the same noise they
draw the same symbols: the equivalence tests of every prior rest on this.
The loops are `keras.ops.fori_loop`s, compiled whole by
`keras_vq.models.autoregressive_prior.run_compiled` on each backend. What
the loop does not do (checking the conditioning, seeding the noise,
temperature checks, progress) is done once, by the prior's `sample` and
`AutoregressivePrior.draw_symbols`.
"""

import numpy as np
from keras import ops

__all__ = ["draw_categorical", "cached_sampling_loop", "naive_sampling_loop", "CachedSteps"]


def draw_categorical(logits, uniform, temperature):
    """Inverse-CDF draw: the first symbol whose cumulative probability exceeds u.

    logits (N, K), uniform (N,) in [0, 1), temperature (N,) > 0 -> (N,) int32.

    Example:
        ```python
        import numpy as np

        from keras_vq.models.sampling import draw_categorical

        logits = np.log(np.array([[0.2, 0.5, 0.3]], "float32"))  # cumulative 0.2, 0.7, 1.0
        print([int(draw_categorical(logits, np.array([u], "float32"), np.ones(1, "float32"))[0])
               for u in (0.1, 0.5, 0.9)])  # [0, 1, 2]
        ```
    """
    # Python's operators where they do: the loops call this once a step, eagerly on PyTorch.
    uniform, temperature = (
        values if ops.is_tensor(values) else ops.convert_to_tensor(values, "float32")
        for values in (uniform, temperature)
    )
    logits = ops.cast(logits, "float32") / temperature[:, None]
    cumulative = ops.cumsum(ops.softmax(logits, axis=-1), axis=-1)
    below = ops.sum(ops.cast(cumulative < uniform[:, None], "int32"), axis=-1)
    return ops.minimum(below, logits.shape[-1] - 1)


class CachedSteps:
    """What a prior gives `cached_sampling_loop`: a loop state and the steps over it.

    Positions are visited row by row ((rows, columns) = the map's shape, or
    (1, length) for a sequence). The loop calls `start_row(i, state)` before
    row i, then for each column j `logits(i, j, state)` -> `(logits (N, K),
    state)` and, once x_ij is drawn, `commit(i, j, drawn, state)`; after the
    row, `end_row(i, row_symbols, state)`. `state` is any nest of tensors
    (lists and tuples of fixed structure, as `keras.ops.fori_loop` carries);
    `initial_state` is its value before the first row. The defaults of the
    row hooks do nothing; a prior overrides what it needs.

    Example:
        ```python
        import numpy as np
        from keras import ops

        from keras_vq.models.sampling import CachedSteps, cached_sampling_loop

        class CountingSteps(CachedSteps):  # x_t = x_(t-1) + 1 (mod 4), near certainly; the state: x_(t-1)
            def __init__(self, batch):
                self.initial_state = ops.full((batch,), 3, "int32")

            def logits(self, i, j, state):
                return 30.0 * ops.one_hot((state + 1) % 4, 4), state

            def commit(self, i, j, drawn, state):
                return drawn

        class CountingPrior:
            def cached_steps(self, batch, shape, conditioning):
                return CountingSteps(batch)

        uniform = np.random.default_rng(0).random((2, 6), dtype="float32")
        print(ops.convert_to_numpy(cached_sampling_loop(CountingPrior(), uniform, np.ones(2, "float32"))))
        # [[0 1 2 3 0 1]
        #  [0 1 2 3 0 1]]
        ```
    """

    initial_state = ()

    def start_row(self, i, state):
        """The state before row `i` is drawn (PixelCNN: the row's vertical-stack inputs); by default `state`.

        Example:
            ```python
            from keras_vq.models.sampling import CachedSteps

            print(CachedSteps().start_row(0, (1, 2)))  # (1, 2): the default leaves the state as it is
            ```
        """
        return state

    def logits(self, i, j, state):
        """`(logits (N, K), state)` at position (i, j), from what the state holds of the symbols before it.

        Example:
            ```python
            from keras import ops

            from keras_vq.models.sampling import CachedSteps

            class UniformSteps(CachedSteps):  # every one of 4 symbols equally likely, for a batch of 2
                def logits(self, i, j, state):
                    return ops.zeros((2, 4)), state

            print(ops.shape(UniformSteps().logits(0, 0, ())[0]))  # (2, 4)
            ```
        """
        raise NotImplementedError(f"{type(self).__name__} must define logits(i, j, state)")

    def commit(self, i, j, drawn, state):
        """The state once `drawn` (N,) is the symbol at (i, j) (WaveNet: pushed onto each layer's queue).

        Example:
            ```python
            from keras_vq.models.sampling import CachedSteps

            class LastSymbol(CachedSteps):  # the state is the symbol drawn last
                def commit(self, i, j, drawn, state):
                    return drawn

            print(LastSymbol().commit(0, 3, [2, 7], state=None))  # [2, 7]
            ```
        """
        return state

    def end_row(self, i, row_symbols, state):
        """The state after row `i` (`row_symbols` (N, columns)) is drawn; by default `state`.

        Example:
            ```python
            from keras_vq.models.sampling import CachedSteps

            print(CachedSteps().end_row(0, [[1, 2, 3]], "state"))  # state: the default leaves it as it is
            ```
        """
        return state


def raster_grid(shape):
    """`(rows, columns)` of a sampled shape: a map's own, or `(1, length)` for a sequence."""
    return (1, shape[0]) if len(shape) == 1 else tuple(shape)


def cached_sampling_loop(prior, uniform, temperature, **conditioning):
    """Symbols `uniform.shape` int32, each position's logits from `prior.cached_steps` (see the module
    docstring); `temperature` is `(batch,)` and `conditioning` the prior's inputs besides the symbols.

    Example:
        ```python
        import numpy as np
        from keras import ops

        import keras_vq
        from keras_vq.models.sampling import cached_sampling_loop, naive_sampling_loop

        prior = keras_vq.models.PixelCNN(code_shape=(3, 3), num_embeddings=8, channels=8, num_blocks=1)
        uniform, temperature = np.random.default_rng(0).random((2, 3, 3), dtype="float32"), np.ones(2, "float32")
        cached = cached_sampling_loop(prior, uniform, temperature)
        naive = naive_sampling_loop(prior, uniform, temperature)
        print(np.array_equal(ops.convert_to_numpy(cached), ops.convert_to_numpy(naive)))  # True
        ```
    """
    batch, *shape = uniform.shape
    rows, columns = raster_grid(shape)
    conditioning = {key: ops.convert_to_tensor(value) for key, value in conditioning.items()}
    steps = prior.cached_steps(batch, tuple(shape), conditioning)
    uniform = ops.reshape(uniform, (batch, rows, columns))

    def row_step(i, carried):
        symbols, state = carried
        state = steps.start_row(i, state)

        def column_step(j, carried):
            row_symbols, state = carried
            logits, state = steps.logits(i, j, state)
            drawn = draw_categorical(logits, uniform[:, i, j], temperature)
            row_symbols = ops.slice_update(row_symbols, (0, j), drawn[:, None])
            return row_symbols, steps.commit(i, j, drawn, state)

        row_symbols, state = ops.fori_loop(0, columns, column_step, (ops.zeros((batch, columns), "int32"), state))
        symbols = ops.slice_update(symbols, (0, i, 0), row_symbols[:, None])
        return symbols, steps.end_row(i, row_symbols, state)

    symbols, _ = ops.fori_loop(0, rows, row_step, (ops.zeros((batch, rows, columns), "int32"), steps.initial_state))
    return ops.reshape(symbols, (batch, *shape))


def naive_sampling_loop(prior, uniform, temperature, **conditioning):
    """Symbols `uniform.shape` int32, with one full forward pass of `prior` per position: the reference
    every cached loop must reproduce, as slow as it is obvious (`temperature` and `conditioning` as in
    `cached_sampling_loop`).

    Example:
        ```python
        import numpy as np
        from keras import ops

        import keras_vq
        from keras_vq.models.sampling import naive_sampling_loop

        prior = keras_vq.models.WaveNet(num_symbols=16, channels=8, num_layers=3, layers_per_cycle=3,
                                        num_speakers=2)
        uniform = np.random.default_rng(0).random((2, 10), dtype="float32")
        symbols = naive_sampling_loop(prior, uniform, np.ones(2, "float32"), speakers=np.array([0, 1], "int32"))
        print(ops.convert_to_numpy(symbols).shape)  # (2, 10): ten full passes of the WaveNet
        ```
    """
    batch, *shape = uniform.shape
    positions = int(np.prod(shape))
    uniform = ops.reshape(uniform, (batch, positions))
    conditioning = {key: ops.convert_to_tensor(value) for key, value in conditioning.items()}

    def position_step(position, symbols):
        logits = prior.full_pass_logits(ops.reshape(symbols, (batch, *shape)), conditioning)
        logits_here = ops.reshape(logits, (batch, positions, logits.shape[-1]))[:, position]
        drawn = draw_categorical(logits_here, uniform[:, position], temperature)
        return ops.slice_update(symbols, (0, position), drawn[:, None])

    symbols = ops.fori_loop(0, positions, position_step, ops.zeros((batch, positions), "int32"))
    return ops.reshape(symbols, (batch, *shape))


SAMPLING_METHODS = {"cached": cached_sampling_loop, "naive": naive_sampling_loop}
