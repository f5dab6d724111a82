#!/usr/bin/env bash
# Creates .venv (if missing) and installs keras-vq with its test tools and all three backends.
# Idempotent: a second run only checks what is there. Usage: bash scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# uv (Astral's installer, from PyPI) resolves the same requirements from the same index as pip, downloads
# in parallel and unpacks each wheel once into its cache: this script takes 93 s for a fresh clone on 2 cores
# (uv's cache empty) rather than 137 s with pip. pip installs it; tests/install/install_test.py's fresh
# environments use it too (from the cache this fills).
.venv/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.9"
# torch==2.13.0 is the CPU build (an unpinned torch pulls a CUDA build of several GB); where pip is told to
# look in a folder of wheels for it (PIP_FIND_LINKS), uv is told the same. tensorflow-cpu likewise.
# keras_vq itself needs neither: users pick their backend.
.venv/bin/python -m uv pip install --quiet --python .venv/bin/python ${PIP_FIND_LINKS:+--find-links "$PIP_FIND_LINKS"} \
  "torch==2.13.0" "jax[cpu]" "tensorflow-cpu>=2.16" \
  -e ".[data,plots,tests,docs,speech-eval]"
# The bytecode of every installed module, on every core: without it every import of TensorFlow costs ~10 s
# more where Python is told not to write it (PYTHONDONTWRITEBYTECODE). A file that does not compile (a
# package's Python 2 example) is left to the import system.
.venv/bin/python -m compileall -q -j 0 "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" \
  > /dev/null || true
