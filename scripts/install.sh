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
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  "torch==2.13.0" "jax[cpu]" "tensorflow-cpu>=2.16" \
  -e ".[data,plots,tests,docs,speech-eval]"
