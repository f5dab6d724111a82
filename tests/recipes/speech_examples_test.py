"""keras_vq.speech_examples and recipes/librispeech_listen.py (the Speech tutorial's audio) on real fixtures.

The recipe runs are recipe plumbing (files written, refusals), on the PyTorch pass: 8 s there, ~13 s on JAX,
whose run wrote the tutorial's audio; what the recipe calls (presets, reconstruction, conversion, sampling)
is tested on every backend by the unit and built-in preset tests.
"""

import json
import os
import pathlib
import sys

import numpy as np
import pytest
import soundfile

from keras_vq.models import VQVAE
from keras_vq.speech_examples import envelope_correlation, first_female_and_male, spectral_centroid_hz
from tests import recipe_processes
from tests.data_helpers import FIXTURES
from tests.passes import RECIPE_PLUMBING

RECIPE = pathlib.Path(__file__).resolve().parents[2] / "recipes" / "librispeech_listen.py"
SPEECH = FIXTURES / "librispeech"  # Speakers 163 (M) and 1737 (F), two utterances each; both in the presets.


def test_spectral_centroid_of_tones_and_their_mixture():
    seconds = np.arange(16_000) / 16_000
    assert spectral_centroid_hz(np.sin(2 * np.pi * 1000 * seconds)) == pytest.approx(1000, abs=1)
    # Equal power at 500 and 3000 Hz: the mean frequency, 1750 Hz.
    mixture = np.sin(2 * np.pi * 500 * seconds) + np.sin(2 * np.pi * 3000 * seconds)
    assert spectral_centroid_hz(mixture) == pytest.approx(1750, abs=1)


def test_envelope_correlation_follows_loudness_not_waveform():
    rng = np.random.default_rng(0)
    loudness = np.repeat(rng.uniform(0, 1, 50), 320)
    first, second = loudness * rng.normal(size=16_000), loudness * rng.normal(size=16_000)
    assert envelope_correlation(second, first) > 0.9  # Different noise, the same loud and quiet frames.
    assert np.corrcoef(first, second)[0, 1] < 0.1
    assert envelope_correlation(first[::-1], first) < 0.5
    assert envelope_correlation(first[:320], first[:320]) is None  # One frame: no correlation to speak of.
    assert envelope_correlation(np.zeros(16_000), first) is None


def test_first_female_and_male_names_what_is_missing():
    assert first_female_and_male([0, 0, 1, 1], [163, 1737], {163: "M", 1737: "F"}) == (2, 0)
    with pytest.raises(ValueError, match=r"a female and a male speaker; these speakers are \['M'\]"):
        first_female_and_male([0, 0], [163], {163: "M"})


@RECIPE_PLUMBING
def test_listen_recipe_writes_reconstructions_conversions_and_samples_from_the_presets(tmp_path):
    command = [
        sys.executable,
        str(RECIPE),
        "--data-dir",
        str(SPEECH),
        "--held-out-per-speaker",
        "1",
        "--seconds",
        "0.05",
        "--num-samples",
        "2",
        "--output-dir",
        str(tmp_path / "listen"),
    ]
    environment = dict(os.environ, KERAS_BACKEND="torch", TF_CPP_MIN_LOG_LEVEL="3")
    result = recipe_processes.run(command, env=environment, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]

    audio_dir = tmp_path / "listen" / "audio"
    decoder = VQVAE.from_preset("librispeech").decoding.display_name.replace(" ", "_")  # e.g. WaveNet_decoder
    expected = {
        "1737_original",
        f"1737_{decoder}",
        "1737_as_speaker_163",
        "163_original",
        f"163_{decoder}",
        "163_as_speaker_1737",
        "prior_sample_0_speaker_1737",
        "prior_sample_1_speaker_163",
    }
    assert {path.stem for path in audio_dir.iterdir()} == expected
    clips = {}
    for stem in expected:
        clips[stem], rate = soundfile.read(audio_dir / f"{stem}.wav")
        assert rate == 16_000 and clips[stem].shape == (768,), stem  # 0.05 s, cut to whole codes of 64 samples.
    # The originals are the held-out utterances' first samples, as 16-bit PCM.
    held_out = sorted((SPEECH / "LibriSpeech" / "train-clean-5" / "1737").rglob("*.flac"))[-1]
    original = soundfile.read(held_out)[0][:768]
    np.testing.assert_allclose(clips["1737_original"], original, atol=1 / 2**15)
    assert not np.allclose(clips[f"1737_{decoder}"], clips["1737_as_speaker_163"])
    for plot in ("conversion_1737_to_163.png", "conversion_163_to_1737.png", "prior_samples.png"):
        assert (tmp_path / "listen" / plot).stat().st_size > 10_000, plot

    figures = json.loads((tmp_path / "listen" / "results.json").read_text())["clips"]
    assert figures.keys() == expected
    assert figures["1737_original"]["envelope_correlation"] == pytest.approx(1.0)
    # Measured on the float clip; the WAV holds it as 16-bit PCM, which moves a quiet clip's centroid by ~0.2%.
    assert figures["163_as_speaker_1737"]["spectral_centroid_hz"] == pytest.approx(
        spectral_centroid_hz(clips["163_as_speaker_1737"]), rel=1e-2
    )

    again = recipe_processes.run(command, env=environment, timeout=600)
    assert again.returncode == 2 and "holds results.json; pass --overwrite" in again.stderr  # Nothing replaced.


@RECIPE_PLUMBING
def test_listen_recipe_refuses_speakers_the_presets_do_not_know(tmp_path):
    data_dir = tmp_path / "LibriSpeech"
    speaker_dir = data_dir / "train-clean-5" / "9999" / "1"
    speaker_dir.mkdir(parents=True)
    for index in range(2):
        soundfile.write(speaker_dir / f"9999-1-000{index}.flac", np.zeros(1600), 16_000)
    (speaker_dir / "9999-1.trans.txt").write_text("9999-1-0000 A\n9999-1-0001 B\n")
    (data_dir / "SPEAKERS.TXT").write_text("9999 | F | train-clean-5 | 1.00 | Nobody\n")
    result = recipe_processes.run(
        [
            sys.executable,
            str(RECIPE),
            "--data-dir",
            str(data_dir),
            "--held-out-per-speaker",
            "1",
            "--output-dir",
            str(tmp_path / "listen"),
        ],
        env=dict(os.environ, KERAS_BACKEND="torch", TF_CPP_MIN_LOG_LEVEL="3"),
        timeout=600,
    )
    assert result.returncode == 1
    assert "speakers the presets were not trained on: [9999]" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "listen").exists()
