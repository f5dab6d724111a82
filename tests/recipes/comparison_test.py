"""The comparison study: its definitions recomputed by hand, its callbacks, summaries and the recipe end to end."""

import json
import os
import pathlib
import sys

import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq.callbacks import HeldOutReport, ReconstructionSnapshots
from keras_vq.comparison import (
    comparison_table,
    comparison_verdict,
    curve_over_seeds,
    epochs_to_reach,
    first_epoch_reaching,
    mean_and_sd,
    scaled_snapshot_epochs,
    summarize_over_seeds,
)
from tests import data_helpers, recipe_processes
from tests.passes import RECIPE_PLUMBING

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "compare_autoencoders.py"
KILL_AT = ROOT / "tests" / "faults" / "kill_at.py"
SMALL = {"hidden_channels": 16, "residual_channels": 8}


def sample_images(count=16):
    images, _, _ = keras_vq.data.load_cifar10_sample()
    return images[:count]


def test_active_units_counts_units_whose_posterior_mean_varies():
    rng = np.random.default_rng(0)
    means = np.concatenate([rng.normal(0, 1, (300, 2, 3)), rng.normal(0, 0.05, (300, 2, 2))], axis=2)
    assert keras_vq.metrics.active_units(means) == 6  # 2 positions x 3 varying channels.
    assert keras_vq.metrics.active_units(means, threshold=0.0) == 10
    with pytest.raises(ValueError, match=r"posterior_means must be \(examples >= 2"):
        keras_vq.metrics.active_units(np.zeros((1, 4)))


def test_snapshots_are_taken_at_the_asked_epochs_and_the_held_out_report_adds_each_epochs_figures(tmp_path):
    """The study's two callbacks, in one fit: `ReconstructionSnapshots` keeps what the model gives for the
    same fixed images at exactly the asked epochs, and `HeldOutReport` adds every epoch's held-out figures
    to the logs, those `reconstruction_report` computes."""
    images = sample_images(24)
    fixed = images[-3:].copy()
    model = keras_vq.models.VQVAE(**SMALL, quantizer=keras_vq.layers.VectorQuantizer(16, 8, seed=0))
    model.compile(optimizer="adam")
    snapshots = ReconstructionSnapshots(fixed, epochs=[3, 1], directory=tmp_path / "snapshots")
    seen = []

    class AfterEachEpoch(keras.callbacks.Callback):  # What the model gives for the fixed images right then.
        def on_epoch_end(self, epoch, logs=None):
            seen.append(np.asarray(ops.convert_to_numpy(self.model.predict_on_batch(fixed))))

    callbacks = [snapshots, HeldOutReport(images[16:]), AfterEachEpoch()]
    history = model.fit(images[:16], batch_size=8, epochs=4, callbacks=callbacks, verbose=0)
    assert sorted(snapshots.snapshots) == [1, 3]
    np.testing.assert_allclose(snapshots.snapshots[1], seen[0], atol=1e-6)
    np.testing.assert_allclose(snapshots.snapshots[3], seen[2], atol=1e-6)
    assert not np.allclose(snapshots.snapshots[1], snapshots.snapshots[3])
    np.testing.assert_array_equal(fixed, images[-3:])  # The images themselves are left alone.
    assert sorted(path.name for path in (tmp_path / "snapshots").iterdir()) == ["epoch-1.npy", "epoch-3.npy"]
    again = ReconstructionSnapshots(fixed, epochs=[1, 3], directory=tmp_path / "snapshots")  # A resumed run.
    np.testing.assert_array_equal(again.snapshots[3], snapshots.snapshots[3])
    with pytest.raises(ValueError, match=r"epochs must be epoch numbers >= 1; got \[0, 2\]"):
        ReconstructionSnapshots(fixed, epochs=[0, 2])

    assert len(history.history["held_out_mse"]) == 4 and len(history.history["epoch_seconds"]) == 4
    final = keras_vq.metrics.reconstruction_report(model, images[16:], verbose=0)
    assert history.history["held_out_mse"][-1] == pytest.approx(final["mse"], rel=1e-5)
    assert history.history["held_out_commitment_loss"][-1] == pytest.approx(final["commitment_loss"], rel=1e-5)


def test_summaries_over_seeds_equal_numpys():
    histories = [
        {"held_out_mse": [0.05, 0.02, 0.01]},
        {"held_out_mse": [0.07, 0.03, 0.012]},
        {"held_out_mse": [0.04, 0.025, 0.009]},
    ]
    mean, sd = curve_over_seeds(histories, "held_out_mse")
    values = np.array([history["held_out_mse"] for history in histories])
    np.testing.assert_allclose(mean, values.mean(axis=0))
    np.testing.assert_allclose(sd, values.std(axis=0, ddof=1))
    summary = summarize_over_seeds([{"mse": 0.004, "name": "a"}, {"mse": 0.006, "name": "b"}, {"mse": 0.0065}])
    assert summary["mse"]["mean"] == pytest.approx(np.mean([0.004, 0.006, 0.0065]))
    assert summary["mse"]["sd"] == pytest.approx(np.std([0.004, 0.006, 0.0065], ddof=1))
    assert "name" not in summary
    assert mean_and_sd([3.0]) == (3.0, 0.0)
    assert first_epoch_reaching(mean, 0.03) == 2 and first_epoch_reaching(mean, 0.001) is None
    with pytest.raises(ValueError, match=r"differ in length: \[2, 3\] epochs"):
        curve_over_seeds([{"held_out_mse": [1.0, 2.0]}, {"held_out_mse": [1.0, 2.0, 3.0]}], "held_out_mse")
    table = comparison_table({"vae": summarize_over_seeds([{"mse": 0.002, "kl_per_image": 30.0}] * 2)})
    assert "| vae | 2 (0) |" in table and "KL per image" in table and "perplexity" not in table


def test_learning_speed_and_the_verdict_count_only_differences_beyond_the_seeds_spread():
    histories = [
        {"held_out_mse": [0.05, 0.02, 0.01]},
        {"held_out_mse": [0.03, 0.009, 0.008]},
        {"held_out_mse": [0.04, 0.03, 0.02]},
    ]
    mean, sd, epochs = epochs_to_reach(histories, 0.01)
    assert epochs == [3, 2, 4]  # The third never reaches it: one past its last epoch.
    assert (mean, sd) == pytest.approx((np.mean(epochs), np.std(epochs, ddof=1)))
    fast = [{"held_out_mse": [0.009, 0.005]}] * 2
    slow = [{"held_out_mse": [0.03, 0.02, 0.009]}] * 2
    final = {
        "vqvae": summarize_over_seeds([{"mse": 0.0050}, {"mse": 0.0052}]),
        "vqvae2": summarize_over_seeds([{"mse": 0.0040}, {"mse": 0.0041}]),
    }
    assert (
        "**VQ-VAE learns faster but ends worse than VQ-VAE-2**: supported."
        in comparison_verdict(final, {"vqvae": fast, "vqvae2": slow}, 0.01)[0]
    )
    same_speed = comparison_verdict(final, {"vqvae": slow, "vqvae2": slow}, 0.01)[0]
    assert "half supported: it ends worse, but does not learn faster" in same_speed
    close = {"vqvae": summarize_over_seeds([{"mse": 0.0040}, {"mse": 0.0050}]), "vqvae2": final["vqvae2"]}
    assert ": not supported." in comparison_verdict(close, {"vqvae": slow, "vqvae2": slow}, 0.01)[0]


def test_snapshot_epochs_scale_the_studys():
    assert scaled_snapshot_epochs(100) == [1, 12, 14, 16, 18, 100]
    assert scaled_snapshot_epochs(25) == [1, 3, 4, 5, 25]
    assert scaled_snapshot_epochs(1) == [1]


def _run(arguments, tmp_path, kill=None):
    command = [sys.executable, *(["-u", str(KILL_AT), *kill] if kill else []), str(RECIPE), *arguments]
    return recipe_processes.run(
        command,
        timeout=900,
        env=dict(os.environ, KERAS_HOME=str(tmp_path / "keras_home"), TF_CPP_MIN_LOG_LEVEL="3"),
    )


@RECIPE_PLUMBING
def test_study_runs_on_cifar10_and_a_killed_study_resumes_without_redoing_finished_models(tmp_path):
    output = tmp_path / "study"
    arguments = [
        "--data-dir",
        str(data_helpers.FIXTURES / "cifar10"),
        "--models",
        "vqvae,vae",
        "--seeds",
        "2",
        "--epochs",
        "2",
        "--steps-per-epoch",
        "1",
        "--batch-size",
        "4",
        "--held-out-images",
        "6",
        "--output-dir",
        str(output),
    ]
    # Killed on the VAE's first training batch: the VQ-VAE's two seeds drew 2 batches each (1 step an epoch,
    # 2 epochs; counted on the PyTorch pass, whose data adapter draws no batch ahead).
    killed = _run(arguments, tmp_path, kill=["training-step", "5"])
    assert killed.returncode == -9, killed.stderr[-2000:]
    finished = {path.parent.name: path.stat().st_mtime_ns for path in (output / "vqvae").glob("seed-*/results.json")}
    assert sorted(finished) == ["seed-0", "seed-1"] and not (output / "vae" / "seed-0" / "results.json").exists()

    resumed = _run(arguments + ["--resume"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "vqvae, seed" not in resumed.stdout and "vae, seed 0" in resumed.stdout  # Only unfinished work reruns.
    assert {
        path.parent.name: path.stat().st_mtime_ns for path in (output / "vqvae").glob("seed-*/results.json")
    } == finished
    results = json.loads((output / "results.json").read_text())
    assert sorted(results["summaries"]) == ["vae", "vqvae"] and results["snapshot_epochs"] == [1, 2]
    for model in ("vae", "vqvae"):
        runs = results["runs"][model]
        assert [run["seed"] for run in runs] == [0, 1]
        assert all(len(run["history"]["held_out_mse"]) == 2 for run in runs)
        mse = [run["test"]["mse"] for run in runs]
        assert results["summaries"][model]["mse"]["mean"] == pytest.approx(np.mean(mse))
        assert results["summaries"][model]["mse"]["sd"] == pytest.approx(np.std(mse, ddof=1))
    table = (output / "table.md").read_text()
    assert "| vqvae |" in table and "posterior collapse" in table and "not strictly better" in table
    for picture in ("curves.png", "snapshots.png"):
        assert (output / picture).stat().st_size > 10_000

    again = _run(arguments, tmp_path)  # A finished study is never overwritten without saying so.
    assert again.returncode == 2 and "holds a run" in again.stderr


@RECIPE_PLUMBING
def test_study_runs_on_kaokore_layout_images_with_the_kaokore_architectures(tmp_path):
    data_helpers.make_kaokore_dir(tmp_path / "kaokore")
    result = _run(
        [
            "--dataset",
            "kaokore",
            "--data-dir",
            str(tmp_path / "kaokore"),
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "1",
            "--batch-size",
            "2",
            "--output-dir",
            str(tmp_path / "study"),
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "study" / "results.json").read_text())
    assert results["splits"] == {"training": "train", "validation": "dev", "test": "test"}
    assert results["held_out_images"] == 2 and results["test_images"] == 1  # dev and test of the generated rows.
    kaokore = keras_vq.models.VQVAE2.from_preset("kaokore", load_weights=False).count_params()
    assert results["summaries"]["vqvae2"]["parameters"]["mean"] == kaokore
    assert set(results["summaries"]) == {"vae", "vqvae", "vqvae2"}


def test_bad_study_arguments_are_one_line_before_anything_runs(tmp_path, capsys, monkeypatch):
    import importlib

    recipe = importlib.import_module("keras_vq.recipes.compare_autoencoders")
    cifar = str(data_helpers.FIXTURES / "cifar10")
    for arguments, message in (
        (["--models", "vqvae,gan"], "--models vqvae,gan: unknown ['gan']"),
        (["--epochs", "4", "--snapshot-epochs", "1,5"], "--snapshot-epochs [5] lie outside 1..4"),
        (["--snapshot-epochs", "one"], "--snapshot-epochs 'one' is not a comma-separated list"),
        (["--dataset", "kaokore"], "--data-dir"),
    ):
        monkeypatch.setattr(
            sys,
            "argv",
            ["compare_autoencoders", "--data-dir", cifar, "--output-dir", str(tmp_path / "study"), *arguments],
        )
        with pytest.raises(SystemExit) as exit:
            recipe.parse_arguments()
        assert exit.value.code == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "study").exists()
