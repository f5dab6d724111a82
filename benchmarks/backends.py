"""Running a benchmark's measurement on every installed Keras backend, each in a process of its own.

Keras fixes its backend at import, so a benchmark that compares backends runs
itself again as a worker (`script --worker ...`) under each `KERAS_BACKEND`
and reads the JSON object the worker prints last; one command then prints
every backend's figures.
"""

import importlib.util
import json
import os
import subprocess
import sys

BACKENDS = ("tensorflow", "jax", "torch")


def installed_backends(requested=None):
    """The backends of `requested` (all three by default) whose framework is installed."""
    return [name for name in (requested or BACKENDS) if importlib.util.find_spec(name) is not None]


def run_on_backend(backend, script, arguments):
    """Runs `python script --worker *arguments` with KERAS_BACKEND=backend; returns the JSON object on its
    last line of output, or raises RuntimeError with the end of its error output."""
    result = subprocess.run([sys.executable, script, "--worker", *map(str, arguments)], capture_output=True,
                            text=True, env=dict(os.environ, KERAS_BACKEND=backend))
    if result.returncode:
        raise RuntimeError(f"the {backend} worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
