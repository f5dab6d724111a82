"""A dataset's codes under a trained VQ-VAE: encoded once, cached, batched for a prior.

`load_codes(model, name, split, data_dir=...)` runs `model.encode` over every
example of a split (in keras_vq's canonical order) and keeps the result in
`~/.keras/keras_vq/codes/<model fingerprint>-v<format>/<name>-<split>-<data fingerprint>.npz`;
the next call with the same weights and data files reads the file instead.
The model fingerprint is the SHA-256 of its config and weights, the data
fingerprint that of the files' paths, sizes, modification times, inodes and inode change times, so
retrained weights or changed data never reuse stale codes. `CodeBatches` serves the arrays to a prior's `fit` in seeded,
reshuffled batches (a `keras.utils.PyDataset`, as `load_numpy` gives).
"""

import hashlib
import json
import pathlib
import re
import warnings

import keras
import numpy as np

from keras_vq.data.batches import SeededBatches
from keras_vq.utils.atomic import atomic_path
from keras_vq.utils.paths import keras_vq_home
from keras_vq.utils.progress import Progress

__all__ = ["load_codes", "prior_inputs", "CodeBatches", "encode_batch", "encode_utterance"]

ENCODING_BATCH = 500
# Part of every cache file's name: bumped when what a file holds changes (2: keyed by level name).
CACHE_FORMAT = 2


def model_fingerprint(model):
    """SHA-256 (hex, first 16) of a model's config and weights."""
    digest = hashlib.sha256(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:16]


def encode_batch(model, images, labels=None):
    """`{level name: codes}` (`model.encode`: `"codes"` for a VQ-VAE,
    `"top"` and `"bottom"` for a VQ-VAE-2) as int32 NumPy arrays, with
    `"labels"` when given: what `load_codes` caches, for a batch in memory.

    Example:
        ```python
        import numpy as np

        import keras_vq

        model = keras_vq.models.VQVAE(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4)
        codes = keras_vq.data.encode_batch(model, np.zeros((2, 16, 16, 3), "float32"), labels=[3, 5])
        print({name: (array.shape, array.dtype.name) for name, array in codes.items()})  # codes (2, 4, 4) int32
        ```
    """
    encoded = {name: keras.ops.convert_to_numpy(codes).astype(np.int32) for name, codes in model.encode(images).items()}
    if labels is not None:
        encoded["labels"] = np.asarray(labels, np.int32)
    return encoded


# Whole utterances are zero-padded to a multiple of this many samples, so that a few input shapes serve every
# utterance (each new shape compiles anew on JAX and TensorFlow).
UTTERANCE_BUCKET = 4 * 16_384


def encode_utterance(model, audio):
    """`(z_e (codes, D), codes (codes,))` of one whole utterance `(samples,)` under a 1-D VQVAE, its last
    partial code dropped; the padding to a multiple of UTTERANCE_BUCKET samples is cut off again.

    Example:
        ```python
        import numpy as np

        import keras_vq
        from keras_vq.data.codes import encode_utterance

        vqvae = keras_vq.models.VQVAE.from_preset("librispeech")
        z_e, codes = encode_utterance(vqvae, np.zeros(1_000, "float32"))
        print(z_e.shape, codes.shape)  # (15, 64) (15,): one code every 64 samples
        ```
    """
    from keras_vq.data.audio import pad_to_length

    count = len(audio) // 2**model.num_downsamples
    padded = pad_to_length(np.asarray(audio, np.float32), -(-len(audio) // UTTERANCE_BUCKET) * UTTERANCE_BUCKET)
    continuous = model.encoder_outputs(padded[None, :, None])["codes"]
    codes = model.quantizer.encode(continuous)
    return (
        np.asarray(keras.ops.convert_to_numpy(continuous), np.float32)[0, :count],
        np.asarray(keras.ops.convert_to_numpy(codes))[0, :count],
    )


def prior_inputs(codes, level, prior):
    """What `prior` (any autoregressive prior over `level`, a `CodeLevel` from
    `model.code_levels()`) takes, from `encode_batch`/`load_codes` arrays: the
    level's codes, with the labels when the prior takes labels, and the codes
    of the level it is conditioned on (VQ-VAE-2's bottom prior: the top codes).
    With several codes a position (residual VQ), the prior models the first
    stage's, or every stage when it models that many (`CodeLevel.modelled_codes`,
    `LevelSpec.stages`); a condition is the first stage of the level it names.

    Example:
        ```python
        import keras_vq
        import keras_vq.data.codes

        images, labels, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8,
                                       quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        codes = keras_vq.data.codes.encode_batch(model, images[:4], labels[:4])  # {"top", "bottom", "labels"}
        level = model.code_levels()["bottom"]
        prior = keras_vq.models.PixelCNN.for_code_level(level, num_classes=10, channels=8, num_blocks=1)
        inputs = keras_vq.data.prior_inputs(codes, level, prior)
        print({key: value.shape for key, value in inputs.items()})  # the bottom codes, labels and the top codes
        ```
    """
    prior.check_fits_level(level)
    labels = codes["labels"] if prior.label_key is not None else None
    condition = None if level.condition is None else level.condition.prior_codes(codes[level.condition.name])
    return prior.inputs_for(level.modelled_codes(codes[level.name], prior.level_spec().stages), labels, condition)


def load_codes(model, name, split, data_dir=None, download=False, cache_dir=None, verbose="auto"):
    """`{level name: codes, "labels"}` (`"codes"` for a VQ-VAE, `"top"` and
    `"bottom"` for a VQ-VAE-2) for every example of `split`, as NumPy arrays
    (codes int32, `(examples, *code_shape)`); encoded once, then read from the cache.

    The cache is keyed on everything that decides the codes: the model's
    config and weights, the dataset, the split, and the data files
    themselves (`files.fingerprint()`: their paths, sizes, modification
    times, inodes and inode change times), so another folder or a changed file is encoded anew. A cache
    file that is truncated, foreign or holds codes outside [0, K) is named
    in a warning and encoded anew. `verbose`
    shows the reading and encoding (`keras_vq.utils.progress`).

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.cifar10

        data_dir = pathlib.Path(keras_vq.datasets.cifar10.__file__).parent / "dummy_data"  # your copy here
        model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                      quantizer=keras_vq.layers.VectorQuantizer(32, 8))
        codes = keras_vq.data.load_codes(model, "cifar10", "train", data_dir=data_dir, verbose=0)
        print(codes["codes"].shape, codes["labels"].shape)  # (examples, 8, 8) (examples,); cached for next time
        ```
    """
    from keras_vq.data.load_arguments import check_load_arguments, open_local_files
    from keras_vq.data.numpy_pipeline import load_numpy

    spec = check_load_arguments(name, split, ENCODING_BATCH, None, 1, True)[1]
    files = open_local_files(name, data_dir, spec, download)
    data_key = hashlib.sha256(files.fingerprint().encode()).hexdigest()[:16]
    root = keras_vq_home() / "codes" if cache_dir is None else pathlib.Path(cache_dir)
    folder = root / f"{model_fingerprint(model)}-v{CACHE_FORMAT}"
    path = folder / f"{name}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', split)}-{data_key}.npz"
    if path.exists():
        cached, problem = _read_cache(path, model)
        if problem is None:
            return cached
        warnings.warn(f"{path} is not a usable codes cache ({problem}); encoding {name} {split} anew", stacklevel=2)

    batches = load_numpy(
        name,
        split,
        ENCODING_BATCH,
        data_dir=data_dir,
        download=download,
        evaluation=True,
        with_labels=True,
        progress=bool(verbose),
    )
    progress = Progress(f"encoding {name} {split}", len(batches), "batch", verbose)
    parts = []
    for index in range(len(batches)):
        parts.append(encode_batch(model, *batches[index]))
        progress.advance()
    progress.done()
    arrays = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    with atomic_path(path) as temporary:  # Complete files only: a killed run leaves no half-written cache.
        np.savez(temporary, **arrays)
    return arrays


def _read_cache(path, model):
    """`(arrays, None)` from a codes cache file, or `(None, what is wrong)` when it is truncated, foreign
    (other level names), or holds codes a level cannot have (not integers, outside [0, K), of unequal
    lengths): such a file is encoded anew rather than served."""
    import zipfile

    try:
        with np.load(path) as cached:
            arrays = {key: cached[key] for key in cached.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        return None, f"unreadable: {error}"
    levels = model.code_levels()
    if set(arrays) != {*levels, "labels"}:
        return None, f"holds {sorted(arrays)}, not {sorted({*levels, 'labels'})}"
    if len({len(array) for array in arrays.values()}) != 1:
        return None, "its arrays have different lengths"
    for name, level in levels.items():
        codes = arrays[name]
        if codes.dtype.kind not in "iu" or (codes.size and not 0 <= codes.min() <= codes.max() < level.num_embeddings):
            return None, f"{name} holds codes outside [0, {level.num_embeddings}) or not integers"
    return arrays, None


class CodeBatches(SeededBatches):
    """Batches of `inputs` (an array, or a dict of arrays of equal length),
    for a prior's `fit`; the order of `keras_vq.data.load_numpy`'s batches
    (training: drawn from `(seed, epoch)`, partial batch dropped; evaluation:
    every example in order).

    Example:
        ```python
        import numpy as np

        import keras_vq

        inputs = {"codes": np.zeros((10, 8, 8), "int32"), "class_labels": np.arange(10) % 3}
        batches = keras_vq.data.CodeBatches(inputs, batch_size=4, seed=0)
        print(len(batches), batches[0]["codes"].shape)  # 2 (4, 8, 8): the partial batch is dropped in training
        ```
    """

    def __init__(self, inputs, batch_size, seed=0, evaluation=False):
        lengths = {len(values) for values in (inputs.values() if isinstance(inputs, dict) else [inputs])}
        if len(lengths) != 1:
            raise ValueError(f"the arrays in inputs must have one length; got lengths {sorted(lengths)}")
        super().__init__(lengths.pop(), batch_size, evaluation, seed)
        self.inputs = inputs

    def __getitem__(self, index):
        chosen = self._batch_indices(index)
        return keras.tree.map_structure(lambda values: np.asarray(values)[chosen], self.inputs)
