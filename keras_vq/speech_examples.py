"""What a person listens to: a speech VQ-VAE's reconstructions, speaker conversions and prior samples.

`write_speech_examples` writes them as 16-bit WAV files with a plot (waveform
and spectrogram) beside each group, for a female and a male held-out
speaker, so that both directions of conversion are heard. The LibriSpeech
recipes (`librispeech_vqvae`, which trains the models, and
`librispeech_listen`, which loads the presets) both write their audio here.

`python -m keras_vq.recipes.librispeech_listen` shows it in use.
"""

import pathlib

import numpy as np

import keras_vq.plots
from keras_vq.data.utterances import SAMPLE_RATE, write_wav

__all__ = ["write_speech_examples", "spectral_centroid_hz", "envelope_correlation"]


def first_female_and_male(speakers, speaker_ids, sexes):
    """Indices of the first item of a female and of a male speaker (`sexes`: `{speaker_id: "F" | "M"}`)."""
    found = {}
    for index, speaker in enumerate(speakers):
        found.setdefault(sexes[int(speaker_ids[speaker])], index)
    if set(found) != {"F", "M"}:
        raise ValueError(f"speech examples need a female and a male speaker; these speakers are {sorted(found)}")
    return found["F"], found["M"]


def spectral_centroid_hz(audio, sample_rate=SAMPLE_RATE):
    """The power-weighted mean frequency of `audio`'s spectrum, in Hz: sum(f |X(f)|^2) / sum(|X(f)|^2).

    Example:
        ```python
        import numpy as np

        from keras_vq.speech_examples import spectral_centroid_hz

        tone = np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000)
        print(round(spectral_centroid_hz(tone)))  # 440
        ```
    """
    audio = np.asarray(audio, np.float64).reshape(-1)
    power = np.abs(np.fft.rfft(audio)) ** 2
    return float((power * np.fft.rfftfreq(len(audio), 1.0 / sample_rate)).sum() / max(power.sum(), 1e-30))


def envelope_correlation(audio, reference, frame=320):
    """Pearson correlation of two clips' loudness envelopes (RMS over `frame` samples, 20 ms at 16 kHz):
    1 when loud and quiet stretches fall at the same times, whatever the waveforms. None where it is
    undefined: clips shorter than two frames, or an envelope that never changes (silence).

    Example:
        ```python
        import numpy as np

        from keras_vq.speech_examples import envelope_correlation

        rng = np.random.default_rng(0)
        loudness = np.repeat(rng.uniform(0, 1, 50), 320)  # 50 frames of 20 ms
        print(envelope_correlation(loudness * rng.normal(size=16_000), loudness * rng.normal(size=16_000)) > 0.9)
        ```
    """

    def envelope(clip):
        clip = np.asarray(clip, np.float64).reshape(-1)
        return np.sqrt((clip[: len(clip) // frame * frame].reshape(-1, frame) ** 2).mean(axis=1))

    envelopes = envelope(audio), envelope(reference)
    if len(envelopes[0]) < 2 or min(np.ptp(envelopes[0]), np.ptp(envelopes[1])) == 0:
        return None
    return float(np.corrcoef(*envelopes)[0, 1])


def write_speech_examples(
    speech_vqvae, prior, clips, speakers, speaker_ids, sexes, output_dir, num_samples=4, seed=0, transposed_vqvae=None
):
    """Writes `audio/*.wav` and plots into `output_dir`; returns `(written, figures)`: `{name: path}` of
    everything written, and for each clip `{name: {"spectral_centroid_hz", "envelope_correlation"}}` (the
    latter with the original it came from; none for prior samples).

    For a female and a male clip of `clips` (`(n, length, 1)` on [-1, 1],
    speaker indices `speakers`): the original, `speech_vqvae`'s
    reconstruction (its WaveNet or spectrogram decoder, with the clip's own speaker),
    the same codes decoded as the other speaker (speaker conversion), and,
    when `transposed_vqvae` is given, that model's reconstruction;
    `conversion_<source>_to_<target>.png` shows each group. Then
    `num_samples` clips of the same length whose codes come from `prior`,
    alternating the two speakers, in `prior_samples.png`. Files are named by
    LibriSpeech speaker id and written atomically.

    Example:
        ```python
        import numpy as np

        import keras_vq
        from keras_vq.data.utterances import clips
        from keras_vq.speech_examples import write_speech_examples

        vqvae = keras_vq.models.VQVAE.from_preset("librispeech")
        prior = keras_vq.models.WaveNet.from_preset("librispeech_prior")
        speaker_ids = keras_vq.models.VQVAE.preset_metadata("librispeech")["speaker_ids"]
        silence = np.zeros(128, "float32")
        audio = clips([silence, silence], 128)  # (2, 128, 1): held-out speech, in practice
        speakers = [speaker_ids.index(1898), speaker_ids.index(7312)]
        written, figures = write_speech_examples(vqvae, prior, audio, speakers, speaker_ids, {1898: "F", 7312: "M"},
                                                 "listen", num_samples=2)
        print(sorted(written))  # the WAVs' and plots' names
        ```
    """
    output_dir = pathlib.Path(output_dir)
    audio_dir = output_dir / "audio"
    clips = np.asarray(clips, np.float32)
    female, male = first_female_and_male(speakers, speaker_ids, sexes)
    written, figures = {}, {}
    for source, target in ((female, male), (male, female)):
        source_id, target_id = int(speaker_ids[speakers[source]]), int(speaker_ids[speakers[target]])
        rows = {f"original ({source_id})": clips[source]}
        if transposed_vqvae is not None:
            rows["transposed decoder"] = np.asarray(transposed_vqvae.predict(clips[source : source + 1], verbose=0))[0]
        rows[speech_vqvae.decoding.display_name] = speech_vqvae.reconstruct(
            clips[source : source + 1], speakers=[speakers[source]], seed=seed
        )[0]
        rows[f"as speaker {target_id}"] = speech_vqvae.reconstruct(
            clips[source : source + 1], speakers=[speakers[target]], seed=seed
        )[0]
        for name, audio in rows.items():
            stem = f"{source_id}_{name.split(' (')[0].replace(' ', '_')}"
            written[stem] = write_wav(audio_dir / f"{stem}.wav", audio)
            figures[stem] = {
                "spectral_centroid_hz": spectral_centroid_hz(audio),
                "envelope_correlation": envelope_correlation(audio, clips[source]),
            }
        plot = output_dir / f"conversion_{source_id}_to_{target_id}.png"
        keras_vq.plots.save_audio_comparison(rows, plot)
        written[plot.stem] = plot
    sample_speakers = np.asarray(speakers)[[female, male] * (num_samples // 2) + [female] * (num_samples % 2)]
    samples = speech_vqvae.generate(prior, num_samples, speakers=sample_speakers, length=clips.shape[1], seed=seed)
    sample_rows = {}
    for index, (audio, speaker) in enumerate(zip(samples, sample_speakers)):
        stem = f"prior_sample_{index}_speaker_{int(speaker_ids[speaker])}"
        written[stem] = write_wav(audio_dir / f"{stem}.wav", audio)
        figures[stem] = {"spectral_centroid_hz": spectral_centroid_hz(audio)}
        sample_rows[f"sample {index} ({int(speaker_ids[speaker])})"] = audio
    keras_vq.plots.save_audio_comparison(sample_rows, output_dir / "prior_samples.png")
    written["prior_samples"] = output_dir / "prior_samples.png"
    return written, figures
