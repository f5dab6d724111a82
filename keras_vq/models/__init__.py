"""Models: VQVAE, VQVAE2, VAE, the PixelCNN and WaveNet autoregressive models, and the SpectrogramDecoder."""

from keras_vq.models.pixelcnn.pixelcnn import PixelCNN
from keras_vq.models.spectrogram_decoder.spectrogram_decoder import SpectrogramDecoder
from keras_vq.models.vae.vae import VAE
from keras_vq.models.vqvae.vqvae import VQVAE
from keras_vq.models.vqvae2.vqvae2 import VQVAE2
from keras_vq.models.wavenet.wavenet import WaveNet

__all__ = ["PixelCNN", "SpectrogramDecoder", "VAE", "VQVAE", "VQVAE2", "WaveNet"]
