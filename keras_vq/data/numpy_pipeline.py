"""The NumPy path: the same data as `load`, as a `keras.utils.PyDataset`, without TensorFlow.

`load_numpy` takes `load`'s arguments and yields batches of the same
structure, scale and (in evaluation mode) the same values in the same order,
so training works on JAX or PyTorch where TensorFlow is not installed. It
reads every example of the split into memory once (uint8 images, int16
audio), so it suits CIFAR-10, KaoKore and LibriSpeech subsets of a few
hours; use `load` for larger ones.
"""

import numpy as np

from keras_vq.data import audio as audio_helpers
from keras_vq.data.batches import SeededBatches
from keras_vq.data.load_arguments import check_load_arguments, labels_of, open_local_files
from keras_vq.data.splits import select_keys
from keras_vq.datasets.bad_data import BadFileError, BadFileSkipper
from keras_vq.layers.mu_law import mu_law_compress
from keras_vq.utils.extras import naming_the_extra
from keras_vq.utils.progress import Progress

__all__ = ["load_numpy"]


def load_numpy(
    name,
    split,
    batch_size,
    *,
    data_dir=None,
    download=False,
    evaluation=False,
    seed=0,
    image_size=None,
    crop_length=16_384,
    mu_law=False,
    with_labels=False,
    skip_bad_files=False,
    progress=True,
):
    """A `keras.utils.PyDataset` of `name`'s `split`; see `keras_vq.data.load`
    for the arguments; `progress` shows a bar while the files are read.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.cifar10

        data_dir = pathlib.Path(keras_vq.datasets.cifar10.__file__).parent / "dummy_data"  # your copy here
        batches = keras_vq.data.load_numpy("cifar10", "test", batch_size=2, data_dir=data_dir, evaluation=True)
        print(len(batches), batches[0].shape)  # batches, then (2, 32, 32, 3): the same values as load's
        ```
    """
    description, spec = check_load_arguments(name, split, batch_size, image_size, crop_length, with_labels)
    files = open_local_files(name, data_dir, spec, download)
    keys = select_keys(files.keys(spec.name), spec)
    examples = _read_examples(files, keys, skip_bad_files, f"{name} {split}", progress)
    speakers = files.speakers(spec.name) if description.kind == "audio" else None
    if description.kind == "image":
        return ImageBatches(
            examples, batch_size, evaluation, seed, image_size, description.label_keys if with_labels else ()
        )
    return AudioBatches(examples, speakers, batch_size, evaluation, seed, crop_length, mu_law, with_labels)


def _read_examples(files, keys, skip_bad_files, description, progress):
    examples = []
    reading = Progress(f"reading {description}", len(keys), "file", verbose=progress)
    with BadFileSkipper(skip_bad_files, what=f"{description} files") as skipper:
        for key in keys:
            try:
                examples.append(files.read(key))
            except BadFileError as error:
                skipper.handle(error)
            reading.advance()
    reading.done()
    return examples


class ImageBatches(SeededBatches):
    def __init__(self, examples, batch_size, evaluation, seed, image_size, label_keys):
        super().__init__(len(examples), batch_size, evaluation, seed)
        images = [example["image"] for example in examples]
        if image_size is not None:
            images = [_resize_area(image, image_size) for image in images]
        self.images = np.stack(images) if images else np.zeros((0, 1, 1, 3), np.uint8)
        self.label_keys = label_keys
        self.labels = {key: np.array([example[key] for example in examples], np.int64) for key in label_keys}

    def __getitem__(self, index):
        indices = self._batch_indices(index)
        images = self.images[indices].astype(np.float32) / 255.0
        if not self.label_keys:
            return images
        return images, labels_of({key: values[indices] for key, values in self.labels.items()}, self.label_keys)


def _resize_area(image, size):
    """Area (box) resampling, like `tf.image.resize(method="area")` for whole-number factors."""
    if image.shape[:2] == (size, size):
        return image
    with naming_the_extra("resizing images"):
        from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.BOX))


class AudioBatches(SeededBatches):
    """Training: one random `crop_length` crop per utterance per epoch.
    Evaluation: every non-overlapping window of every utterance, in order."""

    def __init__(self, examples, speakers, batch_size, evaluation, seed, crop_length, mu_law, with_labels):
        self.speaker_ids = list(speakers)
        speaker_index = {speaker: index for index, speaker in enumerate(self.speaker_ids)}
        self.utterances = [
            audio_helpers.pad_to_length(audio_helpers.int16_to_float(example["audio"]), crop_length)
            for example in examples
        ]
        # Which utterance each is, and what is said in it (LibriSpeech's own words), for evaluations by ear.
        self.utterance_ids = [example.get("utterance_id") for example in examples]
        self.transcripts = [example.get("transcript") for example in examples]
        self.speaker_sexes = {example["speaker_id"]: example.get("speaker_sex") for example in examples}
        self.utterance_speakers = np.array([speaker_index[example["speaker_id"]] for example in examples], np.int64)
        self.crop_length = crop_length
        self.mu_law = mu_law
        self.with_labels = with_labels
        if evaluation:
            windows = [audio_helpers.evaluation_windows(audio, crop_length) for audio in self.utterances]
            self.windows = np.concatenate(windows) if windows else np.zeros((0, crop_length), np.float32)
            self.window_speakers = (
                np.concatenate([np.full(len(w), s) for w, s in zip(windows, self.utterance_speakers)])
                if windows
                else np.zeros((0,), np.int64)
            )
            num_items = len(self.windows)
        else:
            num_items = len(self.utterances)
        super().__init__(num_items, batch_size, evaluation, seed)

    def __getitem__(self, index):
        indices = self._batch_indices(index)
        if self.evaluation:
            audio, speakers = self.windows[indices], self.window_speakers[indices]
        else:
            audio = self._seeded_crops(self.utterances, indices, index, self.crop_length)
            speakers = self.utterance_speakers[indices]
        if self.mu_law:
            audio = mu_law_compress(audio, xp=np)
        audio = audio[..., None].astype(np.float32)
        return (audio, speakers) if self.with_labels else audio
