"""Fuzzing the public entry points with bad arguments: each must raise ValueError or TypeError naming the argument.

Every entry point gets one valid call; each case replaces one of its
arguments with a value of the wrong type, sign, size, shape or kind, drawn
from a catalogue of bad values (seeded, so a failure reproduces). The call
must raise `ValueError` or `TypeError` (keras_vq's own errors derive from
them) whose message names the argument: never another exception from deep
inside a backend, never a crash, and never silence. Runs on every backend,
since the checks run before any backend code and must do so on each.
"""

import math

import keras
import numpy as np
import pytest

import keras_vq
from keras_vq.datasets.bad_data import DataNotFoundError
from keras_vq.layers import FiniteScalarQuantizer, LookupFreeQuantizer, ResidualVectorQuantizer, VectorQuantizer
from keras_vq.models import VAE, VQVAE, VQVAE2, MaskGITPrior, PixelCNN, TransformerPrior, WaveNet
from tests import data_helpers

NOT_A_NUMBER = ["three", None, [1], object()]
NUMBERS = [-1, 0, 2.5, math.nan, math.inf, True]
BAD_INTS = NUMBERS + NOT_A_NUMBER
OPTIONAL_BAD_INTS = [value for value in BAD_INTS if value is not None]  # For arguments where None means "none".
BAD_POSITIVE_FLOATS = [-1.0, 0.0, math.nan, math.inf, True, "big", None]
BAD_SHAPES = [None, 7, "32x32", (), (0, 4), (-4, 4), (4.5, 4), (4, 4, 4, 4)]

SMALL_IMAGES = dict(data_shape=(8, 8, 3), hidden_channels=4, residual_channels=2, num_residual_layers=1)
# As a config, so that every case builds its own layer (the quantizer's own arguments are VectorQuantizer's cases).
SMALL_QUANTIZER = keras.saving.serialize_keras_object(VectorQuantizer(8, 2))
QUANTIZER_ARGUMENTS = {
    "num_embeddings": BAD_INTS,
    "embedding_dim": BAD_INTS,
    "beta": [-0.5, math.nan, "x", None],
    "decay": [0.0, 1.0, 1.5, -0.1, math.nan, None],
    "epsilon": [0.0, -1e-5, math.nan, None],
    "dead_code_threshold": [-1.0, math.nan, "x"],
    "codebook_update": ["adam", None, 1],
    "kmeans_init": ["yes", 1, None],
    "use_cosine_similarity": ["no", 0, None],
}
AUTOENCODER_ARGUMENTS = {
    "data_shape": BAD_SHAPES,
    "data_range": [(1.0, 0.0), (0.0, 0.0), None, "0-1", (0.0,), (0.0, math.nan)],
    "hidden_channels": BAD_INTS,
    "num_residual_layers": [-1, 2.5, "1", None],
    "residual_channels": BAD_INTS,
    "num_downsamples": BAD_INTS + [9],
    "dtype": ["float33", "mixed_bogus", 7],
}


def constructor_cases():
    cases = []
    transformer = dict(code_shape=(3, 3), num_embeddings=4, dim=4, num_layers=1, num_heads=2)
    transformer_arguments = {
        "code_shape": BAD_SHAPES,
        "num_embeddings": BAD_INTS,
        "dim": BAD_INTS,
        "num_layers": BAD_INTS,
        "num_heads": BAD_INTS + [3],
        "mlp_dim": OPTIONAL_BAD_INTS,
        "dropout": [-0.1, 1.0, math.nan, "x", None],
        "num_classes": OPTIONAL_BAD_INTS,
        "class_dropout": [0.5, -0.1, math.nan, "x", None],
        "condition_shape": ["3x3", (0, 3), 7],
        "seed": [-1, 2.5, "x", True],
        "dtype": ["float33", 7],
    }
    for model_class, valid, arguments in [
        (
            VQVAE,
            dict(SMALL_IMAGES, quantizer=SMALL_QUANTIZER),
            AUTOENCODER_ARGUMENTS | {"decoder": ["wavenet", 3, None]},
        ),
        (
            VQVAE2,
            dict(SMALL_IMAGES, quantizer=SMALL_QUANTIZER),
            {key: value for key, value in AUTOENCODER_ARGUMENTS.items() if key != "num_downsamples"},
        ),
        (
            VAE,
            dict(SMALL_IMAGES, latent_dim=2),
            AUTOENCODER_ARGUMENTS | {"latent_dim": BAD_INTS, "kl_weight": [-1.0, math.nan, "x", None]},
        ),
        (
            PixelCNN,
            dict(code_shape=(3, 3), num_embeddings=4, channels=4, num_blocks=1),
            {
                "code_shape": BAD_SHAPES,
                "num_embeddings": BAD_INTS,
                "channels": BAD_INTS,
                "num_blocks": BAD_INTS,
                "kernel_size": BAD_INTS + [4],
                "first_kernel_size": BAD_INTS + [2],
                "num_classes": OPTIONAL_BAD_INTS,
                "condition_shape": [(2, 2), "3x3", (0, 3), 7],
                "dtype": ["float33", 7],
            },
        ),
        (TransformerPrior, transformer, transformer_arguments),
        (MaskGITPrior, transformer, transformer_arguments),
        (
            WaveNet,
            dict(num_symbols=4, channels=4, skip_channels=4, num_layers=2, layers_per_cycle=2),
            {
                "num_symbols": BAD_INTS,
                "channels": BAD_INTS,
                "skip_channels": BAD_INTS,
                "num_layers": BAD_INTS,
                "layers_per_cycle": BAD_INTS,
                "kernel_size": BAD_INTS,
                "num_speakers": OPTIONAL_BAD_INTS,
                "speaker_embedding_dim": BAD_INTS,
                "local_num_embeddings": OPTIONAL_BAD_INTS,
                "local_channels": BAD_INTS,
                "upsampling": BAD_INTS,
                "dtype": ["float33", 7],
            },
        ),
        (
            VectorQuantizer,
            dict(num_embeddings=8, embedding_dim=2),
            QUANTIZER_ARGUMENTS
            | {"distance_chunk_size": BAD_INTS, "kmeans_iterations": BAD_INTS, "gradient": ["rotate", None, 1]},
        ),
        (
            ResidualVectorQuantizer,
            dict(num_quantizers=2, num_embeddings=8, embedding_dim=2),
            {
                "num_quantizers": BAD_INTS,
                "num_embeddings": BAD_INTS,
                "embedding_dim": BAD_INTS,
                "quantizer_dropout": [-0.1, 1.5, math.nan, "x", None],
                "shared_codebook": ["yes", 1, None],
                "stage_options": [{"beta": -1.0}, {"decay": 1.0}, {"bogus": 1}],
            },
        ),
        (FiniteScalarQuantizer, dict(levels=[5, 5]), {"levels": [[5, 1], [], "55", None, 7, [5, 2.5], [True, 3]]}),
        (
            LookupFreeQuantizer,
            dict(embedding_dim=4),
            {
                "embedding_dim": BAD_INTS + [17],
                "entropy_loss_weight": [-1.0, math.nan, "x", None],
                "diversity_gamma": [-1.0, math.nan, None],
                "beta": [-0.5, math.nan, None],
                "temperature": BAD_POSITIVE_FLOATS,
            },
        ),
        (VQVAE, dict(SMALL_IMAGES), {"quantizer": ["vq", 3, VectorQuantizer, {"class_name": "Dense"}]}),
    ]:
        for argument, bad_values in arguments.items():
            for value in bad_values:
                cases.append((model_class.__name__, model_class, valid | {argument: value}, argument))
    return cases


def assert_refused_naming(call, argument):
    try:
        call()
    except (ValueError, TypeError) as error:
        assert argument in str(error), f"the error does not name {argument!r}: {type(error).__name__}: {error}"
    except Exception as error:  # noqa: BLE001 (any other exception is the failure this suite looks for)
        pytest.fail(f"{type(error).__name__} instead of a ValueError/TypeError naming {argument!r}: {error}")
    else:
        pytest.fail(f"accepted the bad {argument!r}")


CONSTRUCTOR_CASES = constructor_cases()


@pytest.mark.parametrize(
    "name, model_class, arguments, argument",
    CONSTRUCTOR_CASES,
    ids=[f"{name}-{argument}-{index}" for index, (name, _, _, argument) in enumerate(CONSTRUCTOR_CASES)],
)
def test_constructors_refuse_bad_arguments_by_name(name, model_class, arguments, argument):
    assert_refused_naming(lambda: model_class(**arguments), argument)


@pytest.fixture(scope="module")
def models():
    return {
        "vqvae": VQVAE(**SMALL_IMAGES, num_downsamples=1, quantizer=VectorQuantizer(8, 2)),
        "vqvae2": VQVAE2(**SMALL_IMAGES, quantizer=VectorQuantizer(8, 2)),
        "prior": PixelCNN(code_shape=(4, 4), num_embeddings=8, channels=4, num_blocks=1, num_classes=3),
        "wavenet": WaveNet(
            num_symbols=4, channels=4, skip_channels=4, num_layers=2, layers_per_cycle=2, num_speakers=2
        ),
    }


IMAGES = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
CODES = np.zeros((2, 4, 4), "int32")
BAD_IMAGES = [
    IMAGES.astype("int32"),
    IMAGES[..., :2],
    IMAGES[0],
    IMAGES[:0],
    np.zeros((2, 6, 8, 3), "float32"),
    "images",
    None,
]
BAD_CODES = [CODES - 1, CODES + 8, CODES.astype("float32"), CODES[:, :3], CODES[0], CODES[:0], None, "codes"]
METHOD_CASES = [
    ("vqvae", "encode", dict(inputs=IMAGES), "inputs", BAD_IMAGES, "VQVAE"),
    # decode takes {level: codes}: a bad level, a bad dict (a level missing or unknown), or no dict at all.
    ("vqvae", "decode", dict(codes={"codes": CODES}), "codes", [{"codes": codes} for codes in BAD_CODES], "codes"),
    ("vqvae", "decode", dict(codes={"codes": CODES}), "codes", [CODES, {}, {"top": CODES}, None, "codes"], "codes"),
    (
        "vqvae2",
        "decode",
        dict(codes={"top": CODES[:, :1, :1], "bottom": CODES[:, :2, :2]}),
        "codes",
        [
            {
                "top": CODES[:, :1, :1],
                "bottom": codes[:, :2, :2]
                if isinstance(codes, np.ndarray) and codes.ndim == 3 and codes.shape[1:] == (4, 4)
                else codes,
            }
            for codes in BAD_CODES
        ]
        + [{"top": CODES[:, :1, :1], "bottom": CODES}, {"top": CODES[:, :1, :1]}, (CODES, CODES)],
        "bottom",
    ),
    ("prior", "sample", dict(num_samples=2, class_labels=[0, 1]), "num_samples", BAD_INTS, "num_samples"),
    (
        "prior",
        "sample",
        dict(num_samples=2, class_labels=[0, 1]),
        "class_labels",
        [[0, 3], [-1, 0], [0], None, "cats", [[0, 1]]],
        "class_labels",
    ),
    ("prior", "sample", dict(num_samples=2, class_labels=[0, 1]), "temperature", BAD_POSITIVE_FLOATS, "temperature"),
    ("prior", "sample", dict(num_samples=2, class_labels=[0, 1]), "method", ["fast", None, 3], "method"),
    ("wavenet", "sample", dict(num_samples=2, length=4, speakers=[0, 1]), "length", BAD_INTS, "length"),
    (
        "wavenet",
        "sample",
        dict(num_samples=2, length=4, speakers=[0, 1]),
        "speakers",
        [[0, 2], [-1, 0], None, "me", [[0]]],
        "speakers",
    ),
    (
        "wavenet",
        "sample",
        dict(num_samples=2, length=4, speakers=[0, 1]),
        "temperature",
        BAD_POSITIVE_FLOATS,
        "temperature",
    ),
    (
        "wavenet",
        "sample",
        dict(num_samples=2, length=4, speakers=[0, 1]),
        "num_samples",
        [0, -2, 2.5, "2", 3],
        "num_samples",
    ),
]


def method_cases():
    return [
        (model, method, valid | {argument: value}, named, f"{model}.{method}-{argument}-{index}")
        for model, method, valid, argument, bad_values, named in METHOD_CASES
        for index, value in enumerate(bad_values)
    ]


@pytest.mark.parametrize(
    "model, method, arguments, named, case_id", method_cases(), ids=[case[-1] for case in method_cases()]
)
def test_model_methods_refuse_bad_arguments_by_name(models, model, method, arguments, named, case_id):
    assert_refused_naming(lambda: getattr(models[model], method)(**arguments), named)


LOAD_CASES = [
    ("name", ["mnist", None, 3]),
    ("split", ["train[:50", "valid", "train[5:2]", None, 3]),
    ("batch_size", BAD_INTS),
    ("image_size", [0, -3, 2.5, "32"]),
    ("with_labels", ["yes", 1]),
    ("data_dir", ["/nonexistent/keras_vq", 3.5]),
]


@pytest.mark.parametrize(
    "argument, value",
    [(argument, value) for argument, values in LOAD_CASES for value in values],
    ids=[f"{argument}-{index}" for argument, values in LOAD_CASES for index in range(len(values))],
)
def test_load_numpy_refuses_bad_arguments_by_name(argument, value):
    arguments = dict(name="cifar10", split="train", batch_size=4, data_dir=data_helpers.CIFAR10_FIXTURE) | {
        argument: value
    }
    named = {"name": "dataset", "split": "split"}.get(argument, argument)
    if argument == "data_dir" and isinstance(value, str):  # A missing folder is DataNotFoundError, saying where.
        with pytest.raises(DataNotFoundError, match=f"no CIFAR-10 in {value}"):
            keras_vq.data.load_numpy(**arguments, progress=False)
        return
    assert_refused_naming(lambda: keras_vq.data.load_numpy(**arguments, progress=False), named)


@pytest.mark.parametrize("preset", ["imagenet", None, 3, "/nonexistent/preset", "", "../cifar10"])
def test_from_preset_refuses_bad_presets_by_name(preset):
    assert_refused_naming(lambda: VQVAE.from_preset(preset), "preset")
