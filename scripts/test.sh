#!/usr/bin/env bash
# Installs (if needed), lints, and runs the whole test suite once per Keras backend.
# Usage: bash scripts/test.sh [pytest arguments]
#
# The three backend passes run side by side, each on every core (pytest-xdist): one pass's
# subprocess starts, compilations and slowest last tests leave the cores idle, and the other
# passes fill them (a pass alone keeps two cores ~80% busy). Each pass writes its own log,
# printed whole, in a fixed order, when the pass ends; the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "=== ruff format --check and ruff check (the formatter; pyflakes, pycodestyle, import order, pyupgrade: pyproject.toml)"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

BACKENDS=(tensorflow jax torch)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
for backend in "${BACKENDS[@]}"; do
  (
    start=$(date +%s)
    # Each pass has its own temporary folder: pytest's default one is numbered per session, and
    # three sessions starting together would race for it.
    KERAS_BACKEND=$backend .venv/bin/python -m pytest -q -p no:cacheprovider -n auto --durations=15 \
      --basetemp="$work/tmp-$backend" "$@" > "$work/$backend.log" 2>&1
    echo $? > "$work/$backend.status"
    echo "$(( $(date +%s) - start ))" > "$work/$backend.seconds"
  ) &
done
wait
status=0
for backend in "${BACKENDS[@]}"; do
  echo "=== KERAS_BACKEND=$backend ($(cat "$work/$backend.seconds") s, the passes side by side)"
  cat "$work/$backend.log"
  [ "$(cat "$work/$backend.status")" = 0 ] || status=1
done
echo "=== all passes: $(( $(date +%s) - started )) s"
exit $status
