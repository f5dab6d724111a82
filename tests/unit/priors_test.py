"""Priors around the autoencoders: cached codes, hierarchical generation, bits/dim."""

import os
import re

import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq import metrics
from keras_vq.data import CodeBatches, load_codes, load_numpy
from keras_vq.layers import VectorQuantizer
from keras_vq.models import VQVAE, VQVAE2, PixelCNN
from tests.data_helpers import CIFAR10_FIXTURE

SMALL_AUTOENCODER = dict(hidden_channels=16, residual_channels=4, num_residual_layers=1)
SMALL_PRIOR = dict(num_embeddings=16, channels=8, num_blocks=2, first_kernel_size=3)


def logistic_bin_probability_by_integration(pixel, mean, scale, steps=20001):
    """P(pixel) by integrating the logistic density over the pixel's bin (the tails for 0 and 255)."""
    low = -40 * scale + mean if pixel == 0 else (pixel - 0.5) / 255
    high = 40 * scale + mean if pixel == 255 else (pixel + 0.5) / 255
    grid = np.linspace(low, high, steps)
    z = (grid - mean) / scale
    density = np.exp(-z) / (scale * (1 + np.exp(-z)) ** 2)
    return np.sum((density[1:] + density[:-1]) / 2 * np.diff(grid))


@pytest.mark.parametrize(
    "pixel, mean, scale",
    [
        (128, 0.5, 0.03),
        (0, 0.1, 0.05),
        (255, 0.9, 0.02),
        (200, 0.2, 0.02),
        (3, 0.95, 0.1),
        (77, 0.3, 0.004),
    ],
)
def test_discretized_logistic_bits_match_numerical_integration_of_the_density(pixel, mean, scale):
    expected = -np.log2(logistic_bin_probability_by_integration(pixel, mean, scale))
    bits = metrics.discretized_logistic_bits(np.array([pixel]), np.array([mean]), scale)[0]
    np.testing.assert_allclose(bits, expected, rtol=1e-4)


def test_discretized_logistic_probabilities_sum_to_one_over_the_256_levels():
    bits = metrics.discretized_logistic_bits(np.arange(256), np.full(256, 0.37), 0.05)
    np.testing.assert_allclose(np.sum(2.0**-bits), 1.0, rtol=1e-9)


def test_fitted_logistic_scales_recover_the_scales_that_generated_the_pixels():
    rng = np.random.default_rng(0)
    means = rng.uniform(0.2, 0.8, (20000, 2))
    scales = np.array([0.01, 0.05])
    noisy = means + scales * rng.logistic(size=means.shape)
    pixels = np.clip(np.rint(noisy * 255), 0, 255).astype(np.int64)
    np.testing.assert_allclose(metrics.fit_logistic_scales(pixels, means), scales, rtol=0.05)


def test_bad_pixels_and_scales_are_refused():
    with pytest.raises(ValueError, match=r"pixels must be integers in \[0, 255\]; got 0..256"):
        metrics.discretized_logistic_bits(np.array([0, 256]), 0.5, 0.1)
    with pytest.raises(ValueError, match="scales must be > 0"):
        metrics.discretized_logistic_bits(np.array([3]), 0.5, 0.0)
    # Images on [0, 1] passed as pixels were read as levels near 0, silently.
    with pytest.raises(ValueError, match=r"8-bit levels.*non-integer values such as 0.5 .*np.round\(images \* 255\)"):
        metrics.discretized_logistic_bits(np.array([0.5, 1.0]), 0.5, 0.1)
    with pytest.raises(ValueError, match="non-integer values"):
        metrics.fit_logistic_scales(np.full((4, 3), 0.25), np.full((4, 3), 0.25))
    assert metrics.discretized_logistic_bits(np.array([3.0, 200.0]), 0.5, 0.1).shape == (2,)  # Whole floats are fine.


def test_bits_per_dim_is_decoder_bits_plus_prior_bits_over_the_dimensions():
    autoencoder = VQVAE(data_shape=(8, 8, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    prior = PixelCNN(code_shape=(2, 2), num_classes=2, **SMALL_PRIOR)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (6, 8, 8, 3)).astype("float32") / 255
    labels = np.array([0, 1, 0, 1, 1, 0])
    scales = np.array([0.1, 0.2, 0.3])
    report = metrics.bits_per_dim(autoencoder, prior, images, scales, labels, batch_size=4)

    codes = ops.convert_to_numpy(autoencoder.encode(images)["codes"])
    means = ops.convert_to_numpy(autoencoder.decode({"codes": codes}))
    decoder_bits = metrics.discretized_logistic_bits(np.rint(images * 255).astype(int), means, scales).sum()
    prior_bits = prior.log_likelihood_bits({"codes": codes, "class_labels": labels}).sum()
    np.testing.assert_allclose(report["decoder_bits_per_dim"], decoder_bits / images.size, rtol=1e-6)
    np.testing.assert_allclose(report["prior_bits_per_dim"], prior_bits / images.size, rtol=1e-6)
    np.testing.assert_allclose(report["bits_per_dim"], (decoder_bits + prior_bits) / images.size, rtol=1e-6)


def vqvae2_with_priors(num_classes=None):
    autoencoder = VQVAE2(data_shape=(16, 16, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    top = PixelCNN(code_shape=(2, 2), num_classes=num_classes, **SMALL_PRIOR)
    bottom = PixelCNN(
        code_shape=(4, 4),
        num_classes=num_classes,
        condition_shape=(2, 2),
        condition_num_embeddings=16,
        condition_residual_layers=1,
        **SMALL_PRIOR,
    )
    return autoencoder, top, bottom


def test_vqvae2_generates_top_codes_then_bottom_codes_conditioned_on_them_then_decodes():
    autoencoder, top, bottom = vqvae2_with_priors(num_classes=3)
    labels = np.array([0, 2, 1])
    images = autoencoder.generate(top, bottom, 3, class_labels=labels, temperature=(1.0, 0.7), seed=4)
    top_codes = top.sample(3, class_labels=labels, seed=4)
    bottom_codes = bottom.sample(3, class_labels=labels, condition=top_codes, temperature=0.7, seed=5)
    expected = ops.convert_to_numpy(autoencoder.decode({"top": top_codes, "bottom": bottom_codes}))
    assert images.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(images, expected, atol=1e-6)


def test_vqvae_generates_decoded_samples_of_its_prior():
    autoencoder = VQVAE(data_shape=(8, 8, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    prior = PixelCNN(code_shape=(2, 2), **SMALL_PRIOR)
    images = autoencoder.generate(prior, 2, seed=0)
    expected = ops.convert_to_numpy(autoencoder.decode({"codes": prior.sample(2, seed=0)}))
    np.testing.assert_allclose(images, expected, atol=1e-6)


def test_priors_that_do_not_fit_the_autoencoder_are_refused_by_argument():
    autoencoder, top, bottom = vqvae2_with_priors()
    with pytest.raises(
        ValueError,
        match=r"top_prior must model \(2, 2\) maps of 16 codes \(level 'top'\); got a "
        r"PixelCNN over \(4, 4\)",
    ):
        autoencoder.generate(bottom, bottom, 1)
    with pytest.raises(ValueError, match=r"bottom_prior must be a prior over codes .*; got VQVAE2"):
        autoencoder.generate(top, autoencoder, 1)
    unconditioned = PixelCNN(code_shape=(4, 4), **SMALL_PRIOR)
    with pytest.raises(ValueError, match=r"bottom_prior must be conditioned on \(2, 2\) maps of codes"):
        autoencoder.generate(top, unconditioned, 1)
    with pytest.raises(ValueError, match=r"temperature is one number or \(top, bottom\); got 1 values \(1.0,\)"):
        autoencoder.generate(top, bottom, 1, temperature=(1.0,))


def test_codes_are_encoded_once_then_read_from_the_cache(tmp_path, monkeypatch):
    autoencoder = VQVAE(data_shape=(32, 32, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    data_dir = CIFAR10_FIXTURE
    codes = load_codes(autoencoder, "cifar10", "train[:50%]", data_dir=data_dir, cache_dir=tmp_path)
    images, labels = load_numpy("cifar10", "train[:50%]", 500, data_dir=data_dir, evaluation=True, with_labels=True)[0]
    np.testing.assert_array_equal(codes["codes"], ops.convert_to_numpy(autoencoder.encode(images)["codes"]))
    np.testing.assert_array_equal(codes["labels"], labels)
    assert [path.name.rsplit("-", 1)[0] for path in tmp_path.rglob("*.npz")] == ["cifar10-train_50_"]

    def encode_again(inputs):
        raise AssertionError("encoded a second time")

    monkeypatch.setattr(autoencoder, "encode", encode_again)
    again = load_codes(autoencoder, "cifar10", "train[:50%]", data_dir=data_dir, cache_dir=tmp_path)
    np.testing.assert_array_equal(again["codes"], codes["codes"])
    # Other weights: its own codes.
    retrained = VQVAE(data_shape=(32, 32, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    load_codes(retrained, "cifar10", "train[:50%]", data_dir=data_dir, cache_dir=tmp_path)
    assert len(list(tmp_path.rglob("*.npz"))) == 2


@pytest.mark.parametrize("damage", ["truncated", "foreign", "out_of_range"])
def test_a_damaged_or_foreign_codes_cache_is_named_and_encoded_anew(damage, tmp_path):
    autoencoder = VQVAE(data_shape=(32, 32, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    codes = load_codes(autoencoder, "cifar10", "train[:50%]", data_dir=CIFAR10_FIXTURE, cache_dir=tmp_path)
    (path,) = tmp_path.rglob("*.npz")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "foreign":
        np.savez(path, top=codes["codes"], labels=codes["labels"])
    else:
        np.savez(path, codes=codes["codes"] + autoencoder.num_embeddings, labels=codes["labels"])
    with pytest.warns(UserWarning, match=rf"{re.escape(str(path))} is not a usable codes cache .*encoding cifar10"):
        again = load_codes(autoencoder, "cifar10", "train[:50%]", data_dir=CIFAR10_FIXTURE, cache_dir=tmp_path)
    np.testing.assert_array_equal(again["codes"], codes["codes"])
    with np.load(path) as rewritten:  # The cache holds the right codes again.
        np.testing.assert_array_equal(rewritten["codes"], codes["codes"])


def test_code_batches_cover_every_example_once_an_epoch_and_reshuffle():
    inputs = {"codes": np.arange(10)[:, None, None] * np.ones((1, 2, 2), int), "class_labels": np.arange(10)}
    batches = CodeBatches(inputs, 3, seed=0)
    assert len(batches) == 3
    first = np.concatenate([batches[index]["class_labels"] for index in range(3)])
    assert len(set(first)) == 9
    np.testing.assert_array_equal(batches[0]["codes"][:, 0, 0], batches[0]["class_labels"])
    batches.on_epoch_end()
    assert not np.array_equal(first, np.concatenate([batches[index]["class_labels"] for index in range(3)]))
    evaluation = CodeBatches(inputs, 4, evaluation=True)
    np.testing.assert_array_equal(np.concatenate([evaluation[i]["class_labels"] for i in range(3)]), np.arange(10))
    with pytest.raises(ValueError, match=r"one length; got lengths \[3, 10\]"):
        CodeBatches({"codes": inputs["codes"], "class_labels": np.arange(3)}, 2)


def test_the_codes_cache_is_keyed_on_the_data_folder_and_its_files(tmp_path, monkeypatch):
    # The cache ignored data_dir: the same model on another folder got the first folder's codes.
    import shutil

    from PIL import Image

    autoencoder = VQVAE(data_shape=(32, 32, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    encoded = []
    real_encode = autoencoder.encode
    monkeypatch.setattr(autoencoder, "encode", lambda images: encoded.append(len(images)) or real_encode(images))
    other = tmp_path / "other"
    shutil.copytree(CIFAR10_FIXTURE, other)
    first_png = sorted((other / "train").glob("*/*.png"))[0]
    cache = tmp_path / "cache"

    def codes_and_fresh_encoding(data_dir):
        codes = load_codes(autoencoder, "cifar10", "train", data_dir=data_dir, cache_dir=cache)["codes"]
        images = load_numpy("cifar10", "train", 500, data_dir=data_dir, evaluation=True, progress=False)[0]
        return codes, ops.convert_to_numpy(real_encode(images)["codes"])

    codes, fresh = codes_and_fresh_encoding(CIFAR10_FIXTURE)
    np.testing.assert_array_equal(codes, fresh)
    load_codes(autoencoder, "cifar10", "train", data_dir=CIFAR10_FIXTURE, cache_dir=cache)
    assert encoded == [20]  # Read from the cache the second time.
    Image.fromarray(np.full((32, 32, 3), 255, np.uint8)).save(first_png)  # Another folder, one image changed.
    codes, fresh = codes_and_fresh_encoding(other)
    np.testing.assert_array_equal(codes, fresh)
    assert encoded == [20, 20]
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(first_png)  # Changed again, same folder.
    os.utime(first_png, ns=(first_png.stat().st_atime_ns, first_png.stat().st_mtime_ns + 1_000_000_000))
    codes, fresh = codes_and_fresh_encoding(other)
    np.testing.assert_array_equal(codes, fresh)
    assert encoded == [20, 20, 20] and len(list(cache.rglob("*.npz"))) == 3


def test_a_vqvae2s_codes_are_cached_by_level_and_feed_each_levels_prior(tmp_path):
    autoencoder = VQVAE2(data_shape=(32, 32, 3), **SMALL_AUTOENCODER, quantizer=VectorQuantizer(16, 4))
    codes = load_codes(autoencoder, "cifar10", "test", data_dir=CIFAR10_FIXTURE, cache_dir=tmp_path)
    images, labels = load_numpy("cifar10", "test", 500, data_dir=CIFAR10_FIXTURE, evaluation=True, with_labels=True)[0]
    encoded = autoencoder.encode(images)
    assert sorted(codes) == ["bottom", "labels", "top"]
    np.testing.assert_array_equal(codes["top"], ops.convert_to_numpy(encoded["top"]))
    np.testing.assert_array_equal(codes["bottom"], ops.convert_to_numpy(encoded["bottom"]))
    levels = autoencoder.code_levels()
    architecture = {key: value for key, value in SMALL_PRIOR.items() if key != "num_embeddings"}
    priors = [PixelCNN.for_code_level(level, **architecture) for level in levels.values()]
    labelled = PixelCNN.for_code_level(levels["bottom"], num_classes=10, **architecture)
    bottom_inputs = keras_vq.data.prior_inputs(codes, levels["bottom"], labelled)
    assert sorted(bottom_inputs) == ["class_labels", "codes", "condition"]
    np.testing.assert_array_equal(bottom_inputs["condition"], codes["top"])
    np.testing.assert_array_equal(keras_vq.data.prior_inputs(codes, levels["top"], priors[0]), codes["top"])
    with pytest.raises(ValueError, match=r"prior must model \(8, 8\) maps of 16 codes \(level 'bottom'\)"):
        keras_vq.data.prior_inputs(codes, levels["bottom"], priors[0])
    scales = np.full(3, 0.1, np.float32)
    with pytest.raises(ValueError, match=r"priors must be one prior per code level \['top', 'bottom'\]"):
        keras_vq.metrics.bits_per_dim(autoencoder, priors[:1], images, scales, verbose=0)
    bound = keras_vq.metrics.bits_per_dim(autoencoder, priors, images, scales, verbose=0)
    expected_prior_bits = sum(
        prior.log_likelihood_bits(keras_vq.data.prior_inputs(codes, level, prior)).sum()
        for prior, level in zip(priors, levels.values())
    )
    np.testing.assert_allclose(bound["prior_bits_per_dim"], expected_prior_bits / images.size, rtol=1e-5)
