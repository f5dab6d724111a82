"""Whole utterances in memory: a held-out split per speaker, training crops with speakers, WAV files.

A speaker-conditioned model is judged on utterances it never saw from
speakers it did see, so `split_per_speaker` holds out each speaker's last
utterances rather than whole speakers (as a slice of the split would).
"""

import dataclasses
import pathlib

import numpy as np

from keras_vq.data.batches import SeededBatches
from keras_vq.utils.atomic import atomic_path
from keras_vq.utils.extras import naming_the_extra

__all__ = [
    "held_out_utterances",
    "first_held_out_utterances",
    "split_per_speaker",
    "SequenceCrops",
    "clips",
    "speaker_sexes",
    "write_wav",
    "Utterance",
    "SAMPLE_RATE",
]

SAMPLE_RATE = 16_000


def speaker_sexes(data_dir):
    """`{speaker_id: "F" | "M"}` from the SPEAKERS.TXT of the LibriSpeech copy under `data_dir`
    (the folder the recipes' `--data-dir` names): what the speech recipes pair voices by.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.librispeech

        data_dir = pathlib.Path(keras_vq.datasets.librispeech.__file__).parent / "dummy_data"  # your copy here
        print(keras_vq.data.speaker_sexes(data_dir))  # {speaker id: "F" or "M"}
        ```
    """
    from keras_vq.datasets.librispeech.librispeech_files import find_librispeech_dir, read_speaker_sexes

    return read_speaker_sexes(find_librispeech_dir(data_dir))


def held_out_utterances(name, split, held_out_per_speaker, data_dir=None, min_length=1, download=False):
    """A split's utterances in memory, divided by `split_per_speaker`.

    Returns `(training, held_out, speaker_ids)`: `training` and `held_out`
    are `(utterances, speakers)` pairs (float32 arrays in [-1, 1], each
    zero-padded to at least `min_length`; speaker indices), `speaker_ids`
    the dataset's speaker ids in index order. Reads through
    `keras_vq.data.load_numpy` (no TensorFlow), with a progress bar;
    `download` fetches a missing subset first.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.librispeech

        data_dir = pathlib.Path(keras_vq.datasets.librispeech.__file__).parent / "dummy_data"  # your copy here
        training, held_out, speaker_ids = keras_vq.data.held_out_utterances("librispeech", "dev-clean", 1,
                                                                            data_dir=data_dir)
        print(len(training[0]), len(held_out[0]), speaker_ids)  # utterances to train on, held out; the speakers
        ```
    """
    from keras_vq.data.numpy_pipeline import load_numpy

    batches = load_numpy(
        name, split, 1, data_dir=data_dir, download=download, evaluation=True, with_labels=True, crop_length=min_length
    )
    training_items, held_out_items = split_per_speaker(batches.utterance_speakers, held_out_per_speaker)
    utterances, speakers = batches.utterances, batches.utterance_speakers
    return (
        ([utterances[i] for i in training_items], speakers[training_items]),
        ([utterances[i] for i in held_out_items], speakers[held_out_items]),
        list(batches.speaker_ids),
    )


@dataclasses.dataclass(frozen=True)
class Utterance:
    """One whole utterance with what an evaluation by ear needs: who says what.

    Example:
        ```python
        import numpy as np

        import keras_vq

        utterance = keras_vq.data.utterances.Utterance("19-198-0001", 19, "F", "HELLO", np.zeros(16_000, "float32"))
        print(utterance.speaker_sex, len(utterance.audio) / keras_vq.data.SAMPLE_RATE, "s")  # F 1.0 s
        ```
    """

    utterance_id: str
    speaker_id: int
    speaker_sex: str
    transcript: str
    audio: np.ndarray  # float32 on [-1, 1], 16 kHz, its own length


def first_held_out_utterances(name, split, held_out_per_speaker, num_speakers=None, data_dir=None, download=False):
    """The first held-out utterance (as `held_out_utterances` holds them out) of each of the first
    `num_speakers` speakers (in speaker-id order; all if None): a list of `Utterance`s, whole.

    Example:
        ```python
        import pathlib

        import keras_vq
        import keras_vq.datasets.librispeech
        from keras_vq.data.utterances import first_held_out_utterances

        data_dir = pathlib.Path(keras_vq.datasets.librispeech.__file__).parent / "dummy_data"  # your copy here
        for utterance in first_held_out_utterances("librispeech", "dev-clean", 1, data_dir=data_dir):
            print(utterance.utterance_id, utterance.speaker_sex, len(utterance.audio), utterance.transcript[:20])
        ```
    """
    from keras_vq.data.numpy_pipeline import load_numpy

    batches = load_numpy(
        name,
        split,
        1,
        data_dir=data_dir,
        download=download,
        evaluation=True,
        with_labels=True,
        crop_length=1,
        progress=False,
    )
    _, held_out = split_per_speaker(batches.utterance_speakers, held_out_per_speaker)
    firsts = {}
    for item in held_out:  # In the split's order: a speaker's first held-out utterance comes first.
        firsts.setdefault(int(batches.utterance_speakers[item]), int(item))
    chosen = [firsts[speaker] for speaker in sorted(firsts)][:num_speakers]
    return [
        Utterance(
            batches.utterance_ids[item],
            int(batches.speaker_ids[batches.utterance_speakers[item]]),
            batches.speaker_sexes[batches.speaker_ids[batches.utterance_speakers[item]]],
            batches.transcripts[item],
            batches.utterances[item],
        )
        for item in chosen
    ]


def clips(utterances, length):
    """`(n, length, 1)`: the first `length` samples of each utterance, zero-padded if shorter.

    Example:
        ```python
        import numpy as np

        import keras_vq

        utterances = [np.ones(5, "float32"), np.ones(2, "float32")]
        print(keras_vq.data.clips(utterances, 3)[..., 0])  # [[1. 1. 1.] [1. 1. 0.]]
        ```
    """
    return np.stack([np.pad(audio[:length], (0, max(0, length - len(audio)))) for audio in utterances])[..., None]


def split_per_speaker(speakers, held_out_per_speaker):
    """(training, held_out) index arrays: the last `held_out_per_speaker`
    items of each speaker (in the given order) are held out; every speaker
    keeps at least one training item.

    Example:
        ```python
        import keras_vq

        training, held_out = keras_vq.data.split_per_speaker([0, 0, 1, 1, 1], held_out_per_speaker=1)
        print(training, held_out)  # [0 2 3] [1 4]: each speaker's last item held out
        ```
    """
    speakers = np.asarray(speakers)
    if isinstance(held_out_per_speaker, bool) or not isinstance(held_out_per_speaker, int) or held_out_per_speaker < 1:
        raise ValueError(f"held_out_per_speaker must be an integer >= 1, got {held_out_per_speaker!r}")
    held_out = []
    for speaker in np.unique(speakers):
        items = np.flatnonzero(speakers == speaker)
        if len(items) <= held_out_per_speaker:
            raise ValueError(
                f"speaker {speaker} has {len(items)} utterances: too few to hold out "
                f"{held_out_per_speaker} and train on the rest"
            )
        held_out.extend(items[-held_out_per_speaker:])
    held_out = np.sort(np.asarray(held_out, np.int64))
    return np.setdiff1d(np.arange(len(speakers)), held_out), held_out


class SequenceCrops(SeededBatches):
    """Batches of `{sequence_key: crops, "speakers": (batch,)}`: one random
    `crop_length` crop of each sequence per pass, in a seeded order, the same
    for the same `(seed, epoch, index)` (so training resumes exactly).

    For audio (the defaults) the crops are `(batch, crop_length, 1)` float32,
    what a speaker-conditioned `VQVAE` takes; for code sequences pass
    `sequence_key="symbols", channel_axis=False` to get `(batch, crop_length)`
    int32, what a speaker-conditioned `WaveNet` prior takes.

    Args:
        sequences: 1-D arrays, each at least `crop_length` long.
        speakers: speaker index of each sequence.

    Example:
        ```python
        import numpy as np

        import keras_vq

        sequences = [np.arange(10, dtype="float32"), np.arange(20, dtype="float32")]
        batches = keras_vq.data.SequenceCrops(sequences, speakers=[0, 1], batch_size=2, crop_length=4, seed=0)
        print(batches[0]["audio"].shape, sorted(batches[0]["speakers"].tolist()))  # (2, 4, 1) [0, 1]
        ```
    """

    def __init__(self, sequences, speakers, batch_size, crop_length, seed=0, sequence_key="audio", channel_axis=True):
        short = [index for index, sequence in enumerate(sequences) if len(sequence) < crop_length]
        if short:
            raise ValueError(f"sequences {short[:5]} are shorter than crop_length={crop_length}")
        if len(speakers) != len(sequences):
            raise ValueError(f"{len(sequences)} sequences but {len(speakers)} speakers")
        self.sequences, self.speakers = [np.asarray(sequence) for sequence in sequences], np.asarray(speakers, np.int32)
        self.crop_length, self.sequence_key, self.channel_axis = crop_length, sequence_key, channel_axis
        super().__init__(len(self.sequences), batch_size, evaluation=False, seed=seed)

    def __getitem__(self, index):
        indices = self._batch_indices(index)
        crops = self._seeded_crops(self.sequences, indices, index, self.crop_length)
        crops = crops[..., None].astype(np.float32) if self.channel_axis else crops.astype(np.int32)
        return {self.sequence_key: crops, "speakers": self.speakers[indices]}


def write_wav(path, audio, sample_rate=SAMPLE_RATE):
    """Writes float audio in [-1, 1] ((length,) or (length, 1)) as 16-bit PCM through soundfile, atomically;
    returns the path.

    Example:
        ```python
        import numpy as np

        import keras_vq

        tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000)  # 1 s of A4
        print(keras_vq.data.write_wav("tone.wav", tone).stat().st_size)  # 32044: 16,000 16-bit samples and a header
        ```
    """
    with naming_the_extra("writing WAV files"):
        import soundfile

    audio = np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0)
    path = pathlib.Path(path)
    with atomic_path(path) as temporary:  # soundfile picks the format by the suffix, which is kept.
        soundfile.write(str(temporary), audio, sample_rate, subtype="PCM_16")
    return path
