"""keras_vq.speech_quality against values known another way: a clip scored against itself, noise,
tones of known pitch and band, and a recorded utterance with its transcript.

NumPy and the speech-eval packages only, no backend: they run once, in the PyTorch pass."""

import pathlib
import sys

import keras
import numpy as np
import pytest

from keras_vq import spectrograms, speech_quality

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="backend-free: runs once, in the PyTorch pass"
)

FIXTURE_UTTERANCE = (
    pathlib.Path(__file__).parents[1]
    / "fixtures"
    / "librispeech"
    / "LibriSpeech"
    / "train-clean-5"
    / "163"
    / "122947"
    / "163-122947-0006.flac"
)
FIXTURE_TRANSCRIPT = "NOW WITH RED LIGHT NOW WITH GREEN"
RATE = speech_quality.SAMPLE_RATE


def harmonic_tone(f0_hz, seconds=1.5, amplitude=0.3):
    """A voiced-like buzz: ten harmonics of `f0_hz` with falling amplitudes, syllable-rate loudness."""
    time = np.arange(int(seconds * RATE)) / RATE
    buzz = sum(np.sin(2 * np.pi * f0_hz * k * time) / k for k in range(1, 11))
    return amplitude * buzz / np.max(np.abs(buzz)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * time))


@pytest.fixture(scope="module")
def utterance():
    import soundfile

    audio, rate = soundfile.read(FIXTURE_UTTERANCE, dtype="float32")
    assert rate == RATE
    return audio


def test_a_clip_scored_against_itself_is_perfect_and_noise_scores_at_the_floor(utterance):
    noise = speech_quality.loudness_shaped_noise(utterance, seed=0)
    assert speech_quality.stoi(utterance, utterance) == pytest.approx(1.0, abs=1e-6)
    assert speech_quality.pesq_wideband(utterance, utterance) == pytest.approx(4.64, abs=0.01)
    assert speech_quality.log_mel_distance(utterance, utterance) == 0.0
    assert speech_quality.stoi(utterance, noise) < 0.7
    assert speech_quality.pesq_wideband(utterance, noise) < 1.5
    assert speech_quality.log_mel_distance(utterance, noise) > 10.0


def test_the_recogniser_hears_a_recorded_utterance_and_not_its_noise_floor(utterance):
    heard = speech_quality.transcribe(utterance)
    assert speech_quality.word_error_rate([FIXTURE_TRANSCRIPT], [heard]) <= 0.25, heard
    noise_heard = speech_quality.transcribe(speech_quality.loudness_shaped_noise(utterance, seed=0))
    assert speech_quality.word_error_rate([FIXTURE_TRANSCRIPT], [noise_heard]) >= 0.85, noise_heard


def test_word_error_rate_counts_every_error_over_every_reference_word():
    # "a b c d" -> "a x c": one substitution, one deletion; "e f" -> "e f g": one insertion. 3 errors / 6 words.
    assert speech_quality.word_error_rate(["A B C D", "e, f."], ["a x c", "E F G"]) == pytest.approx(0.5)
    assert speech_quality.normalize_transcript("It's  a Test-case!") == "IT'S A TEST CASE"
    with pytest.raises(ValueError, match="one hypothesis per reference"):
        speech_quality.word_error_rate(["A B"], [])
    with pytest.raises(ValueError, match="at least one word"):
        speech_quality.word_error_rate(["..."], ["A"])


def test_pitch_of_harmonic_tones_is_their_fundamental():
    low, high = harmonic_tone(120.0), harmonic_tone(180.0)
    assert speech_quality.median_f0(low) == pytest.approx(120.0, rel=0.02)
    same = speech_quality.pitch_report(low, low)
    assert same["f0_rmse_hz"] == 0.0 and same["voicing_agreement"] == 1.0
    moved = speech_quality.pitch_report(low, high)
    assert moved["f0_rmse_hz"] == pytest.approx(60.0, rel=0.05)
    assert moved["median_f0_hz"] == pytest.approx(180.0, rel=0.02)
    assert moved["reference_median_f0_hz"] == pytest.approx(120.0, rel=0.02)
    silent = speech_quality.pitch_report(low, np.zeros_like(low))
    assert silent["voiced_fraction"] == 0.0 and np.isnan(silent["f0_rmse_hz"])
    assert silent["voicing_agreement"] == pytest.approx(1.0 - np.mean(speech_quality.f0_track(low) > 0))


def test_each_clip_is_tracked_once_over_reports_and_every_caller_gets_its_own_track(monkeypatch):
    import pyworld

    calls = []
    harvest = pyworld.harvest
    monkeypatch.setattr(
        pyworld, "harvest", lambda samples, *args, **kw: calls.append(len(samples)) or harvest(samples, *args, **kw)
    )
    speech_quality._harvest.cache_clear()
    original, first, second = harmonic_tone(120.0), harmonic_tone(150.0), harmonic_tone(180.0)
    reports = [speech_quality.pitch_report(original, degraded) for degraded in (first, second, first)]
    assert len(calls) == 3  # The original once, each degraded clip once.
    assert reports[0] == reports[2] and reports[0]["median_f0_hz"] == pytest.approx(150.0, rel=0.02)
    track = speech_quality.f0_track(original)
    expected = track.copy()
    track[:] = -1.0  # A caller's change to its track reaches no other caller.
    np.testing.assert_array_equal(speech_quality.f0_track(original[:, None]), expected)  # (samples, 1): the same.
    assert len(calls) == 3
    speech_quality.f0_track(original.astype("float32"))  # Other samples (rounded to float32): tracked anew.
    assert len(calls) == 4


def test_references_keep_and_remove_what_they_say():
    time = np.arange(RATE) / RATE
    low_tone, high_tone = 0.5 * np.sin(2 * np.pi * 1_000 * time), 0.5 * np.sin(2 * np.pi * 6_000 * time)
    middle = slice(1_000, -1_000)  # away from the resampling filter's edges
    np.testing.assert_allclose(speech_quality.narrowband_reference(low_tone)[middle], low_tone[middle], atol=0.01)
    assert np.sqrt(np.mean(speech_quality.narrowband_reference(high_tone)[middle] ** 2)) < 0.01
    # 8-bit μ-law: at most half a level (1/255 of the companded scale) away, times the expansion's slope
    # dx/dy = ln(1 + μ) (1 + μ|x|) / μ, largest at the tone's peak |x| = 0.5.
    largest_error = np.log1p(255.0) * (1 + 255.0 * 0.5) / 255.0 / 255.0
    assert np.max(np.abs(speech_quality.mu_law_reference(low_tone) - low_tone)) <= largest_error
    assert len(speech_quality.mu_law_reference(low_tone)) == len(low_tone)


def test_loudness_shaped_noise_follows_the_loudness_and_is_seeded(utterance):
    noise = speech_quality.loudness_shaped_noise(utterance, seed=3)
    np.testing.assert_array_equal(noise, speech_quality.loudness_shaped_noise(utterance, seed=3))
    assert not np.array_equal(noise, speech_quality.loudness_shaped_noise(utterance, seed=4))
    frames = len(utterance) // 320 * 320
    rms = [np.sqrt(np.mean(clip[:frames].reshape(-1, 320) ** 2, axis=1)) for clip in (utterance, noise)]
    assert np.corrcoef(*rms)[0, 1] > 0.9


def test_mel_filters_put_a_tone_in_the_band_of_its_frequency():
    filters = spectrograms.mel_filterbank(speech_quality.MEL_BANDS, speech_quality.MEL_FFT, RATE)
    assert filters.shape == (speech_quality.MEL_FFT // 2 + 1, speech_quality.MEL_BANDS)
    mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)  # noqa: E731
    centres_mel = np.linspace(0.0, mel(RATE / 2), speech_quality.MEL_BANDS + 2)[1:-1]
    time = np.arange(RATE) / RATE
    for hz in (300.0, 1_000.0, 3_000.0):
        band = np.argmax(speech_quality.log_mel_spectrogram(np.sin(2 * np.pi * hz * time)).mean(axis=0))
        # The Hann window's main lobe (80 Hz wide) spans two of the narrow low bands: one band either way.
        assert abs(band - np.argmin(np.abs(centres_mel - mel(hz)))) <= 1, hz


def test_bad_clips_and_a_missing_extra_are_named(monkeypatch, utterance):
    with pytest.raises(ValueError, match="same length"):
        speech_quality.stoi(utterance, utterance[:-1])
    with pytest.raises(ValueError, match=r"shaped \(samples,\) or \(samples, 1\)"):
        speech_quality.log_mel_distance(np.zeros((2, 100)), np.zeros((2, 100)))
    with pytest.raises(ValueError, match="NaN"):
        speech_quality.median_f0(np.full(1_000, np.nan))
    with pytest.raises(ValueError, match="as many degraded clips and transcripts"):
        speech_quality.speech_quality_report([utterance], [utterance], [])
    monkeypatch.setitem(sys.modules, "pystoi", None)
    with pytest.raises(ModuleNotFoundError, match=r"STOI needs pystoi.*keras-vq\[speech-eval\]"):
        speech_quality.stoi(utterance, utterance)
