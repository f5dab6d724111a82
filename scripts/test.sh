#!/usr/bin/env bash
# Installs (if needed), lints, and runs the whole test suite once per Keras backend.
# Usage: bash scripts/test.sh [pytest arguments]
#
# The three backend passes run side by side (pytest-xdist workers: WORKERS below): one pass's
# subprocess starts, compilations and waits leave the cores idle, and the other passes fill them.
# Each pass writes its own log, printed whole, in a fixed order, when the pass ends; the exit
# status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
echo "=== ruff format --check and ruff check (the formatter; pyflakes, pycodestyle, import order, pyupgrade: pyproject.toml)"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

BACKENDS=(tensorflow jax torch)
# Workers a pass: few, since every worker imports Keras and the backends, loads the presets and
# compiles the models its tests share, once each. Measured here (clean clone, `time bash .ci/run`, CPU
# as user + sys): two workers every pass, 1,980 s of CPU, 1,181 s wall; one every pass, 1,544 s of CPU;
# two for TensorFlow and JAX and one for PyTorch (whose installs and recipe runs are subprocesses, so
# its one worker leaves the other core to them), 1,684 s of CPU with the transformer priors' tests
# added, 974 s wall, the passes ending at 755 (TensorFlow), 854 (JAX) and 922 s (PyTorch); with the
# install tests moved to the TensorFlow pass (tests/passes.py), 1,664 s of CPU, 944 s wall, the passes
# ending at 822, 869 and 894 s.
declare -A WORKERS=([tensorflow]=2 [jax]=2 [torch]=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
for backend in "${BACKENDS[@]}"; do
  (
    start=$(date +%s)
    # Each pass has its own temporary folder: pytest's default one is numbered per session, and
    # three sessions starting together would race for it.
    code=0
    KERAS_BACKEND=$backend .venv/bin/python -m pytest -q -p no:cacheprovider -n "${WORKERS[$backend]}" --durations=15 \
      --basetemp="$work/tmp-$backend" "$@" > "$work/$backend.log" 2>&1 || code=$?
    echo $code > "$work/$backend.status"
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
