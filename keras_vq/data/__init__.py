"""Data for keras_vq models.

- `load(name, split, batch_size, ...)`: tf.data pipelines over the TFDS
  builders in `keras_vq.datasets` (CIFAR-10, KaoKore, LibriSpeech). Only
  this imports TensorFlow, and only when called.
- `load_numpy(...)`: the same batches as a `keras.utils.PyDataset`, for
  backends without TensorFlow.
- `training_batches(name, split, batch_size, start_step=...)`: endless
  training batches from any step, in a seeded order that survives a restart;
  from `load` when TensorFlow is installed, else from `load_numpy`.
- `speaker_ids(split, data_dir)`: LibriSpeech speakers, in `speaker_index` order.
- `load_codes(model, name, split, ...)`: a split's codes under a trained
  VQ-VAE or VQ-VAE-2 (`{level name: codes, "labels"}`), encoded once and
  cached; `prior_inputs(codes, level)` picks what a PixelCNN over one
  level takes, and `CodeBatches` batches it.
- `load_cifar10_sample()`: 3,000 CIFAR-10 training images shipped inside
  keras_vq, for the quick start and tests.
- `python -m keras_vq.data.inspect --data-dir PATH`: what a data folder holds.

Images come out as float32 on [0, 1], the scale the models assume; audio as
float32 on [-1, 1].
"""

import importlib

from keras_vq.data.embedded import load_cifar10_sample, to_pixel_scale

# Imported on first use: they need the `numpy-data` extra (Pillow, soundfile; and
# the `data` extra, with TensorFlow, for `load`), which `import keras_vq` must not.
_LAZY_FUNCTIONS = {
    "load": "keras_vq.data.pipelines",
    "speaker_ids": "keras_vq.data.pipelines",
    "load_numpy": "keras_vq.data.numpy_pipeline",
    "load_codes": "keras_vq.data.codes",
    "CodeBatches": "keras_vq.data.codes",
    "prior_inputs": "keras_vq.data.codes",
    "training_batches": "keras_vq.data.training_stream",
}

__all__ = ["CodeBatches", "load", "load_codes", "load_numpy", "load_cifar10_sample", "prior_inputs", "speaker_ids",
           "to_pixel_scale", "training_batches"]


def __getattr__(name):
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'keras_vq.data' has no attribute {name!r}")
