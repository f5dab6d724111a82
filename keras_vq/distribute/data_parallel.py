"""Training on every device of the machine (or of several machines) with the engine's own data parallelism.

`scope()` is the one switch the recipes' `--data-parallel` turns: build, compile and fit a model inside
it, and each global batch is split over the devices, gradients are averaged, and the quantizers' and
priors' batch statistics are taken over the global batch (`keras_vq.distribute.replicas`), so the result equals
one-device training with the same global batch (`tests/unit/data_parallel_test.py`).

* **JAX**: `keras.distribution.DataParallel` over `keras.distribution.list_devices()`. On several hosts,
  set `KERAS_DISTRIBUTION_JOB_ADDRESSES` (the coordinator's host:port), `KERAS_DISTRIBUTION_NUM_PROCESSES`
  and `KERAS_DISTRIBUTION_PROCESS_ID` on each (`keras.distribution.initialize()` is then called for you,
  or call it yourself first); the devices are every host's, and a `tf.data` dataset is sharded over the
  processes by Keras.
* **TensorFlow**: `tf.distribute.MirroredStrategy` over the local GPUs (or CPUs), or
  `MultiWorkerMirroredStrategy` when `TF_CONFIG` names more than one worker.
* **PyTorch**: Keras' `fit` does not average gradients across processes, so `scope()` refuses, and
  so does `fit` while a `torch.distributed` process group of several processes exists (each process
  would learn its own model). The supported path is a short custom loop under `torchrun`: wrap the
  model in `torch.nn.parallel.DistributedDataParallel` (which averages the gradients) and call
  `torch_train_step`; the quantizers sum their statistics over the process group themselves.

Example:
    ```python
    import keras

    import keras_vq

    if keras.backend.backend() != "torch":
        with keras_vq.distribute.scope():
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            model.compile(optimizer=keras.optimizers.Adam(1e-3))
        print(keras_vq.distribute.describe())  # e.g. "data-parallel over 1 device(s) (...)"
    ```
"""

import contextlib
import json
import os

import keras

__all__ = ["scope", "describe", "process_share", "predict_rows", "torch_train_step"]

TORCH_REFUSAL = (
    "data-parallel training is not available on the PyTorch backend: Keras' fit does not average "
    "gradients across processes. Use KERAS_BACKEND=jax or tensorflow, or a custom loop of "
    "keras_vq.distribute.torch_train_step with the model wrapped in DistributedDataParallel "
    "(see the Scaling out page)"
)

_strategies = {}  # One tf.distribute strategy a process: a second one would reuse the first's collective keys.


def _tensorflow_strategy():
    import tensorflow as tf

    kind = "multi_worker" if _tf_config_workers() > 1 else "mirrored"
    if kind not in _strategies:
        _strategies[kind] = (
            tf.distribute.MultiWorkerMirroredStrategy() if kind == "multi_worker" else tf.distribute.MirroredStrategy()
        )
    return _strategies[kind]


def distribution():
    """The engine's data-parallel object for this process: a `tf.distribute.Strategy` or a
    `keras.distribution.DataParallel`; RuntimeError on PyTorch."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_strategy()
    if backend == "jax":
        import jax

        _initialize_jax_processes()
        data_parallel = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        if jax.process_count() > 1:
            data_parallel.auto_shard_dataset = False  # each process feeds its share (`process_share`)
        return data_parallel
    raise RuntimeError(TORCH_REFUSAL)


def process_share(batches):
    """This process's rows of each global batch in `batches` (arrays, or dicts of arrays), when JAX runs in
    several processes: process p of P takes rows [pB/P, (p+1)B/P), which `keras.distribution` puts
    together into the global batch again. `batches` itself otherwise (one process; TensorFlow's workers
    read every batch and `tf.distribute` shards them).

    Example:
        ```python
        import numpy as np

        import keras_vq

        batches = [np.zeros((8, 32, 32, 3), "float32")] * 3
        shares = list(keras_vq.distribute.process_share(batches))
        print(len(shares), shares[0].shape)  # 3 (8, 32, 32, 3): one process takes the whole batch
        ```
    """
    if keras.backend.backend() != "jax":
        return batches
    import jax

    processes, process = jax.process_count(), jax.process_index()
    if processes == 1:
        return batches

    def share(array):
        rows = len(array)
        if rows % processes:
            raise ValueError(
                f"a batch of {rows} examples does not split over {processes} processes; "
                f"pass a --batch-size divisible by {processes}"
            )
        return array[process * rows // processes : (process + 1) * rows // processes]

    return (keras.tree.map_structure(share, batch) for batch in batches)


def _initialize_jax_processes():
    """`keras.distribution.initialize()` once, when the environment names several processes
    (`KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES`, `KERAS_DISTRIBUTION_PROCESS_ID`)."""
    import jax

    if int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "1")) > 1 and not jax.distributed.is_initialized():
        keras.distribution.initialize()


@contextlib.contextmanager
def scope(enabled=True):
    """Within it, models are built and trained data-parallel (see the module); `enabled=False` does nothing.

    Example:
        ```python
        import keras

        import keras_vq

        enabled = keras.backend.backend() != "torch"  # PyTorch: see torch_train_step
        with keras_vq.distribute.scope(enabled):
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        print(type(model).__name__, "built inside", "a data-parallel scope" if enabled else "no scope")
        ```
    """
    if not enabled:
        yield
        return
    with distribution().scope():
        yield


def describe():
    """One line: how many devices a `scope()` splits each batch over, and which (RuntimeError on PyTorch).

    Example:
        ```python
        import keras

        import keras_vq

        if keras.backend.backend() != "torch":
            print(keras_vq.distribute.describe())  # e.g. data-parallel over 1 device(s) (...)
        else:
            print("PyTorch trains data-parallel in a DistributedDataParallel loop")
        ```
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        strategy = _tensorflow_strategy()
        return (
            f"data-parallel over {strategy.num_replicas_in_sync} device(s) "
            f"({type(strategy).__name__}: {', '.join(strategy.extended.worker_devices)})"
        )
    if backend == "jax":
        devices = keras.distribution.list_devices()
        return f"data-parallel over {len(devices)} device(s) (keras.distribution.DataParallel: {', '.join(devices)})"
    raise RuntimeError(TORCH_REFUSAL)


def replica_count():
    """How many devices a `scope()` splits each batch over (TensorFlow, JAX)."""
    if keras.backend.backend() == "tensorflow":
        return _tensorflow_strategy().num_replicas_in_sync
    return len(keras.distribution.list_devices())


def check_recipe_can_train_data_parallel(batch_size=None):
    """RuntimeError saying why a recipe's `--data-parallel` cannot run here: on PyTorch, and on several
    TensorFlow workers, where Keras 3's `fit` fails on the recipes' batch generators (it trains from a
    `tf.data.Dataset` there, which `tests/unit/data_parallel_test.py` covers); and with a global `batch_size`
    that does not split evenly over the devices (the engines fail mid-step: `AddN must have the same
    size`, `IndivisibleError`). The recipes' training batches are all whole (a partial last batch is
    dropped), so only the batch size needs checking."""
    if keras.backend.backend() == "torch":
        raise RuntimeError(TORCH_REFUSAL)
    workers = _tf_config_workers() if keras.backend.backend() == "tensorflow" else 1
    if workers > 1:
        raise RuntimeError(
            "the recipes do not train on several TensorFlow workers (TF_CONFIG names "
            f"{workers}): Keras 3's fit cannot distribute their batch generators under "
            "MultiWorkerMirroredStrategy. Use JAX for several hosts, or fit a tf.data.Dataset inside "
            "keras_vq.distribute.scope() in your own code (see the Scaling out page)"
        )
    replicas = replica_count()
    if batch_size is not None and batch_size % replicas:
        raise RuntimeError(
            f"--batch-size {batch_size} does not split evenly over the {replicas} devices; pass a "
            f"multiple of {replicas}"
        )


def predict_rows(model, inputs):
    """`model.predict_on_batch(inputs)`, one output row per input row under every distribution.

    Keras' TensorFlow `predict_on_batch` of a model built in a `tf.distribute` scope (or called inside one)
    runs the whole batch on every replica and concatenates the copies: `replicas x n` rows. There this
    goes through `predict`, which splits the batch over the replicas and returns `n` rows; elsewhere it is
    `predict_on_batch` itself (one compiled call, no dataset).

    Example:
        ```python
        import numpy as np

        import keras_vq

        model = keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=8, channels=8, num_blocks=1)
        codes = np.zeros((3, 4, 4), "int32")
        print(keras_vq.distribute.predict_rows(model, codes).shape)  # (3, 4, 4, 8)
        ```
    """
    if keras.backend.backend() == "tensorflow" and model.distribute_strategy.num_replicas_in_sync > 1:
        import tensorflow as tf

        rows = len(tf.nest.flatten(inputs)[0])
        return model.predict(inputs, batch_size=rows, verbose=0)
    return model.predict_on_batch(inputs)


def _tf_config_workers():
    return len(json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {}).get("worker", []))


def check_fit_distribution(model):
    """RuntimeError naming the model when its `fit` cannot train as the active distribution says.

    * Inside `scope()` on a model built outside it: the variables live on one device, and the engines
      fail with a bare `AssertionError` or "Mixing different tf.distribute.Strategy objects" (TensorFlow)
      or "incompatible devices for jitted computation" (JAX), or train on one device silently (JAX, once
      fitted outside). Build and compile the model inside the scope.
    * On PyTorch, inside a `torch.distributed` process group of several processes: Keras' fit would
      train one independent model a process, silently.
    """
    name = type(model).__name__
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.distribute.has_strategy() and model._distribute_strategy is not tf.distribute.get_strategy():
            raise RuntimeError(_BUILT_OUTSIDE.format(name=name))
    elif backend == "jax":
        distribution = keras.distribution.distribution()
        if distribution is not None and model.weights:
            devices = len(model.weights[0].value.sharding.device_set)
            if devices != distribution.device_mesh.devices.size:
                raise RuntimeError(_BUILT_OUTSIDE.format(name=name))
    elif backend == "torch":
        import torch.distributed

        if (
            torch.distributed.is_available()
            and torch.distributed.is_initialized()
            and torch.distributed.get_world_size() > 1
        ):
            raise RuntimeError(
                f"{name}.fit: a torch.distributed process group of {torch.distributed.get_world_size()} "
                f"processes is running, but Keras' fit does not average gradients across processes, so each "
                f"process would train its own model. {TORCH_REFUSAL}"
            )


_BUILT_OUTSIDE = (
    "{name}.fit inside a distribution scope (keras_vq.distribute.scope()), but the model was "
    "built outside it, so its variables are on one device: build and compile the model inside "
    "the scope"
)


def reducible_logs(logs):
    """`fit`'s per-step logs, each a 1-element vector under `MultiWorkerMirroredStrategy` (unchanged elsewhere).

    Keras 3's TensorFlow trainer reduces a multi-worker step's logs with `strategy.reduce("MEAN", v, axis=0)`,
    which fails on the scalars every metric returns ("Invalid reduction dimension 0 for input with 0
    dimensions", tensorflow/tensorflow#72388); over 1-element vectors it is the mean over the replicas."""
    if keras.backend.backend() != "tensorflow" or not _multi_worker():
        return logs
    from keras import ops

    return {
        name: ops.reshape(value, (1,)) if len(getattr(value, "shape", ())) == 0 else value
        for name, value in logs.items()
    }


def _multi_worker():
    import tensorflow as tf

    return isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy)


def torch_train_step(model, data, optimizer, wrapper=None):
    """One training step of `model` on the PyTorch backend, outside `fit`; returns the loss.

    The forward pass goes through `wrapper` when given, e.g. the model wrapped in
    `torch.nn.parallel.DistributedDataParallel` (which averages the gradients over the process group
    as they are computed); then the model's own `compute_loss` (its `add_loss` terms included),
    `backward`, and the Keras `optimizer`'s update, as Keras' PyTorch trainer does. Each process passes
    its share of the global batch; the quantizers' statistics are summed over the process group
    (`keras_vq.distribute.replicas`), so every process keeps the same codebook.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        if keras.backend.backend() == "torch":
            model = keras_vq.models.VQVAE(data_shape=(8, 8, 3), hidden_channels=8, residual_channels=4,
                                          quantizer=keras_vq.layers.VectorQuantizer(8, 4))
            optimizer = keras.optimizers.Adam(1e-3)
            images = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
            print(float(keras_vq.distribute.torch_train_step(model, images, optimizer)) > 0)  # True
        ```
    """
    import torch

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"torch_train_step runs on the PyTorch backend; this is {keras.backend.backend()}")
    if not model.built:
        model(data)  # builds the weights; an inference call changes no state
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    model.zero_grad()
    predictions = (wrapper or model)(data, training=True)  # a keras-vq autoencoder's: its decoder's parameters
    loss = model.compute_loss(x=data, y_pred=predictions)
    loss.backward()
    trainable = model.trainable_weights
    with torch.no_grad():
        optimizer.apply([variable.value.grad for variable in trainable], trainable)
    return loss.detach()
