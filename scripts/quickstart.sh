#!/usr/bin/env bash
# Installs (if needed), then trains a VQ-VAE on the embedded CIFAR-10 sample and writes
# runs/quickstart/reconstructions.png and loss_curves.png.
# Usage: bash scripts/quickstart.sh [recipe arguments, e.g. --steps 300]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
KERAS_BACKEND=${KERAS_BACKEND:-tensorflow} .venv/bin/python recipes/quickstart.py --output-dir runs/quickstart "$@"
