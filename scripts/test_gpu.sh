#!/usr/bin/env bash
# The layer and model tests on a machine with a GPU, on each of JAX and PyTorch that is installed there.
#
# Usage: bash scripts/test_gpu.sh [pytest arguments]
#
# For a GPU machine that has JAX and/or PyTorch but not TensorFlow, soundfile or Keras (as the project's
# lent H200 is): Keras and what it needs beyond such an image (namex, optree) are installed from the wheels
# in .whl/ (or $KERAS_VQ_WHEELS) when Keras is not installed, into a temporary folder, not the system. Tests
# that need TensorFlow or soundfile skip themselves (pytest.importorskip) or are deselected below by name.
# Several pytest workers share the GPU: XLA_PYTHON_CLIENT_PREALLOCATE=false stops each JAX worker taking
# 75% of its memory. CI (no GPU) runs scripts/test.sh, which runs all of these too.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
wheels=${KERAS_VQ_WHEELS:-.whl}

if ! "$python" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('keras') is None)"; then
  if ! ls "$wheels"/keras-*.whl >/dev/null 2>&1; then
    echo "test_gpu.sh: Keras is not installed and $wheels/ holds no keras wheel" >&2
    exit 2
  fi
  site=$(mktemp -d)
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$wheels"/*.whl
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
# keras_vq as it installs (datasets/ and recipes/ are its subpackages keras_vq.datasets and keras_vq.recipes,
# setup.cfg's package_dir), copied with the tests into a folder of its own: nothing is installed.
work=$(mktemp -d)
cp -r keras_vq tests setup.cfg "$work/"
cp -r datasets "$work/keras_vq/datasets"
cp -r recipes "$work/keras_vq/recipes"
cd "$work"
export XLA_PYTHON_CLIENT_PREALLOCATE=false TF_CPP_MIN_LOG_LEVEL=3

# The layers and models, their priors, likelihoods and metrics: what runs on the accelerator.
TESTS=(
  tests/unit/vector_quantizer_test.py tests/unit/residual_vector_quantizer_test.py tests/unit/finite_scalar_quantizer_test.py
  tests/unit/lookup_free_quantizer_test.py tests/unit/quantizer_models_test.py tests/unit/residual_stack_test.py
  tests/unit/pixelcnn_blocks_test.py tests/unit/pixelcnn_test.py tests/unit/wavenet_test.py
  tests/unit/vqvae_test.py tests/vqvae2_test.py tests/unit/vae_test.py tests/unit/audio_vqvae_test.py
  tests/unit/spectrogram_decoder_test.py tests/unit/output_distributions_test.py tests/unit/metrics_test.py
  tests/unit/config_migration_test.py tests/unit/catalogue_test.py tests/unit/transfer_guard_test.py
)
# Tests of these files that read data through tf.data or soundfile.
NEEDS_TENSORFLOW="not tf_data and not tensorflow and not recipe and not soundfile and not flac"

gpu_backends=()
if [ -n "${KERAS_VQ_TEST_BACKENDS:-}" ]; then  # e.g. "torch": the script itself checked on a machine with no GPU
  read -r -a gpu_backends <<< "$KERAS_VQ_TEST_BACKENDS"
elif "$python" -c "import jax, sys; sys.exit(jax.devices()[0].platform != 'gpu')" 2>/dev/null; then
  gpu_backends+=(jax)
fi
if [ -z "${KERAS_VQ_TEST_BACKENDS:-}" ] && "$python" -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
  gpu_backends+=(torch)
fi
if [ ${#gpu_backends[@]} -eq 0 ]; then
  echo "test_gpu.sh: neither JAX nor PyTorch sees a GPU here" >&2
  exit 2
fi

command -v nvidia-smi >/dev/null && nvidia-smi -L
status=0
for backend in "${gpu_backends[@]}"; do
  echo "=== KERAS_BACKEND=$backend"
  KERAS_BACKEND=$backend "$python" -m pytest -q -p no:cacheprovider -n "${WORKERS:-8}" --durations=10 \
    -k "$NEEDS_TENSORFLOW" "${TESTS[@]}" "$@" || status=1
done
exit $status
