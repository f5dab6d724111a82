"""The wheel, installed into fresh virtual environments, does what each extra promises.

The suite's own environment has every extra installed, so it cannot see an
extra that forgets a dependency; these tests can. They build the wheel once,
make an empty venv, install from the package index exactly what a user
would type, and run scripts that use only what is installed there. One venv
grows as a user's would: no extra (JAX as the backend), then `numpy-data`,
then `recipes`, each checked before the next is installed; another has the
`data` extra (TensorFlow). They pick their own backends, so they run once, on the pass `tests/passes.py`
names.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.data_helpers import SMALL_CIFAR10_VQVAE
from tests.passes import INSTALLS

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPOSITORY / "tests" / "fixtures"

pytestmark = INSTALLS


def _run(command, cwd, environment=None, timeout=600):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment, timeout=timeout)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, once_per_pass):
    """The wheel of this checkout, built as pip builds it for a user (once per pass: the two tests may run on
    two workers); the build's own warnings are checked."""

    def build(out):
        out.mkdir()
        # From a copy of the checkout's files (what git would commit), so that builds never share a build/ folder.
        source = tmp_path_factory.mktemp("source")
        listed = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPOSITORY).stdout
        for name in filter(None, listed.split("\0")):
            if (REPOSITORY / name).is_file():
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPOSITORY / name, source / name)
        result = _run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-v",
                "-w",
                str(out),
                str(source),
            ],
            cwd=out,
        )
        build_log = result.stdout + result.stderr
        for warning in ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "is absent from the `packages`"):
            assert warning not in build_log, f"the build warns: {warning}"

    (wheel_path,) = once_per_pass("wheel", build).glob("keras_vq-*.whl")
    return wheel_path


def fresh_environment(tmp_path, wheel, *packages):
    """A new venv with `keras-vq` (no extra) and `packages` installed from the index, nothing else."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    install(python, wheel, "", *packages)
    return python


def install(python, wheel, extras, *packages):
    """`pip install 'keras-vq[extras]' packages` into `python`'s venv, from the wheel and the index.

    Through uv (`uv pip install`), which resolves the same requirements from the same index as pip, and
    takes the wheels from the cache that `scripts/install.sh` filled, unpacked: this file's two tests take
    64 s rather than 102 s with pip (alone, on 2 cores), which unpacked and byte-compiled JAX and
    TensorFlow again for each environment.
    """
    requirement = f"keras-vq[{extras}] @ {wheel.as_uri()}" if extras else f"keras-vq @ {wheel.as_uri()}"
    _run(
        [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", str(python), requirement, *packages],
        cwd=python.parent,
        timeout=900,
    )


def user_environment(tmp_path, backend):
    """The suite's environment variables less its own paths, with `backend` chosen and a fresh Keras home."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "KERAS_HOME")}
    return environment | {"KERAS_BACKEND": backend, "KERAS_HOME": str(tmp_path / "keras_home")}


def run_script(python, tmp_path, backend, script):
    environment = user_environment(tmp_path, backend)
    preamble = textwrap.dedent(f"""
        import pathlib, sys
        FIXTURES = pathlib.Path({str(FIXTURES)!r})
        TMP = pathlib.Path({str(tmp_path)!r})
        import keras_vq
        assert pathlib.Path(keras_vq.__file__).is_relative_to({str(python.parent.parent)!r}), keras_vq.__file__

        def refused(call, *fragments):
            try:
                call()
            except ModuleNotFoundError as error:
                assert all(fragment in str(error) for fragment in fragments), str(error)
            else:
                raise AssertionError(f"{{call}} ran without its extra")
        """)
    result = _run(
        [str(python), "-c", preamble + textwrap.dedent(script) + "\nprint('ok')\n"],
        cwd=tmp_path,
        environment=environment,
    )
    assert result.stdout.strip().endswith("ok"), result.stdout[-2000:]
    return result


def test_no_extra_then_numpy_data_then_recipes_each_do_what_they_promise(tmp_path, wheel):
    # (a) No extra, one backend: models train, save, load and come from presets; the rest names its extra.
    python = fresh_environment(tmp_path, wheel, "jax[cpu]")
    run_script(
        python,
        tmp_path,
        "jax",
        """
        import importlib, keras, numpy as np
        images, labels, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE(data_shape=(32, 32, 3), hidden_channels=16, residual_channels=8,
                                      quantizer=keras_vq.layers.VectorQuantizer(16, 8))
        model.compile(optimizer="adam")
        model.fit(images[:64], batch_size=32, epochs=1, verbose=0)
        model.save(TMP / "m.keras")
        again = keras_vq.saving.load_model(TMP / "m.keras")
        np.testing.assert_allclose(keras.ops.convert_to_numpy(again(images[:4])),
                                   keras.ops.convert_to_numpy(model(images[:4])), atol=1e-6)
        assert keras_vq.models.VQVAE.from_preset("cifar10").encode(images[:2])["codes"].shape == (2, 8, 8)
        for module in ("tensorflow", "PIL", "soundfile", "tqdm", "matplotlib"):
            assert importlib.util.find_spec(module) is None, module
        refused(lambda: keras_vq.data.load_numpy("cifar10", "train", 2, data_dir=FIXTURES / "cifar10"),
                "reading CIFAR-10 needs", "pip install 'keras-vq[numpy-data]'")
        refused(lambda: keras_vq.data.load("cifar10", "train", 2, data_dir=FIXTURES / "cifar10"),
                "TensorFlow", "pip install 'keras-vq[data]'")
        refused(lambda: importlib.import_module("keras_vq.plots"), "matplotlib", "pip install 'keras-vq[plots]'")
        try:
            keras_vq.models.VQVAE2.from_preset("kaokore")
        except Exception as error:
            assert "python -m keras_vq.recipes.kaokore_vqvae2" in str(error), str(error)
    """,
    )

    # (b) numpy-data: every reader and the NumPy path, without TensorFlow; the inspection command.
    install(python, wheel, "numpy-data")
    result = run_script(
        python,
        tmp_path,
        "jax",
        """
        import importlib, runpy
        images = keras_vq.data.load_numpy("cifar10", "train", 4, data_dir=FIXTURES / "cifar10", evaluation=True)
        assert images[0].shape == (4, 32, 32, 3), images[0].shape
        audio, speakers = keras_vq.data.load_numpy("librispeech", "train-clean-5", 2, crop_length=1600,
                                                   data_dir=FIXTURES / "librispeech", with_labels=True)[0]
        assert audio.shape == (2, 1600, 1) and speakers.shape == (2,), (audio.shape, speakers.shape)
        assert importlib.util.find_spec("tensorflow") is None
        refused(lambda: keras_vq.data.load("cifar10", "train", 2, data_dir=FIXTURES / "cifar10"),
                "pip install 'keras-vq[data]'", "load_numpy")
        sys.argv = ["inspect", "--data-dir", str(FIXTURES / "librispeech"), "--datasets", "librispeech"]
        try:
            runpy.run_module("keras_vq.data.inspect", run_name="__main__")
        except SystemExit as exit:
            assert exit.code == 0, exit.code
    """,
    )
    assert "train-clean-5" in result.stdout and "utterances" in result.stdout

    # (c) recipes: run as modules of the installed package, training on the NumPy path.
    install(python, wheel, "recipes")
    environment = user_environment(tmp_path, "jax")
    help_text = _run(
        [str(python), "-m", "keras_vq.recipes.cifar10_vqvae", "--help"], cwd=tmp_path, environment=environment
    ).stdout
    assert "--download" in help_text and "(default: 10000)" in help_text
    run = tmp_path / "run"
    _run(
        [
            str(python),
            "-m",
            "keras_vq.recipes.cifar10_vqvae",
            "--data-dir",
            str(FIXTURES),
            "--steps",
            "2",
            "--steps-per-epoch",
            "2",
            "--batch-size",
            "4",
            *SMALL_CIFAR10_VQVAE,
            "--output-dir",
            str(run),
        ],
        cwd=tmp_path,
        environment=environment,
    )
    assert json.loads((run / "results.json").read_text())["training_steps"] == 2
    assert (run / "reconstructions.png").stat().st_size > 0 and (run / "preset" / "model.weights.h5").is_file()


def test_data_extra_builds_tf_data_pipelines_through_the_tfds_builders(tmp_path, wheel):
    python = fresh_environment(tmp_path, wheel)
    install(python, wheel, "data")
    run_script(
        python,
        tmp_path,
        "tensorflow",
        """
        images, labels = next(iter(keras_vq.data.load("cifar10", "train", 3, data_dir=FIXTURES / "cifar10",
                                                      with_labels=True, prepared_dir=TMP / "prepared")))
        assert tuple(images.shape) == (3, 32, 32, 3) and tuple(labels.shape) == (3,)
        audio = next(iter(keras_vq.data.load("librispeech", "train-clean-5", 2, crop_length=1600,
                                             data_dir=FIXTURES / "librispeech", prepared_dir=TMP / "prepared")))
        assert tuple(audio.shape) == (2, 1600, 1)
    """,
    )
