"""keras_vq.distribute.replicas' helpers with two replicas (TensorFlow's logical devices), against the one-device figures.

The data-parallel training tests see these helpers only through whole training runs (slow, and a wrong
helper may still train); here each helper's value on each replica is compared with NumPy's on the global
batch. The logical devices must be set before TensorFlow starts, hence a fresh process.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

SCRIPT = """
import json
import keras
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from keras_vq.distribute import replicas
from keras_vq.layers import LookupFreeQuantizer

data = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
shares = [data[:3], data[3:]]  # unequal shares of the global batch
quantizer = LookupFreeQuantizer(embedding_dim=4, temperature=0.5, diversity_gamma=1.0)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def distributed(parts):
    return strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(parts[context.replica_id_in_sync_group]))


def step(x):
    offset, rows = replicas.global_row_range(tf.shape(x)[0])
    return {"replicas": tf.constant(replicas.num_replicas(), "float32"),
            "sum": replicas.replica_sum(tf.reduce_sum(x, axis=0)), "mean": replicas.global_mean(x),
            "offset": tf.cast(offset, "float32"), "rows": tf.cast(rows, "float32")}


def each_replica(function, parts):
    results = strategy.experimental_local_results(tf.function(lambda v: strategy.run(function, args=(v,)))(
        distributed(parts)))
    return [keras.tree.map_structure(lambda value: np.asarray(value).tolist(), result) for result in results]


# The entropy penalty on equal halves: a data-parallel step averages the replicas' losses, so the mean of
# the two equals the one-device loss exactly when E[p(c|z)] is taken over the global batch.
print(json.dumps({"replicas": each_replica(step, shares), "data": data.tolist(),
                  "entropy_losses": each_replica(quantizer.entropy_loss, [data[:4], data[4:]]),
                  "one_device_entropy_loss": float(quantizer.entropy_loss(data))}))
"""


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="two replicas as TensorFlow's logical devices")
def test_the_replica_helpers_give_the_global_batchs_figures_on_every_replica():
    environment = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=environment, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    data = np.array(found["data"])
    for index, replica in enumerate(found["replicas"]):
        assert replica["replicas"] == 2
        np.testing.assert_allclose(replica["sum"], data.sum(axis=0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(replica["mean"], data.mean(), rtol=1e-5, atol=1e-6)
        assert (replica["offset"], replica["rows"]) == ([0.0, 3.0][index], 8.0)
    np.testing.assert_allclose(np.mean(found["entropy_losses"]), found["one_device_entropy_loss"], rtol=1e-5)
