"""Training that survives being killed: `fit` in checkpointed epochs, never from a torn or non-finite state.

An "epoch" here is a fixed number of steps, the unit of checkpointing. At
the end of each, `TrainingCheckpoint` writes the model and optimizer state
and the logs of every epoch so far. A rerun loads them and asks
`stream_from(step)` for the batch stream from the first step not yet
trained, so with a seeded, deterministic stream a run that was killed ends
with the same weights and history as one that was not. The checkpoint
records `steps_per_epoch` (a resume with another is refused: the stream
would restart at another step) and the total asked for (a resume may ask
for more, to train longer).

What makes it safe to kill at any instant: each epoch's weights go to a file
of their own (`epoch-<N>.weights.h5`, written to a temporary name, flushed,
then renamed), and only then does `checkpoint.json`, itself replaced
atomically, name them. A kill before that rename leaves the previous
checkpoint whole and in force; nothing reads a half-written file.

A non-finite loss or weight is never checkpointed: training stops with
`NonFiniteTrainingError`, naming the epoch and the metric, and the last good
checkpoint stays as it was.
"""

import json
import math
import pathlib

import keras
import numpy as np

from keras_vq.data.batches import batches_from  # noqa: F401 (public here: what fit_resumably's streams are made of)
from keras_vq.utils.atomic import atomic_path, remove_temporaries, write_json_atomically
from keras_vq.utils.checks import check_positive_int
from keras_vq.utils.progress import live_display

__all__ = ["fit_resumably", "batches_from", "NonFiniteTrainingError", "in_float32"]

HISTORY_FILE = "history.json"
CHECKPOINT_FILE = "checkpoint.json"
BACKUP_DIR = "backup"


class NonFiniteTrainingError(FloatingPointError):
    """Training produced a NaN or infinite loss or weight; nothing of it was saved.

    Example:
        ```python
        import keras
        import numpy as np

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                      quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        model.fit(images[:8], epochs=1, verbose=0)
        kernel = model.encoder.weights[0]
        kernel.assign(np.full(kernel.shape, np.nan, "float32"))  # as if training had diverged

        def stream_from(step):
            while True:
                yield (images[:8],)

        try:
            keras_vq.training.fit_resumably(model, stream_from, total_steps=2, steps_per_epoch=2, run_dir="run",
                                            verbose=0)
        except keras_vq.training.NonFiniteTrainingError as error:
            print(error)  # names what went non-finite; no checkpoint of it was written
        ```
    """


def read_checkpoint(backup_dir):
    """`{"epoch", "weights", "history"}` of the last whole checkpoint in `backup_dir`, or None."""
    path = pathlib.Path(backup_dir) / CHECKPOINT_FILE
    if not path.exists():
        return None
    try:
        checkpoint = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a keras_vq training checkpoint ({error}); move the run away") from error
    if not isinstance(checkpoint, dict) or not {"epoch", "weights", "history"} <= set(checkpoint):
        raise ValueError(f"{path} is not a keras_vq training checkpoint (epoch, weights, history); move the run away")
    return checkpoint


def completed_epochs(backup_dir):
    """Epochs whose state the last checkpoint in `backup_dir` holds (0 if none)."""
    checkpoint = read_checkpoint(backup_dir)
    return 0 if checkpoint is None else int(checkpoint["epoch"])


def check_finite_logs(logs, epoch):
    """Raises `NonFiniteTrainingError` naming the first NaN or infinite metric in `logs`."""
    for key, value in (logs or {}).items():
        if not math.isfinite(float(value)):
            raise NonFiniteTrainingError(
                f"{key} became {float(value)} in epoch {epoch + 1}; training stopped and the epoch was not "
                "checkpointed. Resume with a lower learning rate (a recipe: --resume --learning-rate ...), or check "
                "the data for NaN or infinite values."
            )


class TrainingCheckpoint(keras.callbacks.Callback):
    """Checkpoints the model, its optimizer and every epoch's logs at the end of each epoch (see the module)."""

    def __init__(self, backup_dir, history_path, checkpoint=None, steps_per_epoch=None, total_steps=None):
        super().__init__()
        self.backup_dir = pathlib.Path(backup_dir)
        self.history_path = pathlib.Path(history_path)
        self.steps = {"steps_per_epoch": steps_per_epoch, "total_steps": total_steps}
        self.history = {key: list(values) for key, values in ((checkpoint or {}).get("history") or {}).items()}

    def on_epoch_end(self, epoch, logs=None):
        check_finite_logs(logs, epoch)
        for weight in self.model.weights:
            if not np.all(np.isfinite(keras.ops.convert_to_numpy(weight))):
                raise NonFiniteTrainingError(
                    f"weight {weight.path} holds NaN or infinite values after epoch {epoch + 1}; training stopped "
                    "and the epoch was not checkpointed. Resume with a lower learning rate (a recipe: --resume "
                    "--learning-rate ...), or check the data."
                )
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        weights_name = f"epoch-{epoch + 1}.weights.h5"
        with atomic_path(self.backup_dir / weights_name) as temporary:
            self.model.save_weights(temporary)
        write_json_atomically(
            self.backup_dir / CHECKPOINT_FILE,
            {"epoch": epoch + 1, "weights": weights_name, "history": self.history, **self.steps},
        )
        write_json_atomically(self.history_path, self.history)
        for stale in self.backup_dir.glob("epoch-*.weights.h5"):
            if stale.name != weights_name:
                stale.unlink()


def restore_checkpoint(model, backup_dir):
    """Loads the last checkpoint in `backup_dir` into `model` (weights and optimizer); returns it, or None.

    The optimizer's state (its step, its moments) comes from the checkpoint,
    but a constant learning rate stays the one `model` was compiled with, so
    a run that diverged can be resumed from its last good epoch with a lower
    one. (A learning-rate schedule is part of the compiled optimizer already.)
    """
    checkpoint = read_checkpoint(backup_dir)
    if checkpoint is None:
        return None
    optimizer = model.optimizer
    compiled_learning_rate = None
    if optimizer is not None:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)  # Its variables must exist to be loaded.
        learning_rate = optimizer.get_config()["learning_rate"]  # A float, or a schedule's config.
        if isinstance(learning_rate, float):  # A variable, which the checkpoint would replace.
            compiled_learning_rate = learning_rate
    model.load_weights(pathlib.Path(backup_dir) / checkpoint["weights"])
    if compiled_learning_rate is not None:
        optimizer.learning_rate = compiled_learning_rate
    return checkpoint


def fit_resumably(model, stream_from, total_steps, steps_per_epoch, run_dir, callbacks=(), verbose="auto"):
    """Trains `model` for `total_steps` (rounded up to whole epochs); returns the history of every epoch.

    `stream_from(step)` must return the batches from global step `step`
    onward, the same ones every time (e.g. a generator over a seeded order).
    The checkpoint lives in `run_dir/backup` and is kept when training ends,
    so a run killed after training (while evaluating or saving) resumes
    without training again. Raises `NonFiniteTrainingError` if the loss or a
    weight becomes NaN or infinite, keeping the last good checkpoint.
    `verbose="auto"` shows Keras' live bar on a terminal and a line an epoch
    in a log (`fit`'s 1 and 2).

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                      quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        model.compile(optimizer=keras.optimizers.Adam(3e-4))

        def stream_from(step):  # The batches from global step `step` on; here one batch, forever.
            while True:
                yield (images[:8],)

        history = keras_vq.training.fit_resumably(model, stream_from, total_steps=4, steps_per_epoch=2, run_dir="run",
                                                  verbose=0)
        print(len(history["loss"]))  # 2 epochs; run it again and it resumes from run/backup, here finding it done
        ```
    """
    check_positive_int("total_steps", total_steps)
    check_positive_int("steps_per_epoch", steps_per_epoch)
    run_dir = pathlib.Path(run_dir)
    backup_dir = run_dir / BACKUP_DIR
    remove_temporaries(backup_dir)  # Writes a kill interrupted: checkpoint.json never names them.
    epochs = -(-total_steps // steps_per_epoch)
    recorded = (read_checkpoint(backup_dir) or {}).get("steps_per_epoch")
    # The data stream resumes at epochs * steps_per_epoch: another epoch length would start it elsewhere.
    if recorded is not None and recorded != steps_per_epoch:
        raise ValueError(
            f"{backup_dir} was checkpointed every {recorded} steps; resume it with "
            f"steps_per_epoch={recorded}, not {steps_per_epoch} (or move the run away)"
        )
    checkpoint = restore_checkpoint(model, backup_dir)
    done = 0 if checkpoint is None else int(checkpoint["epoch"])
    if done > epochs:
        raise ValueError(f"{backup_dir} holds {done} epochs, more than the {epochs} asked for; move the run away")
    saver = TrainingCheckpoint(backup_dir, run_dir / HISTORY_FILE, checkpoint, steps_per_epoch, total_steps)
    if done < epochs:
        model.fit(
            stream_from(done * steps_per_epoch),
            initial_epoch=done,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            callbacks=[*callbacks, saver],  # The checkpoint records what the callbacks add to the logs.
            verbose=(1 if live_display() else 2) if verbose == "auto" else verbose,
            shuffle=False,  # The stream is in its own seeded order already.
        )
    return saver.history


def in_float32(model):
    """`model` itself if every layer's policy is float32, else a float32 twin with the same weights
    (e.g. to save and evaluate a model trained under `mixed_bfloat16`). Layers given as objects and
    serialised inside the model's config (`quantizer=`, a decoder) become float32 too.

    Example:
        ```python
        import keras_vq

        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8, dtype="mixed_bfloat16")
        twin = keras_vq.training.in_float32(model)
        print(twin.dtype_policy.name, twin.quantizer.dtype_policy.name)  # float32 float32, with the same weights
        ```
    """
    config = model.get_config()
    float32_config = with_float32_policies(config)
    if float32_config == config:
        return model
    twin = type(model).from_config(float32_config)
    twin.set_weights(model.get_weights())
    return twin


def with_float32_policies(config):
    """`config` (a model's, as `get_config` gives it) with every `dtype` that names a policy other than
    float32 (a serialised `DTypePolicy` or its name), at any depth, replaced by "float32"."""
    if isinstance(config, list):
        return [with_float32_policies(value) for value in config]
    if not isinstance(config, dict):
        return config
    return {
        key: "float32"
        if key == "dtype" and _policy_name(value) not in (None, "float32")
        else with_float32_policies(value)
        for key, value in config.items()
    }


def _policy_name(value):
    """The policy a config's `dtype` value names, or None when it is not a floating-point policy."""
    if isinstance(value, dict) and value.get("class_name") in ("DTypePolicy", "FloatDTypePolicy"):
        return value.get("config", {}).get("name")
    if isinstance(value, str) and value in ("mixed_bfloat16", "mixed_float16", "bfloat16", "float16", "float32"):
        return value
    return None
