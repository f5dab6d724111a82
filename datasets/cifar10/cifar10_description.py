"""CIFAR-10 as keras_vq loads it (see `keras_vq.datasets.dataset_description`)."""

from keras_vq.datasets.dataset_description import DatasetDescription, format_shapes


def summary_line(split, summary):
    return (
        f"  {split:<16} {summary['examples']:>7,} images  {format_shapes(summary['shapes'])}  "
        f"per class {min(summary['per_class']):,}-{max(summary['per_class']):,}"
    )


def download(data_dir, split_name, files):
    from keras_vq.datasets.cifar10 import cifar10_files

    if files is None:  # Any local copy (PNG folders or the batches) is used as it is.
        cifar10_files.download_archive(data_dir)


CIFAR10 = DatasetDescription(
    name="cifar10",
    title="CIFAR-10",
    kind="image",
    files_class="keras_vq.datasets.cifar10.cifar10_files:Cifar10Files",
    builder_module="keras_vq.datasets.cifar10.cifar10_dataset_builder",
    label_keys=("label",),
    summary_line=summary_line,
    download=download,
)
