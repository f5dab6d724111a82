"""recipes/kaokore_vqvae2.py end to end on generated images in the KaoKore layout."""

import os
import pathlib
import sys

import numpy as np
import pytest
from keras import ops

from keras_vq.models import VQVAE2
from keras_vq.presets import PresetError
from tests import data_helpers, recipe_processes
from tests.passes import RECIPE_PLUMBING

RECIPE = pathlib.Path(__file__).resolve().parents[2] / "recipes" / "kaokore_vqvae2.py"


@RECIPE_PLUMBING
def test_recipe_trains_the_preset_that_from_preset_then_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    data_helpers.make_kaokore_dir(tmp_path / "kaokore")
    with pytest.raises(PresetError, match="no trained weights yet"):
        VQVAE2.from_preset("kaokore")

    command = [
        sys.executable,
        str(RECIPE),
        "--data-dir",
        str(tmp_path / "kaokore"),
        "--steps",
        "2",
        "--batch-size",
        "2",
        "--steps-per-epoch",
        "1",
        "--output-dir",
        str(tmp_path / "run"),
    ]
    result = recipe_processes.run(command, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "VQVAE2.from_preset('kaokore') now loads it" in result.stdout
    assert (tmp_path / "run" / "reconstructions.png").exists()

    model = VQVAE2.from_preset("kaokore")
    images = (
        np.stack(
            [
                data_helpers.read_rgb(tmp_path / "kaokore" / "images_256" / name)
                for name, *_ in data_helpers.KAOKORE_ROWS[:2]
            ]
        ).astype("float32")
        / 255
    )
    untrained = VQVAE2.from_preset("kaokore", load_weights=False)
    trained_output = ops.convert_to_numpy(model(images))
    assert trained_output.shape == (2, 256, 256, 3)
    assert not np.allclose(trained_output, ops.convert_to_numpy(untrained(images)))

    again = recipe_processes.run(command)  # Never overwrites the trained preset.
    assert again.returncode != 0 and "already holds trained weights" in again.stderr
