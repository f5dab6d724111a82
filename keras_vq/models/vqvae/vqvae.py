"""VQ-VAE: a convolutional autoencoder with a vector-quantised bottleneck."""

import keras
from keras import ops

from keras_vq.models.vqvae.vqvae_presets import VQVAE_PRESETS
from keras_vq.models.conv_autoencoder import (
    build_decoder,
    build_encoder,
    build_quantizer,
    architecture_arguments,
    ConvAutoencoder,
    check_prior,
    mean_squared_error,
)


@keras.saving.register_keras_serializable(package="keras_vq")
class VQVAE(ConvAutoencoder):
    """VQ-VAE (van den Oord et al. 2017, https://arxiv.org/abs/1711.00937).

    x -> encoder -> z_e -> VectorQuantizer -> z_q -> decoder -> x_hat.

    The encoder is `num_downsamples` stride-2 4-tap convolutions, a 3-tap
    convolution, a ResidualStack and a 1-tap projection to `embedding_dim`;
    the decoder mirrors it with transposed convolutions (see
    `keras_vq.models.conv_autoencoder`). The defaults are DeepMind Sonnet's
    CIFAR-10 model: 32x32x3 -> 8x8x64 codes from K = 512, EMA decay 0.99.

    `data_shape` is one example's shape: `(height, width, channels)` for
    images or `(length, channels)` for audio (the 1-D form of the same
    model; six downsamples give the paper's 64x for speech). Spatial sizes
    may be None; known ones must be divisible by 2**num_downsamples.

    Data scale: inputs are floats on `data_range`, (0, 1) for images by
    default (pixels / 255), (-1, 1) for audio. The encoder centres them and
    the decoder adds the centre back, so reconstructions are on the same
    scale, and `reconstruction_loss` is the MSE on that scale (for images in
    (0, 1) it equals the MSE of Sonnet's (-0.5, 0.5) convention).

    Training: `model.compile(optimizer=...)` then `model.fit(x)` where the
    data yields inputs alone (any targets are ignored). The loss is

        reconstruction_loss + codebook_loss + beta * commitment_loss

    and `fit` reports `loss`, `reconstruction_loss`, `commitment_loss`,
    `codebook_loss` (loss-based codebook rule only), `perplexity` and
    `codebook_usage` (the latter two per batch, averaged over the epoch).
    The same code runs on TensorFlow, JAX and PyTorch: the quantizer adds its
    loss with `add_loss` and this model's `compute_loss` adds the rest.

    `model(x)` returns the reconstruction; `encode(x)` the code indices,
    shape `(batch, *latent_spatial)`; `decode_codes(indices)` the data.

    Args:
        data_shape: shape of one example, without the batch axis.
        data_range: `(low, high)` of the data's scale.
        hidden_channels: channels of the main convolutions.
        num_downsamples: stride-2 convolutions in the encoder (>= 1).
        num_residual_layers: blocks in each ResidualStack.
        residual_channels: channels inside each residual block.
        num_embeddings, embedding_dim, beta, codebook_update, decay, epsilon,
        dead_code_threshold, kmeans_init, use_cosine_similarity: passed to
            `keras_vq.layers.VectorQuantizer`.
        seed: seed of the quantizer's random choices.
        dtype: dtype policy of the layers, e.g. `"mixed_bfloat16"`.
    """

    builtin_presets = VQVAE_PRESETS

    def __init__(
        self,
        data_shape=(32, 32, 3),
        data_range=(0.0, 1.0),
        hidden_channels=128,
        num_downsamples=2,
        num_residual_layers=2,
        residual_channels=32,
        num_embeddings=512,
        embedding_dim=64,
        beta=0.25,
        codebook_update="ema",
        decay=0.99,
        epsilon=1e-5,
        dead_code_threshold=0.0,
        kmeans_init=False,
        use_cosine_similarity=False,
        seed=None,
        dtype=None,
        **kwargs,
    ):
        architecture = architecture_arguments(data_shape, data_range, hidden_channels, num_downsamples,
                                              num_residual_layers, residual_channels)
        # === Layers ===
        encoder = build_encoder(output_channels=embedding_dim, dtype=dtype, **architecture)
        quantizer_arguments = dict(
            num_embeddings=num_embeddings, embedding_dim=embedding_dim, beta=beta,
            codebook_update=codebook_update, decay=decay, epsilon=epsilon,
            dead_code_threshold=dead_code_threshold, kmeans_init=kmeans_init,
            use_cosine_similarity=use_cosine_similarity,
        )
        quantizer = build_quantizer(quantizer_arguments, seed, dtype, name="quantizer")
        decoder = build_decoder(latent_channels=embedding_dim, dtype=dtype, **architecture)

        # === Functional model ===
        inputs = keras.Input(shape=architecture["data_shape"], name="inputs")
        outputs = decoder(quantizer(encoder(inputs)))
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.encoder, self.quantizer, self.decoder = encoder, quantizer, decoder
        self.set_architecture(**architecture)
        self.set_quantizer_arguments(quantizer_arguments)
        self.seed = seed

        # === Metrics ===
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.commitment_loss_tracker = keras.metrics.Mean(name="commitment_loss")
        self.codebook_loss_tracker = (
            keras.metrics.Mean(name="codebook_loss") if codebook_update == "loss" else None
        )
        self.perplexity_tracker = keras.metrics.Mean(name="perplexity")
        self.codebook_usage_tracker = keras.metrics.Mean(name="codebook_usage")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction_loss = mean_squared_error(x, y_pred)
        # self.losses holds the quantizer's codebook_loss + beta * commitment_loss.
        total = reconstruction_loss + ops.sum(ops.stack(self.losses))
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.commitment_loss_tracker.update_state(self.quantizer.batch_commitment_loss)
        if self.codebook_loss_tracker is not None:
            self.codebook_loss_tracker.update_state(self.quantizer.batch_codebook_loss)
        self.perplexity_tracker.update_state(self.quantizer.batch_perplexity)
        self.codebook_usage_tracker.update_state(self.quantizer.batch_codebook_usage)
        return total

    def encode(self, inputs):
        """Code indices (int32), shape `(batch, *latent_spatial)`."""
        self.check_data_batch(ops.convert_to_tensor(inputs))
        return self.quantizer.encode(self.encoder(inputs, training=False))

    def decode_codes(self, indices):
        """Data on `data_range` from code indices of shape `(batch, *latent_spatial)`."""
        return self.decoder(self.quantizer.lookup(indices), training=False)

    def generate(self, prior, num_samples, class_labels=None, temperature=1.0, seed=None):
        """Data drawn from `prior` (a `PixelCNN` over this model's codes), decoded:
        `(num_samples, *data_shape)` NumPy. `class_labels`, `temperature` and
        `seed` go to `prior.sample`."""
        check_prior(prior, "prior", self.latent_shape(), self.num_embeddings)
        codes = prior.sample(num_samples, class_labels=class_labels, temperature=temperature, seed=seed)
        return ops.convert_to_numpy(self.decode_codes(codes))

    def latent_shape(self):
        """The code map's spatial shape."""
        return tuple(size // 2**self.num_downsamples for size in self.data_shape[:-1])

    def get_config(self):
        return super().get_config() | {
            **self.quantizer_config(),
            "seed": self.seed,
        }
