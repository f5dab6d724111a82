"""KaoKore as keras_vq loads it (see `keras_vq.datasets.dataset_description`)."""

from keras_vq.datasets.dataset_description import DatasetDescription, format_shapes


def download(data_dir, split_name, files):
    from keras_vq.datasets.kaokore import kaokore_files

    # Always run: it keeps the images present and fetches only the missing ones.
    kaokore_files.download_images(data_dir)


def summary_line(split, summary):
    return (
        f"  {split:<16} {summary['examples']:>7,} labelled  {summary['images_present']:,} images "
        f"present  {format_shapes(summary['shapes'])}"
    )


def describe_missing(data_dir):
    """The labels may be there without the images (they are downloaded separately)."""
    from keras_vq.datasets.kaokore import kaokore_files

    for labels in (data_dir / "labels.csv", data_dir / "kaokore" / "labels.csv"):
        if labels.exists():
            rows = kaokore_files.read_labels(labels)
            lines = [f"kaokore  ({labels.parent}: labels only, no {kaokore_files.IMAGES_DIR_NAME}/)"]
            for split in kaokore_files.SPLIT_NAMES:
                count = sum(row["set"] == split for row in rows)
                lines.append(f"  {split:<16} {count:>7,} labelled  0 images present")
            lines.append(f"  {kaokore_files.DOWNLOAD_INSTRUCTIONS}")
            return lines
    return None


KAOKORE = DatasetDescription(
    name="kaokore",
    title="KaoKore",
    kind="image",
    files_class="keras_vq.datasets.kaokore.kaokore_files:KaokoreFiles",
    builder_module="keras_vq.datasets.kaokore.kaokore_dataset_builder",
    label_keys=("gender", "status"),
    summary_line=summary_line,
    download=download,
    describe_missing=describe_missing,
)
