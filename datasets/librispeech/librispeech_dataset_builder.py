"""TFDS builder for LibriSpeech in the official layout, any subset."""

import pathlib

import numpy as np
import tensorflow_datasets as tfds

from keras_vq.datasets import tfds_helpers
from keras_vq.datasets.librispeech import librispeech_files


class Builder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """LibriSpeech utterances: `audio` (int16 at 16 kHz), `speaker_id`,
    `chapter_id`, `utterance_id`, `transcript` and `speaker_sex`.

    Every subset folder in the manual directory becomes a split of the same
    name (`train-clean-5`, `dev-clean`, ...). Without a manual directory, the
    subsets in `download_subsets` are downloaded from openslr.org, checked
    against `checksums.tsv` and unpacked. FLAC is decoded with soundfile.
    Registered under no name: TFDS's own `librispeech` is left alone.
    """

    name = "librispeech"
    # TFDS would derive this folder from the module name, which is wrong for
    # keras_vq.datasets (installed from datasets/ by package_dir): say it.
    pkg_dir_path = pathlib.Path(__file__).parent
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Official layout, any subset; decoded with soundfile."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = librispeech_files.download_instructions()

    def __init__(self, *, skip_bad_files=False, download_subsets=("dev-clean",), **kwargs):
        self.skip_bad_files = skip_bad_files
        self.download_subsets = tuple(download_subsets)
        super().__init__(**kwargs)

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    # A plain int16 tensor stored as raw bytes: tfds.features.Audio's
                    # default writes each sample as a protobuf int64 (it prepared about
                    # 20 utterances a second), and its BYTES encoding expects a file.
                    "audio": tfds.features.Tensor(
                        shape=(None,),
                        dtype=np.int16,
                        encoding=tfds.features.Encoding.BYTES,
                        doc=f"int16 mono samples at {librispeech_files.SAMPLE_RATE} Hz",
                    ),
                    "speaker_id": np.int64,
                    "chapter_id": np.int64,
                    "utterance_id": tfds.features.Text(),
                    "transcript": tfds.features.Text(),
                    "speaker_sex": tfds.features.ClassLabel(names=librispeech_files.SPEAKER_SEXES),
                }
            ),
            homepage="https://www.openslr.org/12",
            disable_shuffling=True,  # Keep the canonical order (see example_order.py).
        )

    def _download(self, download_dir):
        for subset in self.download_subsets:
            librispeech_files.download_subset(subset, download_dir)
        return download_dir

    def _split_generators(self, dl_manager):
        files = tfds_helpers.open_files(librispeech_files.LibrispeechFiles, dl_manager, self._download)
        return {split: self._generate_examples(files, split) for split in files.split_names}

    def _generate_examples(self, files, split):
        def to_features(key, example):
            return {
                "audio": example["audio"],
                "speaker_id": np.int64(example["speaker_id"]),
                "chapter_id": np.int64(example["chapter_id"]),
                "utterance_id": example["utterance_id"],
                "transcript": example["transcript"],
                "speaker_sex": example["speaker_sex"],
            }

        return tfds_helpers.generate_examples(
            files, split, to_features, self.skip_bad_files, what="LibriSpeech FLAC files"
        )
