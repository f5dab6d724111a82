"""Models: VQVAE, VQVAE2 and VAE (PixelCNN and WaveNet priors to come)."""

from keras_vq.models.vae.vae import VAE
from keras_vq.models.vqvae.vqvae import VQVAE
from keras_vq.models.vqvae2.vqvae2 import VQVAE2

__all__ = ["VAE", "VQVAE", "VQVAE2"]
