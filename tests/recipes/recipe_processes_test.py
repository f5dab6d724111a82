"""tests/recipe_processes.py gives what subprocess.run gives: streams, exit status, a kill by signal, its own
environment and folder; a command that changes an import-time variable runs as a real subprocess."""

import os
import signal
import subprocess
import sys

from tests import recipe_processes
from tests.passes import RECIPE_PLUMBING

SCRIPT = """
import os, pathlib, signal, sys
print("out", sys.argv[1:], pathlib.Path.cwd().name, os.environ.get("MARK"))
print("err", file=sys.stderr)
if sys.argv[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
raise SystemExit(sys.argv[1] if sys.argv[1] != "fine" else 0)
"""


@RECIPE_PLUMBING
def test_a_forked_run_reports_streams_status_and_signal_like_a_subprocess(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    (tmp_path / "here").mkdir()
    environment = dict(os.environ, MARK="marked")
    for argument, status in (("fine", 0), ("a message", 1), ("kill", -signal.SIGKILL)):
        command = [sys.executable, str(script), argument]
        forked = recipe_processes.run(command, cwd=tmp_path / "here", env=environment)
        real = subprocess.run(command, cwd=tmp_path / "here", env=environment, capture_output=True, text=True)
        assert (
            (forked.returncode, forked.stdout)
            == (real.returncode, real.stdout)
            == (
                status,
                f"out ['{argument}'] here marked\n",
            )
        )
        assert forked.stderr.startswith("err\n") and real.stderr.startswith("err\n")
        assert ("a message" in forked.stderr) == ("a message" in real.stderr) == (argument == "a message")


@RECIPE_PLUMBING
def test_only_commands_that_keep_the_import_time_variables_fork():
    assert recipe_processes.forks([sys.executable, "x.py"], dict(os.environ))
    assert not recipe_processes.forks([sys.executable, "x.py"], dict(os.environ, OMP_NUM_THREADS="7"))
    assert not recipe_processes.forks(["bash", "x.sh"], dict(os.environ))


@RECIPE_PLUMBING
def test_another_keras_home_forks_where_its_keras_settings_are_the_servers(tmp_path):
    """A fresh home gives Keras' defaults, which are what the server read (the suite runs on the defaults); a
    keras.json that changes one runs as a real subprocess. keras-vq's paths follow the command's home."""
    assert recipe_processes.keras_settings(dict(os.environ)) == recipe_processes.KERAS_SETTINGS
    fresh = dict(os.environ, KERAS_HOME=str(tmp_path / "fresh"))
    assert recipe_processes.forks([sys.executable, "x.py"], fresh)
    (tmp_path / "float64").mkdir()
    (tmp_path / "float64" / "keras.json").write_text('{"floatx": "float64", "backend": "jax"}')
    assert not recipe_processes.forks([sys.executable, "x.py"], dict(os.environ, KERAS_HOME=str(tmp_path / "float64")))
    script = tmp_path / "paths.py"
    script.write_text("import keras, keras_vq.utils.paths as p; print(p.keras_vq_home(), keras.config.floatx())")
    forked = recipe_processes.run([sys.executable, str(script)], env=fresh)
    real = subprocess.run([sys.executable, str(script)], env=fresh, capture_output=True, text=True)
    assert forked.stdout == real.stdout == f"{tmp_path / 'fresh' / 'keras_vq'} float32\n", (forked, real.stderr[-2000:])
