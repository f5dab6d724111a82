import numpy as np
import pytest

from keras_vq import metrics
from keras_vq.layers import VectorQuantizer


def test_perplexity_is_the_number_of_equally_used_codes():
    assert metrics.perplexity(np.arange(64) % 16, 512) == pytest.approx(16.0)
    assert metrics.perplexity(np.zeros(100, int), 512) == pytest.approx(1.0)
    # Two codes used 3:1 -> exp(H) with H = -(0.75 ln 0.75 + 0.25 ln 0.25).
    assert metrics.perplexity([0, 0, 0, 1], 4) == pytest.approx(np.exp(0.5623351446188083))


def test_codebook_usage_counts_codes_seen_at_least_once():
    assert metrics.codebook_usage([[1, 1], [3, 7]], 8) == 3 / 8
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 8\); got values 0..8"):
        metrics.codebook_usage([0, 8], 8)


def test_psnr_and_nmse_follow_their_definitions():
    targets = np.linspace(0, 1, 100).reshape(10, 10)
    predictions = targets + 0.1
    assert metrics.mean_squared_error(targets, predictions) == pytest.approx(0.01)
    assert metrics.peak_signal_to_noise_ratio(targets, predictions) == pytest.approx(20.0)
    assert metrics.peak_signal_to_noise_ratio(targets * 2 - 1, predictions * 2 - 1, (-1, 1)) == pytest.approx(20.0)
    assert metrics.normalized_mean_squared_error(targets, predictions) == pytest.approx(0.01 / targets.var())


@pytest.mark.parametrize(
    "data, batch_size, message",
    [
        (np.zeros((0, 16, 16, 3), "float32"), 4, r"data is empty \(shape \(0, 16, 16, 3\)\)"),
        (np.full((4, 16, 16, 3), np.nan, "float32"), 4, "data holds 3072 NaN or infinite values"),
        (np.zeros((4, 16, 16, 3), "float32"), 0, "batch_size must be an integer >= 1, got 0"),
        (np.zeros((4, 16, 16, 3), "float32"), -1, "batch_size must be an integer >= 1, got -1"),
    ],
)
def test_reconstruction_report_names_empty_or_non_finite_data_and_a_bad_batch_size(data, batch_size, message):
    from keras_vq.models import VQVAE

    model = VQVAE(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, quantizer=VectorQuantizer(8, 4))
    with pytest.raises(ValueError, match=message):
        metrics.reconstruction_report(model, data, batch_size=batch_size, verbose=0)


def test_bits_per_dim_names_non_finite_images():
    from keras_vq.models import VQVAE, PixelCNN

    model = VQVAE(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, quantizer=VectorQuantizer(8, 4))
    prior = PixelCNN(code_shape=(4, 4), num_embeddings=8, channels=8, num_blocks=1)
    images = np.zeros((2, 16, 16, 3), "float32")
    images[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="images holds 1 NaN or infinite values"):
        metrics.bits_per_dim(model, prior, images, np.full(3, 0.05), verbose=0)


def _vqvae_and_priors():
    from keras_vq.models import VQVAE, PixelCNN

    model = VQVAE(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, quantizer=VectorQuantizer(8, 4))
    prior = PixelCNN(code_shape=(4, 4), num_embeddings=8, channels=8, num_blocks=1, num_classes=3)
    return model, prior


@pytest.mark.parametrize(
    "case, message",
    [
        (
            "uint8",
            r"images must be floats on the model's scale \(0.0, 1.0\); got dtype uint8 \(divide 8-bit pixels by 255",
        ),
        ("x255", r"images must lie in the model's data_range \(0.0, 1.0\); got values in \[0, 255\]"),
        (
            "smaller_vocabulary",
            r"priors\[0\] must model \(4, 4\) maps of 8 codes \(level 'codes'\); got a PixelCNN over "
            r"\(4, 4\) maps of 4 codes",
        ),
        ("no_labels", r"this PixelCNN has num_classes=3: class_labels must be"),
        ("label_out_of_range", r"class_labels .*\[0, 3\)"),
    ],
)
def test_bits_per_dim_refuses_what_generate_refuses_and_images_off_the_models_scale(case, message):
    from keras_vq.models import PixelCNN

    model, prior = _vqvae_and_priors()
    images = np.random.default_rng(0).uniform(0, 1, (4, 16, 16, 3)).astype("float32")
    labels = np.array([0, 1, 2, 0])
    if case == "uint8":
        images = (images * 255).astype("uint8")
    elif case == "x255":
        images = np.round(images * 255)
        images[0, 0, 0, 0], images[0, 0, 0, 1] = 0, 255
    elif case == "smaller_vocabulary":
        prior = PixelCNN(code_shape=(4, 4), num_embeddings=4, channels=8, num_blocks=1, num_classes=3)
    elif case == "no_labels":
        labels = None
    else:
        labels = np.array([0, 1, 2, 3])
    with pytest.raises(ValueError, match=message):
        metrics.bits_per_dim(model, prior, images, np.full(3, 0.05), class_labels=labels, verbose=0)


def test_wavenet_decoder_report_names_a_model_that_decodes_otherwise():
    import keras_vq

    decoder = keras_vq.models.SpectrogramDecoder(latent_dim=8, hop=64, channels=8, num_blocks=1)
    model = keras_vq.models.VQVAE(
        data_shape=(None, 1),
        data_range=(-1.0, 1.0),
        hidden_channels=8,
        residual_channels=4,
        num_downsamples=6,
        decoder=decoder,
        quantizer=VectorQuantizer(512, 8),
    )
    audio = np.zeros((1, 1024, 1), "float32")
    with pytest.raises(
        ValueError,
        match=r"wavenet_decoder_report needs a VQVAE with a WaveNet decoder; this one "
        r"decodes with SpectrogramDecoder",
    ):
        metrics.wavenet_decoder_report(model, audio, verbose=0)
