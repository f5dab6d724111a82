"""Models: VQVAE, VQVAE2, VAE, the PixelCNN, transformer and WaveNet autoregressive priors, the MaskGIT
prior, and the SpectrogramDecoder.

`PRIORS` is the registry of priors over codes, by the name a recipe's `--prior` takes: a new prior is its
own folder under `keras_vq/models/` and one line here.
"""

from keras_vq.models.pixelcnn.pixelcnn import PixelCNN
from keras_vq.models.spectrogram_decoder.spectrogram_decoder import SpectrogramDecoder
from keras_vq.models.transformer.maskgit_prior import MaskGITPrior
from keras_vq.models.transformer.transformer_prior import TransformerPrior
from keras_vq.models.vae.vae import VAE
from keras_vq.models.vqvae.vqvae import VQVAE
from keras_vq.models.vqvae2.vqvae2 import VQVAE2
from keras_vq.models.wavenet.wavenet import WaveNet

PRIORS = {"maskgit": MaskGITPrior, "pixelcnn": PixelCNN, "transformer": TransformerPrior, "wavenet": WaveNet}

__all__ = [
    "MaskGITPrior",
    "PixelCNN",
    "PRIORS",
    "SpectrogramDecoder",
    "TransformerPrior",
    "VAE",
    "VQVAE",
    "VQVAE2",
    "WaveNet",
]
