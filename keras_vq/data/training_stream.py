"""Training batches from any global step, for `keras_vq.training.fit_resumably`.

`training_batches(name, split, batch_size, start_step=..., seed=...)` is an
endless stream of `model.fit` inputs whose pass `n` is shuffled by
`(seed, n)` alone, so the stream from any step is the same whether or not
training was interrupted. It is fed by the tf.data pipeline
(`keras_vq.data.load`) when TensorFlow and TFDS are installed, on any Keras
backend, and by the NumPy path (`load_numpy`) otherwise. Example:

    stream = keras_vq.data.training_batches("cifar10", "train[:90%]", 32, start_step=1000, seed=0)
    model.fit(stream, steps_per_epoch=500, epochs=4, initial_epoch=2)
"""

import importlib.util

import numpy as np

from keras_vq.utils.checks import check_seed

__all__ = ["training_batches"]


def tensorflow_available():
    """Whether `keras_vq.data.load` (tf.data) can run here."""
    return all(importlib.util.find_spec(name) is not None for name in ("tensorflow", "tensorflow_datasets"))


def pass_seed(seed, pass_index):
    """The shuffling (and crop) seed of pass `pass_index` of a run seeded with `seed`."""
    return int(np.random.SeedSequence([seed, pass_index]).generate_state(1)[0])


def training_batches(name, split, batch_size, *, start_step=0, seed=0, pipeline="auto", verbose="auto", **options):
    """Endless `model.fit` inputs (`(data,)`, or `(data, labels)` with
    `with_labels=True`) of `name`'s `split` from global step `start_step`.

    `name`, `split`, `batch_size` and `**options` are as for
    `keras_vq.data.load` (not `evaluation`: these are training batches).

    Args:
        start_step: the first step to yield, counted over the whole run.
        seed: the run's seed; pass `n` is ordered by `(seed, n)` alone.
        pipeline: "tf.data", "numpy", or "auto": tf.data when TensorFlow is installed.
        verbose: say which pipeline feeds training, from which step.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.cifar10

        data_dir = pathlib.Path(keras_vq.datasets.cifar10.__file__).parent / "dummy_data"  # your copy here
        stream = keras_vq.data.training_batches("cifar10", "train", 2, start_step=3, seed=0, data_dir=data_dir,
                                               verbose=0)
        (images,) = next(stream)  # the batch an uninterrupted run trains on at step 3
        print(tuple(images.shape))
        ```
    """
    if pipeline not in ("auto", "tf.data", "numpy"):
        raise ValueError(f"pipeline must be 'auto', 'tf.data' or 'numpy', got {pipeline!r}")
    if pipeline == "auto":
        pipeline = "tf.data" if tensorflow_available() else "numpy"
    check_seed("seed", seed)
    if isinstance(start_step, bool) or not isinstance(start_step, int) or start_step < 0:
        raise ValueError(f"start_step must be an integer >= 0, got {start_step!r}")
    if "evaluation" in options:
        raise TypeError("training_batches yields training batches; for evaluation use keras_vq.data.load")
    if verbose:
        print(
            f"training batches: {name} {split}, batch {batch_size}, seed {seed}, from step {start_step}, "
            f"through {'tf.data (keras_vq.data.load)' if pipeline == 'tf.data' else 'keras_vq.data.load_numpy'}",
            flush=True,
        )
    if pipeline == "numpy":
        return _numpy_batches(name, split, batch_size, start_step, seed, options)
    return _tf_data_batches(name, split, batch_size, start_step, seed, options)


def check_whole_batch(name, split, batch_size, *, data_dir=None, download=False):
    """ValueError naming the batch and the split unless `name`'s `split` holds at least `batch_size`
    examples: `training_batches` keeps whole batches only. Reads the split's file list, not its data, so
    a recipe checks its `--batch-size` before it starts a run.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.cifar10
        from keras_vq.data.training_stream import check_whole_batch

        data_dir = pathlib.Path(keras_vq.datasets.cifar10.__file__).parent / "dummy_data"
        try:
            check_whole_batch("cifar10", "train", 10_000, data_dir=data_dir)
        except ValueError as error:
            print(error)  # batch_size 10000 is larger than cifar10 train, which holds 6 examples: ...
        ```
    """
    from keras_vq.data.load_arguments import check_load_arguments, open_local_files
    from keras_vq.data.splits import select_keys

    _, spec = check_load_arguments(name, split, batch_size, None, 1, False)
    files = open_local_files(name, data_dir, spec, download)
    examples = len(select_keys(files.keys(spec.name), spec))
    if batch_size > examples:
        raise ValueError(
            f"batch_size {batch_size} is larger than {name} {split}, which holds {examples:,} "
            f"examples: training keeps whole batches only"
        )


def _tf_data_batches(name, split, batch_size, start_step, seed, options):
    from keras_vq.data.batches import as_fit_input
    from keras_vq.data.pipelines import load

    download = options.pop("download", False)

    def one_pass(pass_index, download=False):
        return load(name, split, batch_size, seed=pass_seed(seed, pass_index), download=download, **options)

    # Fetches what is missing (once: later passes read the local copy), prepares the data and checks
    # every argument before the first step.
    first = one_pass(0, download)
    batches_per_pass = int(first.cardinality())
    if batches_per_pass < 1:
        raise ValueError(f"{name} {split} gives no whole batch of {batch_size}")
    pass_index, skip = divmod(start_step, batches_per_pass)
    dataset = first if pass_index == 0 else one_pass(pass_index)
    while True:
        for batch in dataset.skip(skip).as_numpy_iterator():
            yield as_fit_input(batch)
        pass_index, skip = pass_index + 1, 0
        dataset = one_pass(pass_index)


def _numpy_batches(name, split, batch_size, start_step, seed, options):
    from keras_vq.data.batches import batches_from
    from keras_vq.data.numpy_pipeline import load_numpy

    return batches_from(load_numpy(name, split, batch_size, seed=seed, **options), start_step)
