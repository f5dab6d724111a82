"""Sums over the replicas of a data-parallel training step, so that batch statistics are global.

A data-parallel step splits a global batch of B examples into R replica batches. Gradients are
reduced by the engine; statistics a layer computes from its batch are not. A quantizer's EMA counts,
code sums, k-means centres, dead-code candidates and reported perplexity must be those of the
global batch, or each replica learns its own codebook. What "the replicas" are depends on the engine:

* **TensorFlow**, `tf.distribute` (`MirroredStrategy`, `MultiWorkerMirroredStrategy`): each replica
  runs the step on its part of the batch; `replica_sum` is the replica context's `all_reduce`,
  whose gradient is the all-reduce of the gradients.
* **JAX**, `keras.distribution` (`DataParallel`, `ModelParallel`, one or several processes): the step
  is one program over global arrays that XLA partitions, so every sum is already global and these
  functions are the identity.
* **PyTorch**, a process group (`torch.distributed`, e.g. under `torchrun`): `replica_sum` is
  `all_reduce` over the default group (the differentiable one from `torch.distributed.nn`).

Outside a data-parallel step (one device, prediction outside `strategy.run`) there is one replica.
The global batch is the replica batches concatenated in replica order, as `tf.distribute` splits a
batch and as a `DistributedSampler` with contiguous shards would; `take_global_rows` picks rows of it.

Example:
    ```python
    import numpy as np

    from keras_vq.distribute import replicas

    counts = np.array([3.0, 0.0, 1.0], "float32")
    print(replicas.num_replicas(), replicas.replica_sum(counts))  # 1 [3. 0. 1.]: one replica here
    ```
"""

import keras
from keras import ops

__all__ = ["replica_sum", "global_mean", "take_global_rows"]


def _tf_replica_context():
    """The `tf.distribute` replica context of a step with more than one replica, else None."""
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None  # cross-replica context (e.g. building under a scope), or one replica
    return context


def _torch_group_size():
    import torch.distributed

    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return 1
    return torch.distributed.get_world_size()


def num_replicas():
    """R, the replicas the current step's batch is split over (1 outside data parallelism and on JAX)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        context = _tf_replica_context()
        return 1 if context is None else context.num_replicas_in_sync
    if backend == "torch":
        return _torch_group_size()
    return 1


def replica_index():
    """This replica's position in the global batch, 0 to R - 1 (an int, or a tensor under TensorFlow)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        context = _tf_replica_context()
        return 0 if context is None else context.replica_id_in_sync_group
    if backend == "torch" and _torch_group_size() > 1:
        import torch.distributed

        return torch.distributed.get_rank()
    return 0


def replica_sum(values):
    """`values` summed over the replicas (float32); differentiable: the gradient is summed back.

    Example:
        ```python
        import numpy as np

        from keras_vq.distribute import replicas

        local_counts = np.array([2.0, 0.0, 5.0], "float32")  # one replica's code counts
        print(replicas.replica_sum(local_counts))  # the global counts; [2. 0. 5.] with one replica
        ```
    """
    values = ops.cast(values, "float32")
    if num_replicas() == 1:
        return values
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return _tf_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, values)
    import torch.distributed.nn

    return torch.distributed.nn.functional.all_reduce(values)


def global_mean(values):
    """The mean of every element of `values` over the global batch: sum over replicas / count over replicas.

    Example:
        ```python
        import numpy as np

        from keras_vq.distribute import replicas

        print(float(replicas.global_mean(np.array([[1.0, 2.0], [3.0, 6.0]], "float32"))))  # 3.0
        ```
    """
    values = ops.cast(values, "float32")
    if num_replicas() == 1:
        return ops.mean(values)
    size = ops.cast(ops.size(values), "float32")
    totals = replica_sum(ops.stack([ops.sum(values), size]))
    return totals[0] / totals[1]


def global_row_range(local_rows):
    """`(offset, global_rows)`: where this replica's `local_rows` start in the global batch, and the
    global batch's rows; `(0, local_rows)` unchanged with one replica, float32 tensors with several."""
    count = num_replicas()
    if count == 1:
        return 0, local_rows
    local_rows = ops.cast(local_rows, "float32")
    mine = ops.one_hot(ops.convert_to_tensor(replica_index()), count, dtype="float32")
    rows_per_replica = replica_sum(mine * local_rows)
    before = ops.cast(ops.arange(count) < ops.convert_to_tensor(replica_index()), "float32")
    return ops.sum(rows_per_replica * before), ops.sum(rows_per_replica)


def take_global_rows(local_values, rows, offset):
    """Rows `rows` (int32 indices into the global batch) of the global `local_values`, on every replica.

    `offset` is where this replica's rows start in the global batch (`global_row_range`'s first value,
    which the caller has already computed). Each replica contributes the rows it holds, zeros elsewhere,
    and the contributions are summed, so len(rows) x D values cross the replicas, never the global batch.

    Example:
        ```python
        import numpy as np

        from keras_vq.distribute import replicas

        rows = np.arange(12, dtype="float32").reshape(4, 3)  # this replica's 4 rows of 3
        offset, _ = replicas.global_row_range(len(rows))  # where this replica's rows start: 0 with one replica
        print(replicas.take_global_rows(rows, np.array([3, 0], "int32"), offset))  # rows 3 and 0 of the global batch
        ```
    """
    if num_replicas() == 1:
        return ops.take(local_values, rows, axis=0)
    local_rows = ops.shape(local_values)[0]
    local_index = ops.cast(rows, "float32") - offset
    held = ops.logical_and(local_index >= 0.0, local_index < ops.cast(local_rows, "float32"))
    safe_index = ops.cast(ops.clip(local_index, 0.0, ops.cast(local_rows, "float32") - 1.0), "int32")
    picked = ops.take(local_values, safe_index, axis=0)
    return replica_sum(ops.where(held[:, None], picked, ops.zeros_like(picked)))


def local_part(global_values, local_rows, offset):
    """This replica's `local_rows` of `global_values`, a tensor laid out over the global batch's rows,
    starting at row `offset` (`global_row_range`'s first value)."""
    if num_replicas() == 1:
        return global_values
    offset = ops.cast(offset, "int32")
    return ops.slice(
        global_values, [offset] + [0] * (len(global_values.shape) - 1), [local_rows] + list(global_values.shape[1:])
    )


def own_losses(losses, like):
    """The entries of a model's `losses` computed by the replica that computed the tensor `like`.

    Under `tf.distribute` on one host, the replicas of a step are traced in threads that pause together
    at each sum over the replicas, on the same layer objects, so `Layer.losses` holds every replica's
    `add_loss` terms. Another replica's terms carry no gradient to this replica's weights, but they
    would be counted in the reported loss; this keeps those placed on `like`'s device."""
    if num_replicas() == 1 or keras.backend.backend() != "tensorflow":
        return list(losses)
    return [loss for loss in losses if loss.device == like.device]


def scale_loss(loss):
    """`loss` / R under `tf.distribute`, whose replicas' gradients are summed (Keras scales its own
    compiled losses the same way); unchanged elsewhere (JAX's loss is global; DDP averages gradients)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            return loss / replicas
    return loss
