import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import VectorQuantizer
from keras_vq.models import VAE, VQVAE
from tests.synthetic import smooth_images

SMALL = dict(data_shape=(16, 16, 3), hidden_channels=32, residual_channels=8, num_residual_layers=1)


def small_vqvae(name=None, **quantizer_options):
    """A small VQVAE whose VectorQuantizer (K = 128 codes of D = 16) takes `quantizer_options`."""
    return VQVAE(**SMALL, quantizer=VectorQuantizer(128, 16, **quantizer_options), name=name)


def test_fit_cuts_reconstruction_loss_five_fold_and_reports_every_metric(optimized_compilation):
    images = smooth_images()
    model = small_vqvae(dead_code_threshold=1.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    before = model.evaluate(images, batch_size=128, verbose=0, return_dict=True)["reconstruction_loss"]
    with optimized_compilation():
        history = model.fit(images, batch_size=32, epochs=50, verbose=0)
    after = model.evaluate(images, batch_size=128, verbose=0, return_dict=True)
    assert set(history.history) == {"loss", "reconstruction_loss", "commitment_loss", "perplexity", "codebook_usage"}
    assert before / after["reconstruction_loss"] >= 5.0
    # evaluate's reconstruction loss is the MSE on the [0, 1] scale, computed here independently.
    reconstructions = ops.convert_to_numpy(model.predict(images, verbose=0))
    np.testing.assert_allclose(after["reconstruction_loss"], np.mean((reconstructions - images) ** 2), rtol=1e-4)
    assert after["loss"] == pytest.approx(after["reconstruction_loss"] + 0.25 * after["commitment_loss"], rel=1e-4)


def test_loss_based_codebook_reports_codebook_loss_and_trains_the_codebook():
    images = smooth_images(count=64)
    model = small_vqvae(codebook_update="loss")
    assert model.quantizer.codebook.trainable
    before = ops.convert_to_numpy(model.quantizer.embeddings)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(images, batch_size=32, epochs=2, verbose=0)
    assert "codebook_loss" in history.history
    assert np.abs(ops.convert_to_numpy(model.quantizer.embeddings) - before).max() > 0


def test_encode_then_decode_equals_the_reconstruction():
    images = smooth_images(count=8)
    model = small_vqvae()
    codes = model.encode(images)
    assert list(codes) == ["codes"] and tuple(codes["codes"].shape) == (8, 4, 4)
    assert keras.backend.standardize_dtype(codes["codes"].dtype) == "int32"
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.decode(codes)), ops.convert_to_numpy(model(images)), atol=1e-5
    )


def test_saved_model_loads_with_identical_outputs_and_ema_state(tmp_path):
    images = smooth_images(count=64)
    model = small_vqvae(dead_code_threshold=0.5)
    model.compile(optimizer="adam")
    model.fit(images, batch_size=32, epochs=2, verbose=0)
    path = tmp_path / "vqvae.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is VQVAE
    # The weights come back bit for bit; the forward pass to 1e-6, since a GPU's convolution kernels may be
    # chosen anew each call (cuDNN's differed by 3e-8 on an H200).
    for original, restored in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(ops.convert_to_numpy(restored), ops.convert_to_numpy(original), original.path)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(images)), ops.convert_to_numpy(model(images)), rtol=0, atol=1e-6
    )
    for name in ("codebook", "ema_cluster_size", "ema_embedding_sum"):
        original = ops.convert_to_numpy(getattr(model.quantizer, name))
        np.testing.assert_array_equal(ops.convert_to_numpy(getattr(loaded.quantizer, name)), original)
    assert np.abs(ops.convert_to_numpy(model.quantizer.ema_cluster_size) - 1.0).max() > 0  # EMA state moved


def test_get_config_round_trip_rebuilds_the_same_architecture():
    model = small_vqvae(codebook_update="loss", beta=0.5, kmeans_init=True, seed=7, name="my_vqvae")
    clone = VQVAE.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.name == "my_vqvae"
    assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in model.weights]


def test_audio_is_a_one_dimensional_configuration_of_the_same_model():
    waves = np.sin(np.linspace(0, 200, 8 * 512)).reshape(8, 512, 1).astype("float32")
    model = VQVAE(
        data_shape=(512, 1),
        data_range=(-1, 1),
        num_downsamples=6,
        hidden_channels=16,
        residual_channels=8,
        quantizer=VectorQuantizer(32, 8),
    )
    assert tuple(model.encode(waves)["codes"].shape) == (8, 8)  # 64x downsampling, as in the paper
    model.compile(optimizer="adam")
    history = model.fit(waves, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert tuple(model(waves).shape) == (8, 512, 1)


def test_fully_convolutional_models_accept_any_size_divisible_by_the_downsampling():
    model = VQVAE(**(SMALL | dict(data_shape=(None, None, 3))), quantizer=VectorQuantizer(16, 8))
    assert tuple(model(np.zeros((2, 24, 40, 3), "float32")).shape) == (2, 24, 40, 3)


@pytest.mark.parametrize("model_class", [VQVAE, VAE])
def test_bad_input_raises_value_errors_naming_the_problem(model_class):
    model = model_class(**SMALL)
    with pytest.raises(ValueError, match=r"floating-point data on the scale \(0.0, 1.0\); got dtype uint8"):
        model(np.zeros((2, 16, 16, 3), "uint8"))
    # Keras' input check answers first for shapes, naming both.
    with pytest.raises(ValueError, match=r"expected shape=\(None, 16, 16, 3\), found shape=\(16, 16, 3\)"):
        model(np.zeros((16, 16, 3), "float32"))
    with pytest.raises(
        ValueError, match=r"batch of shape \(batch, 16, 16, 3\); got an input of shape \(2, 16, 16, 1\)"
    ):
        model(np.zeros((2, 16, 16, 1), "float32"))
    with pytest.raises(ValueError, match=r"batch of shape \(batch, 16, 16, 3\); got an input of shape \(16, 16, 3\)"):
        model.encode(np.zeros((16, 16, 3), "float32"))
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="got dtype uint8"):
        model.fit(np.zeros((4, 16, 16, 3), "uint8"), epochs=1, verbose=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(data_shape=(30, 30, 3)), r"not divisible by 2\*\*num_downsamples = 4"),
        (dict(data_shape=(32,)), r"data_shape must be \(length, channels\) or \(height, width, channels\)"),
        (dict(num_downsamples=0), "num_downsamples must be an integer >= 1, got 0"),
        (dict(hidden_channels=1), "hidden_channels must be an integer >= 2, got 1"),
        (dict(data_range=(1, 0)), r"data_range must be \(low, high\) with low < high"),
    ],
)
def test_bad_architecture_arguments_raise_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VQVAE(**kwargs)


@pytest.mark.parametrize(
    "codes, message",
    [
        (np.full((1, 4, 4), -1), r"codes must lie in \[0, 128\); got values -1..-1"),
        (np.full((1, 4, 4), 128), r"codes must lie in \[0, 128\); got values 128..128"),
        (np.zeros((1, 4, 4), "float32"), r"codes must be integer code indices; got dtype float32"),
        (np.zeros((1, 5, 4), "int32"), r"codes must have shape \(batch, 4, 4\); got \(1, 5, 4\)"),
        (np.zeros((4, 4), "int32"), r"codes must have shape \(batch, 4, 4\); got \(4, 4\)"),
        (np.zeros((0, 4, 4), "int32"), r"codes must have shape \(batch, 4, 4\); got \(0, 4, 4\)"),
    ],
)
def test_decode_refuses_codes_out_of_range_of_the_wrong_type_or_shape(codes, message):
    with pytest.raises(ValueError, match=message):
        small_vqvae().decode({"codes": codes})


def test_decode_of_an_any_length_audio_model_takes_any_number_of_steps_but_not_zero():
    model = VQVAE(
        data_shape=(None, 1),
        data_range=(-1, 1),
        hidden_channels=8,
        residual_channels=4,
        num_residual_layers=1,
        quantizer=VectorQuantizer(8, 4),
    )
    assert ops.convert_to_numpy(model.decode({"codes": np.zeros((2, 3), "int32")})).shape == (2, 12, 1)
    with pytest.raises(ValueError, match=r"codes must have shape \(batch, any\); got \(2, 0\)"):
        model.decode({"codes": np.zeros((2, 0), "int32")})
