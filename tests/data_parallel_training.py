"""Trains each data-parallel scenario on one device and on two replicas, and saves what both ended with.

Run by `tests/unit/data_parallel_test.py` in a subprocess, because the virtual devices must be made before
the backend starts: `KERAS_BACKEND=tensorflow|jax python tests/data_parallel_training.py OUTPUT.npz`.
TensorFlow splits its one CPU into two logical devices under `MirroredStrategy`; JAX gets four host
devices, two for `keras.distribution.DataParallel` and a 2 x 2 mesh for `ModelParallel` with the
codebook sharded over the "model" axis. The same global batches (16 examples, no shuffling) go to
every run; the optimizer is plain SGD, whose step is proportional to the gradient, so a gradient
summed instead of averaged over the replicas shows.

Saved arrays: `<run>/<scenario>/<weight path>` for run `one` (one device), `many` (two replicas) and,
on JAX, `model_parallel`; `history/<run>/<scenario>/<metric>` (the last epoch's logs); on TensorFlow,
`replica_spread/<scenario>/<weight path>`, the largest difference between the two replicas' copies.
"""

import os
import sys

BACKEND = os.environ["KERAS_BACKEND"]
MAKES_DEVICES = __name__ == "__main__"  # not when imported for its scenarios (tests/data_parallel_processes.py)
if MAKES_DEVICES and BACKEND == "jax":
    # Only this flag: a test worker's XLA_FLAGS (tests/conftest.py) hold a token that makes XLA drop later flags.
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
    # As in the test workers (tests/conftest.py): these small programs run 8 steps, so XLA's optimisation costs
    # more than it saves (this script: 89 s -> 62 s); both runs compile the same way, which is what is compared.
    os.environ.setdefault("JAX_DISABLE_MOST_OPTIMIZATIONS", "1")

import numpy as np  # noqa: E402

if BACKEND == "tensorflow":
    import tensorflow as tf

if MAKES_DEVICES and BACKEND == "tensorflow":
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_vq  # noqa: E402
from synthetic import smooth_images  # noqa: E402

BATCH_SIZE, EPOCHS = 16, 2
IMAGES = smooth_images(64, 16)
CODES = np.random.default_rng(0).integers(0, 16, size=(64, 4, 4)).astype("int32")
TINY = dict(data_shape=(16, 16, 3), hidden_channels=16, residual_channels=8)
SCENARIOS = {
    # EMA codebook, dead-code restarts and k-means initialisation.
    "vqvae_ema": (
        lambda: keras_vq.models.VQVAE(
            **TINY,
            quantizer=keras_vq.layers.VectorQuantizer(
                32, 8, dead_code_threshold=1.0, decay=0.5, kmeans_init=True, seed=0, name="quantizer"
            ),
        ),
        IMAGES,
    ),
    # VQ-VAE-2: at the top the EMA rule with restarts; at the bottom residual VQ with per-example quantizer
    # dropout, drawn for the global batch, whose stages train their codebooks by gradient (the loss rule;
    # restarts and k-means initialisation through codebook_offset). Two levels, the second codebook rule and
    # a second quantizer, in one model.
    "vqvae2": (
        lambda: keras_vq.models.VQVAE2(
            **TINY,
            quantizer={
                "top": keras_vq.layers.VectorQuantizer(
                    32, 8, dead_code_threshold=1.0, decay=0.5, seed=0, name="top_quantizer"
                ),
                "bottom": keras_vq.layers.ResidualVectorQuantizer(
                    2,
                    16,
                    8,
                    quantizer_dropout=0.5,
                    stage_options=dict(codebook_update="loss", dead_code_threshold=1.0, decay=0.5, kmeans_init=True),
                    seed=1,
                    name="bottom_quantizer",
                ),
            },
        ),
        IMAGES,
    ),
    # LFQ's codebook entropy, a function of the whole batch's code probabilities. One batch (two steps):
    # a sign is a discontinuity, and after a few steps one encoder output within rounding of zero flips
    # its bit in one run and not the other.
    "vqvae_lfq": (
        lambda: keras_vq.models.VQVAE(**TINY, quantizer=keras_vq.layers.LookupFreeQuantizer(8, name="quantizer")),
        IMAGES[:BATCH_SIZE],
    ),
    "pixelcnn": (
        lambda: keras_vq.models.PixelCNN(code_shape=(4, 4), num_embeddings=16, channels=16, num_blocks=2),
        CODES,
    ),
}


# On JAX a data-parallel step is one program over global arrays that XLA partitions: keras-vq's replica sums
# are the identity there (keras_vq/distribute/replicas.py), so the VQ-VAE-2 case, whose extra subject is those
# sums (quantizer dropout drawn for the global batch, the loss rule's restarts and k-means), runs where
# keras-vq reduces over the replicas itself: TensorFlow (and PyTorch's processes). JAX keeps the other three
# and the model-parallel run (the script on JAX: 51 s alone -> 32 s, the fixture's setup in `pytest -n 2`).
TRAINED_HERE = [name for name in SCENARIOS if not (BACKEND == "jax" and name == "vqvae2")]


def train(make_model, data):
    keras.utils.set_random_seed(0)
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    # The recipes' held-out figures every epoch, on 20 images: TensorFlow's predict_on_batch
    # returned every row once per replica, and the first epoch's report failed.
    callbacks = (
        []
        if isinstance(model, keras_vq.models.PixelCNN)
        else [keras_vq.callbacks.HeldOutReport(IMAGES[:20], batch_size=20)]
    )
    if BACKEND == "tensorflow":
        data = tf.data.Dataset.from_tensor_slices(data).batch(BATCH_SIZE)
        history = model.fit(data, epochs=EPOCHS, verbose=0, callbacks=callbacks)
    else:
        history = model.fit(data, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=callbacks)
    return model, {name: values[-1] for name, values in history.history.items() if name != "epoch_seconds"}


def replica_copies(variable):
    """The per-replica values of a `tf.distribute` variable (one array elsewhere)."""
    parts = getattr(variable.value, "values", None)
    if parts is None:
        return [np.asarray(variable.numpy())]
    return [np.asarray(part.numpy()) for part in parts]


def record(saved, run, name, model, history):
    for variable in model.weights:
        copies = replica_copies(variable)
        saved[f"{run}/{name}/{variable.path}"] = copies[0]
        if len(copies) > 1:
            spread = max(np.abs(copy.astype("float64") - copies[0].astype("float64")).max() for copy in copies)
            saved[f"replica_spread/{name}/{variable.path}"] = np.float64(spread)
    for metric, value in history.items():
        saved[f"history/{run}/{name}/{metric}"] = np.float64(value)


def model_parallel():
    """DataParallel on two of the four devices' batch axis, the codebook and its EMA state split over the
    other two ("model"): for a codebook too large to copy to every device."""
    mesh = keras.distribution.DeviceMesh((2, 2), ("batch", "model"), keras.distribution.list_devices()[:4])
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map[".*quantizer/(codebook|ema_embedding_sum)"] = ("model", None)
    layout_map[".*quantizer/ema_cluster_size"] = ("model",)
    return keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")


def main(output):
    devices = len(keras.distribution.list_devices()) if BACKEND == "jax" else len(tf.config.list_logical_devices("CPU"))
    if devices != (4 if BACKEND == "jax" else 2):
        raise SystemExit(f"expected {4 if BACKEND == 'jax' else 2} virtual devices, found {devices}")
    saved = {}
    # One strategy for every scenario: a second MirroredStrategy in a process reuses the first one's
    # collective keys, and their collectives meet.
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]) if BACKEND == "tensorflow" else None
    for name in TRAINED_HERE:
        make_model, data = SCENARIOS[name]
        record(saved, "one", name, *train(make_model, data))
        if BACKEND == "tensorflow":
            with strategy.scope():
                record(saved, "many", name, *train(make_model, data))
        else:
            devices = keras.distribution.list_devices()[:2]
            with keras.distribution.DataParallel(devices=devices).scope():
                record(saved, "many", name, *train(make_model, data))
            if name == "vqvae_ema":
                with model_parallel().scope():
                    model, history = train(make_model, data)
                    record(saved, "model_parallel", name, model, history)
                    sharding = model.get_layer("quantizer").codebook.value.sharding
                    saved["model_parallel_codebook_shards"] = np.int64(len(sharding.device_set))
    # A model built outside the scope and fitted inside it is refused by name (issue 29, defect 11): the
    # engines failed with a bare AssertionError, mixed strategies or incompatible devices.
    outside = SCENARIOS["vqvae_ema"][0]()
    outside.compile(optimizer=keras.optimizers.SGD(0.05))
    with (
        strategy.scope()
        if BACKEND == "tensorflow"
        else keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:2]).scope()
    ):
        try:
            outside.fit(IMAGES[:BATCH_SIZE], batch_size=BATCH_SIZE, epochs=1, verbose=0)
            saved["built_outside_refusal"] = np.str_("")
        except RuntimeError as error:
            saved["built_outside_refusal"] = np.str_(str(error))
    np.savez(output, **saved)


if __name__ == "__main__":
    main(sys.argv[1])
