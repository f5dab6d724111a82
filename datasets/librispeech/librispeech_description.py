"""LibriSpeech as keras_vq loads it (see `keras_vq.datasets.dataset_description`)."""

from keras_vq.datasets.dataset_description import DatasetDescription, format_duration


def download(data_dir, split_name, files):
    from keras_vq.datasets.librispeech import librispeech_files

    if files is None or split_name not in files.split_names:
        librispeech_files.download_subset(split_name, data_dir)


def summary_line(split, summary):
    unlisted = summary["speakers"] - summary["female_speakers"] - summary["male_speakers"]
    sexes = f"{summary['female_speakers']} F, {summary['male_speakers']} M" + (
        f", {unlisted} not in SPEAKERS.TXT" if unlisted else ""
    )
    return (
        f"  {split:<16} {summary['examples']:>7,} utterances  {summary['speakers']} speakers ({sexes})  "
        f"{format_duration(summary['seconds'])}  "
        f"{'/'.join(str(rate) for rate in summary['sample_rates'])} Hz"
    )


LIBRISPEECH = DatasetDescription(
    name="librispeech",
    title="LibriSpeech",
    kind="audio",
    files_class="keras_vq.datasets.librispeech.librispeech_files:LibrispeechFiles",
    builder_module="keras_vq.datasets.librispeech.librispeech_dataset_builder",
    label_keys=("speaker_id",),
    summary_line=summary_line,
    download=download,
)
