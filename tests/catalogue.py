"""Small instances of every public layer and model, declared once (issue 30, item 5).

Each entry is a class, arguments that set every argument its config stores to a value other than its
default (so that a config that drops one is caught by name), and inputs for one forward pass. The
generic checks are generated from this table by `tests/unit/catalogue_test.py`: the config round trip, the
weights (layers) and `.keras` archive (models) round trips, the preset round trip, a forward pass under
mixed precision, and the refusal of an unknown keyword. A new layer or model adds one entry here and gets
them all; `catalogue_test` fails for a public class without one.

The dicts of arguments are also what other tests build their small instances from
(`tests/unit/config_migration_test.py`).
"""

import dataclasses

import numpy as np

from keras_vq.layers import (
    FiniteScalarQuantizer,
    GatedPixelCNNBlock,
    GaussianLatent,
    LookupFreeQuantizer,
    MuLawEncoding,
    ResidualStack,
    ResidualVectorQuantizer,
    VectorQuantizer,
    WaveNetBlock,
)
from keras_vq.models import VAE, VQVAE, VQVAE2, MaskGITPrior, PixelCNN, SpectrogramDecoder, TransformerPrior, WaveNet

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


@dataclasses.dataclass(frozen=True)
class Entry:
    """One class of the catalogue: `cls(**arguments)` and what it is called on.

    `inputs(rng)` gives the positional inputs of one call (a tuple), `keywords` its keyword inputs.
    """

    cls: type
    arguments: dict
    inputs: object
    keywords: dict = dataclasses.field(default_factory=dict)

    def build(self, **overrides):
        return self.cls(**(self.arguments | overrides))


def _floats(*shape, low=-1.0, high=1.0):
    return lambda rng: (rng.uniform(low, high, shape).astype("float32"),)


def _ints(high, *shape):
    return lambda rng: (rng.integers(0, high, shape).astype("int32"),)


CATALOGUE = {
    "VectorQuantizer": Entry(
        VectorQuantizer, dict(QUANTIZER, distance_chunk_size=7, gradient="rotation"), _floats(2, 3, 3, 4)
    ),
    "ResidualVectorQuantizer": Entry(ResidualVectorQuantizer, RESIDUAL, _floats(2, 3, 3, 4)),
    "FiniteScalarQuantizer": Entry(FiniteScalarQuantizer, dict(levels=[7, 5, 4]), _floats(2, 3, 3, 3)),
    "LookupFreeQuantizer": Entry(
        LookupFreeQuantizer,
        dict(embedding_dim=5, entropy_loss_weight=0.3, diversity_gamma=0.5, beta=0.1, temperature=0.2),
        _floats(2, 3, 3, 5),
    ),
    "GatedPixelCNNBlock": Entry(
        GatedPixelCNNBlock,
        dict(channels=5, kernel_size=5, is_first=True, num_classes=3, condition_channels=2),
        _floats(2, 4, 4, 5),
        keywords=dict(class_labels=np.array([0, 2]), condition=np.ones((2, 4, 4, 2), "float32")),
    ),
    "GaussianLatent": Entry(GaussianLatent, dict(kl_weight=0.5, log_variance_offset=-1.0, seed=2), _floats(2, 3, 3, 8)),
    "ResidualStack": Entry(ResidualStack, dict(num_residual_layers=2, residual_channels=3), _floats(2, 4, 4, 6)),
    "MuLawEncoding": Entry(MuLawEncoding, dict(num_symbols=64), _floats(2, 32)),
    "WaveNetBlock": Entry(
        WaveNetBlock,
        dict(
            channels=4,
            dilation_rate=2,
            kernel_size=3,
            skip_channels=5,
            global_condition_dim=3,
            local_condition_channels=2,
            use_residual_output=False,
        ),
        _floats(2, 16, 4),
        keywords=dict(global_condition=np.ones((2, 3), "float32"), local_condition=np.ones((2, 16, 2), "float32")),
    ),
    "VQVAE": Entry(
        VQVAE,
        dict(SMALL_AUTOENCODER, num_downsamples=3, quantizer=ResidualVectorQuantizer(**RESIDUAL)),
        _floats(2, 16, 16, 3),
    ),
    "VQVAE2": Entry(
        VQVAE2,
        dict(
            SMALL_AUTOENCODER,
            quantizer={
                "top": FiniteScalarQuantizer([5, 3], name="top_fsq"),
                "bottom": VectorQuantizer(**QUANTIZER, name="bottom_vq"),
            },
        ),
        _floats(2, 16, 16, 3),
    ),
    "VAE": Entry(
        VAE, dict(SMALL_AUTOENCODER, num_downsamples=1, latent_dim=6, kl_weight=0.5, seed=4), _floats(2, 16, 16, 3)
    ),
    "PixelCNN": Entry(
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
        lambda rng: (
            {
                "codes": rng.integers(0, 9, (2, 4, 6)).astype("int32"),
                "class_labels": np.array([1, 3], "int32"),
                "condition": rng.integers(0, 7, (2, 2, 3)).astype("int32"),
            },
        ),
    ),
    "TransformerPrior": Entry(
        TransformerPrior,
        dict(
            code_shape=(3, 4),
            num_embeddings=9,
            dim=8,
            num_layers=2,
            num_heads=2,
            mlp_dim=12,
            dropout=0.1,
            num_classes=4,
            class_dropout=0.25,
            condition_shape=(2, 2),
            condition_num_embeddings=7,
            seed=5,
        ),
        lambda rng: (
            {
                "codes": rng.integers(0, 9, (2, 3, 4)).astype("int32"),
                "class_labels": np.array([1, 3], "int32"),
                "condition": rng.integers(0, 7, (2, 2, 2)).astype("int32"),
            },
        ),
    ),
    "MaskGITPrior": Entry(
        MaskGITPrior,
        dict(
            code_shape=(3, 4),
            num_embeddings=9,
            num_stages=2,  # every stage of residual codes (TransformerPrior's own entry: one a position)
            dim=8,
            num_layers=2,
            num_heads=2,
            mlp_dim=12,
            dropout=0.1,
            num_classes=4,
            class_dropout=0.25,
            condition_shape=(2, 2),
            condition_num_embeddings=7,
            seed=5,
        ),
        lambda rng: (
            {
                "codes": rng.integers(0, 9, (2, 3, 4, 2)).astype("int32"),
                "class_labels": np.array([1, 3], "int32"),
                "condition": rng.integers(0, 7, (2, 2, 2)).astype("int32"),
            },
        ),
    ),
    "WaveNet": Entry(
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
        lambda rng: (
            {
                "symbols": rng.integers(0, 12, (2, 16)).astype("int32"),
                "speakers": np.array([0, 1], "int32"),
                "local_codes": rng.integers(0, 5, (2, 8)).astype("int32"),
            },
        ),
    ),
    "SpectrogramDecoder": Entry(
        SpectrogramDecoder,
        dict(
            latent_dim=4,
            hop=16,
            fft_length=64,
            channels=6,
            num_blocks=2,
            blocks_per_cycle=1,
            kernel_size=5,
            num_speakers=3,
            speaker_embedding_dim=2,
            griffin_lim_iterations=3,
        ),
        lambda rng: ({"latents": rng.normal(size=(2, 5, 4)).astype("float32"), "speakers": np.array([0, 2], "int32")},),
    ),
}
