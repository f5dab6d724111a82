"""tf.data pipelines over the TFDS builders: `load(name, split, batch_size, ...)`.

This is the only module in keras_vq that imports TensorFlow, and only when
`load` is called. What comes out, batch by batch:

- images: float32 `(batch, height, width, 3)` on [0, 1], the pixel scale
  the models assume by default (`data_range=(0, 1)`); with `with_labels`,
  `(images, labels)` (CIFAR-10: class index; KaoKore: `{"gender", "status"}`).
- audio: float32 `(batch, crop_length, 1)` on [-1, 1] (int16 / 32,768), or
  mu-law companded with `mu_law=True`; with `with_labels`, `(audio,
  speaker_index)` where `speaker_index` counts from 0 over `speaker_ids(...)`.

Training mode shuffles with `seed` (a new order every epoch, the same
sequence of orders every run), draws a random crop of each utterance every
epoch, and drops the last partial batch. `evaluation=True` is deterministic:
the canonical order, every non-overlapping `crop_length` window of each
utterance, and every example.
"""

from keras_vq.data import audio as audio_helpers
from keras_vq.data.load_arguments import check_load_arguments, labels_of, open_local_files
from keras_vq.data.sources import prepared_dir_for
from keras_vq.data.splits import select_keys
from keras_vq.layers.mu_law import mu_law_compress
from keras_vq.utils.atomic import exclusively
from keras_vq.utils.extras import naming_the_extra

__all__ = ["load", "speaker_ids"]

DEFAULT_SHUFFLE_BUFFER = 10_000


def _import_tensorflow():
    with naming_the_extra("keras_vq.data.load (tf.data; without TensorFlow, load_numpy takes the same arguments)"):
        import tensorflow as tf
        import tensorflow_datasets as tfds
    return tf, tfds


def load(
    name,
    split,
    batch_size,
    *,
    data_dir=None,
    download=False,
    evaluation=False,
    seed=0,
    shuffle_buffer_size=DEFAULT_SHUFFLE_BUFFER,
    cache=False,
    image_size=None,
    crop_length=16_384,
    mu_law=False,
    with_labels=False,
    skip_bad_files=False,
    prepared_dir=None,
):
    """A batched, prefetched `tf.data.Dataset` of `name`'s `split`, ready for `model.fit`.

    Args:
        name: "cifar10", "kaokore" or "librispeech".
        split: a split name, optionally sliced like TFDS: "train",
            "train[:90%]", "train-clean-5[90%:]". LibriSpeech splits are its
            subset folders' names.
        batch_size: examples (or audio crops) per batch.
        data_dir: the user's copy of the data, in the official layout (see
            `keras_vq.datasets.*.*_files`); the folder itself or its parent.
            Default: `~/.keras/keras_vq/data/<name>`.
        download: fetch what is missing into `data_dir` from the official
            source (resumable, checksummed); a local copy is used as it is.
        evaluation: deterministic order and crops, every example kept.
        seed: seeds shuffling and crops.
        cache: keep decoded examples in memory after the first epoch.
        image_size: resize images to `image_size` x `image_size` (area).
        crop_length: audio samples per crop (16,384 is about 1 s at 16 kHz).
        mu_law: mu-law compand audio (mu = 255), still on [-1, 1].
        with_labels: yield `(data, labels)` rather than data alone.
        skip_bad_files: skip undecodable files with one warning, counting them,
            instead of raising `BadFileError` naming the first.
        prepared_dir: where TFDS writes its prepared copy (default
            `~/.keras/keras_vq/prepared`).

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.cifar10

        data_dir = pathlib.Path(keras_vq.datasets.cifar10.__file__).parent / "dummy_data"  # your copy here
        train = keras_vq.data.load("cifar10", "train[:90%]", batch_size=2, data_dir=data_dir, with_labels=True)
        images, labels = next(iter(train))
        print(tuple(images.shape), tuple(labels.shape))  # (2, 32, 32, 3) (2,): float32 on [0, 1]
        ```
    """
    description, spec = check_load_arguments(name, split, batch_size, image_size, crop_length, with_labels)
    tf, tfds = _import_tensorflow()
    speakers = None  # Audio: the split's speaker ids, in speaker_index order.
    files = open_local_files(name, data_dir, spec, download)
    select_keys(files.keys(spec.name), spec)  # Refuses an empty slice now, not at the first batch.
    prepared = prepared_dir_for(files, skip_bad_files, prepared_dir)
    # Several processes starting at once (JAX hosts, parallel jobs) would each prepare the copy and all but
    # one crash on TFDS's final rename: one prepares while the others wait, then find it prepared.
    with exclusively(prepared.with_name(prepared.name + ".lock")):
        builder = description.builder_class()(data_dir=str(prepared), skip_bad_files=skip_bad_files)
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(files.root)))
    if description.kind == "audio":
        speakers = files.speakers(spec.name)
    if description.kind == "image":
        # Decoded here rather than by TFDS, so that JPEGs decode exactly as Pillow
        # decodes them in load_numpy (TensorFlow's default DCT differs by a few levels).
        image_feature = builder.info.features["image"]

        def decode(example):
            return _image_fields(tf, example, image_feature, description.label_keys if with_labels else ())

        dataset = builder.as_dataset(
            split=split, shuffle_files=False, decoders={"image": tfds.decode.SkipDecoding()}
        ).map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:
        dataset = builder.as_dataset(split=split, shuffle_files=False)
    if cache:
        dataset = dataset.cache()
    if not evaluation:
        dataset = dataset.shuffle(shuffle_buffer_size, seed=seed, reshuffle_each_iteration=True)
    if description.kind == "image":
        # Batch first: one vectorised conversion per batch, not per image.
        def to_model_scale(batch):
            return _image_batch(tf, batch, image_size, description.label_keys if with_labels else ())

        dataset = dataset.batch(batch_size, drop_remainder=not evaluation)
        dataset = dataset.map(to_model_scale, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        dataset = _audio_examples(tf, dataset, speakers, crop_length, mu_law, with_labels, evaluation, seed).batch(
            batch_size, drop_remainder=not evaluation
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def speaker_ids(split, data_dir=None):
    """The LibriSpeech speaker ids of a subset, in the order of `speaker_index`.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.librispeech

        data_dir = pathlib.Path(keras_vq.datasets.librispeech.__file__).parent / "dummy_data"  # a tiny copy
        print(keras_vq.data.speaker_ids("dev-clean", data_dir))  # speaker_index i is the i-th id
        ```
    """
    spec = check_load_arguments("librispeech", split, 1, None, 1, False)[1]
    return open_local_files("librispeech", data_dir, spec, download=False).speakers(spec.name)


def _image_fields(tf, example, image_feature, label_keys):
    """The decoded uint8 image, and the labels asked for."""
    if image_feature.encoding_format == "jpeg":
        image = tf.io.decode_jpeg(example["image"], channels=3, dct_method="INTEGER_ACCURATE")
    else:
        image = tf.io.decode_png(example["image"], channels=3)
    return {"image": tf.ensure_shape(image, image_feature.shape)} | {key: example[key] for key in label_keys}


def _image_batch(tf, batch, image_size, label_keys):
    images = tf.cast(batch["image"], tf.float32) / 255.0
    if image_size is not None:
        images = tf.image.resize(images, (image_size, image_size), method="area")
    if not label_keys:
        return images
    return images, labels_of(batch, label_keys)


def _audio_examples(tf, dataset, speakers, crop_length, mu_law, with_labels, evaluation, seed):
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(speakers, tf.int64), tf.range(len(speakers), dtype=tf.int64)),
        default_value=-1,
    )

    def scaled(samples):
        audio = tf.cast(samples, tf.float32) / audio_helpers.INT16_SCALE
        padding = tf.maximum(crop_length - tf.shape(audio)[0], 0)
        return tf.pad(audio, [[0, padding]])

    def finish(audio, speaker_index):
        if mu_law:
            audio = mu_law_compress(audio, xp=tf.math)
        audio = audio[:, None]
        return (audio, speaker_index) if with_labels else audio

    if evaluation:

        def windows(example):
            audio = scaled(example["audio"])
            frames = tf.signal.frame(audio, crop_length, crop_length)
            speaker_index = table.lookup(example["speaker_id"])
            return tf.data.Dataset.from_tensor_slices((frames, tf.fill([tf.shape(frames)[0]], speaker_index)))

        return dataset.flat_map(windows).map(finish)

    def random_crop(example, random_value):
        audio = scaled(example["audio"])
        offset = tf.math.floormod(random_value, tf.cast(tf.shape(audio)[0] - crop_length + 1, tf.int64))
        crop = audio[offset : offset + crop_length]
        crop = tf.ensure_shape(crop, [crop_length])
        return finish(crop, table.lookup(example["speaker_id"]))

    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return tf.data.Dataset.zip((dataset, randoms)).map(
        random_crop, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
