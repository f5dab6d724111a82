"""VAE with the VQ-VAE's encoder and decoder, for like-for-like comparison."""

import collections.abc

import keras
from keras import ops

from keras_vq.distribute import replicas
from keras_vq.layers.gaussian_latent import GaussianLatent
from keras_vq.models.conv_autoencoder import (
    ConvAutoencoder,
    architecture_arguments,
    build_decoder,
    build_encoder,
    checked_level_codes,
)
from keras_vq.models.vae.vae_presets import VAE_PRESETS
from keras_vq.output_distributions import output_distribution_for
from keras_vq.utils.checks import check_model_kwargs
from keras_vq.utils.deprecation import warn_renamed


@keras.saving.register_keras_serializable(package="keras_vq")
class VAE(ConvAutoencoder):
    """A VAE (Kingma and Welling 2014) built from the VQ-VAE's encoder and decoder.

    x -> encoder -> [mu, log sigma^2] -> z = mu + sigma * eps -> decoder -> x_hat.

    The encoder, decoder and data scale are exactly `VQVAE`'s (same
    arguments, same defaults); only the bottleneck differs: a diagonal
    Gaussian with `latent_dim` channels at each latent position instead of a
    codebook, as in the KaoKore study's VAE / VQ-VAE / VQ-VAE-2 comparison.

    Training: `compile(optimizer=...)` then `fit(x)` on inputs alone; the loss
    is `reconstruction_loss + kl_weight * kl_loss` with the MSE on the data's
    scale and the KL in nats per latent element (see `GaussianLatent`), and
    `fit` reports `loss`, `reconstruction_loss` and `kl_loss`.

    The interface of every autoencoder (`ConvAutoencoder`): `encode(x)`
    returns `{"latents": z}`, the posterior mean; `decode({"latents": z})`
    maps latents to data; `reconstruct(x)` is both. `posterior(x)` returns
    `{"mean", "log_variance"}`; `sample(num_samples, seed)` decodes draws
    from the N(0, I) prior; `model(x)` gives the decoder's output from the
    posterior mean (a likelihood's parameters), `predict(x)` the data.

    `data_shape`, `data_range`, `hidden_channels`, `num_downsamples`,
    `num_residual_layers` and `residual_channels` are as for `VQVAE`.

    Args:
        latent_dim: channels of the latent (the VQ-VAE's `embedding_dim`).
        kl_weight: weight of the KL term. With the MSE on the data's scale, a
            Gaussian decoder of variance sigma^2 corresponds to
            kl_weight = 2 sigma^2 L / D (L latent elements, D data elements
            per example): the default 0.01 on 32x32x3 images with an 8x8x64
            latent is sigma = 0.06 on the [0, 1] scale. Much larger weights
            (1.0 is sigma = 0.6) collapse the posterior.
        output_distribution: `"mse"` (the decoder outputs the data) or
            `"logistic_mixture"` (a discretised logistic mixture over 8-bit
            levels; the reconstruction term is its negative log-likelihood in
            nats per dimension, reported as `bits_per_dim`; `kl_weight` = L / D
            then makes the loss the negative ELBO per dimension). See
            `keras_vq.output_distributions`.
        seed: seed of the reparameterisation noise.
        dtype: dtype policy of the layers.

    Example:
        ```python
        import keras

        import keras_vq

        images, _, _ = keras_vq.data.load_cifar10_sample()
        model = keras_vq.models.VAE(hidden_channels=32, residual_channels=16, latent_dim=16, kl_weight=0.01)
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        history = model.fit(images[:64], batch_size=32, epochs=1, verbose=0)
        print(sorted(history.history))  # kl_loss, loss, reconstruction_loss
        ```
    """

    builtin_presets = VAE_PRESETS

    def __init__(
        self,
        data_shape=(32, 32, 3),
        data_range=(0.0, 1.0),
        hidden_channels=128,
        num_downsamples=2,
        num_residual_layers=2,
        residual_channels=32,
        latent_dim=64,
        kl_weight=0.01,
        output_distribution="mse",
        seed=None,
        dtype=None,
        **kwargs,
    ):
        check_model_kwargs(VAE, kwargs)
        architecture = architecture_arguments(
            data_shape, data_range, hidden_channels, num_downsamples, num_residual_layers, residual_channels
        )
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be an integer >= 1, got {latent_dim!r}")
        output = output_distribution_for(
            output_distribution, architecture["data_range"], architecture["data_shape"][-1]
        )
        # === Layers ===
        encoder = build_encoder(output_channels=2 * latent_dim, dtype=dtype, **architecture)
        latent = GaussianLatent(kl_weight=kl_weight, seed=seed, dtype=dtype, name="latent")
        decoder = build_decoder(latent_channels=latent_dim, dtype=dtype, **architecture, output_distribution=output)

        # === Functional model ===
        inputs = keras.Input(shape=architecture["data_shape"], name="inputs")
        outputs = decoder(latent(encoder(inputs)))
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.encoder, self.latent, self.decoder = encoder, latent, decoder
        self.output_distribution = output
        self.set_architecture(**architecture)
        self.latent_dim = latent_dim
        self.kl_weight = kl_weight
        self.seed = seed
        self.sampling_seed_generator = keras.random.SeedGenerator(seed)

        # === Metrics ===
        self.reconstruction_loss_tracker = keras.metrics.Mean(name=output.loss_name)
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction_loss, reported = self.output_distribution.loss(x, y_pred)
        # self.losses holds kl_weight * kl_loss, added by the latent layer.
        total = reconstruction_loss + ops.sum(ops.stack(replicas.own_losses(self.losses, like=reconstruction_loss)))
        self.reconstruction_loss_tracker.update_state(reported)
        self.kl_loss_tracker.update_state(self.latent.batch_kl_loss)
        return replicas.scale_loss(total)

    def posterior(self, inputs):
        """`{"mean", "log_variance"}` of q(z|x), each `(batch, *latent_spatial, latent_dim)`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VAE(hidden_channels=16, residual_channels=8, latent_dim=8)
            posterior = model.posterior(images[:2])
            # mean and log_variance, (2, 8, 8, 8)
            print({key: tuple(value.shape) for key, value in posterior.items()})
            ```
        """
        mean, log_variance = self.latent.split(self.encoder_outputs(inputs)["latents"])
        return {"mean": mean, "log_variance": log_variance}

    def encoder_outputs(self, inputs):
        """`{"latents": h}`: what the Gaussian bottleneck receives, `(batch, *latent_spatial, 2 * latent_dim)`,
        the posterior's mean and log-variance side by side (`posterior` splits them).

        Example:
            ```python
            import keras
            import numpy as np

            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VAE(hidden_channels=16, residual_channels=8, latent_dim=8)
            outputs = model.encoder_outputs(images[:2])["latents"]  # (2, 8, 8, 16): mean, then log-variance
            mean = keras.ops.convert_to_numpy(model.posterior(images[:2])["mean"])
            print(outputs.shape, np.allclose(keras.ops.convert_to_numpy(outputs)[..., :8], mean))  # ... True
            ```
        """
        return {"latents": self.encoder(self.checked_data_batch(inputs), training=False)}

    def encode(self, inputs):
        """`{"latents": z}`: the posterior mean, `(batch, *latent_spatial, latent_dim)` (what `model(x)`
        decodes). Before 0.1 `encode` gave the posterior, which is now `posterior(x)`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VAE(hidden_channels=16, residual_channels=8, latent_dim=8)
            print(tuple(model.encode(images[:2])["latents"].shape))  # (2, 8, 8, 8)
            ```
        """
        return {"latents": self.posterior(inputs)["mean"]}

    def decode(self, codes):
        """Data on `data_range` from `{"latents": z}`, z `(batch, *latent_spatial, latent_dim)`.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VAE(hidden_channels=16, residual_channels=8, latent_dim=8)
            print(tuple(model.decode(model.encode(images[:2])).shape))  # (2, 32, 32, 3)
            ```
        """
        if not isinstance(codes, collections.abc.Mapping) and hasattr(codes, "shape"):
            warn_renamed("VAE.decode(latents)", 'VAE.decode({"latents": latents})')
            codes = {"latents": codes}
        latents = checked_level_codes("VAE.decode", codes, ("latents",))["latents"]
        return self.output_distribution.mean(self.decoder(latents, training=False))

    def sample(self, num_samples, seed=None):
        """Decodes `num_samples` draws from the N(0, I) prior.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VAE(hidden_channels=16, residual_channels=8, latent_dim=8)
            print(tuple(model.sample(3, seed=0).shape))  # (3, 32, 32, 3): decoded draws from N(0, I)
            ```
        """
        factor = 2**self.num_downsamples
        spatial = self.data_shape[:-1]
        if any(size is None for size in spatial):
            raise ValueError(f"sample() needs a fixed data_shape; this model has {self.data_shape}")
        shape = (num_samples,) + tuple(size // factor for size in spatial) + (self.latent_dim,)
        latents = keras.random.normal(shape, seed=self.sampling_seed_generator if seed is None else seed)
        return self.decode({"latents": latents})

    def get_config(self):
        return super().get_config() | {
            "latent_dim": self.latent_dim,
            "kl_weight": self.kl_weight,
            "seed": self.seed,
        }
