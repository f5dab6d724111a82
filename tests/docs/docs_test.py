"""The docs site: every tutorial's code runs as written, and the site builds strictly.

Each page runs once, on the backend pass `TUTORIAL_PASSES` names: what a page calls (models, layers,
training, sampling, saving) is tested on every backend by the unit tests, so a second and third run of a page
would test its prose again, at ~800 s of the suite's ~6,800 s of summed test time (`--durations=0`; each page
compiles its models afresh on TensorFlow and JAX). The pages run on PyTorch, where they run 5-30x faster (the
presets page: 0.9 s alone, ~7 s on JAX; the quick start 7.7 s against 25 s on TensorFlow and 63 s on JAX, in
CI's contended run), except the data page (tf.data is its subject) and the KaoKore page, on TensorFlow. The
quick start's steps at full length, the default model's training, figures and saving, run on TensorFlow as
`recipes/quickstart.py` (`tests/recipes/quickstart_test.py`), and the default model trains data-parallel on
JAX in `recipes/cifar10_vqvae.py` (`tests/unit/data_parallel_test.py`).

A tutorial page's ```python blocks run in order in one namespace, in a fresh folder, one page per test.
A block whose first line is `# not run in tests` is skipped (the marker is visible on the page). Size
settings, the ALL-CAPS assignments named in SMALL_SETTINGS, are replaced by small values so that the
pages run in seconds; everything else runs exactly as a reader would run it.
"""

import pathlib
import re
import shutil
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))
SMALL_SETTINGS = {"EPOCHS": "1", "LENGTH": "1024", "NUM_IMAGES": "64", "NUM_SAMPLES": "2", "SEEDS": "1", "STEPS": "4"}
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
SKIP_MARKER = "# not run in tests"
ALL_BACKENDS = ("tensorflow", "jax", "torch")
TUTORIAL_PASSES = {
    "comparison": ("torch",),
    "data": ("tensorflow",),
    "kaokore": ("tensorflow",),
    "own_images": ("torch",),
    "presets": ("torch",),
    "priors": ("torch",),
    "quantizers": ("torch",),
    "quickstart": ("torch",),
    "speech": ("torch",),
    "transformers": ("torch",),
}


def tutorial_code(page):
    """The page's Python blocks joined in order, skipped ones left out, size settings made small."""
    blocks = [block for block in CODE_BLOCK.findall(page.read_text()) if not block.startswith(SKIP_MARKER)]
    code = "\n".join(blocks)
    for name, value in SMALL_SETTINGS.items():
        code = re.sub(rf"^{name} = .*$", f"{name} = {value}", code, flags=re.MULTILINE)
    return code


def test_every_tutorial_has_code_and_the_size_switch_is_the_only_change():
    assert [page.stem for page in TUTORIALS] == [
        "comparison",
        "data",
        "kaokore",
        "own_images",
        "presets",
        "priors",
        "quantizers",
        "quickstart",
        "speech",
        "transformers",
    ]
    for page in TUTORIALS:
        code = tutorial_code(page)
        assert code.count("\n") >= 3, page.name
        original = "\n".join(CODE_BLOCK.findall(page.read_text()))
        changed = [line for line in original.splitlines() if line and line not in code.splitlines()]
        assert all(line.split(" = ")[0] in SMALL_SETTINGS for line in changed), changed


def test_every_tutorial_runs_on_a_pass():
    assert sorted(TUTORIAL_PASSES) == [page.stem for page in TUTORIALS]
    assert {backend for backends in TUTORIAL_PASSES.values() for backend in backends} <= set(ALL_BACKENDS)


@pytest.mark.parametrize("page", TUTORIALS, ids=[page.stem for page in TUTORIALS])
def test_tutorial_runs_as_written(page, tmp_path, monkeypatch, capsys):
    if keras.backend.backend() not in TUTORIAL_PASSES[page.stem]:
        pytest.skip(f"the {page.stem} tutorial runs once, on the {' and '.join(TUTORIAL_PASSES[page.stem])} pass")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    exec(compile(tutorial_code(page), str(page), "exec"), {"__name__": f"tutorial_{page.stem}"})
    assert capsys.readouterr().out  # Each page prints what it shows.


def test_the_site_builds_strictly_with_no_warning(built_site):
    for page in ("index.html", "install/index.html", "tutorials/quickstart/index.html", "api/models/index.html"):
        assert (built_site / page).is_file(), page
    assert "VectorQuantizer" in (built_site / "api" / "layers" / "index.html").read_text()


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the site is built once, in the TensorFlow pass")
def test_zensical_builds_the_same_config_strictly(tmp_path):
    """Material for MkDocs' successor reads mkdocs.yml as it is; only where it writes differs here."""
    # A copy of the project as Zensical sees it (it wants docs_dir inside the config's folder, links
    # resolved), so that its site/ is written there and not into the checkout.
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tmp_path / "keras_vq").symlink_to(ROOT / "keras_vq")
    result = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--strict", "--clean", "-f", "mkdocs.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0 and "No issues found" in result.stdout + result.stderr, (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    assert "VectorQuantizer" in (tmp_path / "site" / "api" / "layers" / "index.html").read_text()
    assert (tmp_path / "site" / "search.json").is_file()  # Zensical's index; MkDocs writes search/search_index.json.
