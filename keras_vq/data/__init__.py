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
  cached; `prior_inputs(codes, level, prior)` picks what a prior over one
  level takes, and `CodeBatches` batches it.
- `load_cifar10_sample()`: 3,000 CIFAR-10 training images shipped inside
  keras_vq, for the quick start and tests.
- `python -m keras_vq.data.inspect --data-dir PATH`: what a data folder holds.

Images come out as float32 on [0, 1], the scale the models assume; audio as
float32 on [-1, 1].
"""

import importlib

from keras_vq.data.embedded import load_cifar10_sample, to_pixel_scale
from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError

# Imported on first use: they need the `numpy-data` extra (Pillow, soundfile; and
# the `data` extra, with TensorFlow, for `load`), which `import keras_vq` must not.
# Public name -> its module (or (module, its name there) where the two names differ).
_LAZY_FUNCTIONS = {
    "load": "keras_vq.data.pipelines",
    "speaker_ids": "keras_vq.data.pipelines",
    "load_numpy": "keras_vq.data.numpy_pipeline",
    "load_codes": "keras_vq.data.codes",
    "CodeBatches": "keras_vq.data.codes",
    "prior_inputs": "keras_vq.data.codes",
    "training_batches": "keras_vq.data.training_stream",
    "encode_batch": "keras_vq.data.codes",
    "encode_utterance": "keras_vq.data.codes",
    "evaluation_windows": "keras_vq.data.audio",
    "pad_to_length": "keras_vq.data.audio",
    # Whole utterances in memory (speech recipes): held-out splits per speaker, crops, clips, WAV files.
    "SAMPLE_RATE": "keras_vq.data.utterances",
    "SequenceCrops": "keras_vq.data.utterances",
    "clips": "keras_vq.data.utterances",
    "first_held_out_utterances": "keras_vq.data.utterances",
    "held_out_utterances": "keras_vq.data.utterances",
    "speaker_sexes": "keras_vq.data.utterances",
    "split_per_speaker": "keras_vq.data.utterances",
    "write_wav": "keras_vq.data.utterances",
    "CIFAR10_CLASS_NAMES": ("keras_vq.datasets.cifar10.cifar10_files", "CLASS_NAMES"),
}

__all__ = [
    "BadFileError",
    "CIFAR10_CLASS_NAMES",
    "DataNotFoundError",
    "clips",
    "CodeBatches",
    "encode_batch",
    "encode_utterance",
    "evaluation_windows",
    "first_held_out_utterances",
    "held_out_utterances",
    "load",
    "load_cifar10_sample",
    "load_codes",
    "load_numpy",
    "pad_to_length",
    "prior_inputs",
    "SAMPLE_RATE",
    "SequenceCrops",
    "speaker_ids",
    "speaker_sexes",
    "split_per_speaker",
    "to_pixel_scale",
    "training_batches",
    "write_wav",
]


def __getattr__(name):
    if name in _LAZY_FUNCTIONS:
        module, attribute = (
            _LAZY_FUNCTIONS[name] if isinstance(_LAZY_FUNCTIONS[name], tuple) else (_LAZY_FUNCTIONS[name], name)
        )
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'keras_vq.data' has no attribute {name!r}")
