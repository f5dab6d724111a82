#!/usr/bin/env bash
# Creates .venv (if missing) and installs keras-vq with its test tools and all three backends.
# Idempotent: a second run only checks what is there. Usage: bash scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch==2.13.0 is the CPU build (an unpinned torch pulls a CUDA build of several GB);
# tensorflow-cpu likewise. keras_vq itself needs neither: users pick their backend.
# --no-compile, then compileall on every core: pip writes the bytecode one file at a time, half
# the install's time; without bytecode every import of TensorFlow costs ~10 s more where Python is told
# not to write it (PYTHONDONTWRITEBYTECODE). A file that does not compile (a package's Python 2
# example) is left to the import system, as pip leaves it.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-compile \
  "torch==2.13.0" "jax[cpu]" "tensorflow-cpu>=2.16" \
  -e ".[data,plots,tests,docs,speech-eval]"
.venv/bin/python -m compileall -q -j 0 "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
  > /dev/null || true
