import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq.layers import VectorQuantizer
from keras_vq.models import VQVAE2
from tests.synthetic import smooth_images

SMALL = dict(hidden_channels=32, residual_channels=8, num_residual_layers=1)
LEVEL_METRICS = {"commitment_loss", "perplexity", "codebook_usage"}


def small_vqvae2(**quantizer_options):
    """A small VQVAE2 whose VectorQuantizers (K = 64 codes of D = 16) take `quantizer_options`."""
    return VQVAE2(**SMALL, data_shape=(16, 16, 3), quantizer=VectorQuantizer(64, 16, **quantizer_options))


@pytest.mark.parametrize("size, top, bottom", [(32, 4, 8), (256, 32, 64), (24, 3, 6)])
def test_codes_are_eight_and_four_times_smaller_than_the_image(size, top, bottom):
    model = VQVAE2(data_shape=(size, size, 3), **SMALL, quantizer=VectorQuantizer(64, 16))
    codes = model.encode(np.zeros((1, size, size, 3), "float32"))
    top_codes, bottom_codes = codes["top"], codes["bottom"]
    assert tuple(top_codes.shape) == (1, top, top) and tuple(bottom_codes.shape) == (1, bottom, bottom)
    assert keras.backend.standardize_dtype(top_codes.dtype) == "int32"


@pytest.mark.parametrize("data_shape", [(20, 20, 3), (32, 12, 3), (64, 3)])
def test_shapes_not_divisible_by_eight_are_refused_with_the_reason(data_shape):
    with pytest.raises(
        ValueError, match=r"VQVAE2 takes images \(height, width, channels\) with height and width divisible by 8"
    ):
        VQVAE2(data_shape=data_shape)


def test_decoding_both_levels_of_codes_gives_the_reconstruction():
    images = smooth_images(count=4)
    model = small_vqvae2()
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.decode(model.encode(images))),
        ops.convert_to_numpy(model(images)),
        atol=1e-5,
    )


def test_bottom_codes_depend_on_the_top_codes():
    """The bottom quantizer sees [bottom features, decoded top]: changing the top decoder changes them."""
    images = smooth_images(count=4)
    model = small_vqvae2(seed=0)
    before = model.encode(images)["bottom"]
    kernel = model.top_decoder.layers[-1].kernel
    kernel.assign(kernel * 50.0)
    after = model.encode(images)["bottom"]
    assert not np.array_equal(ops.convert_to_numpy(before), ops.convert_to_numpy(after))


def test_fit_cuts_reconstruction_loss_and_reports_metrics_per_level(optimized_compilation):
    images = smooth_images()
    model = small_vqvae2(dead_code_threshold=1.0, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    before = model.evaluate(images, batch_size=128, verbose=0, return_dict=True)["reconstruction_loss"]
    with optimized_compilation():  # a 6.9-9.4x cut by epoch 50 on the three backends
        history = model.fit(images, batch_size=32, epochs=50, verbose=0)
    after = model.evaluate(images, batch_size=128, verbose=0, return_dict=True)
    expected = {"loss", "reconstruction_loss"} | {
        f"{level}_{name}" for level in ("top", "bottom") for name in LEVEL_METRICS
    }
    assert set(history.history) == expected
    assert before / after["reconstruction_loss"] >= 5.0
    reconstructions = ops.convert_to_numpy(model.predict(images, verbose=0))
    np.testing.assert_allclose(after["reconstruction_loss"], np.mean((reconstructions - images) ** 2), rtol=1e-4)
    total = after["reconstruction_loss"] + 0.25 * (after["top_commitment_loss"] + after["bottom_commitment_loss"])
    assert after["loss"] == pytest.approx(total, rel=1e-4)
    # The trained model (codebooks and encoders away from their start) serves the next check too.
    assert_report_commitment_per_level_equals_a_recomputation_from_the_codebooks(model, images[:12])


def assert_report_commitment_per_level_equals_a_recomputation_from_the_codebooks(model, images):
    """`reconstruction_report`'s per-level commitment (what the comparison study tabulates) over batches of 5
    (the last one partial) is the mean squared distance of each level's encoder output to its nearest code,
    recomputed in NumPy from the codebooks, and the layers' own batch figure (what training weighs by beta)."""
    report = keras_vq.metrics.reconstruction_report(model, images, batch_size=5, verbose=0)

    def nearest(vectors, codebook):
        distances = ((vectors[..., None, :] - codebook) ** 2).sum(axis=-1)
        return distances.argmin(axis=-1)

    numpy = lambda tensor: np.asarray(ops.convert_to_numpy(tensor), np.float64)  # noqa: E731
    top_codebook = numpy(model.top_quantizer.embeddings)
    bottom_codebook = numpy(model.bottom_quantizer.embeddings)
    features = model.bottom_encoder(images)
    top = numpy(model.top_encoder(features))
    top_codes = nearest(top, top_codebook)
    top_decoded = model.top_decoder(top_codebook[top_codes].astype("float32"))
    bottom = numpy(model.to_bottom_latent(ops.concatenate([features, top_decoded], axis=-1)))
    bottom_codes = nearest(bottom, bottom_codebook)
    codes = model.encode(images)
    np.testing.assert_array_equal(top_codes, ops.convert_to_numpy(codes["top"]))
    np.testing.assert_array_equal(bottom_codes, ops.convert_to_numpy(codes["bottom"]))

    expected_top = np.mean((top - top_codebook[top_codes]) ** 2)
    expected_bottom = np.mean((bottom - bottom_codebook[bottom_codes]) ** 2)
    assert report["top_commitment_loss"] == pytest.approx(expected_top, rel=1e-4)
    assert report["bottom_commitment_loss"] == pytest.approx(expected_bottom, rel=1e-4)
    assert report["commitment_loss"] == pytest.approx((expected_top + expected_bottom) / 2, rel=1e-4)
    model(images, training=False)
    assert float(ops.convert_to_numpy(model.top_quantizer.batch_commitment_loss)) == pytest.approx(
        expected_top, rel=1e-3
    )


def test_loss_based_rule_adds_codebook_loss_per_level():
    model = small_vqvae2(codebook_update="loss")
    model.compile(optimizer="adam")
    history = model.fit(smooth_images(count=32), batch_size=16, epochs=1, verbose=0)
    assert {"top_codebook_loss", "bottom_codebook_loss"} <= set(history.history)


def test_config_round_trip_and_saved_model_give_identical_outputs(tmp_path):
    images = smooth_images(count=8)
    model = small_vqvae2(dead_code_threshold=0.5, seed=3)
    model.compile(optimizer="adam")
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    config = model.get_config()
    assert "num_downsamples" not in config
    assert VQVAE2.from_config(config).get_config() == config
    model.save(tmp_path / "vqvae2.keras")
    loaded = keras.saving.load_model(tmp_path / "vqvae2.keras")
    assert type(loaded) is VQVAE2
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(images)), ops.convert_to_numpy(model(images)), atol=1e-6)


@pytest.mark.parametrize("model_class", ["VQVAE", "VQVAE2"])
def test_mixed_bfloat16_models_predict_with_a_float32_codebook(model_class):
    """Under a model-level mixed policy the caller's autocast scope must not turn the codebook into bf16."""
    import keras_vq

    quantizer = VectorQuantizer(64, 16, dtype="mixed_bfloat16")
    model = getattr(keras_vq.models, model_class)(
        **SMALL, data_shape=(16, 16, 3), quantizer=quantizer, dtype="mixed_bfloat16"
    )
    reconstructions = model.predict(smooth_images(count=4), verbose=0)
    quantizers = [layer for layer in model._flatten_layers() if "quantizer" in layer.name]
    assert all(keras.backend.standardize_dtype(q.codebook.dtype) == "float32" for q in quantizers)
    assert reconstructions.dtype == np.float32 and np.isfinite(reconstructions).all()


@pytest.mark.parametrize(
    "top, bottom, message",
    [
        (np.full((1, 2, 2), 64), np.zeros((1, 4, 4), "int32"), r"top_codes must lie in \[0, 64\)"),
        (np.zeros((1, 2, 2), "int32"), np.full((1, 4, 4), -1), r"bottom_codes must lie in \[0, 64\)"),
        (np.zeros((1, 4, 4), "int32"), np.zeros((1, 4, 4), "int32"), r"top_codes must have shape \(batch, 2, 2\)"),
        (np.zeros((1, 2, 2), "int32"), np.zeros((1, 4, 4), "float64"), r"bottom_codes must be integer code indices"),
        (np.zeros((2, 2, 2), "int32"), np.zeros((1, 4, 4), "int32"), r"must hold as many maps; got 2 and 1"),
    ],
)
def test_decode_refuses_either_level_out_of_range_or_of_the_wrong_shape(top, bottom, message):
    with pytest.raises(ValueError, match=message):
        small_vqvae2().decode({"top": top, "bottom": bottom})


def test_both_models_describe_their_code_levels_one_way():
    """`code_levels` describes VQ-VAE's and VQ-VAE-2's codes one way, keyed as `encode` gives them."""
    images = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    two = VQVAE2(
        data_shape=(32, 32, 3), hidden_channels=8, residual_channels=4, quantizer=keras_vq.layers.VectorQuantizer(16, 4)
    )
    levels = two.code_levels()
    assert list(levels) == ["top", "bottom"]
    assert (levels["top"].shape, levels["bottom"].shape) == ((4, 4), (8, 8))
    assert levels["bottom"].condition is levels["top"] and levels["top"].condition is None
    codes = two.encode(images)
    assert {name: tuple(codes[name].shape) for name in codes} == {"top": (2, 4, 4), "bottom": (2, 8, 8)}
    one = keras_vq.models.VQVAE(
        data_shape=(32, 32, 3), hidden_channels=8, residual_channels=4, quantizer=keras_vq.layers.VectorQuantizer(16, 4)
    )
    (level,) = one.code_levels().values()
    assert (level.name, level.shape, level.num_embeddings, level.condition) == ("codes", (8, 8), 16, None)
    assert {name: tuple(codes.shape) for name, codes in one.encode(images).items()} == {"codes": (2, 8, 8)}
