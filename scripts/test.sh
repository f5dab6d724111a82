#!/usr/bin/env bash
# Installs (if needed) and runs the whole test suite once per Keras backend.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
status=0
for backend in tensorflow jax torch; do
  echo "=== KERAS_BACKEND=$backend"
  KERAS_BACKEND=$backend .venv/bin/python -m pytest -q -p no:cacheprovider "$@" || status=1
done
exit $status
