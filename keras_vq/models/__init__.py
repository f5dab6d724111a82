"""Models: VQVAE and VAE (more to come: VQVAE2, PixelCNN, WaveNet)."""

from keras_vq.models.vae.vae import VAE
from keras_vq.models.vqvae.vqvae import VQVAE

__all__ = ["VAE", "VQVAE"]
