"""Data-parallel training of the CIFAR-10 VQ-VAE: what the codebook statistics cost in all-reduce bytes
against the gradients, and steps/s on N virtual devices against one device, same run.

The model is `VQVAE.from_preset("cifar10")`'s encoder and decoder with Sonnet's quantizer (K = 512 codes
of D = 64, EMA, dead-code restarts), untrained, with and without k-means initialisation; global batch 32 of random 32x32
images, plain `model.fit`. The devices are virtual: TensorFlow splits the CPU into N logical devices
(`MirroredStrategy`), JAX gets N host devices (`keras.distribution.DataParallel`). They share the
machine's cores, so the steps/s say what the replicas' bookkeeping costs here, not what N GPUs would
gain.

Bytes (TensorFlow): every tensor a replica passes to `keras_vq.distribute.replicas.replica_sum` while its training
step is traced, against the float32 gradients Keras all-reduces (one per trainable weight). JAX has no
such call: XLA partitions the one global program and inserts the same sums itself.

    KERAS_BACKEND=tensorflow|jax python benchmarks/data_parallel.py [--replicas 2] [--steps 20] [--rounds 3]
"""

import argparse
import os
import statistics
import sys
import time


def make_devices(replicas):
    """N virtual devices, before the backend starts."""
    if os.environ.get("KERAS_BACKEND") == "jax":
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={replicas}"
        )
    elif os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    else:
        sys.exit("data-parallel training runs on JAX or TensorFlow (see keras_vq.distribute for PyTorch)")


BATCH_SIZE = 32


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed steps a round")
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    make_devices(arguments.replicas)

    import keras
    import numpy as np

    import keras_vq
    from keras_vq.distribute import replicas

    backend = keras.backend.backend()
    reduced_shapes = []
    replica_sum = replicas.replica_sum

    def counting_replica_sum(values):  # called while a step is traced: shapes are static there
        reduced_shapes.append(tuple(values.shape))
        return replica_sum(values)

    replicas.replica_sum = counting_replica_sum
    images = np.random.default_rng(0).uniform(size=(arguments.steps * BATCH_SIZE, 32, 32, 3)).astype("float32")

    def build(kmeans_init):
        quantizer = keras_vq.layers.VectorQuantizer(512, 64, dead_code_threshold=1.0, kmeans_init=kmeans_init, seed=0)
        model = keras_vq.models.VQVAE.from_preset("cifar10", load_weights=False, quantizer=quantizer)
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        return model

    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy([f"/cpu:{index}" for index in range(arguments.replicas)])
        many_scope = strategy.scope
    else:
        many_scope = keras.distribution.DataParallel(devices=keras.distribution.list_devices()).scope
    runs, gradient_bytes, statistics_bytes = {}, None, {}
    for kmeans_init in (False, True):
        name = "restarts + k-means" if kmeans_init else "restarts"
        one = build(kmeans_init)
        one.fit(images[: arguments.warmup_steps * BATCH_SIZE], batch_size=BATCH_SIZE, verbose=0, shuffle=False)
        with many_scope():
            many = build(kmeans_init)
            reduced_shapes.clear()
            many.fit(images[: arguments.warmup_steps * BATCH_SIZE], batch_size=BATCH_SIZE, verbose=0, shuffle=False)
        traced = reduced_shapes[:]
        # A MirroredStrategy traces the step once per replica; each replica's sums are the step's.
        statistics_bytes[name] = 4 * sum(int(np.prod(shape)) for shape in traced) // max(arguments.replicas, 1)
        gradient_bytes = 4 * sum(int(np.prod(weight.shape)) for weight in one.trainable_weights)
        runs[name] = {"one device": one, f"{arguments.replicas} devices": many}
    rates = {(name, label): [] for name, models in runs.items() for label in models}
    for _ in range(arguments.rounds):
        for name, models in runs.items():
            for label, model in models.items():
                start = time.perf_counter()
                model.fit(images, batch_size=BATCH_SIZE, verbose=0, shuffle=False)
                rates[name, label].append(arguments.steps / (time.perf_counter() - start))

    print(
        f"backend {backend}, global batch {BATCH_SIZE}, {arguments.replicas} virtual devices on "
        f"{os.cpu_count()} CPU cores, median of {arguments.rounds} rounds of {arguments.steps} steps"
    )
    if backend == "tensorflow":
        print(f"gradients all-reduced a step: {gradient_bytes:,} bytes")
        for name, size in statistics_bytes.items():
            print(
                f"codebook statistics summed a step ({name}): {size:,} bytes, "
                f"{size / gradient_bytes:.3f} of the gradients'"
            )
    print("| quantizer options | steps/s, one device | steps/s, virtual devices | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, models in runs.items():
        one, many = (statistics.median(rates[name, label]) for label in models)
        print(f"| {name} | {one:.2f} | {many:.2f} | {many / one:.2f} |")


if __name__ == "__main__":
    main()
