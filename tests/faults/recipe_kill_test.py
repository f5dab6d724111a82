"""Fault injection: recipes killed with SIGKILL at many points, then rerun, end as an uninterrupted run does.

Each case kills `recipes/cifar10_vqvae.py` at one of 12 points (`kill_at.py`: during
training, and before, during or just after each kind of atomic write: the run
record, each epoch's weights, the checkpoint record, the history, the results,
the pictures and the preset), then reruns the same command with `--resume`.
The rerun must succeed and end with the uninterrupted run's preset weights and
figures: nothing half-written was read, and nothing was trained twice or
skipped. The writes are file-system behaviour, the same on every backend, so
the suite runs on one pass (torch, whose small recipe runs start fastest). Each run is a fresh process
forked from one that imported Keras and the rest once (`tests/recipe_processes.py`).
"""

import json
import os
import pathlib
import signal
import sys

import h5py
import keras
import numpy as np
import pytest

from tests import data_helpers, recipe_processes

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="file-system fault injection runs on the torch pass"
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
KILL_AT = pathlib.Path(__file__).resolve().parent / "kill_at.py"
RECIPE_ARGUMENTS = [
    "--data-dir",
    str(data_helpers.FIXTURES),
    "--steps",
    "6",
    "--steps-per-epoch",
    "2",
    "--batch-size",
    "4",
    *data_helpers.SMALL_CIFAR10_VQVAE,  # a small model: what is tested is the writes, not the training
]
# An uninterrupted run makes 14 atomic renames: run.json; per epoch (3) its weights, checkpoint.json and
# history.json; results.json; reconstructions.png; loss_curves.png; the preset folder. 2 batches an epoch.
KILL_POINTS = [
    ("before-rename", 1),  # the run record
    ("torn-write", 2),
    ("after-rename", 2),  # epoch 1's weights
    ("before-rename", 3),  # epoch 1's checkpoint record (names the weights)
    ("torn-write", 4),  # epoch 1's history
    ("after-rename", 6),
    ("torn-write", 8),  # epoch 2's checkpoint record, epoch 3's weights
    ("torn-write", 11),  # results.json
    ("torn-write", 12),  # a picture
    ("torn-write", 14),
    ("before-rename", 14),  # the preset (written whole, renamed once)
    ("training-step", 3),  # mid-epoch, after one checkpoint
]


def run(output_dir, point="none", count=0, *extra):
    command = [
        sys.executable,
        str(KILL_AT),
        point,
        str(count),
        str(ROOT / "recipes" / "cifar10_vqvae.py"),
        *RECIPE_ARGUMENTS,
        "--output-dir",
        str(output_dir),
        *extra,
    ]
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    return recipe_processes.run(command, cwd=ROOT, env=environment, timeout=600)


def outcome(output_dir):
    """The preset's weights and the run's figures (timings aside)."""
    with h5py.File(output_dir / "preset" / "model.weights.h5") as weights:
        arrays = {}
        weights.visititems(
            lambda name, item: arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None
        )
    results = json.loads((output_dir / "results.json").read_text())
    results.pop("seconds_this_run")
    return arrays, results


@pytest.fixture(scope="module")
def uninterrupted(once_per_pass):
    """The outcome of a run never killed; armed to kill after a 15th rename, which it never makes. Once per
    pass: the kill points are shared out over the workers."""

    def run_uninterrupted(output_dir):
        finished = run(output_dir, "after-rename", 15)
        assert finished.returncode == 0, f"an uninterrupted run made more than 14 renames: {finished.stderr[-3000:]}"

    return outcome(once_per_pass("uninterrupted_run", run_uninterrupted))


@pytest.mark.parametrize("point, count", KILL_POINTS, ids=[f"{point}-{count}" for point, count in KILL_POINTS])
def test_a_run_killed_at_any_point_then_resumed_ends_as_an_uninterrupted_run(tmp_path, uninterrupted, point, count):
    output_dir = tmp_path / "run"
    killed = run(output_dir, point, count)
    # Every point is reached (the run was killed there), and no run makes more than 14 renames (the fixture).
    assert killed.returncode == -signal.SIGKILL, f"not killed at {point} {count}: {killed.stderr[-2000:]}"
    if (point, count) == ("before-rename", 14):  # The last rename is the preset folder's.
        assert (output_dir / "results.json").exists() and not (output_dir / "preset").exists()
    resumed = run(output_dir, "none", 0, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    expected_weights, expected_results = uninterrupted
    weights, results = outcome(output_dir)
    assert weights.keys() == expected_weights.keys()
    for name, expected in expected_weights.items():
        np.testing.assert_allclose(weights[name], expected, rtol=1e-5, atol=1e-6, err_msg=name)
    assert results.keys() == expected_results.keys()
    for key in ("validation", "test"):
        for figure, value in expected_results[key].items():
            np.testing.assert_allclose(results[key][figure], value, rtol=1e-4, err_msg=f"{key}.{figure}")
    assert results["training_steps"] == expected_results["training_steps"] == 6
    assert not [path for path in output_dir.rglob("*") if ".tmp-" in path.name]  # The rerun tidied up.
