"""Running a benchmark's measurement on every installed Keras backend, each in a process of its own.

Keras fixes its backend at import, so a benchmark that compares backends runs
itself again as a worker (`script --worker ...`) under each `KERAS_BACKEND`
and reads the JSON object the worker prints last; one command then prints
every backend's figures.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")


def installed_backends(requested=None):
    """The backends of `requested` (all three by default) whose framework is installed."""
    return [name for name in (requested or BACKENDS) if importlib.util.find_spec(name) is not None]


def add_backend_arguments(parser):
    """`--backends` (which to measure; every installed one by default) and the hidden `--worker` flag that
    `run_on_backend` passes to the script's own process on each backend."""
    parser.add_argument("--backends", nargs="+", choices=BACKENDS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)


def run_on_backend(backend, script, arguments):
    """Runs `python script --worker *arguments` with KERAS_BACKEND=backend; returns the JSON object on its
    last line of output, or raises RuntimeError with the end of its error output."""
    result = subprocess.run(
        [sys.executable, script, "--worker", *map(str, arguments)],
        capture_output=True,
        text=True,
        env=dict(os.environ, KERAS_BACKEND=backend),
    )
    if result.returncode:
        raise RuntimeError(f"the {backend} worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def time_each_method(draw, methods):
    """`(figures, results)`: for each method, `figures["<method>_first_call_s"]` and `["<method>_timed_s"]`,
    the seconds of a first call of `draw(method)` (which compiles, on TensorFlow and JAX) and of a second,
    timed one, whose result goes in `results[method]`. On PyTorch, which runs eagerly and compiles
    nothing, only the timed call runs, and it stands for the first too."""
    import keras

    calls = ("timed",) if keras.backend.backend() == "torch" else ("first_call", "timed")
    figures, results = {}, {}
    for method in methods:
        for call in calls:
            start = time.perf_counter()
            results[method] = draw(method)
            figures[f"{method}_{call}_s"] = time.perf_counter() - start
        figures.setdefault(f"{method}_first_call_s", figures[f"{method}_timed_s"])
    return figures, results
