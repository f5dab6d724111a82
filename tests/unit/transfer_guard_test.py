"""No device-to-host transfer inside a training epoch on JAX (issue 29, item 31).

A scalar pulled to the host each step (a metric read with `float`, a log turned into a Python number on
the training thread) makes the host wait for the device every step. JAX's transfer guard, set to
"disallow" on the training thread from the start of an epoch to its end, turns any such pull into an
error. Keras turns each step's logs into numbers on a callback thread (its asynchronous dispatch, used
while no callback has batch hooks), which the guard on the training thread does not see.

The guard does nothing on CPU buffers (they are host memory already), so this runs where JAX has a GPU:
`scripts/test_gpu.sh`.
"""

import keras
import numpy as np
import pytest

import keras_vq
from tests.synthetic import smooth_images

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax" or __import__("jax").devices()[0].platform == "cpu",
    reason="JAX's transfer guard sees device-to-host copies from a GPU only",
)


class DisallowHostTransfersInEachEpoch(keras.callbacks.Callback):
    """Enters `jax.transfer_guard_device_to_host("disallow")` on the training thread for each epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        import jax

        self.guard = jax.transfer_guard_device_to_host("disallow")
        self.guard.__enter__()

    def on_epoch_end(self, epoch, logs=None):
        self.guard.__exit__(None, None, None)


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: keras_vq.models.VQVAE(
            data_shape=(16, 16, 3),
            hidden_channels=16,
            residual_channels=8,
            quantizer=keras_vq.layers.VectorQuantizer(32, 8, dead_code_threshold=1.0),
        ),
        lambda: keras_vq.models.VQVAE2(
            data_shape=(16, 16, 3),
            hidden_channels=16,
            residual_channels=8,
            quantizer=keras_vq.layers.VectorQuantizer(32, 8),
        ),
    ],
    ids=["vqvae", "vqvae2"],
)
def test_a_training_epoch_pulls_nothing_to_the_host_on_the_training_thread(make_model):
    images = smooth_images(64, 16)
    model = make_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(images, batch_size=16, epochs=2, verbose=0, callbacks=[DisallowHostTransfersInEachEpoch()])
    assert np.isfinite(history.history["loss"]).all() and len(history.history["loss"]) == 2
