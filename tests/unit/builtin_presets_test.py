"""The built-in CIFAR-10 and LibriSpeech presets load on every backend and reproduce their recorded figures.

The tests of a worker share what they load (each preset, the test images, an autoencoder's codes for the
priors) and so what their models compile.
"""

import functools
import json
import os
import pathlib

import keras
import numpy as np
import pytest

import keras_vq
from keras_vq import spectrograms
from keras_vq.data.codes import encode_batch, prior_inputs
from keras_vq.data.utterances import clips, held_out_utterances
from keras_vq.models import VAE, VQVAE, VQVAE2, PixelCNN, TransformerPrior, WaveNet

# The real CIFAR-10 test split, where a checkout has the shared data beside it (CI does).
DATA_DIR = pathlib.Path(
    os.environ.get("KERAS_VQ_TEST_DATA", pathlib.Path(__file__).resolve().parents[3] / "shared" / "data")
)
FIGURES = (
    "mse",
    "nmse",
    "psnr_db",
    "perplexity",
    "codebook_usage",
    "top_perplexity",
    "bottom_perplexity",
    "top_codebook_usage",
    "bottom_codebook_usage",
    "bits_per_dim",
)


def packaged_metadata(model_class, name):
    """A built-in preset's metadata.json in the package ({} for one trained locally, like KaoKore's)."""
    path = pathlib.Path(keras_vq.__file__).parent / model_class.builtin_presets[name]["directory"] / "metadata.json"
    return json.loads(path.read_text()) if path.is_file() else {}


@functools.cache
def preset(model_class, name):
    """The built-in preset, loaded once per test process (the tests only evaluate it)."""
    return model_class.from_preset(name)


@functools.cache
def cifar10_test_split(count):
    """CIFAR-10 test[:count] on [0, 1], and its labels."""
    return keras_vq.data.load_numpy(
        "cifar10", f"test[:{count}]", 100, data_dir=DATA_DIR, evaluation=True, with_labels=True, progress=False
    ).concatenated()


@functools.cache
def preset_codes(autoencoder_class, name, count):
    """The preset autoencoder's codes of test[:count] (with the labels), as `encode_batch` gives them."""
    images, labels = cifar10_test_split(count)
    return encode_batch(preset(autoencoder_class, name), images, labels)


CIFAR10_PRESETS = [(VQVAE, "cifar10"), (VAE, "cifar10"), (VQVAE2, "cifar10"), (VQVAE, "cifar10_logistic_mixture")]


@pytest.mark.parametrize(
    "model_class, preset_name",
    CIFAR10_PRESETS,
    ids=[f"{model_class.__name__}-{name}" for model_class, name in CIFAR10_PRESETS],
)
def test_cifar10_preset_reproduces_its_recorded_test_figures(model_class, preset_name):
    if preset_name not in model_class.presets:
        pytest.skip(f"{model_class.__name__} has no built-in {preset_name} preset yet")
    model = preset(model_class, preset_name)
    metadata = packaged_metadata(model_class, preset_name)
    assert metadata["parameter_count"] == model.count_params()
    assert "test[" not in metadata["dataset"] and "train" in metadata["dataset"]  # Never trained on test.
    if not (DATA_DIR / "cifar10" / "test").is_dir():
        pytest.skip(f"the CIFAR-10 test split is not at {DATA_DIR} (set KERAS_VQ_TEST_DATA)")
    recorded = metadata["check_figures"]
    images, _ = cifar10_test_split(int(recorded["examples"]))
    figures = keras_vq.metrics.reconstruction_report(model, images)
    assert ("bits_per_dim" in recorded) == model.output_distribution.has_likelihood
    for name in FIGURES:
        if name in recorded:
            assert figures[name] == pytest.approx(recorded[name], rel=2e-3), name


PRIOR_PRESETS = [
    (prior_class, name) for prior_class in (PixelCNN, TransformerPrior) for name in prior_class.builtin_presets
]


@pytest.mark.parametrize(
    "prior_class, preset_name",
    PRIOR_PRESETS,
    ids=[f"{prior_class.__name__}-{name}" for prior_class, name in PRIOR_PRESETS],
)
def test_prior_preset_reproduces_its_recorded_test_bits_per_code(prior_class, preset_name):
    entry = prior_class.builtin_presets[preset_name]
    prior = prior_class.from_preset(preset_name)
    metadata = packaged_metadata(prior_class, preset_name)
    assert metadata["parameter_count"] == prior.count_params()
    assert "test" not in metadata["dataset"] and "train" in metadata["dataset"]  # Never trained on test.
    if not (DATA_DIR / "cifar10" / "test").is_dir():
        pytest.skip(f"the CIFAR-10 test split is not at {DATA_DIR} (set KERAS_VQ_TEST_DATA)")
    recorded = metadata["check_figures"]
    autoencoder_class = getattr(keras_vq.models, entry["autoencoder"])
    autoencoder = preset(autoencoder_class, entry["autoencoder_preset"])
    codes = preset_codes(autoencoder_class, entry["autoencoder_preset"], int(recorded["examples"]))
    inputs = prior_inputs(codes, autoencoder.code_levels()[entry["level"]], prior)
    bits = prior.log_likelihood_bits(inputs).mean() / np.prod(prior.code_shape)
    assert bits == pytest.approx(recorded["bits_per_code"], rel=1e-3)
    assert bits < 0.9 * np.log2(prior.num_embeddings)  # Well below the uniform prior's log2 K.


LIBRISPEECH_PRESETS = [(VQVAE, "librispeech"), (WaveNet, "librispeech_prior")]


@pytest.mark.parametrize("model_class, preset_name", LIBRISPEECH_PRESETS)
def test_librispeech_preset_reproduces_its_recorded_held_out_figures(model_class, preset_name):
    if preset_name not in model_class.presets:
        pytest.skip(f"{model_class.__name__} has no built-in {preset_name} preset yet")
    model = preset(model_class, preset_name)
    metadata = packaged_metadata(model_class, preset_name)
    assert metadata["parameter_count"] == model.count_params()
    if not (DATA_DIR / "librispeech").is_dir():
        pytest.skip(f"LibriSpeech is not at {DATA_DIR} (set KERAS_VQ_TEST_DATA)")
    recorded = metadata["check_figures"]
    _, (utterances, speakers), speaker_ids = held_out_utterances(
        "librispeech", recorded["split"], recorded["held_out_per_speaker"], data_dir=DATA_DIR / "librispeech"
    )
    assert speaker_ids == metadata["speaker_ids"]
    audio, speakers = clips(utterances[: recorded["clips"]], recorded["samples"]), speakers[: recorded["clips"]]
    if model_class is WaveNet:
        autoencoder = preset(VQVAE, "librispeech")
        codes = keras.ops.convert_to_numpy(autoencoder.encode(audio)["codes"])
        bits = model.log_likelihood_bits({"symbols": codes, "speakers": speakers}).mean() / codes.shape[1]
        assert bits == pytest.approx(recorded["bits_per_code"], rel=2e-3)
        assert bits < 0.9 * np.log2(model.num_symbols)
        return
    if model.has_wavenet_decoder:
        figures = keras_vq.metrics.wavenet_decoder_report(model, audio, speakers)
        assert figures["bits_per_sample"] == pytest.approx(recorded["bits_per_sample"], rel=2e-3)
        assert figures["bits_per_sample"] < 7.0  # Well below the 8 bits of a uniform mu-law byte.
    else:
        figures = keras_vq.metrics.spectrogram_decoder_report(model, audio, speakers)
        for name in ("spectral_loss", "log_spectral_distance_db"):
            assert figures[name] == pytest.approx(recorded[name], rel=2e-3), name
        # The predicted magnitudes, against predicting each bin's mean over the clips (the best constant).
        target = keras.ops.convert_to_numpy(
            spectrograms.log_magnitude(audio, model.decoder.fft_length, model.decoder.hop)
        )
        constant_db = float(np.sqrt(np.mean((20 / np.log(10) * (target - target.mean(axis=(0, 1)))) ** 2)))
        assert figures["log_spectral_distance_db"] < 0.6 * constant_db
    for name in ("perplexity", "codebook_usage"):
        assert figures[name] == pytest.approx(recorded[name], rel=2e-3), name


MODEL_CLASSES = [getattr(keras_vq.models, name) for name in keras_vq.models.__all__ if name != "PRIORS"]
ALL_BUILTIN_PRESETS = [
    (model_class, name) for model_class in MODEL_CLASSES for name in getattr(model_class, "builtin_presets", {})
]


@pytest.mark.parametrize(
    "model_class, preset_name",
    ALL_BUILTIN_PRESETS,
    ids=[f"{model_class.__name__}-{name}" for model_class, name in ALL_BUILTIN_PRESETS],
)
def test_a_builtin_preset_computes_in_float32_in_every_layer(model_class, preset_name):
    """Presets are saved in float32 whatever policy trained them: no serialised layer (a `quantizer=`
    included) keeps a mixed policy, which would make it compute in bfloat16 wherever it is loaded."""
    config = model_class.preset_config(preset_name)
    assert keras_vq.training.with_float32_policies(config) == config


CIFAR10_RECIPE_PRESETS = [
    (model_class, name)
    for model_class, name in ALL_BUILTIN_PRESETS
    if packaged_metadata(model_class, name).get("recipe", "").startswith("python -m keras_vq.recipes.cifar10_")
]


@pytest.mark.parametrize(
    "model_class, preset_name",
    CIFAR10_RECIPE_PRESETS,
    ids=[f"{model_class.__name__}-{name}" for model_class, name in CIFAR10_RECIPE_PRESETS],
)
def test_a_cifar10_preset_records_the_command_that_trained_it(model_class, preset_name, tmp_path):
    """The metadata's `recipe` is a command its recipe accepts, and it trains what the metadata says:
    the steps, and the policy."""
    import importlib
    import shlex

    from tests.data_helpers import FIXTURES

    metadata = packaged_metadata(model_class, preset_name)
    words = shlex.split(metadata["recipe"])
    recipe = importlib.import_module(words[2])
    arguments = recipe.recipe_parser().parse(
        [*words[3:], "--data-dir", str(FIXTURES), "--output-dir", str(tmp_path)], start=False
    )
    assert arguments.steps == metadata["training_steps"]
    assert arguments.dtype_policy == metadata["training_dtype_policy"]
