"""How good is generated speech: intelligibility, quality, pitch, and the references that bound them.

Every figure compares a *degraded* clip (a reconstruction, a conversion) with
the *reference* clip it came from, both float audio on [-1, 1] at 16 kHz:

- **word error rate**: an offline recogniser (pocketsphinx's bundled en-us
  acoustic model, dictionary and language model; Huggins-Daines et al. 2006)
  transcribes the clip, and jiwer scores the words against the transcript:
  WER = (substitutions + deletions + insertions) / reference words, summed
  over every clip before dividing (the corpus WER, not a mean of ratios);
- **STOI** (Taal et al. 2011, pystoi): correlation of 1/3-octave band
  envelopes over 384 ms, in [0, 1]; 1 for the reference itself;
- **PESQ-WB** (ITU-T P.862.2, the `pesq` package): 1.0 (bad) .. 4.64;
- **log-mel distance**: the root mean square difference of the two 80-band
  log-mel spectrograms (25 ms frames, 10 ms hop), in dB; 0 for the reference;
- **F0 RMSE and voicing agreement** (WORLD's harvest, Morise 2017, pyworld;
  5 ms frames): the RMS difference of F0 in Hz over frames voiced in both,
  and the share of frames where both agree on voiced or unvoiced.

A figure means little without its ceiling and floor, so `REFERENCES` makes
three comparison clips from the reference itself: μ-law to 256 levels (what
an 8-bit WaveNet can at best give), down to 8 kHz and back (telephone band),
and white noise shaped by the reference's 20 ms loudness (the rhythm and
nothing else: the floor).

Needs the `speech-eval` extra (pocketsphinx, jiwer, pystoi, pesq, pyworld);
a missing one is a `ModuleNotFoundError` that names the extra.

Example:
    ```python
    import numpy as np
    from keras_vq import speech_quality

    rate = 16_000
    time = np.arange(2 * rate) / rate
    vowel = 0.3 * np.sin(2 * np.pi * 150 * time) * (1 + np.sin(2 * np.pi * 3 * time)) / 2  # a hummed 150 Hz
    noise = speech_quality.loudness_shaped_noise(vowel, seed=0)
    print(round(speech_quality.stoi(vowel, vowel), 3), round(speech_quality.stoi(vowel, noise), 2))  # 1.0 0.82
    print(speech_quality.pitch_report(vowel, vowel)["voicing_agreement"])              # 1.0
    ```
"""

import functools
import re

import numpy as np

from keras_vq import spectrograms
from keras_vq.layers.mu_law import mu_law_decode, mu_law_encode
from keras_vq.utils.extras import naming_the_extra

__all__ = [
    "speech_quality_report",
    "clip_report",
    "transcribe",
    "word_error_rate",
    "stoi",
    "pesq_wideband",
    "pitch_report",
    "loudness_shaped_noise",
    "transcript_phones",
    "log_mel_spectrogram",
    "envelope",
    "SAMPLE_RATE",
    "PHONES",
    "REFERENCES",
]

SAMPLE_RATE = 16_000
# Loudness frames of the noise floor, and of `envelope`: 20 ms, a syllable's detail without its pitch.
LOUDNESS_FRAME = 320
# The log-mel spectrogram of `log_mel_distance`: 25 ms windows every 10 ms, 80 bands up to 8 kHz.
MEL_FFT, MEL_HOP, MEL_BANDS = 400, 160, 80
# Mel energies below -50 dB (some 60 dB under a loud speech frame) count as -50 dB, so that near-silent bands
# (above 4 kHz in telephone speech, pauses) do not dominate the distance.
MEL_FLOOR = 1e-5
# WORLD's harvest frame period in milliseconds, and its search range (covers voices from 50 to 600 Hz).
F0_FRAME_MS, F0_FLOOR_HZ, F0_CEIL_HZ = 5.0, 50.0, 600.0


def _mono(audio, name="audio"):
    """`audio` as a 1-D float64 array; `(samples,)` and `(samples, 1)` are accepted."""
    values = np.asarray(audio, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} must be one clip shaped (samples,) or (samples, 1), got shape {np.shape(audio)}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} holds NaN or infinite samples")
    return values


def _pair(reference, degraded):
    reference, degraded = _mono(reference, "reference"), _mono(degraded, "degraded")
    if reference.shape != degraded.shape:
        raise ValueError(
            f"reference and degraded must be the same length, got {len(reference)} and {len(degraded)} samples"
        )
    return reference, degraded


# ---- Words -------------------------------------------------------------------------------------------------------


def normalize_transcript(text):
    """Upper case, words of letters and apostrophes only (LibriSpeech's own form), single spaces."""
    return " ".join(re.sub(r"[^A-Z' ]+", " ", text.upper()).split())


@functools.lru_cache(maxsize=1)
def _recognizer():
    with naming_the_extra("speech recognition"):
        import pocketsphinx

    # The bundled en-us acoustic model, dictionary and trigram language model; no log spam.
    return pocketsphinx.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")


def transcribe(audio):
    """The words pocketsphinx hears in one 16 kHz clip, normalised as `normalize_transcript`.

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        print(repr(speech_quality.transcribe(np.zeros(16_000))))  # '': a second of silence holds no words
        ```
    """
    samples = np.round(np.clip(_mono(audio), -1.0, 1.0) * 32767).astype("<i2")
    decoder = _recognizer()
    decoder.start_utt()
    decoder.process_raw(samples.tobytes(), no_search=False, full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return normalize_transcript(hypothesis.hypstr if hypothesis is not None else "")


def word_error_rate(references, hypotheses):
    """Corpus WER of `hypotheses` against `references` (strings, one a clip): all errors over all reference words.

    Example:
        ```python
        from keras_vq import speech_quality

        references = ["the cat sat", "on the mat"]
        print(speech_quality.word_error_rate(references, ["the cat sat", "on a mat"]))  # 1 error in 6 words: 0.1666...
        ```
    """
    with naming_the_extra("word error rates"):
        import jiwer

    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses) or not references:
        raise ValueError(f"need one hypothesis per reference, got {len(hypotheses)} for {len(references)} references")
    references = [normalize_transcript(text) for text in references]
    if not all(references):
        raise ValueError("every reference transcript needs at least one word")
    output = jiwer.process_words(references, [normalize_transcript(text) for text in hypotheses])
    errors = output.substitutions + output.deletions + output.insertions
    return errors / sum(len(text.split()) for text in references)


# ---- Phones ------------------------------------------------------------------------------------------------------

# The 39 ARPAbet phones of the CMU pronouncing dictionary (no stress marks, as pocketsphinx's copy has them).
PHONES = (
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
)


@functools.lru_cache(maxsize=1)
def pronunciations():
    """`{WORD: (phone, ...)}` from the CMU pronouncing dictionary that pocketsphinx ships
    (`cmudict-en-us.dict`, 134,860 entries); a word's first pronunciation."""
    with naming_the_extra("phone transcriptions"):
        import pocketsphinx

    entries = {}
    path = f"{pocketsphinx.get_model_path()}/en-us/cmudict-en-us.dict"
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            word, *phones = line.split()
            if phones and "(" not in word:  # "word(2)" is a second pronunciation.
                entries.setdefault(word.upper(), tuple(phones))
    return entries


def transcript_phones(text):
    """`(phones, out_of_dictionary)`: the phones of `text`'s words in order (each word's first
    pronunciation), and the words the dictionary lacks, whose phones are left out.

    Example:
        ```python
        from keras_vq import speech_quality

        print(speech_quality.transcript_phones("Knit two together, Zorblax!"))
        # (['N', 'IH', 'T', 'T', 'UW', 'T', 'AH', 'G', 'EH', 'DH', 'ER'], ['ZORBLAX'])
        ```
    """
    dictionary, phones, missing = pronunciations(), [], []
    for word in normalize_transcript(text).split():
        if word in dictionary:
            phones.extend(dictionary[word])
        else:
            missing.append(word)
    return phones, missing


# ---- Intelligibility and quality ---------------------------------------------------------------------------------


def stoi(reference, degraded):
    """Short-time objective intelligibility of `degraded` against `reference`, in [0, 1] (Taal et al. 2011).

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        time = np.arange(16_000) / 16_000
        hum = 0.3 * np.sin(2 * np.pi * 150 * time) * (1 + np.sin(2 * np.pi * 3 * time)) / 2  # a hummed 150 Hz
        print(round(speech_quality.stoi(hum, hum), 3))                                # 1.0
        print(round(speech_quality.stoi(hum, speech_quality.loudness_shaped_noise(hum)), 2))
        # 0.82 for a hum; 0.58 is the floor on the LibriSpeech clips of the speech tutorial
        ```
    """
    with naming_the_extra("STOI"):
        from pystoi import stoi as pystoi_stoi

    reference, degraded = _pair(reference, degraded)
    return float(pystoi_stoi(reference, degraded, SAMPLE_RATE, extended=False))


def pesq_wideband(reference, degraded):
    """Wide-band PESQ MOS-LQO (ITU-T P.862.2), 1.0 .. 4.64; NaN where PESQ finds no utterance in `reference`.

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        print(speech_quality.pesq_wideband(np.zeros(16_000), np.zeros(16_000)))  # nan: silence is no utterance
        ```
    """
    with naming_the_extra("PESQ"):
        import pesq

    reference, degraded = _pair(reference, degraded)
    try:
        return float(pesq.pesq(SAMPLE_RATE, reference, degraded, "wb"))
    except pesq.NoUtterancesError:
        return float("nan")


def log_mel_spectrogram(audio, hop=MEL_HOP):
    """`(len(audio) // hop, MEL_BANDS)` mel energies in dB (10 log10, floored at `MEL_FLOOR`) of centred
    25 ms Hann frames every `hop` samples.

    Example:
        ```python
        import numpy as np

        from keras_vq import speech_quality

        tone = np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000).astype("float32")  # 1 s of A4
        mel = speech_quality.log_mel_spectrogram(tone)
        print(mel.shape, mel.mean(axis=0).argmax())  # (frames, bands); the loudest band holds 440 Hz
        ```
    """
    power = np.abs(spectrograms.stft(_mono(audio)[None], MEL_FFT, hop)[0]) ** 2
    return 10.0 * np.log10(np.maximum(power @ spectrograms.mel_filterbank(MEL_BANDS, MEL_FFT, SAMPLE_RATE), MEL_FLOOR))


def log_mel_distance(reference, degraded):
    """Root mean square difference of the two log-mel spectrograms, in dB (0 for identical clips)."""
    reference, degraded = _pair(reference, degraded)
    return float(np.sqrt(np.mean((log_mel_spectrogram(reference) - log_mel_spectrogram(degraded)) ** 2)))


# ---- Pitch -------------------------------------------------------------------------------------------------------


def f0_track(audio):
    """F0 in Hz every 5 ms from WORLD's harvest (0 where unvoiced).

    Harvest is the slow part of a report (~0.5 s a clip of a few seconds), and an evaluation scores several
    outputs and references against the same original: the tracks of the last 32 distinct clips are kept,
    keyed on their samples, so each original is tracked once (the LibriSpeech evaluation: 5 times fewer
    harvests of the originals). A caller gets its own copy.
    """
    samples = _mono(audio)
    return _harvest(samples.tobytes()).copy()


@functools.lru_cache(maxsize=32)
def _harvest(samples):
    with naming_the_extra("F0 estimation"):
        import pyworld

    f0, _ = pyworld.harvest(
        np.frombuffer(samples, np.float64),
        SAMPLE_RATE,
        f0_floor=F0_FLOOR_HZ,
        f0_ceil=F0_CEIL_HZ,
        frame_period=F0_FRAME_MS,
    )
    return f0


def median_f0(audio):
    """The median F0 in Hz over voiced frames; NaN if no frame is voiced."""
    f0 = f0_track(audio)
    return float(np.median(f0[f0 > 0])) if np.any(f0 > 0) else float("nan")


def pitch_report(reference, degraded):
    """F0 of `degraded` against `reference`: `f0_rmse_hz` (over frames voiced in both; NaN if none),
    `voicing_agreement` (share of frames with the same voiced/unvoiced decision), `voiced_fraction`
    (of `degraded`'s frames) and both clips' `median_f0_hz`.

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        time = np.arange(16_000) / 16_000
        hum = 0.3 * np.sin(2 * np.pi * 150 * time) * (1 + np.sin(2 * np.pi * 3 * time)) / 2  # a hummed 150 Hz
        report = speech_quality.pitch_report(hum, hum)
        print(round(report["median_f0_hz"]), report["f0_rmse_hz"])  # 148 0.0: harvest's F0 of the 150 Hz hum
        ```
    """
    reference, degraded = _pair(reference, degraded)
    f0_reference, f0_degraded = f0_track(reference), f0_track(degraded)
    voiced_reference, voiced_degraded = f0_reference > 0, f0_degraded > 0
    both = voiced_reference & voiced_degraded
    return {
        "f0_rmse_hz": float(np.sqrt(np.mean((f0_reference[both] - f0_degraded[both]) ** 2)))
        if both.any()
        else float("nan"),
        "voicing_agreement": float(np.mean(voiced_reference == voiced_degraded)),
        "voiced_fraction": float(np.mean(voiced_degraded)),
        "median_f0_hz": float(np.median(f0_degraded[voiced_degraded])) if voiced_degraded.any() else float("nan"),
        "reference_median_f0_hz": float(np.median(f0_reference[voiced_reference]))
        if voiced_reference.any()
        else float("nan"),
    }


# ---- References: the ceiling and the floor -----------------------------------------------------------------------


def mu_law_reference(audio):
    """`audio` through 8-bit μ-law and back (`keras_vq.layers.mu_law`, the WaveNet decoder's own symbols): the best
    a 256-symbol WaveNet decoder can give."""
    from keras import ops

    return np.asarray(ops.convert_to_numpy(mu_law_decode(mu_law_encode(_mono(audio).astype(np.float32)))), np.float64)


def narrowband_reference(audio):
    """`audio` resampled to 8 kHz and back (polyphase, scipy): telephone bandwidth, nothing above 4 kHz."""
    with naming_the_extra("resampling"):
        from scipy.signal import resample_poly

    audio = _mono(audio)
    return resample_poly(resample_poly(audio, 1, 2), 2, 1)[: len(audio)]


def envelope(audio, frame=LOUDNESS_FRAME):
    """RMS of each `frame`-sample frame (the last, partial one included), linearly interpolated per sample.

    Example:
        ```python
        import numpy as np

        from keras_vq import speech_quality

        audio = np.concatenate([np.zeros(8_000), 0.5 * np.ones(8_000)]).astype("float32")  # silence, then a step
        loudness = speech_quality.envelope(audio)
        print(loudness.shape, round(float(loudness[0]), 2), round(float(loudness[-1]), 2))  # (16000,) 0.0 0.5
        ```
    """
    audio = _mono(audio)
    count = -(-len(audio) // frame)
    padded = np.pad(audio, (0, count * frame - len(audio)))
    rms = np.sqrt(np.mean(padded.reshape(count, frame) ** 2, axis=1))
    centres = np.arange(count) * frame + (frame - 1) / 2
    return np.interp(np.arange(len(audio)), centres, rms)


def loudness_shaped_noise(audio, seed=0):
    """White Gaussian noise whose 20 ms RMS follows `audio`'s: its rhythm and loudness, no words (the floor).

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        time = np.arange(16_000) / 16_000
        hum = 0.3 * np.sin(2 * np.pi * 150 * time) * (1 + np.sin(2 * np.pi * 3 * time)) / 2  # a hummed 150 Hz
        noise = speech_quality.loudness_shaped_noise(hum, seed=0)
        print(np.corrcoef(speech_quality.envelope(hum), speech_quality.envelope(noise))[0, 1] > 0.9)  # True
        ```
    """
    audio = _mono(audio)
    noise = np.random.default_rng(seed).standard_normal(len(audio))
    return np.clip(noise * envelope(audio), -1.0, 1.0)


REFERENCES = {
    "mu_law_256": mu_law_reference,
    "narrowband_8khz": narrowband_reference,
    "loudness_shaped_noise": loudness_shaped_noise,
}


# ---- Everything at once ------------------------------------------------------------------------------------------


def clip_report(reference, degraded, hypothesis=None):
    """Every per-clip figure of `degraded` against `reference`; `hypothesis`: `transcribe(degraded)` if given.

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        time = np.arange(16_000) / 16_000
        hum = 0.3 * np.sin(2 * np.pi * 150 * time) * (1 + np.sin(2 * np.pi * 3 * time)) / 2  # a hummed 150 Hz
        report = speech_quality.clip_report(hum, hum, hypothesis="")
        print(sorted(report))  # f0_rmse_hz, hypothesis, log_mel_distance_db, median_f0_hz, pesq_wb, stoi, ...
        ```
    """
    report = {
        "stoi": stoi(reference, degraded),
        "pesq_wb": pesq_wideband(reference, degraded),
        "log_mel_distance_db": log_mel_distance(reference, degraded),
    }
    report |= pitch_report(reference, degraded)
    report["hypothesis"] = transcribe(degraded) if hypothesis is None else hypothesis
    return report


def speech_quality_report(references, degraded, transcripts):
    """Every figure over a set of clips: corpus `wer`, the means of the per-clip figures (NaNs left out),
    and `clips`, the per-clip reports with their recogniser hypotheses.

    Args:
        references: the original clips.
        degraded: one clip for each, the same length as its reference.
        transcripts: the words spoken in each reference.

    Example:
        ```python
        import numpy as np
        from keras_vq import speech_quality

        time = np.arange(16_000) / 16_000
        hum = 0.3 * np.sin(2 * np.pi * 150 * time) * (1 + np.sin(2 * np.pi * 3 * time)) / 2  # a hummed 150 Hz
        noise = speech_quality.loudness_shaped_noise(hum)
        report = speech_quality.speech_quality_report([hum], [noise], ["hmm"])
        print(report["wer"], round(report["stoi"], 2), len(report["clips"]))  # 1.0 0.82 1 (no word heard)
        ```
    """
    references, degraded, transcripts = list(references), list(degraded), list(transcripts)
    if not len(references) == len(degraded) == len(transcripts) or not references:
        raise ValueError(
            f"need as many degraded clips and transcripts as references, got {len(references)} "
            f"references, {len(degraded)} degraded clips, {len(transcripts)} transcripts"
        )
    clips = [clip_report(reference, clip) for reference, clip in zip(references, degraded)]
    summary = {
        "wer": word_error_rate(transcripts, [clip["hypothesis"] for clip in clips]),
        "words": sum(len(normalize_transcript(text).split()) for text in transcripts),
    }
    for key in (
        "stoi",
        "pesq_wb",
        "log_mel_distance_db",
        "f0_rmse_hz",
        "voicing_agreement",
        "voiced_fraction",
        "median_f0_hz",
    ):
        values = np.array([clip[key] for clip in clips], np.float64)
        summary[key] = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
    summary["clips"] = clips
    return summary
