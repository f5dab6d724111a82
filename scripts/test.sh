#!/usr/bin/env bash
# Installs (if needed) and runs the whole test suite once per Keras backend.
# Usage: bash scripts/test.sh [pytest arguments]  (tests run on every core, by pytest-xdist)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "=== ruff check (pyflakes, pycodestyle, import order: pyproject.toml)"
.venv/bin/ruff check .
status=0
for backend in tensorflow jax torch; do
  echo "=== KERAS_BACKEND=$backend"
  KERAS_BACKEND=$backend .venv/bin/python -m pytest -q -p no:cacheprovider -n auto --durations=15 "$@" || status=1
done
exit $status
