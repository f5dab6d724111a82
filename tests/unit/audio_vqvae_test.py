"""The 1-D VQ-VAE with a WaveNet decoder: mu-law targets, loss, gradients, generation, conversion, saving."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import VectorQuantizer
from keras_vq.layers.mu_law import mu_law_decode, mu_law_encode
from keras_vq.metrics import wavenet_decoder_report
from keras_vq.models import VQVAE, WaveNet
from tests.synthetic import speech_like


def wavenet_vqvae(num_speakers=3, embedding_dim=8, **kwargs):
    decoder = WaveNet(
        num_symbols=256,
        channels=8,
        skip_channels=8,
        num_layers=3,
        layers_per_cycle=3,
        num_speakers=num_speakers,
        speaker_embedding_dim=4,
        local_condition_dim=8,
        local_channels=8,
        upsampling=4,
    )
    return VQVAE(
        **(
            dict(
                data_shape=(None, 1),
                data_range=(-1.0, 1.0),
                hidden_channels=16,
                num_downsamples=2,
                num_residual_layers=1,
                residual_channels=8,
                decoder=decoder,
                quantizer=VectorQuantizer(16, embedding_dim, seed=0),
            )
            | kwargs
        )
    )


def test_mu_law_symbols_match_the_numpy_companding_and_invert_to_within_one_step():
    audio = np.linspace(-1, 1, 2001, dtype="float32")
    symbols = ops.convert_to_numpy(mu_law_encode(audio))
    # The nearest of 256 levels to the companded value, computed here in float64 (float32 may round a
    # value within 1e-4 of a half-way point either way).
    levels = (
        (np.sign(audio.astype(np.float64)) * np.log1p(255 * np.abs(audio.astype(np.float64))) / np.log(256) + 1)
        / 2
        * 255
    )
    assert np.abs(symbols - levels).max() <= 0.5 + 1e-4
    assert symbols.min() == 0 and symbols.max() == 255
    np.testing.assert_array_equal(ops.convert_to_numpy(mu_law_encode(mu_law_decode(np.arange(256)))), np.arange(256))
    decoded = ops.convert_to_numpy(mu_law_decode(symbols))
    # The step between neighbouring symbols bounds the error: fine near 0, coarse near +-1.
    step = np.abs(np.diff(ops.convert_to_numpy(mu_law_decode(np.arange(256)))))
    assert np.all(np.abs(decoded - audio) <= step.max() / 2 + 1e-6)
    assert np.abs(decoded - audio)[np.abs(audio) < 0.01].max() < 2e-4


def test_loss_is_the_decoders_nll_of_the_mu_law_audio_plus_the_quantizer_terms():
    model = wavenet_vqvae()
    audio, speakers = speech_like()
    inputs = {"audio": audio, "speakers": speakers}
    model.compile(optimizer="adam")
    figures = model.evaluate(inputs, batch_size=4, verbose=0, return_dict=True)
    logits = ops.convert_to_numpy(model(inputs)).astype(np.float64)
    symbols = ops.convert_to_numpy(mu_law_encode(audio[..., 0]))
    log_probabilities = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    nats = -np.take_along_axis(log_probabilities, symbols[..., None], -1).mean()
    assert figures["bits_per_sample"] == pytest.approx(nats / math.log(2), rel=1e-4)
    assert figures["loss"] == pytest.approx(nats + 0.25 * figures["commitment_loss"], rel=1e-4)
    report = wavenet_decoder_report(model, audio, speakers, batch_size=3)
    assert report["bits_per_sample"] == pytest.approx(figures["bits_per_sample"], rel=1e-4)


def test_training_moves_the_encoder_through_the_wavenet_decoder_and_lowers_the_nll():
    model = wavenet_vqvae()
    audio, speakers = speech_like(count=8, length=64)
    inputs = {"audio": audio, "speakers": speakers}
    encoder_before = [ops.convert_to_numpy(weight) for weight in model.encoder.trainable_weights]
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(inputs, batch_size=8, epochs=30, verbose=0).history
    assert set(history) == {"loss", "bits_per_sample", "commitment_loss", "perplexity", "codebook_usage"}
    assert history["bits_per_sample"][-1] < 0.6 * history["bits_per_sample"][0]
    moved = [
        np.abs(ops.convert_to_numpy(weight) - before).max()
        for weight, before in zip(model.encoder.trainable_weights, encoder_before)
    ]
    assert min(moved) > 0  # Straight-through gradients reach every encoder weight.


def test_reconstruction_generates_from_the_codes_and_the_speaker_chooses_the_voice():
    model = wavenet_vqvae()
    voices = model.decoder.speaker_embedding
    voices.set_weights([3.0 * np.random.default_rng(0).normal(size=voices.get_weights()[0].shape)])
    audio, speakers = speech_like(count=2, length=24)
    codes = ops.convert_to_numpy(model.encode(audio)["codes"])
    assert codes.shape == (2, 6)
    same = model.reconstruct(audio, speakers=[0, 1], seed=5)
    assert same.shape == (2, 24, 1) and np.abs(same).max() <= 1.0
    # reconstruct = generate from z_q of the codes, mu-law decoded; same seed, same samples.
    features = ops.convert_to_numpy(model.quantizer.lookup(codes))
    symbols = model.decoder.sample(speakers=[0, 1], local_features=features, seed=5)
    np.testing.assert_allclose(same[..., 0], ops.convert_to_numpy(mu_law_decode(symbols)), atol=1e-6)
    converted = model.reconstruct(audio, speakers=[2, 2], seed=5)
    assert (converted != same).any()  # Another speaker's embedding, another output.
    with pytest.raises(ValueError, match=r"speakers must lie in \[0, 3\)"):
        model.reconstruct(audio, speakers=[0, 3])


def test_saved_wavenet_vqvae_and_its_preset_give_the_same_logits(tmp_path):
    model = wavenet_vqvae()
    audio, speakers = speech_like()
    inputs = {"audio": audio, "speakers": speakers}
    expected = ops.convert_to_numpy(model(inputs))
    model.save(tmp_path / "model.keras")
    for loaded in (
        keras.saving.load_model(tmp_path / "model.keras"),
        VQVAE.from_preset(model.save_to_preset(tmp_path / "preset")),
    ):
        assert isinstance(loaded.decoder, WaveNet) and loaded.decoder.num_speakers == 3
        np.testing.assert_allclose(ops.convert_to_numpy(loaded(inputs)), expected, atol=1e-5)


def test_a_prior_over_the_codes_generates_audio_through_the_decoder():
    model = wavenet_vqvae()
    prior = WaveNet(num_symbols=16, channels=8, skip_channels=8, num_layers=2, layers_per_cycle=2, num_speakers=3)
    samples = model.generate(prior, 2, speakers=[0, 2], length=20, seed=1)
    assert samples.shape == (2, 20, 1)
    codes = prior.sample(length=5, speakers=[0, 2], seed=1)
    np.testing.assert_allclose(samples, model.decode({"codes": codes}, speakers=[0, 2], seed=2), atol=1e-6)
    with pytest.raises(ValueError, match="length must be a positive multiple of 2\\*\\*num_downsamples = 4; got 10"):
        model.generate(prior, 2, speakers=[0, 2], length=10)
    with pytest.raises(
        ValueError,
        match=r"prior must model \(None,\) maps of 16 codes \(level 'codes'\); got a WaveNet "
        r"over \(None,\) maps of 256 codes",
    ):
        model.generate(WaveNet(channels=8, skip_channels=8, num_layers=2), 1, length=8)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(decoder="wavenets"),
            "decoder must be 'transposed', a keras_vq.models.WaveNet or a keras_vq.models.SpectrogramDecoder",
        ),
        (dict(data_shape=(32, 32, 3)), r"data_shape must be \(length, 1\) mono audio"),
        (dict(data_range=(0.0, 1.0)), r"data_range must be \(-1.0, 1.0\)"),
        (dict(num_downsamples=3), "upsampling=2\\*\\*num_downsamples=8; it has local_condition_dim=8, upsampling=4"),
        (dict(embedding_dim=4), "local_condition_dim=embedding_dim=4"),
    ],
)
def test_a_wavenet_decoder_that_does_not_fit_the_encoder_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        wavenet_vqvae(**kwargs)


def test_one_mu_law_companding_serves_numpy_the_backends_and_tf_data_alike():
    from keras_vq.layers.mu_law import mu_law_compress, mu_law_expand

    audio = np.linspace(-1, 1, 401)
    definition = np.sign(audio) * np.log(1 + 255 * np.abs(audio)) / np.log(256)  # float64, by its definition
    with_numpy = mu_law_compress(audio.astype("float32"), xp=np)
    with_backend = ops.convert_to_numpy(mu_law_compress(audio.astype("float32")))
    np.testing.assert_allclose(with_numpy, definition, atol=1e-6)
    np.testing.assert_allclose(with_backend, definition, atol=1e-6)
    np.testing.assert_allclose(mu_law_expand(definition, xp=np), audio, atol=1e-12)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        np.testing.assert_allclose(
            mu_law_compress(tf.constant(audio, tf.float32), xp=tf.math).numpy(), definition, atol=1e-6
        )
