"""Every constructor argument survives get_config -> from_config, compared with what was passed in.

Comparing `clone.get_config()` with `get_config()` alone would miss an
argument that get_config drops (it is missing on both sides), so each case
passes non-default values and checks them by name in the config and in the
rebuilt object's config.
"""

import pytest

from keras_vq.layers import GatedPixelCNNBlock, VectorQuantizer
from keras_vq.models import VAE, VQVAE, VQVAE2, PixelCNN, WaveNet

SMALL_AUTOENCODER = dict(data_shape=(16, 16, 3), data_range=(-1.0, 1.0), hidden_channels=16, num_residual_layers=1,
                         residual_channels=4)
QUANTIZER = dict(num_embeddings=24, embedding_dim=4, beta=0.7, codebook_update="loss", decay=0.8, epsilon=1e-3,
                 dead_code_threshold=0.5, kmeans_init=True, use_cosine_similarity=True, seed=3)

CASES = {
    "VectorQuantizer": (VectorQuantizer, dict(QUANTIZER, distance_chunk_size=7)),
    "GatedPixelCNNBlock": (GatedPixelCNNBlock, dict(channels=5, kernel_size=5, is_first=True, num_classes=3,
                                                    condition_channels=2)),
    "VQVAE": (VQVAE, dict(SMALL_AUTOENCODER, num_downsamples=3, **QUANTIZER)),
    "VQVAE2": (VQVAE2, dict(SMALL_AUTOENCODER, **QUANTIZER)),
    "VAE": (VAE, dict(SMALL_AUTOENCODER, num_downsamples=1, latent_dim=6, kl_weight=0.5, seed=4)),
    "PixelCNN": (PixelCNN, dict(code_shape=(4, 6), num_embeddings=9, channels=6, num_blocks=2, kernel_size=5,
                                first_kernel_size=3, num_classes=4, condition_shape=(2, 3), condition_num_embeddings=7,
                                condition_residual_layers=1)),
    "WaveNet": (WaveNet, dict(num_symbols=12, channels=6, skip_channels=5, num_layers=3, layers_per_cycle=2,
                              kernel_size=3, num_speakers=2, speaker_embedding_dim=3, local_num_embeddings=5,
                              local_channels=4, upsampling=2)),
}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_argument_is_in_the_config_and_survives_the_round_trip(name):
    cls, arguments = CASES[name]
    config = cls(**arguments).get_config()
    clone_config = cls.from_config(config).get_config()
    for argument, value in arguments.items():
        assert argument in config, f"{name}.get_config() drops {argument}"
        assert _plain(config[argument]) == _plain(value), argument
        assert _plain(clone_config[argument]) == _plain(value), argument
