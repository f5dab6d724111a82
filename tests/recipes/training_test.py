"""Checkpointed training: a run that is killed and resumed ends where an uninterrupted one does."""

import json
import os
import pathlib
import re
import signal
import sys
import time

import h5py
import keras
import numpy as np
import pytest

import keras_vq
from keras_vq.data.numpy_pipeline import ImageBatches
from tests import data_helpers, recipe_processes
from tests.passes import RECIPE_PLUMBING, TRAINING_BOOKKEEPING
from tests.synthetic import smooth_images

RECIPE = pathlib.Path(__file__).resolve().parents[2] / "recipes" / "cifar10_vqvae.py"


class StopAfterEpoch(keras.callbacks.Callback):
    """Raises at the end of an epoch, as a crash would (after the checkpoint of that epoch is written)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated crash")


def _train(run_dir, callbacks=(), total_steps=8, steps_per_epoch=2, learning_rate=1e-3):
    keras.utils.set_random_seed(0)
    model = keras_vq.models.VQVAE(
        data_shape=(16, 16, 3),
        hidden_channels=16,
        residual_channels=8,
        quantizer=keras_vq.layers.VectorQuantizer(16, 8, dead_code_threshold=1.0, seed=0),
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    images = smooth_images(count=24)
    batches = ImageBatches(
        [{"image": (image * 255).astype(np.uint8), "label": 0} for image in images],
        batch_size=8,
        evaluation=False,
        seed=5,
        image_size=None,
        label_keys=(),
    )
    history = keras_vq.training.fit_resumably(
        model,
        lambda step: keras_vq.training.batches_from(batches, step),
        total_steps=total_steps,
        steps_per_epoch=steps_per_epoch,
        run_dir=run_dir,
        callbacks=callbacks,
        verbose=0,
    )
    return model, history


def test_interrupted_training_resumes_to_the_same_weights_and_history(tmp_path):
    uninterrupted, history = _train(tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "b", callbacks=[StopAfterEpoch(1)])
    # Callbacks run before the checkpoint (which records what they add to the logs), so an interrupt at the
    # end of epoch 2 leaves epoch 1's checkpoint, and the resumed run trains epoch 2 again.
    assert keras_vq.training.completed_epochs(tmp_path / "b" / "backup") == 1
    resumed, resumed_history = _train(tmp_path / "b")
    for expected, actual in zip(uninterrupted.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    assert len(resumed_history["loss"]) == 4
    np.testing.assert_allclose(resumed_history["loss"], history["loss"], rtol=1e-4)
    # The last checkpoint is kept, so a run killed after training resumes without training again.
    assert keras_vq.training.completed_epochs(tmp_path / "b" / "backup") == 4
    assert [path.name for path in (tmp_path / "b" / "backup").glob("*.h5")] == ["epoch-4.weights.h5"]
    again, again_history = _train(tmp_path / "b", callbacks=[StopAfterEpoch(0)])  # Would raise if it trained.
    for expected, actual in zip(resumed.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(actual, expected)
    assert again_history == resumed_history


def test_resuming_with_another_steps_per_epoch_is_refused_and_a_longer_run_continues(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "run", callbacks=[StopAfterEpoch(1)])  # Epoch 1 (steps 1-2) checkpointed.
    with pytest.raises(ValueError, match=r"checkpointed every 2 steps; resume it with steps_per_epoch=2, not 5"):
        _train(tmp_path / "run", steps_per_epoch=5)
    _, history = _train(tmp_path / "run", total_steps=12)  # Training longer than first asked: 6 epochs of 2.
    assert len(history["loss"]) == 6
    checkpoint = keras_vq.training.read_checkpoint(tmp_path / "run" / "backup")
    assert checkpoint["steps_per_epoch"] == 2 and checkpoint["total_steps"] == 12


def test_a_run_resumed_with_a_lower_learning_rate_trains_with_it_from_the_checkpoints_optimizer_state(tmp_path):
    # A run that diverged is told to resume with a lower learning rate: the checkpoint must not put the old one back.
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "run", callbacks=[StopAfterEpoch(1)])
    resumed, _ = _train(tmp_path / "run", learning_rate=2e-4)
    assert float(resumed.optimizer.learning_rate) == pytest.approx(2e-4)
    assert int(resumed.optimizer.iterations) == 8  # The optimizer's state came from the checkpoint (step 4), then 4.


@TRAINING_BOOKKEEPING
@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(steps_per_epoch=0), "steps_per_epoch must be an integer >= 1, got 0"),
        (dict(total_steps=-1), "total_steps must be an integer >= 1, got -1"),
    ],
)
def test_fit_resumably_names_a_bad_step_count(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        _train(tmp_path / "run", **arguments)
    assert not (tmp_path / "run").exists()


@TRAINING_BOOKKEEPING
@pytest.mark.parametrize("total_steps, epochs", [(5, 3), (1, 1)])
def test_fit_resumably_rounds_the_steps_up_to_whole_epochs(tmp_path, total_steps, epochs):
    model, history = _train(tmp_path / "run", total_steps=total_steps, steps_per_epoch=2)
    assert len(history["loss"]) == epochs and int(model.optimizer.iterations) == 2 * epochs
    assert keras_vq.training.completed_epochs(tmp_path / "run" / "backup") == epochs


def _recipe(output_dir, *extra):
    command = [
        sys.executable,
        str(RECIPE),
        "--data-dir",
        str(data_helpers.FIXTURES),
        "--steps",
        "24",
        "--steps-per-epoch",
        "2",
        "--batch-size",
        "4",
        *data_helpers.SMALL_CIFAR10_VQVAE,  # the options reach the model: the preset's config is checked below
        "--output-dir",
        str(output_dir),
        *extra,
    ]
    return recipe_processes.popen(command, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))


def _preset_weights(output_dir):
    with h5py.File(output_dir / "preset" / "model.weights.h5") as weights:
        arrays = {}
        weights.visititems(
            lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None
        )
    return arrays


@RECIPE_PLUMBING
def test_recipe_killed_midway_resumes_from_its_checkpoint_to_the_same_weights(tmp_path):
    straight = _recipe(tmp_path / "straight")
    _, errors = straight.communicate(timeout=600)
    assert straight.returncode == 0, errors[-3000:]
    results = json.loads((tmp_path / "straight" / "results.json").read_text())
    assert results["training_steps"] == 24 and set(results["test"]) >= {"mse", "nmse", "psnr_db", "perplexity"}
    config = keras_vq.models.VQVAE.preset_config(tmp_path / "straight" / "preset")
    assert (config["hidden_channels"], config["residual_channels"], config["num_residual_layers"]) == (16, 8, 1)
    assert config["quantizer"]["config"]["num_embeddings"] == 32
    assert (tmp_path / "straight" / "reconstructions.png").exists() and (
        tmp_path / "straight" / "loss_curves.png"
    ).exists()

    killed = _recipe(tmp_path / "killed")
    metadata = tmp_path / "killed" / "backup" / keras_vq.training.CHECKPOINT_FILE
    deadline = time.time() + 600
    while time.time() < deadline and killed.poll() is None:
        if metadata.exists() and json.loads(metadata.read_text() or "{}").get("epoch", 0) >= 2:
            killed.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL, "the run ended before it could be killed midway"
    completed = keras_vq.training.completed_epochs(tmp_path / "killed" / "backup")
    assert 2 <= completed < 12

    refused = _recipe(tmp_path / "killed")  # Without --resume, the run is left alone.
    _, errors = refused.communicate(timeout=600)
    assert refused.returncode != 0 and "pass --resume to continue it" in errors

    for changed, message in (
        (("--model", "vae"), "--model 'vae' (the run has 'vqvae')"),
        (("--batch-size", "8"), "--batch-size 8 (the run has 4)"),
    ):
        refused = _recipe(tmp_path / "killed", "--resume", *changed)  # Arguments appended last win in argparse.
        _, errors = refused.communicate(timeout=600)
        assert refused.returncode == 2 and message in errors and "Traceback" not in errors, errors[-2000:]

    resumed = _recipe(tmp_path / "killed", "--resume")
    output, errors = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, errors[-3000:]
    assert f"Epoch {completed + 1}/12" in output and "Epoch 1/12" not in output  # Not from scratch.
    straight_weights, resumed_weights = _preset_weights(tmp_path / "straight"), _preset_weights(tmp_path / "killed")
    assert straight_weights.keys() == resumed_weights.keys()
    for name, expected in straight_weights.items():
        np.testing.assert_allclose(resumed_weights[name], expected, rtol=1e-5, atol=1e-6, err_msg=name)


class PoisonWeight(keras.callbacks.Callback):
    """Sets one weight to NaN after a given step, as a diverging update would."""

    def __init__(self, step):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            weight = self.model.trainable_weights[0]
            weight.assign(np.full(weight.shape, np.nan, weight.dtype))


@TRAINING_BOOKKEEPING
def test_training_that_goes_non_finite_stops_naming_it_and_keeps_the_last_good_checkpoint(tmp_path):
    with pytest.raises(keras_vq.training.NonFiniteTrainingError, match=r"(in|after) epoch 2; training stopped"):
        _train(tmp_path / "run", callbacks=[PoisonWeight(step=3)])  # Step 3 is in epoch 2 (2 steps an epoch).
    assert keras_vq.training.completed_epochs(tmp_path / "run" / "backup") == 1
    history = json.loads((tmp_path / "run" / keras_vq.training.HISTORY_FILE).read_text())
    assert len(history["loss"]) == 1 and all(np.isfinite(values).all() for values in history.values())
    resumed, _ = _train(tmp_path / "run")  # Resumes from the good epoch 1 and finishes finite.
    assert all(np.isfinite(weight).all() for weight in resumed.get_weights())


def test_fit_refuses_data_holding_nan_or_inf_before_any_step():
    model = keras_vq.models.VQVAE(
        data_shape=(16, 16, 3),
        hidden_channels=16,
        residual_channels=8,
        quantizer=keras_vq.layers.VectorQuantizer(16, 8),
    )
    model.compile(optimizer="adam")
    images = smooth_images(count=8)
    images[5, 3, 4, 1] = np.nan
    images[6, 0, 0, 0] = np.inf
    before = [weight.copy() for weight in model.get_weights()]
    with pytest.raises(
        ValueError,
        match=r"VQVAE.fit: the data holds NaN or infinite values in 2 example\(s\), "
        r"the first at index 5",
    ):
        model.fit(images, batch_size=4, epochs=1, verbose=0)
    for expected, actual in zip(before, model.get_weights()):
        np.testing.assert_array_equal(actual, expected)
    with pytest.raises(ValueError, match=r"got an empty batch \(0 examples\)"):
        model.encode(images[:0])


@RECIPE_PLUMBING
def test_recipe_errors_are_one_line_messages_that_leave_nothing_behind(tmp_path):
    (tmp_path / "empty_data").mkdir()
    (tmp_path / "a_file").write_text("mine")
    cases = [
        (["--data-dir", str(tmp_path / "missing")], tmp_path / "out1", 2, "--data-dir .*missing is not a folder"),
        (
            ["--data-dir", str(data_helpers.FIXTURES), "--dtype-policy", "bogus"],
            tmp_path / "out2",
            2,
            "--dtype-policy 'bogus' is not a floating-point Keras dtype policy",
        ),
        (
            ["--data-dir", str(data_helpers.FIXTURES), "--learning-rate", "-0.001"],
            tmp_path / "out3",
            2,
            "--learning-rate must be a finite number > 0",
        ),
        (["--data-dir", str(data_helpers.FIXTURES)], tmp_path / "a_file", 2, "is a file, not a folder"),
        (["--data-dir", str(tmp_path / "empty_data")], tmp_path / "out4", 2, "no CIFAR-10 in .*empty_data"),
    ]
    for extra, output_dir, status, message in cases:
        command = [
            sys.executable,
            str(RECIPE),
            "--steps",
            "2",
            "--batch-size",
            "4",
            "--output-dir",
            str(output_dir),
            *extra,
        ]
        result = recipe_processes.run(command, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        assert result.returncode == status and "Traceback" not in result.stderr, result.stderr[-2000:]
        assert re.search(message, result.stderr), result.stderr[-2000:]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a_file", "empty_data"]
