"""The batch order every keras_vq PyDataset shares: seeded, reshuffled each epoch, resumable; and the
endless stream of `model.fit` inputs from any global step (`batches_from`, public as
`keras_vq.training.batches_from`)."""

import keras
import numpy as np


class SeededBatches(keras.utils.PyDataset):
    """Batches over in-memory examples; training order is reshuffled each epoch from `seed`."""

    def __init__(self, num_items, batch_size, evaluation, seed):
        super().__init__()
        self.num_items = num_items
        self.batch_size = batch_size
        self.evaluation = evaluation
        self.seed = seed
        self.epoch = 0
        if num_items == 0 or (not evaluation and num_items < batch_size):
            raise ValueError(f"the split has {num_items} examples, fewer than one batch of {batch_size}")

    def __len__(self):
        if self.evaluation:
            return -(-self.num_items // self.batch_size)
        return self.num_items // self.batch_size  # Training drops the last partial batch.

    def _epoch_rng(self):
        return np.random.default_rng([self.seed, self.epoch])

    def _batch_indices(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        order = np.arange(self.num_items) if self.evaluation else self._epoch_rng().permutation(self.num_items)
        return order[index * self.batch_size : (index + 1) * self.batch_size]

    def _seeded_crops(self, sequences, indices, index, crop_length):
        """`(len(indices), crop_length, ...)`: one random crop of each of
        `sequences[indices]`, the same for the same `(seed, epoch, index)` (so
        a resumed run sees the crops it would have seen)."""
        rng = np.random.default_rng([self.seed, self.epoch, index])
        crops = []
        for item in indices:
            offset = rng.integers(0, len(sequences[item]) - crop_length + 1)
            crops.append(sequences[item][offset : offset + crop_length])
        return np.stack(crops)

    def on_epoch_end(self):
        self.epoch += 1

    def concatenated(self):
        """Every batch of this epoch joined along the batch axis (for evaluation sets)."""
        batches = [self[index] for index in range(len(self))]
        return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *batches)


def as_fit_input(batch):
    """A batch as `model.fit` takes it from a stream: `(inputs,)`, or an `(inputs, targets)` tuple as it is."""
    return batch if isinstance(batch, tuple) else (batch,)


def batches_from(dataset, step):
    """The batches of `dataset` (a keras_vq PyDataset, reshuffled each pass)
    from global `step` on, forever, as `model.fit` inputs: `(inputs,)`, or
    the batch itself when it is already an `(inputs, targets)` tuple.

    Pass `n` of a keras_vq PyDataset is ordered by `(seed, n)` alone, so the
    stream from any step is the same whether or not training was interrupted.

    Example:
        ```python
        import numpy as np

        import keras_vq

        inputs = {"codes": np.zeros((10, 4, 4), "int32")}
        batches = keras_vq.data.CodeBatches(inputs, batch_size=4, seed=0)  # 2 batches a pass
        stream = keras_vq.training.batches_from(batches, 3)               # from global step 3: pass 1, batch 1
        (batch,) = next(stream)
        print(batch["codes"].shape)  # (4, 4, 4)
        ```
    """
    passes, index = divmod(step, len(dataset))
    dataset.epoch = passes
    while True:
        for batch_index in range(index, len(dataset)):
            yield as_fit_input(dataset[batch_index])
        dataset.on_epoch_end()
        index = 0
