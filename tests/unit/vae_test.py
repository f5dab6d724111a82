import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq.models import VAE
from tests.synthetic import smooth_images

SMALL = dict(data_shape=(16, 16, 3), hidden_channels=32, residual_channels=8, num_residual_layers=1, latent_dim=16)


def test_fit_cuts_reconstruction_loss_five_fold_and_reports_kl(optimized_compilation):
    images = smooth_images()
    model = VAE(**SMALL, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = model.evaluate(images, batch_size=128, verbose=0, return_dict=True)["reconstruction_loss"]
    with optimized_compilation():
        history = model.fit(images, batch_size=32, epochs=50, verbose=0)
    after = model.evaluate(images, batch_size=128, verbose=0, return_dict=True)
    assert set(history.history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert before / after["reconstruction_loss"] >= 5.0
    # The KL reported by evaluate is the closed form on the posterior, computed here in NumPy.
    posterior = model.posterior(images)
    mean, log_variance = (ops.convert_to_numpy(posterior[key]) for key in ("mean", "log_variance"))
    expected_kl = np.mean(-0.5 * (1 + log_variance - mean**2 - np.exp(log_variance)))
    np.testing.assert_allclose(after["kl_loss"], expected_kl, rtol=1e-3)
    assert after["loss"] == pytest.approx(after["reconstruction_loss"] + 0.01 * after["kl_loss"], rel=1e-4)
    # What the comparison study tabulates for the VAE, over batches of 7 (the last one partial), from the same
    # posterior in float64: KL per image and per channel, and the active units (Burda et al. 2015, sec. 5.2: latent
    # units whose posterior mean varies over the data by more than 0.01).
    report = keras_vq.metrics.reconstruction_report(model, images, batch_size=7, verbose=0)
    mean, log_variance = mean.astype(np.float64), log_variance.astype(np.float64)
    kl = 0.5 * (mean**2 + np.exp(log_variance) - 1 - log_variance)
    assert report["kl_per_image"] == pytest.approx(kl.sum(axis=(1, 2, 3)).mean(), rel=1e-5)
    np.testing.assert_allclose(report["kl_per_channel"], kl.mean(axis=(0, 1, 2)), rtol=1e-5)
    units = mean.reshape(len(mean), -1)
    covariances = np.array([np.cov(units[:, unit], bias=True) for unit in range(units.shape[1])])
    assert report["active_units"] == int((covariances > 0.01).sum())
    assert report["latent_units"] == 4 * 4 * 16  # 16 x 16 images downsampled 4x, latent_dim 16.


def test_inference_uses_the_posterior_mean_and_training_samples_around_it():
    images = smooth_images(count=4)
    model = VAE(**SMALL, seed=0)
    posterior = model.posterior(images)
    np.testing.assert_allclose(
        ops.convert_to_numpy(model(images)),
        ops.convert_to_numpy(model.decode({"latents": posterior["mean"]})),
        atol=1e-5,
    )
    features = model.encoder(images)
    draws = np.stack([ops.convert_to_numpy(model.latent(features, training=True)) for _ in range(200)])
    mean, log_variance = (ops.convert_to_numpy(posterior[key]) for key in ("mean", "log_variance"))
    np.testing.assert_allclose(draws.mean(0), mean, atol=4 * np.exp(0.5 * log_variance).max() / np.sqrt(200))
    np.testing.assert_allclose(draws.std(0).mean(), np.exp(0.5 * log_variance).mean(), rtol=0.1)


def test_sample_decodes_prior_draws_and_save_load_round_trips(tmp_path):
    model = VAE(**SMALL, kl_weight=0.5, seed=3)
    assert tuple(model.sample(5, seed=1).shape) == (5, 16, 16, 3)
    images = smooth_images(count=8)
    model.save(tmp_path / "vae.keras")
    loaded = keras.saving.load_model(tmp_path / "vae.keras")
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded(images)), ops.convert_to_numpy(model(images)))
