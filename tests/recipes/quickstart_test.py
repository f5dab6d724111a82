import json
import pathlib
import sys

import keras
import pytest

from tests import recipe_processes

# A process end-to-end run: once per suite, on the quick start's default backend, as the other recipe
# tests (training itself is tested on every backend by the model tests). On JAX it alone took 163 s.
pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="recipe subprocess tests run on the tensorflow pass"
)

RECIPE = pathlib.Path(__file__).resolve().parents[2] / "recipes" / "quickstart.py"


def run_recipe(*arguments):
    """The recipe as its own process, forked from the preloaded server (tests/recipe_processes.py): one
    thread, as the worker that runs it (the pass's other workers use the other cores)."""
    return recipe_processes.run([sys.executable, str(RECIPE), *arguments])


def test_quickstart_trains_writes_its_pictures_and_refuses_to_overwrite(tmp_path):
    result = run_recipe("--output-dir", str(tmp_path), "--steps", "2", "--batch-size", "1350", "--overwrite")
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("reconstructions.png", "loss_curves.png", "vqvae.keras"):
        assert (tmp_path / name).stat().st_size > 1000
    assert (tmp_path / "reconstructions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["training_steps"] == 2 and 0 < results["mse"] < 1 and 0 < results["codebook_usage"] <= 1
    saved = (tmp_path / "vqvae.keras").read_bytes()
    again = run_recipe("--output-dir", str(tmp_path), "--steps", "2")
    assert again.returncode == 2
    assert f"{tmp_path} holds results.json; pass --overwrite" in again.stderr
    assert (tmp_path / "vqvae.keras").read_bytes() == saved
