"""The diagonal-Gaussian latent of a VAE (Kingma and Welling 2014)."""

import keras
from keras import ops

from keras_vq.distribute import replicas

# exp(LOG_VARIANCE_RANGE) bounds the posterior variance, keeping exp() finite early in training.
LOG_VARIANCE_RANGE = (-30.0, 20.0)
# A freshly initialised encoder gives log sigma^2 near 0 (sigma = 1) and means near 0.1: the noise
# drowns the signal, the decoder learns to ignore z and the posterior collapses before training
# starts. Shifting log sigma^2 by -6 starts the posterior at sigma = 0.05.
DEFAULT_LOG_VARIANCE_OFFSET = -6.0


def kl_to_standard_normal(mean, log_variance, xp=ops):
    """KL(N(mean, exp(log_variance)) || N(0, 1)) element by element, in nats:
    -1/2 (1 + log sigma^2 - mu^2 - sigma^2). `xp` is the array module: `keras.ops` (the layer's
    loss) or `numpy` (`keras_vq.metrics.reconstruction_report`, in float64).

    Example:
        ```python
        import numpy as np

        from keras_vq.layers.gaussian_latent import kl_to_standard_normal

        print(kl_to_standard_normal(np.array([0.0, 1.0]), np.array([0.0, 0.0]), xp=np))  # [0.  0.5]
        ```
    """
    return -0.5 * (1.0 + log_variance - xp.square(mean) - xp.exp(log_variance))


@keras.saving.register_keras_serializable(package="keras_vq")
class GaussianLatent(keras.layers.Layer):
    """Reparameterised sample from q(z|x) = N(mu, sigma^2) and its KL to N(0, I).

    Kingma and Welling, "Auto-Encoding Variational Bayes", ICLR 2014,
    https://arxiv.org/abs/1312.6114.

    The input's last axis holds `[mu, log sigma^2 - log_variance_offset]`
    (2C channels): the offset is added to the second half; the output
    has C channels: z = mu + sigma * eps with eps ~ N(0, I) when
    `training=True`, and z = mu otherwise, so reconstructions at inference are
    deterministic. The layer adds `kl_weight * kl_loss` with `add_loss`, where

        kl_loss = mean over batch, positions and channels of
                  -1/2 (1 + log sigma^2 - mu^2 - sigma^2)

    is the KL divergence in nats per latent element: the same averaging as the
    VQ-VAE's commitment loss, so the two models compare like for like. The
    batch's value is kept in the non-trainable weight `batch_kl_loss`.

    Args:
        kl_weight: beta of beta-VAE (>= 0); 1 gives the plain VAE objective
            up to the averaging above.
        log_variance_offset: added to the log-variance input, so that the
            posterior starts narrow (-6 gives sigma = 0.05 for a zero input).
        seed: seed for eps.

    Example:
        ```python
        import numpy as np

        import keras_vq

        latent = keras_vq.layers.GaussianLatent(kl_weight=0.01, seed=0)
        statistics = np.zeros((2, 8, 8, 2 * 64), "float32")  # the mean and log-variance, concatenated
        z = latent(statistics, training=True)                # a sample; the KL term is added as a loss
        print(tuple(z.shape), len(latent.losses))            # (2, 8, 8, 64) 1
        ```
    """

    def __init__(self, kl_weight=1.0, log_variance_offset=DEFAULT_LOG_VARIANCE_OFFSET, seed=None, **kwargs):
        if isinstance(kl_weight, bool) or not isinstance(kl_weight, (int, float)) or not kl_weight >= 0:
            raise ValueError(f"kl_weight must be in range [0, inf), got {kl_weight!r}")
        kwargs["autocast"] = False  # sampling and KL in float32 under mixed precision
        super().__init__(**kwargs)
        self.kl_weight = float(kl_weight)
        self.log_variance_offset = float(log_variance_offset)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if input_shape[-1] is None or input_shape[-1] % 2:
            raise ValueError(
                f"GaussianLatent expects an even last axis holding [mean, log_variance]; got shape {tuple(input_shape)}"
            )
        self.batch_kl_loss = self.add_weight(
            shape=(), initializer="zeros", trainable=False, dtype="float32", name="batch_kl_loss"
        )

    def split(self, inputs):
        """(mean, log_variance) of q(z|x)."""
        mean, log_variance = ops.split(ops.cast(inputs, "float32"), 2, axis=-1)
        return mean, ops.clip(log_variance + self.log_variance_offset, *LOG_VARIANCE_RANGE)

    def call(self, inputs, training=None):
        mean, log_variance = self.split(inputs)
        kl = kl_to_standard_normal(mean, log_variance)
        kl_loss = ops.mean(kl)
        batch_kl_loss = replicas.global_mean(ops.stop_gradient(kl))  # over the global batch
        self.batch_kl_loss.assign(batch_kl_loss)
        self.add_loss(self.kl_weight * kl_loss)
        if training:
            noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
            mean = mean + ops.exp(0.5 * log_variance) * noise
        return ops.cast(mean, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] // 2,)

    def get_config(self):
        config = super().get_config()
        config.pop("autocast", None)
        config.update({"kl_weight": self.kl_weight, "log_variance_offset": self.log_variance_offset, "seed": self.seed})
        return config
