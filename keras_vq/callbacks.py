"""Keras callbacks for keras-vq autoencoders: held-out figures every epoch, reconstructions at chosen epochs.

Both work with `model.fit` and with `keras_vq.training.fit_resumably` (which
records what they add to the epoch's logs in its checkpointed history), for a
`VQVAE`, `VQVAE2` or `VAE`.
"""

import pathlib
import re
import time

import keras
import numpy as np

from keras_vq.distribute.data_parallel import predict_rows
from keras_vq.utils.atomic import atomic_path

__all__ = ["HeldOutReport", "ReconstructionSnapshots"]


class HeldOutReport(keras.callbacks.Callback):
    """Adds `keras_vq.metrics.reconstruction_report` on fixed held-out data to every epoch's logs.

    The report's scalar figures go into the logs as `<prefix><name>` (e.g.
    `held_out_mse`, `held_out_top_commitment_loss`, `held_out_active_units`),
    so that `History`, `fit_resumably`'s history and any later callback see
    them. `epoch_seconds` (the epoch's wall time, this report excluded) is
    added too, so a resumed run still knows how long its training took.

    Args:
        data: the held-out examples, on the model's `data_range`.
        prefix: prepended to each figure's name.
        batch_size: examples per evaluation batch.

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                      quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        report = keras_vq.callbacks.HeldOutReport(images[-64:])
        history = model.fit(images[:64], batch_size=32, epochs=2, callbacks=[report], verbose=0)
        print([round(value, 4) for value in history.history["held_out_mse"]])  # one figure per epoch
        ```
    """

    def __init__(self, data, prefix="held_out_", batch_size=256):
        super().__init__()
        self.data = np.asarray(data)
        if self.data.ndim < 2 or len(self.data) == 0:
            raise ValueError(f"data must be a non-empty batch of examples; got shape {self.data.shape}")
        self.prefix = prefix
        self.batch_size = batch_size
        self._epoch_started = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        from keras_vq.metrics import reconstruction_report

        if logs is None:
            return
        if self._epoch_started is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._epoch_started
        report = reconstruction_report(self.model, self.data, batch_size=self.batch_size, verbose=0)
        for name, value in report.items():
            if isinstance(value, (int, float)) and name != "examples":
                logs[f"{self.prefix}{name}"] = float(value)


class ReconstructionSnapshots(keras.callbacks.Callback):
    """Reconstructions of the same images at the end of chosen epochs (the study's Figure 2).

    `snapshots` maps each epoch number (1-based, as Keras prints them) to the
    model's reconstructions of `images`, a NumPy array of their shape. With
    `directory`, each snapshot is also written there atomically as
    `epoch-<n>.npy` and those already there are read back on construction, so
    a resumed run (`fit_resumably`) keeps the snapshots of the epochs it does
    not train again. `keras_vq.plots.save_snapshot_grid` draws them.

    Args:
        images: the fixed images to reconstruct, on the model's `data_range`.
        epochs: the epoch numbers (>= 1) to snapshot.
        directory: where to keep the snapshots, or None for memory only.

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                      quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        snapshots = keras_vq.callbacks.ReconstructionSnapshots(images[-4:], epochs=[1, 3])
        model.fit(images[:64], batch_size=32, epochs=3, callbacks=[snapshots], verbose=0)
        print({epoch: images.shape for epoch, images in snapshots.snapshots.items()})  # {1: (4, 32, 32, 3), 3: ...}
        ```
    """

    FILE = re.compile(r"epoch-(\d+)\.npy")

    def __init__(self, images, epochs, directory=None):
        super().__init__()
        self.images = np.asarray(images)
        if self.images.ndim < 2 or len(self.images) == 0:
            raise ValueError(f"images must be a non-empty batch; got shape {self.images.shape}")
        epochs = list(epochs)
        if not epochs or any(isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < 1 for e in epochs):
            raise ValueError(f"epochs must be epoch numbers >= 1; got {epochs!r}")
        self.epochs = sorted({int(epoch) for epoch in epochs})
        self.directory = None if directory is None else pathlib.Path(directory)
        self.snapshots = {}
        if self.directory is not None and self.directory.is_dir():
            for path in self.directory.iterdir():
                match = self.FILE.fullmatch(path.name)
                if match and int(match.group(1)) in self.epochs:
                    self.snapshots[int(match.group(1))] = np.load(path)

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        if number not in self.epochs:
            return
        reconstructions = np.asarray(keras.ops.convert_to_numpy(predict_rows(self.model, self.images)))
        self.snapshots[number] = reconstructions
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.directory / f"epoch-{number}.npy") as temporary:
                with open(temporary, "wb") as file:
                    np.save(file, reconstructions)
