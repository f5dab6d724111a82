"""Building blocks: quantizers (vector, residual, finite scalar, lookup-free), residual stacks, Gaussian
latents, gated PixelCNN and WaveNet blocks, mu-law encoding."""

from keras_vq.layers import mu_law
from keras_vq.layers.finite_scalar_quantizer import FiniteScalarQuantizer
from keras_vq.layers.gaussian_latent import GaussianLatent
from keras_vq.layers.lookup_free_quantizer import LookupFreeQuantizer
from keras_vq.layers.mu_law import MuLawEncoding
from keras_vq.layers.pixelcnn_blocks import GatedPixelCNNBlock
from keras_vq.layers.quantizer import Quantizer
from keras_vq.layers.residual_stack import ResidualStack
from keras_vq.layers.residual_vector_quantizer import ResidualVectorQuantizer
from keras_vq.layers.vector_quantizer import VectorQuantizer
from keras_vq.layers.wavenet_blocks import WaveNetBlock

__all__ = [
    "FiniteScalarQuantizer",
    "GatedPixelCNNBlock",
    "GaussianLatent",
    "LookupFreeQuantizer",
    "MuLawEncoding",
    "mu_law",
    "Quantizer",
    "ResidualStack",
    "ResidualVectorQuantizer",
    "VectorQuantizer",
    "WaveNetBlock",
]
