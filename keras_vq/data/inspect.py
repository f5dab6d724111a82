"""Prints what a data folder holds: per dataset and split, examples, shapes,
speakers and duration. Reads file headers only, and never needs TensorFlow.

    python -m keras_vq.data.inspect --data-dir PATH [--datasets cifar10 librispeech kaokore]
"""

import argparse
import pathlib
import sys

from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
from keras_vq.datasets.registry import DATASETS, get_description

__all__ = ["describe_dataset"]


def describe_dataset(name, data_dir):
    """Lines describing dataset `name` in `data_dir`; a bad file is reported in them, naming it."""
    try:
        return _describe_dataset(name, data_dir)
    except BadFileError as error:
        return [f"{name}  unreadable: {error}"]


def _describe_dataset(name, data_dir):
    description = get_description(name)
    try:
        files = description.reader_class()(data_dir)
    except DataNotFoundError as error:
        missing = description.describe_missing(data_dir) if description.describe_missing else None
        return missing or [f"{name}  not found: {error}"]
    layout = f", {files.layout}" if hasattr(files, "layout") else ""
    lines = [f"{name}  ({files.root}{layout})"]
    for split, summary in files.describe().items():
        lines.append(description.summary_line(split, summary))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, type=pathlib.Path)
    parser.add_argument("--datasets", nargs="+", default=sorted(DATASETS), choices=sorted(DATASETS))
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a directory")
    for name in args.datasets:
        print("\n".join(describe_dataset(name, args.data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
