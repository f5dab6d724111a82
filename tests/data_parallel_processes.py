"""One process of a multi-process data-parallel run on 127.0.0.1: JAX processes under
`keras.distribution.initialize`, or TensorFlow workers under `MultiWorkerMirroredStrategy` (TF_CONFIG).

    KERAS_BACKEND=jax|tensorflow python tests/data_parallel_processes.py PROCESS NUM_PROCESSES PORTS OUTPUT

`PORTS` is a comma-separated list (JAX uses the first, for its coordinator; TensorFlow one a worker).
Every process trains the scenarios of `tests/data_parallel_training.py` named by a fifth argument
(comma-separated; default `vqvae_ema`: EMA codebook, dead-code restarts, k-means initialisation) on the
one-device run's global batches of 16: JAX and TensorFlow inside `keras_vq.distribute.scope()`, PyTorch
in the custom loop of `keras_vq.distribute.torch_train_step` with the model wrapped in
`DistributedDataParallel` (gloo). A JAX or PyTorch process feeds its share (process p the rows
[16k + 8p, 16k + 8p + 8) of batch k, as `keras.distribution` expects); a TensorFlow worker reads every
global batch and `tf.distribute` shards it (worker w gets the same rows). Each writes
`OUTPUT.<process>.npz`: `devices` and `weights/<scenario>/<weight path>`. With NUM_PROCESSES 1 (one
device, no cluster) it is the reference the several processes must equal.
"""

import contextlib
import json
import os
import sys

PROCESS, NUM_PROCESSES, PORTS, OUTPUT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
SCENARIO_NAMES = sys.argv[5].split(",") if len(sys.argv) > 5 else ["vqvae_ema"]
BACKEND = os.environ["KERAS_BACKEND"]
if BACKEND == "tensorflow" and NUM_PROCESSES > 1:
    os.environ["TF_CONFIG"] = json.dumps(
        {"cluster": {"worker": [f"127.0.0.1:{port}" for port in PORTS]}, "task": {"type": "worker", "index": PROCESS}}
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_vq  # noqa: E402
from data_parallel_training import BATCH_SIZE, EPOCHS, SCENARIOS  # noqa: E402

LOCAL_BATCH = BATCH_SIZE // NUM_PROCESSES


def local_share(data):
    """This process's rows of every global batch, in order."""
    batches = data.reshape(-1, BATCH_SIZE, *data.shape[1:])
    return batches[:, PROCESS * LOCAL_BATCH : (PROCESS + 1) * LOCAL_BATCH].reshape(-1, *data.shape[1:])


def train_torch(scenario, data, batch_size):
    """The PyTorch path: a custom loop, the model wrapped in DistributedDataParallel when in a group."""
    import torch

    keras.utils.set_random_seed(0)
    model = SCENARIOS[scenario][0]()
    model(data[:batch_size])  # builds the weights before they are wrapped
    wrapper = torch.nn.parallel.DistributedDataParallel(model) if NUM_PROCESSES > 1 else None
    optimizer = keras.optimizers.SGD(0.05)
    for _ in range(EPOCHS):
        for start in range(0, len(data), batch_size):
            keras_vq.distribute.torch_train_step(model, data[start : start + batch_size], optimizer, wrapper)
    return model


def train(scenario, data, batch_size):
    if BACKEND == "torch":
        return train_torch(scenario, data, batch_size)
    keras.utils.set_random_seed(0)
    model = SCENARIOS[scenario][0]()
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    if BACKEND == "tensorflow":
        import tensorflow as tf

        model.fit(tf.data.Dataset.from_tensor_slices(data).batch(batch_size), epochs=EPOCHS, verbose=0)
    else:
        model.fit(data, batch_size=batch_size, epochs=EPOCHS, shuffle=False, verbose=0)
    return model


def local_value(variable):
    """The value this process holds: a JAX array replicated over processes is read from a local device."""
    value = variable.value
    if BACKEND == "torch":
        return value.detach().cpu().numpy()
    if BACKEND == "jax":
        return np.asarray(value.addressable_data(0))
    parts = getattr(value, "values", None)
    return np.asarray((parts[0] if parts else value).numpy())


def main():
    if BACKEND == "jax" and NUM_PROCESSES > 1:
        keras.distribution.initialize(f"127.0.0.1:{PORTS[0]}", NUM_PROCESSES, PROCESS)
    if BACKEND == "torch" and NUM_PROCESSES > 1:
        import torch.distributed

        torch.distributed.init_process_group(
            "gloo", init_method=f"tcp://127.0.0.1:{PORTS[0]}", rank=PROCESS, world_size=NUM_PROCESSES
        )
    saved = {"devices": np.int64(NUM_PROCESSES)}
    scope = contextlib.nullcontext()  # PyTorch: the custom loop wraps the model in DistributedDataParallel
    if BACKEND != "torch":
        distribution = keras_vq.distribute.data_parallel.distribution()
        saved["devices"] = np.int64(
            len(keras.distribution.list_devices()) if BACKEND == "jax" else distribution.num_replicas_in_sync
        )
        if BACKEND == "jax":
            distribution.auto_shard_dataset = False  # each process passes its own share (local_share)
        scope = distribution.scope()
    with scope:
        for scenario in SCENARIO_NAMES:
            data = SCENARIOS[scenario][1]
            if BACKEND == "tensorflow":  # every worker reads the global batches; tf.distribute shards them
                model = train(scenario, data, BATCH_SIZE)
            else:  # a process's batches are its share of the global batches
                model = train(scenario, local_share(data), LOCAL_BATCH)
            saved.update({f"weights/{scenario}/{variable.path}": local_value(variable) for variable in model.weights})
    np.savez(f"{OUTPUT}.{PROCESS}.npz", **saved)


if __name__ == "__main__":
    main()
