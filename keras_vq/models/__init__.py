"""Models: VQVAE, VQVAE2, VAE, and the PixelCNN and WaveNet autoregressive models."""

from keras_vq.models.pixelcnn.pixelcnn import PixelCNN
from keras_vq.models.vae.vae import VAE
from keras_vq.models.vqvae.vqvae import VQVAE
from keras_vq.models.vqvae2.vqvae2 import VQVAE2
from keras_vq.models.wavenet.wavenet import WaveNet

__all__ = ["PixelCNN", "VAE", "VQVAE", "VQVAE2", "WaveNet"]
