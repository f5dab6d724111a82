"""What keras_vq knows about a dataset, described once.

A `DatasetDescription` says what kind of data a dataset holds, which
plain-Python reader and which TFDS builder serve it, which example fields
are its labels, how to download what is missing, and how `inspect` sums it
up. `keras_vq.data.load`, `load_numpy` and `python -m keras_vq.data.inspect`
read these and nothing else, so adding a dataset means a
`datasets/<name>/` folder (reader, builder, `<name>_description.py`) and one
entry in `datasets/registry.py`.

The reader and the builder are named by module and imported on first use:
a user who never touches LibriSpeech needs no soundfile, and one who loads
with `load_numpy` needs no TensorFlow.
"""

import dataclasses
import importlib
import typing

from keras_vq.utils.extras import naming_the_extra


@dataclasses.dataclass(frozen=True)
class DatasetDescription:
    """One dataset.

    Attributes:
        name: what `load(name, ...)` takes.
        title: the dataset's own name, for messages ("CIFAR-10").
        kind: "image" (float32 `(height, width, 3)` on [0, 1]) or "audio"
            (float32 `(length, 1)` on [-1, 1] with a speaker).
        files_class: "module:Class" of the plain-Python reader over a local copy.
        builder_module: the module holding the TFDS `Builder` over that reader.
        label_keys: the example fields `with_labels=True` returns: the one
            array when there is one, a dict of them when there are several.
        download: `download(data_dir, split_name, files_or_None)` fetches what
            is missing into `data_dir`; None when the dataset has no download of its own.
        summary_line: `summary_line(split, summary)`, one line of `inspect`
            from the reader's `describe()[split]`.
        describe_missing: `describe_missing(data_dir)`: `inspect`'s lines for
            a folder without the data (None: just say it is missing).
    """

    name: str
    title: str
    kind: str
    files_class: str
    builder_module: str
    label_keys: tuple
    summary_line: typing.Callable
    download: typing.Callable | None = None
    describe_missing: typing.Callable | None = None

    def reader_class(self):
        """The reader class, imported now; a missing optional package names its extra."""
        module_name, class_name = self.files_class.split(":")
        with naming_the_extra(f"reading {self.title}"):
            module = importlib.import_module(module_name)
        return getattr(module, class_name)

    def builder_class(self):
        with naming_the_extra(f"preparing {self.title} for tf.data"):
            return importlib.import_module(self.builder_module).Builder


def format_duration(seconds):
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours)} h {int(minutes):02d} min {seconds:04.1f} s"


def format_shapes(shapes):
    return ", ".join("x".join(str(size) for size in shape) for shape in shapes) or "none"
