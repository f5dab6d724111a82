"""Models: VQVAE, VQVAE2, VAE and the PixelCNN prior."""

from keras_vq.models.pixelcnn.pixelcnn import PixelCNN
from keras_vq.models.vae.vae import VAE
from keras_vq.models.vqvae.vqvae import VQVAE
from keras_vq.models.vqvae2.vqvae2 import VQVAE2

__all__ = ["PixelCNN", "VAE", "VQVAE", "VQVAE2"]
