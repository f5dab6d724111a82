"""LibriSpeech on disk, in the official layout, and its official archives.

LibriSpeech (Panayotov et al., ICASSP 2015) is read English speech from
LibriVox audiobooks, 16 kHz mono 16-bit FLAC, CC BY 4.0. Any subset folder
in the official layout is read, whatever its name (`train-clean-100`,
`dev-clean`, Mini LibriSpeech's `train-clean-5`, ...):

    <root>/SPEAKERS.TXT                         reader id | sex | subset | minutes | name
    <root>/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<n>.flac
    <root>/<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt

`<root>` is the `LibriSpeech/` folder the archives unpack to. Archives are
downloaded from openslr.org, checked against the SHA-256 recorded in
`checksums.tsv`, and unpacked by `archives.extract_tar`, which refuses
members that would land outside the target directory.
"""

import pathlib
import re

from keras_vq.datasets.archives import extract_tar
from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
from keras_vq.datasets.downloads import download_file
from keras_vq.datasets.example_order import canonical_order
from keras_vq.datasets.file_fingerprint import files_fingerprint
from keras_vq.datasets.flac_files import read_flac, read_flac_duration

PACKAGE_DIR = pathlib.Path(__file__).parent
CHECKSUMS_PATH = PACKAGE_DIR / "checksums.tsv"
SAMPLE_RATE = 16_000
ROOT_DIR_NAME = "LibriSpeech"
SPEAKER_SEXES = ("F", "M")
# openslr.org/12 is LibriSpeech; openslr.org/31 is Mini LibriSpeech (train-clean-5, dev-clean-2).
ARCHIVE_URLS = {
    **{
        subset: f"https://www.openslr.org/resources/12/{subset}.tar.gz"
        for subset in (
            "dev-clean",
            "dev-other",
            "test-clean",
            "test-other",
            "train-clean-100",
            "train-clean-360",
            "train-other-500",
        )
    },
    "train-clean-5": "https://www.openslr.org/resources/31/train-clean-5.tar.gz",
    "dev-clean-2": "https://www.openslr.org/resources/31/dev-clean-2.tar.gz",
}
UTTERANCE_PATTERN = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def download_instructions(subset="<subset>"):
    return (
        f"Download LibriSpeech with keras_vq.data.load('librispeech', split='{subset}', "
        f"data_dir=..., download=True), or fetch {ARCHIVE_URLS.get(subset, 'https://www.openslr.org/12')} "
        f"yourself and unpack it, so that data_dir/{ROOT_DIR_NAME}/{subset}/<speaker>/<chapter>/"
        f"*.flac and data_dir/{ROOT_DIR_NAME}/SPEAKERS.TXT exist."
    )


def read_checksums(path=CHECKSUMS_PATH):
    """`{url: (size_in_bytes, sha256)}` from a TFDS-style `checksums.tsv`."""
    checksums = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if line.strip():
            url, size, sha256, *_ = line.split("\t")
            checksums[url] = (int(size), sha256)
    return checksums


def _has_subset(folder):
    return folder.is_dir() and any(folder.glob("*/*/*.flac"))


def find_librispeech_dir(data_dir):
    """The `LibriSpeech/` folder under `data_dir` (or `data_dir` itself)."""
    data_dir = pathlib.Path(data_dir).expanduser()
    candidates = (data_dir, data_dir / ROOT_DIR_NAME, data_dir / "librispeech" / ROOT_DIR_NAME)
    for candidate in candidates:
        if candidate.is_dir() and any(_has_subset(child) for child in candidate.iterdir()):
            return candidate
    raise DataNotFoundError(
        f"no LibriSpeech subset in {data_dir}: expected "
        f"{data_dir / ROOT_DIR_NAME}/<subset>/<speaker>/<chapter>/*.flac. " + download_instructions()
    )


def read_speaker_sexes(root):
    """`{speaker_id: "F" | "M"}` from `<root>/SPEAKERS.TXT`."""
    path = pathlib.Path(root) / "SPEAKERS.TXT"
    if not path.exists():
        raise DataNotFoundError(f"{path} is missing. " + download_instructions())
    sexes = {}
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith(";"):
            continue
        fields = [field.strip() for field in line.split("|")]
        if len(fields) < 2 or not fields[0].isdigit() or fields[1] not in SPEAKER_SEXES:
            raise BadFileError(path, f"line {line_number} is not 'id | F or M | ...': {line!r}")
        sexes[int(fields[0])] = fields[1]
    return sexes


def download_subset(subset, data_dir, *, download_dir=None, expected_sha256=None, progress=True, **download_options):
    """Downloads and unpacks one subset so that `data_dir/LibriSpeech/<subset>/` exists.

    The archive goes to `download_dir` (default `data_dir/downloads`), is
    resumed if a previous download was cut short, and must match the SHA-256
    in `checksums.tsv` (or `expected_sha256`, for an archive not listed there).
    """
    if subset not in ARCHIVE_URLS:
        raise ValueError(f"unknown LibriSpeech subset {subset!r}; known: {sorted(ARCHIVE_URLS)}")
    url = ARCHIVE_URLS[subset]
    return download_and_extract_archive(
        url,
        data_dir,
        download_dir=download_dir,
        expected_sha256=expected_sha256,
        progress=progress,
        **download_options,
    )


def download_and_extract_archive(
    url, data_dir, *, download_dir=None, expected_sha256=None, progress=True, **download_options
):
    """Fetches a LibriSpeech-style `.tar.gz` from `url` and unpacks it into `data_dir`."""
    data_dir = pathlib.Path(data_dir).expanduser()
    if expected_sha256 is None:
        recorded = read_checksums().get(url)
        if recorded is None:
            raise ValueError(
                f"no SHA-256 is recorded for {url} in {CHECKSUMS_PATH}; pass expected_sha256= "
                "(keras_vq never unpacks an archive it cannot verify)"
            )
        expected_sha256 = recorded[1]
    download_dir = pathlib.Path(download_dir) if download_dir else data_dir / "downloads"
    archive = download_file(
        url,
        download_dir / url.rsplit("/", 1)[-1],
        expected_sha256=expected_sha256,
        progress=progress,
        **download_options,
    )
    extract_tar(archive, data_dir, progress=progress)
    return find_librispeech_dir(data_dir)


class LibrispeechFiles:
    """The utterances of a `LibriSpeech/` folder; each subset folder is a split."""

    def __init__(self, data_dir):
        self.root = find_librispeech_dir(data_dir)
        self.speaker_sexes = read_speaker_sexes(self.root)
        self._transcripts = {}

    @property
    def split_names(self):
        return sorted(child.name for child in self.root.iterdir() if _has_subset(child))

    def _check_split(self, split):
        if split not in self.split_names:
            raise ValueError(
                f"{self.root} has LibriSpeech subsets {self.split_names}, not {split!r}. "
                + download_instructions(split)
            )

    def flac_paths(self, split):
        self._check_split(split)
        return sorted((self.root / split).glob("*/*/*.flac"))

    def keys(self, split):
        """Utterance keys `<subset>/<speaker>-<chapter>-<n>`, in the canonical order."""
        return canonical_order(f"{split}/{path.stem}" for path in self.flac_paths(split))

    def speakers(self, split):
        """Sorted speaker ids of a subset (the folder names)."""
        self._check_split(split)
        return sorted(int(child.name) for child in (self.root / split).iterdir() if child.name.isdigit())

    def _parse_key(self, key):
        split, utterance_id = key.split("/")
        match = UTTERANCE_PATTERN.match(utterance_id)
        if match is None:
            raise BadFileError(key, "is not named <speaker>-<chapter>-<n>.flac")
        speaker_id, chapter_id, _ = (int(group) for group in match.groups())
        folder = self.root / split / str(speaker_id) / str(chapter_id)
        return utterance_id, speaker_id, chapter_id, folder

    def transcript(self, key):
        utterance_id, speaker_id, chapter_id, folder = self._parse_key(key)
        path = folder / f"{speaker_id}-{chapter_id}.trans.txt"
        if path not in self._transcripts:
            if not path.exists():
                raise BadFileError(path, "is missing: every chapter folder needs its transcripts")
            lines = path.read_text(encoding="utf-8").splitlines()
            self._transcripts[path] = dict(line.split(" ", 1) for line in lines if " " in line)
        if utterance_id not in self._transcripts[path]:
            raise BadFileError(path, f"has no transcript for {utterance_id}")
        return self._transcripts[path][utterance_id]

    def read(self, key):
        """One utterance: `audio` (int16), `speaker_id`, `chapter_id`, `utterance_id`,
        `transcript`, `speaker_sex` ("F" or "M")."""
        utterance_id, speaker_id, chapter_id, folder = self._parse_key(key)
        if speaker_id not in self.speaker_sexes:
            raise BadFileError(self.root / "SPEAKERS.TXT", f"does not list speaker {speaker_id}")
        return {
            "audio": read_flac(folder / f"{utterance_id}.flac", SAMPLE_RATE),
            "speaker_id": speaker_id,
            "chapter_id": chapter_id,
            "utterance_id": utterance_id,
            "transcript": self.transcript(key),
            "speaker_sex": self.speaker_sexes[speaker_id],
        }

    def fingerprint(self):
        """Changes whenever an utterance, a transcript or SPEAKERS.TXT is added, removed or rewritten."""
        paths = [self.root / "SPEAKERS.TXT"]
        for split in self.split_names:
            paths += self.flac_paths(split) + sorted((self.root / split).glob("*/*/*.trans.txt"))
        return files_fingerprint(self.root, [path for path in paths if path.exists()])

    def describe(self):
        """Per subset: utterances, speakers (by sex), total duration and sample rates (headers only)."""
        summary = {}
        for split in self.split_names:
            headers = [read_flac_duration(path) for path in self.flac_paths(split)]
            speakers = self.speakers(split)
            summary[split] = {
                "examples": len(headers),
                "speakers": len(speakers),
                "female_speakers": sum(self.speaker_sexes.get(s) == "F" for s in speakers),
                "male_speakers": sum(self.speaker_sexes.get(s) == "M" for s in speakers),
                "seconds": sum(frames / rate for frames, rate in headers),
                "sample_rates": sorted({rate for _, rate in headers}),
            }
        return summary
