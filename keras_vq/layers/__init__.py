"""Building blocks: vector quantisation, residual stacks, Gaussian latents, gated PixelCNN and WaveNet blocks."""

from keras_vq.layers.gaussian_latent import GaussianLatent
from keras_vq.layers.pixelcnn_blocks import GatedPixelCNNBlock
from keras_vq.layers.residual_stack import ResidualStack
from keras_vq.layers.vector_quantizer import VectorQuantizer
from keras_vq.layers.wavenet_blocks import WaveNetBlock

__all__ = ["GatedPixelCNNBlock", "GaussianLatent", "ResidualStack", "VectorQuantizer", "WaveNetBlock"]
