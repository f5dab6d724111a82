"""The SpectrogramDecoder and keras_vq.spectrograms: framing against NumPy, the loss against its formula,
Griffin-Lim, training through the decoder, speakers, saving, and the refusals."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_vq import spectrograms
from keras_vq.layers import VectorQuantizer
from keras_vq.models import VQVAE, SpectrogramDecoder
from keras_vq.saving import load_model
from tests.synthetic import speech_like

HOP, FFT = 16, 64


def spectrogram_vqvae(num_speakers=3, embedding_dim=8, **kwargs):
    decoder = SpectrogramDecoder(
        latent_dim=8,
        hop=HOP,
        fft_length=FFT,
        channels=16,
        num_blocks=2,
        blocks_per_cycle=2,
        num_speakers=num_speakers,
        speaker_embedding_dim=4,
        griffin_lim_iterations=8,
    )
    return VQVAE(
        **(
            dict(
                data_shape=(None, 1),
                data_range=(-1.0, 1.0),
                hidden_channels=16,
                num_downsamples=4,
                num_residual_layers=1,
                residual_channels=8,
                decoder=decoder,
                quantizer=VectorQuantizer(16, embedding_dim, seed=0),
            )
            | kwargs
        )
    )


def test_log_magnitudes_are_numpys_centred_hann_frames_one_a_code():
    audio, _ = speech_like(count=2, length=8 * HOP)
    expected = np.abs(spectrograms.stft(audio[..., 0], FFT, HOP))
    found = ops.convert_to_numpy(spectrograms.log_magnitude(audio, FFT, HOP))
    assert found.shape == (2, 8, FFT // 2 + 1)
    # Magnitudes up to ~16 here, computed in float32: compared on the linear scale (the log of a near-empty
    # bin differs by float32's rounding of the sums that cancel to it).
    np.testing.assert_allclose(np.exp(found), np.maximum(expected, spectrograms.MAGNITUDE_FLOOR), atol=2e-5)
    assert found.min() >= np.log(spectrograms.MAGNITUDE_FLOOR) - 1e-6


def test_spectral_loss_is_the_log_l1_plus_the_spectral_convergence():
    rng = np.random.default_rng(1)
    target, predicted = rng.normal(size=(2, 5, 9)), rng.normal(size=(2, 5, 9))
    convergence = np.mean(
        [np.linalg.norm(np.exp(t) - np.exp(p)) / np.linalg.norm(np.exp(t)) for t, p in zip(target, predicted)]
    )
    expected = np.mean(np.abs(target - predicted)) + convergence
    assert float(spectrograms.spectral_loss(target, predicted)) == pytest.approx(expected, rel=1e-5)
    assert float(spectrograms.spectral_loss(target, target)) == pytest.approx(0.0, abs=1e-6)


def test_the_inverse_stft_undoes_the_stft_and_griffin_lim_finds_the_magnitudes():
    audio, _ = speech_like(count=2, length=32 * HOP)
    np.testing.assert_allclose(
        spectrograms.istft(spectrograms.stft(audio[..., 0], FFT, HOP), FFT, HOP), audio[..., 0], atol=1e-6
    )
    magnitude = np.abs(spectrograms.stft(audio[..., 0], FFT, HOP))
    errors = [
        np.abs(
            np.abs(spectrograms.stft(spectrograms.griffin_lim(magnitude, FFT, HOP, iterations=n), FFT, HOP)) - magnitude
        ).sum()
        / magnitude.sum()
        for n in (1, 32)
    ]
    assert errors[1] < 0.5 * errors[0] and errors[1] < 0.1, errors
    np.testing.assert_array_equal(
        spectrograms.griffin_lim(magnitude, FFT, HOP, iterations=2, seed=3),
        spectrograms.griffin_lim(magnitude, FFT, HOP, iterations=2, seed=3),
    )


def test_loss_is_the_spectral_loss_of_the_output_plus_the_quantizer_terms_and_training_lowers_it():
    model = spectrogram_vqvae()
    audio, speakers = speech_like(length=256)
    inputs = {"audio": audio, "speakers": speakers}
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    outputs = model(inputs)
    assert tuple(outputs.shape) == (4, 256 // HOP, FFT // 2 + 1)
    expected = float(spectrograms.spectral_loss(spectrograms.log_magnitude(audio, FFT, HOP), outputs))
    logs = model.test_on_batch(inputs, return_dict=True)
    assert logs["spectral_loss"] == pytest.approx(expected, rel=1e-4)
    assert logs["loss"] >= logs["spectral_loss"]
    history = model.fit(inputs, batch_size=4, epochs=20, verbose=0).history["spectral_loss"]
    assert min(history) < 0.9 * history[0], history  # Codes still move: not monotonic.


def test_the_speaker_chooses_the_voice_and_decoding_gives_audio_of_the_codes_length():
    model = spectrogram_vqvae()
    audio, _ = speech_like(count=2, length=256)
    one = model({"audio": audio, "speakers": np.array([0, 0])})
    other = model({"audio": audio, "speakers": np.array([1, 1])})
    assert not np.allclose(ops.convert_to_numpy(one), ops.convert_to_numpy(other))
    decoded = model.reconstruct(audio, speakers=2, seed=0)
    assert decoded.shape == audio.shape and np.abs(decoded).max() <= 1.0
    np.testing.assert_array_equal(decoded, model.reconstruct(audio, speakers=[2, 2], seed=0))


def test_saved_spectrogram_vqvae_gives_the_same_magnitudes(tmp_path):
    model = spectrogram_vqvae(num_speakers=None)
    audio, _ = speech_like(count=2, length=256)
    model.save(tmp_path / "model.keras")
    restored = load_model(tmp_path / "model.keras")
    assert restored.decoder.get_config() == model.decoder.get_config()
    np.testing.assert_allclose(ops.convert_to_numpy(restored(audio)), ops.convert_to_numpy(model(audio)), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(embedding_dim=4), "latent_dim=embedding_dim=4"),
        (dict(num_downsamples=3), "hop=2\\*\\*num_downsamples=8"),
        (dict(data_shape=(32, 32, 3), data_range=(0.0, 1.0)), "models audio: data_shape"),
        (dict(output_distribution="logistic_mixture"), "predicts STFT magnitudes"),
    ],
)
def test_a_spectrogram_decoder_that_does_not_fit_the_encoder_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spectrogram_vqvae(**kwargs)


def test_bad_spectrogram_decoder_arguments_are_named():
    with pytest.raises(ValueError, match="fft_length must be a multiple of hop"):
        SpectrogramDecoder(hop=64, fft_length=100)
    with pytest.raises(ValueError, match="channels must be an integer >= 1"):
        SpectrogramDecoder(channels=0)
    with pytest.raises(TypeError, match="num_block"):
        SpectrogramDecoder(num_block=3)


def test_spectrogram_decoder_report_is_the_spectral_loss_and_the_distance_in_db_of_the_predictions():
    import keras_vq

    model = spectrogram_vqvae()
    audio, speakers = speech_like(count=5, length=8 * HOP)
    report = keras_vq.metrics.spectrogram_decoder_report(model, audio, speakers, batch_size=2, verbose=0)
    predicted = np.asarray(model.predict({"audio": audio, "speakers": speakers}, verbose=0), np.float64)
    target = np.log(np.maximum(np.abs(spectrograms.stft(audio[..., 0], FFT, HOP)), spectrograms.MAGNITUDE_FLOOR))
    clip_losses = [
        np.abs(t - p).mean() + np.linalg.norm(np.exp(t) - np.exp(p)) / np.linalg.norm(np.exp(t))
        for t, p in zip(target, predicted)
    ]
    assert report["spectral_loss"] == pytest.approx(np.mean(clip_losses), rel=1e-3)
    assert report["log_spectral_distance_db"] == pytest.approx(
        np.sqrt(np.mean((20 * np.log10(np.exp(target - predicted))) ** 2)), rel=1e-3
    )
    codes = ops.convert_to_numpy(model.encode(audio)["codes"])
    assert report["perplexity"] == pytest.approx(keras_vq.metrics.perplexity(codes, 16), rel=1e-6)
    with pytest.raises(ValueError, match="speaker-conditioned: pass speakers"):
        keras_vq.metrics.spectrogram_decoder_report(model, audio, verbose=0)
    with pytest.raises(ValueError, match="needs a VQVAE with a SpectrogramDecoder; this one decodes with"):
        keras_vq.metrics.spectrogram_decoder_report(
            VQVAE(data_shape=(None, 1), data_range=(-1.0, 1.0), hidden_channels=8, residual_channels=4),
            audio,
            verbose=0,
        )


def test_audio_too_short_for_a_centred_frame_is_named_on_every_backend():
    from keras_vq import spectrograms

    short = np.zeros((1, 256), "float32")
    with pytest.raises(
        ValueError,
        match=r"audio of 256 samples is too short for 512-point STFT frames: it needs more "
        r"than fft_length // 2 = 256 samples",
    ):
        spectrograms.log_magnitude(short, 512, 64)
    assert spectrograms.log_magnitude(np.zeros((1, 320), "float32"), 512, 64).shape == (1, 5, 257)
