"""Building blocks: vector quantisation, residual stacks, Gaussian latents, gated PixelCNN and WaveNet blocks,
mu-law encoding."""

from keras_vq.layers.gaussian_latent import GaussianLatent
from keras_vq.layers.mu_law_encoding import MuLawEncoding
from keras_vq.layers.pixelcnn_blocks import GatedPixelCNNBlock
from keras_vq.layers.residual_stack import ResidualStack
from keras_vq.layers.vector_quantizer import VectorQuantizer
from keras_vq.layers.wavenet_blocks import WaveNetBlock

__all__ = ["GatedPixelCNNBlock", "GaussianLatent", "MuLawEncoding", "ResidualStack", "VectorQuantizer", "WaveNetBlock"]
