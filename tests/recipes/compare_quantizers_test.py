"""The quantizer comparison recipe, end to end on the CIFAR-10 fixture, and its summaries."""

import json
import math
import os
import pathlib
import sys

import pytest

import keras_vq
from keras_vq.comparison import ranking_verdict, summarize_over_seeds
from tests import data_helpers, recipe_processes
from tests.passes import RECIPE_PLUMBING

RECIPE = pathlib.Path(__file__).resolve().parents[2] / "recipes" / "compare_quantizers.py"


@RECIPE_PLUMBING
def test_every_quantizer_trains_in_sonnets_vqvae_at_ten_bits_a_position(tmp_path):
    output = tmp_path / "study"
    result = recipe_processes.run(
        [
            sys.executable,
            str(RECIPE),
            "--data-dir",
            str(data_helpers.FIXTURES / "cifar10"),
            "--seeds",
            "1",
            "--epochs",
            "1",
            "--steps-per-epoch",
            "1",
            "--batch-size",
            "4",
            "--held-out-images",
            "6",
            "--output-dir",
            str(output),
        ],
        timeout=900,
        env=dict(os.environ, KERAS_HOME=str(tmp_path / "keras_home"), TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((output / "results.json").read_text())
    summaries = results["summaries"]
    assert list(summaries) == ["vq", "vq-rotation", "residual", "fsq", "lfq"]
    bits = {name: summary["bits_per_image"]["mean"] for name, summary in summaries.items()}
    assert bits == pytest.approx(
        {"vq": 640, "vq-rotation": 640, "residual": 640, "fsq": 64 * math.log2(1000), "lfq": 640}
    )
    sonnet = keras_vq.models.VQVAE.from_preset("cifar10", load_weights=False)
    # The study's K = 1,024 codes against the preset's: each code has a vector, EMA sums and an EMA count.
    extra_codes = 1024 - sonnet.quantizer.num_embeddings
    assert summaries["vq"]["parameters"]["mean"] == sonnet.count_params() + extra_codes * (64 + 64 + 1)
    assert "perplexity" in summaries["residual"] and "commitment_loss" not in summaries["fsq"]
    table = (output / "table.md").read_text()
    assert all(f"| {name} |" in table for name in summaries) and "Ranked by nmse" in table
    assert (output / "curves.png").stat().st_size > 10_000


def test_bad_quantizer_names_are_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    import importlib

    recipe = importlib.import_module("keras_vq.recipes.compare_quantizers")
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "compare_quantizers",
            "--data-dir",
            str(data_helpers.FIXTURES / "cifar10"),
            "--quantizers",
            "vq,pq",
            "--output-dir",
            str(tmp_path / "study"),
        ],
    )
    with pytest.raises(SystemExit) as exit:
        recipe.parse_arguments()
    assert exit.value.code == 2 and "--quantizers vq,pq: unknown ['pq']" in capsys.readouterr().err
    assert not (tmp_path / "study").exists()


def test_ranking_names_the_best_and_whom_it_beats_beyond_the_sds():
    summaries = {
        "vq": summarize_over_seeds([{"nmse": 0.060}, {"nmse": 0.062}]),
        "fsq": summarize_over_seeds([{"nmse": 0.050}, {"nmse": 0.051}]),
        "lfq": summarize_over_seeds([{"nmse": 0.051}, {"nmse": 0.053}]),
    }
    order, best = ranking_verdict(summaries)
    assert order.index("fsq") < order.index("lfq") < order.index("vq")
    # fsq 0.0505 ± 0.0007 vs lfq 0.052 ± 0.0014: 0.0015 apart, within 0.0021; vq is 0.0105 away.
    assert best == "**fsq** is best; it beats vq by more than their sds together, and is within the sds of lfq."
