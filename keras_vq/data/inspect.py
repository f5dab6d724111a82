"""Prints what a data folder holds: per dataset and split, examples, shapes,
speakers and duration. Reads file headers only, and never needs TensorFlow.

    python -m keras_vq.data.inspect --data-dir PATH [--datasets cifar10 librispeech kaokore]
"""

import argparse
import pathlib
import sys

from keras_vq.data.sources import SOURCES, get_source
from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
from keras_vq.datasets.kaokore import kaokore_files


def format_duration(seconds):
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{int(hours)} h {int(minutes):02d} min {seconds:04.1f} s"


def format_shapes(shapes):
    return ", ".join("x".join(str(size) for size in shape) for shape in shapes) or "none"


def describe_dataset(name, data_dir):
    """Lines describing dataset `name` in `data_dir`; a bad file is reported in them, naming it."""
    try:
        return _describe_dataset(name, data_dir)
    except BadFileError as error:
        return [f"{name}  unreadable: {error}"]


def _describe_dataset(name, data_dir):
    try:
        files = get_source(name).files_class(data_dir)
    except DataNotFoundError as error:
        return _describe_missing(name, data_dir, error)
    layout = f", {files.layout}" if hasattr(files, "layout") else ""
    lines = [f"{name}  ({files.root}{layout})"]
    for split, summary in files.describe().items():
        if name == "librispeech":
            lines.append(
                f"  {split:<16} {summary['examples']:>7,} utterances  {summary['speakers']} speakers "
                f"({summary['female_speakers']} F, {summary['speakers'] - summary['female_speakers']} M)  "
                f"{format_duration(summary['seconds'])}  "
                f"{'/'.join(str(rate) for rate in summary['sample_rates'])} Hz"
            )
        elif name == "cifar10":
            lines.append(
                f"  {split:<16} {summary['examples']:>7,} images  {format_shapes(summary['shapes'])}  "
                f"per class {min(summary['per_class']):,}-{max(summary['per_class']):,}"
            )
        else:
            lines.append(
                f"  {split:<16} {summary['examples']:>7,} labelled  {summary['images_present']:,} images "
                f"present  {format_shapes(summary['shapes'])}"
            )
    return lines


def _describe_missing(name, data_dir, error):
    if name == "kaokore":
        # The labels may be there without the images (they are downloaded separately).
        for labels in (data_dir / "labels.csv", data_dir / "kaokore" / "labels.csv"):
            if labels.exists():
                rows = kaokore_files.read_labels(labels)
                lines = [f"{name}  ({labels.parent}: labels only, no images_256/)"]
                for split in kaokore_files.SPLIT_NAMES:
                    count = sum(row["set"] == split for row in rows)
                    lines.append(f"  {split:<16} {count:>7,} labelled  0 images present")
                lines.append(f"  {kaokore_files.DOWNLOAD_INSTRUCTIONS}")
                return lines
    return [f"{name}  not found: {error}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True, type=pathlib.Path)
    parser.add_argument("--datasets", nargs="+", default=sorted(SOURCES), choices=sorted(SOURCES))
    args = parser.parse_args(argv)
    if not args.data_dir.is_dir():
        parser.error(f"--data-dir {args.data_dir} is not a directory")
    for name in args.datasets:
        print("\n".join(describe_dataset(name, args.data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
