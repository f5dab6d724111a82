"""Every constructor argument survives get_config -> from_config, compared with what was passed in.

Comparing `clone.get_config()` with `get_config()` alone would miss an
argument that get_config drops (it is missing on both sides), so each case
passes non-default values and checks them by name in the config and in the
rebuilt object's config.
"""

import pytest

from keras_vq.layers import (
    FiniteScalarQuantizer,
    GatedPixelCNNBlock,
    LookupFreeQuantizer,
    Quantizer,
    ResidualVectorQuantizer,
    VectorQuantizer,
)
from keras_vq.models import VAE, VQVAE, VQVAE2, PixelCNN, WaveNet

SMALL_AUTOENCODER = dict(
    data_shape=(16, 16, 3), data_range=(-1.0, 1.0), hidden_channels=16, num_residual_layers=1, residual_channels=4
)
QUANTIZER = dict(
    num_embeddings=24,
    embedding_dim=4,
    beta=0.7,
    codebook_update="loss",
    decay=0.8,
    epsilon=1e-3,
    dead_code_threshold=0.5,
    kmeans_init=True,
    use_cosine_similarity=True,
    seed=3,
)

RESIDUAL = dict(
    num_quantizers=3,
    num_embeddings=12,
    embedding_dim=4,
    quantizer_dropout=0.5,
    shared_codebook=True,
    stage_options=dict(beta=0.5, codebook_update="loss", dead_code_threshold=0.25, gradient="rotation"),
    seed=5,
)

CASES = {
    "VectorQuantizer": (VectorQuantizer, dict(QUANTIZER, distance_chunk_size=7, gradient="rotation")),
    "ResidualVectorQuantizer": (ResidualVectorQuantizer, RESIDUAL),
    "FiniteScalarQuantizer": (FiniteScalarQuantizer, dict(levels=[7, 5, 4])),
    "LookupFreeQuantizer": (
        LookupFreeQuantizer,
        dict(embedding_dim=5, entropy_loss_weight=0.3, diversity_gamma=0.5, beta=0.1, temperature=0.2),
    ),
    "GatedPixelCNNBlock": (
        GatedPixelCNNBlock,
        dict(channels=5, kernel_size=5, is_first=True, num_classes=3, condition_channels=2),
    ),
    "VQVAE": (VQVAE, dict(SMALL_AUTOENCODER, num_downsamples=3, quantizer=ResidualVectorQuantizer(**RESIDUAL))),
    "VQVAE2": (
        VQVAE2,
        dict(
            SMALL_AUTOENCODER,
            quantizer={
                "top": FiniteScalarQuantizer([5, 3], name="top_fsq"),
                "bottom": VectorQuantizer(**QUANTIZER, name="bottom_vq"),
            },
        ),
    ),
    "VAE": (VAE, dict(SMALL_AUTOENCODER, num_downsamples=1, latent_dim=6, kl_weight=0.5, seed=4)),
    "PixelCNN": (
        PixelCNN,
        dict(
            code_shape=(4, 6),
            num_embeddings=9,
            channels=6,
            num_blocks=2,
            kernel_size=5,
            first_kernel_size=3,
            num_classes=4,
            condition_shape=(2, 3),
            condition_num_embeddings=7,
            condition_residual_layers=1,
        ),
    ),
    "WaveNet": (
        WaveNet,
        dict(
            num_symbols=12,
            channels=6,
            skip_channels=5,
            num_layers=3,
            layers_per_cycle=2,
            kernel_size=3,
            num_speakers=2,
            speaker_embedding_dim=3,
            local_num_embeddings=5,
            local_channels=4,
            upsampling=2,
        ),
    ),
}


def _plain(value):
    """Tuples as lists, and quantizer layers as their configs, as get_config stores them."""
    if isinstance(value, Quantizer):
        return value.get_config()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return list(value) if isinstance(value, tuple) else value


def _stored(value):
    """A config entry with serialised layers reduced to their own configs."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return value["config"]
    if isinstance(value, dict):
        return {key: _stored(item) for key, item in value.items()}
    return _plain(value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_argument_is_in_the_config_and_survives_the_round_trip(name):
    cls, arguments = CASES[name]
    config = cls(**arguments).get_config()
    clone_config = cls.from_config(config).get_config()
    for argument, value in arguments.items():
        assert argument in config, f"{name}.get_config() drops {argument}"
        assert _stored(config[argument]) == _plain(value), argument
        assert _stored(clone_config[argument]) == _plain(value), argument


@pytest.mark.parametrize("model_class", [VQVAE, VQVAE2])
def test_flat_quantizer_arguments_are_refused_by_the_constructor_and_migrated_by_from_config(model_class):
    """`quantizer=` is the one spelling; a config saved with the VectorQuantizer's arguments flat in the
    model's (and the model's seed) still loads, into the model the nested form builds."""
    flat = {key: value for key, value in QUANTIZER.items() if key != "seed"}
    with pytest.raises(
        TypeError,
        match=rf"{model_class.__name__} takes the quantizer's options on the quantizer: "
        rf"{model_class.__name__}\(quantizer=keras_vq.layers.VectorQuantizer\(beta=0.7, ",
    ):
        model_class(**SMALL_AUTOENCODER, **flat)
    nested = model_class(**SMALL_AUTOENCODER, quantizer=VectorQuantizer(**QUANTIZER, name="quantizer")).get_config()
    legacy = {key: value for key, value in nested.items() if key != "quantizer"} | flat | {"seed": 3}
    assert model_class.from_config(legacy).get_config() == nested
    stored = nested["quantizer"] if model_class is VQVAE else nested["quantizer"]["bottom"]
    assert stored["config"]["seed"] == (3 if model_class is VQVAE else 4)
