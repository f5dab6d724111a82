"""Training that survives being killed: `fit` in checkpointed epochs with Keras' BackupAndRestore.

An "epoch" here is a fixed number of steps, the unit of checkpointing. At
the end of each, `keras.callbacks.BackupAndRestore` saves the model and
optimizer state, and this module appends the epoch's logs to
`history.json`. A rerun restores both and asks `stream_from(step)` for the
batch stream from the first step not yet trained, so with a seeded,
deterministic stream a run that was killed ends with the same weights as one
that was not.
"""

import json
import pathlib

import keras

HISTORY_FILE = "history.json"
# Written by keras.callbacks.BackupAndRestore: {"epoch": epochs completed, "batch": ...}.
KERAS_BACKUP_METADATA_FILE = "training_metadata.json"


def completed_epochs(backup_dir):
    """Epochs whose state BackupAndRestore saved in `backup_dir` (0 if none)."""
    path = pathlib.Path(backup_dir) / KERAS_BACKUP_METADATA_FILE
    if not path.exists():
        return 0
    return int(json.loads(path.read_text())["epoch"])


class HistoryFile(keras.callbacks.Callback):
    """Keeps every epoch's logs in a JSON file, across interrupted runs."""

    def __init__(self, path, keep_epochs):
        super().__init__()
        self.path = pathlib.Path(path)
        history = json.loads(self.path.read_text()) if self.path.exists() else {}
        # Logs of epochs after the last backup are dropped: those epochs run again.
        self.history = {key: values[:keep_epochs] for key, values in history.items()}

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.path.write_text(json.dumps(self.history))


def batches_from(dataset, step):
    """The batches of `dataset` (a keras_vq PyDataset, reshuffled each pass)
    from global `step` on, forever, as `(inputs,)` tuples for `model.fit`.

    Pass `n` of a keras_vq PyDataset is ordered by `(seed, n)` alone, so the
    stream from any step is the same whether or not training was interrupted.
    """
    passes, index = divmod(step, len(dataset))
    dataset.epoch = passes
    while True:
        for batch_index in range(index, len(dataset)):
            yield (dataset[batch_index],)
        dataset.on_epoch_end()
        index = 0


def fit_resumably(model, stream_from, total_steps, steps_per_epoch, run_dir, callbacks=(), verbose=2):
    """Trains `model` for `total_steps` (rounded up to whole epochs); returns the history of every epoch.

    `stream_from(step)` must return the batches from global step `step`
    onward, the same ones every time (e.g. a generator over a seeded order).
    The backup lives in `run_dir/backup` until training ends.
    """
    run_dir = pathlib.Path(run_dir)
    backup_dir = run_dir / "backup"
    epochs = -(-total_steps // steps_per_epoch)
    done = completed_epochs(backup_dir)
    history = HistoryFile(run_dir / HISTORY_FILE, keep_epochs=done)
    model.fit(
        stream_from(done * steps_per_epoch),
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[keras.callbacks.BackupAndRestore(str(backup_dir)), history, *callbacks],
        verbose=verbose,
    )
    return history.history


def in_float32(model):
    """`model` itself if its policy is float32, else a float32 twin with the same weights
    (e.g. to save and evaluate a model trained under `mixed_bfloat16`)."""
    if model.layers_dtype_policy().name == "float32":
        return model
    twin = type(model).from_config(model.get_config() | {"dtype": "float32"})
    twin.set_weights(model.get_weights())
    return twin
