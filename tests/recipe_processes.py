"""Recipe runs as fresh processes that skip the imports: forked from a server that imported them once.

A small recipe run is ~12 s of CPU, ~7 s of it importing Keras, the backend, TensorFlow (the data
path) and matplotlib; the fault-injection suite alone makes 27 runs. `run` gives what
`subprocess.run(command, cwd=..., env=..., capture_output=True, text=True, timeout=...)` gives for a
Python script or `-m` module, from a child forked by a `multiprocessing` fork server that preloaded
those modules (single-threaded: nothing to break by forking). The child is a process of its own: its
own environment, folder, standard streams and exit status (killed by a signal: minus its number), so a
SIGKILL inside it kills only it, exactly as with `kill -9` on a subprocess.

Variables read once at import (the backend, thread counts, XLA's flags) are the server's: a command whose
environment changes one of them runs as a real subprocess instead. Keras' home (`KERAS_HOME`) is read at
import only for the settings in its `keras.json` (float type, epsilon, image layout); keras-vq reads it when
it looks for a path. A command with another home forks where that home's settings are the server's (a fresh
home: Keras' defaults), and runs as a real subprocess where they differ.
"""

import json
import multiprocessing
import os
import pathlib
import runpy
import subprocess
import sys
import tempfile

# Read when the modules below are imported: the server's values hold in every child.
IMPORT_TIME_VARIABLES = (
    "KERAS_BACKEND",
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "XLA_FLAGS",
    "JAX_DISABLE_MOST_OPTIMIZATIONS",
    "JAX_PLATFORMS",
    "CUDA_VISIBLE_DEVICES",
)
PRELOADED = [
    "keras",
    "tensorflow",
    "tensorflow_datasets",
    "matplotlib.pyplot",
    "h5py",
    "keras_vq",
    "keras_vq.training",
    "keras_vq.plots",
    "keras_vq.data.pipelines",
    "keras_vq.data.numpy_pipeline",
    "keras_vq.datasets.cifar10",
]
_context = None
# The environment the server started with (it starts at the first run, inheriting this process's): what its
# imports read.
_server_environment = None


def _server():
    global _context, _server_environment
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOADED)
        _server_environment = dict(os.environ)
    return _context


def _child(arguments, cwd, environment, stdout_path, stderr_path):
    """In the forked child: the command's folder, environment and streams, then the script as __main__."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(environment)
    for descriptor, path in ((1, stdout_path), (2, stderr_path)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(handle, descriptor)
        os.close(handle)
    extra_paths = [path for path in environment.get("PYTHONPATH", "").split(os.pathsep) if path]
    if arguments[0] == "-m":
        sys.argv = [arguments[1], *arguments[2:]]
        sys.path[:0] = [cwd, *extra_paths]
        runpy.run_module(arguments[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(arguments)
        sys.path[:0] = [os.path.dirname(os.path.abspath(arguments[0])), *extra_paths]
        runpy.run_path(arguments[0], run_name="__main__")


class ForkedProcess:
    """The part of `subprocess.Popen` the tests use (text streams, captured), for a forked child."""

    def __init__(self, command, cwd, environment):
        self.args = command
        self._streams = tempfile.TemporaryDirectory()
        self._paths = [os.path.join(self._streams.name, name) for name in ("stdout", "stderr")]
        arguments = [str(part) for part in command[1:]]
        if arguments[0] == "-u":  # Unbuffered: the child's streams are files it flushes as it exits.
            arguments = arguments[1:]
        self._child = _server().Process(
            target=_child, args=(arguments, str(cwd or os.getcwd()), environment, *self._paths)
        )
        self._child.start()
        self.pid = self._child.pid

    @property
    def returncode(self):
        return self._child.exitcode

    def poll(self):
        return self._child.exitcode

    def send_signal(self, signal_number):
        os.kill(self.pid, signal_number)

    def wait(self, timeout=None):
        self._child.join(timeout)
        if self._child.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self._child.exitcode

    def communicate(self, timeout=None):
        self.wait(timeout)
        stdout, stderr = (pathlib.Path(path).read_text() for path in self._paths)
        self._streams.cleanup()
        return stdout, stderr

    def kill(self):
        self._child.kill()
        self._child.join()


# What Keras reads from `$KERAS_HOME/keras.json` at import, and its values where the file has none.
KERAS_SETTINGS = {"floatx": "float32", "epsilon": 1e-07, "image_data_format": "channels_last"}


def keras_settings(environment):
    """The settings Keras would read at import under `environment`'s KERAS_HOME (default `~/.keras`)."""
    home = environment.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        stored = json.loads((pathlib.Path(home) / "keras.json").read_text())
    except (OSError, ValueError):
        stored = {}
    return {name: stored.get(name, default) for name, default in KERAS_SETTINGS.items()}


def forks(command, environment):
    """Whether `command` can run forked from the server: a Python command whose environment keeps the
    server's import-time variables and Keras settings."""
    server_environment = _server_environment if _server_environment is not None else os.environ
    return (
        command[0] == sys.executable
        and all(environment.get(name) == server_environment.get(name) for name in IMPORT_TIME_VARIABLES)
        and keras_settings(environment) == keras_settings(server_environment)
    )


def popen(command, cwd=None, env=None):
    """`subprocess.Popen(command, stdout=PIPE, stderr=PIPE, text=True, ...)`, forked where `forks` allows."""
    environment = dict(os.environ if env is None else env)
    if not forks(command, environment):
        return subprocess.Popen(
            command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return ForkedProcess(command, cwd, environment)


def run(command, cwd=None, env=None, timeout=600):
    """`subprocess.run(command, capture_output=True, text=True, ...)` for `[sys.executable, script or -m
    module, *arguments]`, forked from the preloaded server (see the module docstring)."""
    process = popen(command, cwd, env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
