"""The decoders' output distributions: the discretised logistic mixture against NumPy, and in the models."""

import itertools

import keras
import numpy as np
import pytest

import keras_vq
from keras_vq.output_distributions import DiscretizedLogisticMixture, output_distribution_for


def random_outputs(mixture, rows, rng, spread=1.0):
    """Decoder outputs with locations beyond the range, log-scales past both clips, large logits."""
    outputs = rng.normal(scale=spread, size=(rows, mixture.parameter_channels)).astype("float32")
    m, c = mixture.num_mixtures, mixture.channels
    outputs[:, :m] *= 3.0  # Uneven weights.
    outputs[:, (1 + c) * m : (1 + 2 * c) * m] = rng.uniform(-9.0, 3.0, size=(rows, c * m))  # Both log-scale clips.
    return outputs


def numpy_log_probability(mixture, x, outputs):
    """PixelCNN++'s likelihood (Salimans et al. 2017, eq. 2 and sec. 2.2), written out for C = 3 in float64
    with plain sigmoid differences (of 1 - sigmoid above the location, where sigmoids round to 1): level 0
    takes the lower tail, level 255 the upper one."""
    m = mixture.num_mixtures
    outputs = outputs.astype(np.float64)
    logits = outputs[:, :m]
    means = outputs[:, m : 4 * m].reshape(-1, 3, m)
    log_scales = np.clip(outputs[:, 4 * m : 7 * m].reshape(-1, 3, m), -7.0, 2.0)
    a, b, g = np.tanh(outputs[:, 7 * m : 10 * m].reshape(-1, 3, m)).transpose(1, 0, 2)
    values = np.rint(x * 255) / 127.5 - 1.0  # (rows, 3) on [-1, 1]
    red, green, blue = values[:, :1], values[:, 1:2], values[:, 2:3]
    locations = [means[:, 0], means[:, 1] + a * red, means[:, 2] + b * red + g * green]
    sigmoid = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    log_components = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    for channel, value in enumerate((red, green, blue)):
        inverse_scale = np.exp(-log_scales[:, channel])
        upper = inverse_scale * (value + 1 / 255 - locations[channel])
        lower = inverse_scale * (value - 1 / 255 - locations[channel])
        between = np.where(
            value > locations[channel], sigmoid(-lower) - sigmoid(-upper), sigmoid(upper) - sigmoid(lower)
        )
        probability = np.where(value < -0.999, sigmoid(upper), np.where(value > 0.999, sigmoid(-lower), between))
        log_components = log_components + np.log(probability)
    return np.log(np.exp(log_components).sum(axis=1))


def test_probabilities_over_every_level_sum_to_one_for_one_channel_and_for_coupled_channels():
    rng = np.random.default_rng(0)
    for channels, num_mixtures, spread in ((1, 4, 1.0), (1, 3, 4.0), (2, 3, 1.0)):
        mixture = DiscretizedLogisticMixture((0.0, 1.0), channels, num_mixtures)
        outputs = random_outputs(mixture, 1, rng, spread)
        # Every combination of levels (65,536 for two channels, the second coupled to the first).
        levels = np.array(list(itertools.product(range(256), repeat=channels)), "float32") / 255
        log_probability = mixture.log_probability(levels, np.repeat(outputs, len(levels), axis=0))
        total = np.exp(keras.ops.convert_to_numpy(log_probability).astype(np.float64)).sum()
        assert abs(total - 1.0) < 2e-4, (channels, num_mixtures, total)


def test_log_likelihood_of_coupled_rgb_equals_a_numpy_implementation_at_every_kind_of_level():
    rng = np.random.default_rng(1)
    mixture = DiscretizedLogisticMixture((0.0, 1.0), 3, 5)
    outputs = random_outputs(mixture, 600, rng)
    outputs[:, 5 * 4 : 5 * 7] = rng.uniform(-5.0, 1.0, size=(600, 15))  # Keep the float64 reference away from 0.
    levels = rng.integers(0, 256, size=(600, 3))
    levels[:100, 0], levels[100:200, 1], levels[200:300] = 0, 255, 255  # The edges, alone and together.
    images = (levels / 255).astype("float32")
    expected = numpy_log_probability(mixture, images, outputs)
    found = keras.ops.convert_to_numpy(mixture.log_probability(images, outputs))
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-4)
    loss, bits = mixture.loss(images, outputs)
    assert abs(float(loss) + expected.mean() / 3) < 1e-4  # nats a dimension
    assert abs(float(bits) + expected.mean() / 3 / np.log(2)) < 1e-4


def test_data_on_another_range_scores_as_the_same_levels_on_zero_one():
    rng = np.random.default_rng(2)
    unit = DiscretizedLogisticMixture((0.0, 1.0), 3, 2)
    signed = DiscretizedLogisticMixture((-1.0, 1.0), 3, 2)
    outputs = random_outputs(unit, 50, rng)
    levels = rng.integers(0, 256, size=(50, 3))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(signed.log_probability(levels / 127.5 - 1, outputs)),
        keras.ops.convert_to_numpy(unit.log_probability(levels / 255, outputs)),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(signed.mean(outputs)),
        keras.ops.convert_to_numpy(unit.mean(outputs)) * 2 - 1,
        atol=1e-5,
    )


def test_mean_is_the_expected_level_within_half_a_level():
    rng = np.random.default_rng(3)
    mixture = DiscretizedLogisticMixture((0.0, 1.0), 1, 3)
    outputs = random_outputs(mixture, 20, rng, spread=2.0)
    levels = np.arange(256, dtype="float32") / 255
    expected = []
    for row in outputs:
        log_probability = mixture.log_probability(levels[:, None], np.repeat(row[None], 256, axis=0))
        expected.append((np.exp(keras.ops.convert_to_numpy(log_probability).astype(np.float64)) * levels).sum())
    found = keras.ops.convert_to_numpy(mixture.mean(outputs))[:, 0]
    assert np.abs(found - np.array(expected)).max() <= 0.5 / 255 + 1e-6


def test_samples_follow_the_probabilities_and_their_average_the_mean():
    rng = np.random.default_rng(4)
    one = DiscretizedLogisticMixture((0.0, 1.0), 1, 3)
    outputs = random_outputs(one, 1, rng)
    draws = keras.ops.convert_to_numpy(one.sample(np.repeat(outputs, 20_000, axis=0), seed=0))[:, 0]
    assert np.allclose(draws * 255, np.rint(draws * 255), atol=1e-3)  # On the 8-bit levels.
    frequencies = np.bincount(np.rint(draws * 255).astype(int), minlength=256) / len(draws)
    levels = np.arange(256, dtype="float32")[:, None] / 255
    probabilities = np.exp(keras.ops.convert_to_numpy(one.log_probability(levels, np.repeat(outputs, 256, axis=0))))
    assert 0.5 * np.abs(frequencies - probabilities).sum() < 0.03  # Total variation.
    rgb = DiscretizedLogisticMixture((0.0, 1.0), 3, 4)
    outputs = rng.normal(scale=0.3, size=(1, rgb.parameter_channels)).astype("float32")  # Coupled, off the edges.
    draws = keras.ops.convert_to_numpy(rgb.sample(np.repeat(outputs, 20_000, axis=0), seed=1))
    np.testing.assert_allclose(draws.mean(axis=0), keras.ops.convert_to_numpy(rgb.mean(outputs))[0], atol=0.01)


def test_edges_stay_finite_in_training_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_bfloat16")
    model = keras_vq.models.VQVAE(
        hidden_channels=16,
        residual_channels=8,
        quantizer=keras_vq.layers.VectorQuantizer(16, 8),
        output_distribution={"name": "logistic_mixture", "num_mixtures": 3},
    )
    keras.config.set_dtype_policy("float32")
    to_distribution = model.decoder.get_layer("to_distribution")
    assert to_distribution.compute_dtype == "float32" and model.encoder.layers[1].compute_dtype == "bfloat16"
    kernel, bias = to_distribution.get_weights()
    to_distribution.set_weights([kernel * 300.0, bias * 300.0])  # Parameters far past every clip.
    images = np.zeros((4, 32, 32, 3), "float32")
    images[2:] = 1.0  # Levels 0 and 255 only.
    model.compile(optimizer=keras.optimizers.SGD(1e-3))
    logs = model.train_on_batch(images, return_dict=True)
    assert np.isfinite(logs["loss"]) and np.isfinite(logs["bits_per_dim"]), logs
    assert all(np.isfinite(keras.ops.convert_to_numpy(weight)).all() for weight in model.weights)
    assert np.isfinite(keras.ops.convert_to_numpy(model(images))).all()


def test_a_decoder_trained_on_a_few_images_scores_below_their_pixel_histogram(optimized_compilation):
    images, _, _ = keras_vq.data.load_cifar10_sample()
    images = images[:32]
    # The bits/dim of the best code-blind model of these pixels: the entropy of each channel's histogram.
    pixels = np.rint(images * 255).astype(int)
    histogram_bits = 0.0
    for channel in range(3):
        frequencies = np.bincount(pixels[..., channel].ravel(), minlength=256) / pixels[..., channel].size
        frequencies = frequencies[frequencies > 0]
        histogram_bits -= (frequencies * np.log2(frequencies)).sum() / 3
    model = keras_vq.models.VQVAE(
        hidden_channels=32,
        residual_channels=16,
        quantizer=keras_vq.layers.VectorQuantizer(64, 16, dead_code_threshold=1.0),
        output_distribution="logistic_mixture",
    )
    # 12 epochs at 3e-3 end ~0.45 bits below the histogram on every backend (at 1e-3, 20 epochs ~0.7).
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    shapes = []  # What a callback sees between training steps: predict's mean, and a call's parameters.

    class Shapes(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            shapes.append((tuple(self.model.predict_on_batch(images[:2]).shape), tuple(self.model(images[:2]).shape)))

    with optimized_compilation():
        history = model.fit(images, batch_size=16, epochs=11, verbose=0).history
    assert history["bits_per_dim"][0] > 8.0 and "reconstruction_loss" not in history
    # The last epoch with callbacks and validation (every epoch with them cost JAX most of this test).
    report = keras_vq.callbacks.HeldOutReport(images[:8])
    history = model.fit(
        images,
        batch_size=16,
        initial_epoch=11,
        epochs=12,
        verbose=0,
        callbacks=[Shapes(), report],
        validation_data=(images[:8],),
    ).history
    assert shapes == [((2, 32, 32, 3), (2, 32, 32, 100))]
    assert np.isfinite(history["val_bits_per_dim"]).all() and np.isfinite(history["held_out_bits_per_dim"]).all()
    evaluated = model.evaluate(images, batch_size=32, verbose=0, return_dict=True)["bits_per_dim"]
    assert evaluated < histogram_bits - 0.3, (evaluated, histogram_bits)
    # The whole-model bound's decoder part is the same likelihood, computed from the codes.
    prior = keras_vq.models.PixelCNN(code_shape=(8, 8), num_embeddings=64, channels=8, num_blocks=1)
    figures = keras_vq.metrics.bits_per_dim(model, prior, images, verbose=0)
    assert abs(figures["decoder_bits_per_dim"] - evaluated) < 1e-3, (figures, evaluated)
    assert figures["bits_per_dim"] == pytest.approx(figures["decoder_bits_per_dim"] + figures["prior_bits_per_dim"])
    with pytest.raises(ValueError, match="has its own likelihood: pass scales=None"):
        keras_vq.metrics.bits_per_dim(model, prior, images, np.full(3, 0.03), verbose=0)
    reconstructions = model.predict(images, verbose=0)
    assert reconstructions.shape == images.shape and 0.0 <= reconstructions.min() and reconstructions.max() <= 1.0


@pytest.mark.parametrize("model_class", ["VQVAE2", "VAE"])
def test_every_image_model_takes_the_mixture_reports_bits_and_saves_it(model_class, tmp_path):
    images, _, _ = keras_vq.data.load_cifar10_sample()
    options = {"latent_dim": 8} if model_class == "VAE" else {"quantizer": keras_vq.layers.VectorQuantizer(16, 8)}
    model = getattr(keras_vq.models, model_class)(
        hidden_channels=16,
        residual_channels=8,
        **options,
        output_distribution={"name": "logistic_mixture", "num_mixtures": 2},
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(images[:16], batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["bits_per_dim"][0]) and "reconstruction_loss" not in history
    parameters = keras.ops.convert_to_numpy(model(images[:4]))  # the decoder's output: 2 logistics' parameters
    assert parameters.shape == (4, 32, 32, 20)
    mean = model.predict(images[:4], verbose=0)  # the data: their mean (for a VAE, from the posterior mean)
    assert mean.shape == (4, 32, 32, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.output_distribution.mean(parameters)), mean, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.decode(model.encode(images[:4]))), mean, atol=1e-5)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")
    assert restored.get_config()["output_distribution"] == {"name": "logistic_mixture", "num_mixtures": 2}
    np.testing.assert_allclose(keras.ops.convert_to_numpy(restored(images[:4])), parameters, atol=1e-6)


def test_models_saved_without_the_option_decode_with_the_squared_error():
    model = keras_vq.models.VQVAE(
        hidden_channels=16, residual_channels=8, quantizer=keras_vq.layers.VectorQuantizer(16, 8)
    )
    config = model.get_config()
    assert "output_distribution" not in config  # The default is not recorded: configs are as before the option.
    restored = keras_vq.models.VQVAE.from_config(config)
    assert restored.output_distribution.name == "mse"
    assert tuple(restored.decoder.output_shape) == (None, 32, 32, 3)
    restored.compile(optimizer="adam")
    images, _, _ = keras_vq.data.load_cifar10_sample()
    history = restored.fit(images[:8], batch_size=8, epochs=1, verbose=0).history
    assert "reconstruction_loss" in history and "bits_per_dim" not in history
    with pytest.raises(ValueError, match="needs them"):
        keras_vq.metrics.bits_per_dim(
            restored,
            keras_vq.models.PixelCNN(code_shape=(8, 8), num_embeddings=16, channels=8, num_blocks=1),
            images[:4],
            verbose=0,
        )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gaussian", "output_distribution must be one of"),
        ({"name": "mse", "num_mixtures": 3}, "'mse' takes no options"),
        ({"name": "logistic_mixture", "mixtures": 3}, r"takes num_mixtures only; got \['mixtures'\]"),
        ({"name": "logistic_mixture", "num_mixtures": 0}, "num_mixtures must be an integer >= 1"),
        (None, "output_distribution must be one of"),
    ],
)
def test_an_unknown_output_distribution_is_refused_by_name(spec, message):
    with pytest.raises(ValueError, match=message):
        output_distribution_for(spec, (0.0, 1.0), 3)
    with pytest.raises(ValueError, match=message):
        keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8, output_distribution=spec)


def test_a_wavenet_decoder_refuses_a_pixel_distribution():
    wavenet = keras_vq.models.WaveNet(
        num_symbols=256,
        channels=8,
        skip_channels=8,
        num_layers=2,
        layers_per_cycle=2,
        local_condition_dim=8,
        upsampling=4,
    )
    with pytest.raises(ValueError, match="a WaveNet decoder has its own output distribution"):
        keras_vq.models.VQVAE(
            data_shape=(64, 1),
            data_range=(-1.0, 1.0),
            num_downsamples=2,
            hidden_channels=8,
            residual_channels=4,
            quantizer=keras_vq.layers.VectorQuantizer(16, 8),
            decoder=wavenet,
            output_distribution="logistic_mixture",
        )


@pytest.mark.parametrize("feed", ["numpy", "pydataset", "tf.data"])
@pytest.mark.parametrize(
    "damage, message",
    [
        ("x255", r"lies in \[0, 255\], outside the model's data_range \(0.0, 1.0\), which its logistic_mixture"),
        ("nan", r"holds NaN or infinite values in 1 example\(s\), the first at index 1"),
    ],
)
def test_fit_refuses_data_off_the_likelihoods_range_or_not_finite_before_any_step(feed, damage, message):
    model = keras_vq.models.VQVAE(
        data_shape=(8, 8, 3),
        hidden_channels=8,
        residual_channels=4,
        num_downsamples=1,
        quantizer=keras_vq.layers.VectorQuantizer(8, 4),
        output_distribution="logistic_mixture",
    )
    model.compile(optimizer="adam")
    images = np.random.default_rng(0).uniform(0, 1, (4, 8, 8, 3)).astype("float32")
    if damage == "x255":
        images = np.round(images * 255)
        images[0, 0, 0, :2] = 0, 255
    else:
        images[1, 2, 3, 0] = np.nan
    if feed == "pydataset":

        class Batches(keras.utils.PyDataset):
            def __len__(self):
                return 1

            def __getitem__(self, index):
                return (images,)

        data = Batches()
    elif feed == "tf.data":
        tf = pytest.importorskip("tensorflow")
        data = tf.data.Dataset.from_tensor_slices(images).batch(4)
    else:
        data = images
    weights = [np.copy(weight) for weight in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        model.fit(data, epochs=1, verbose=0)
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)  # No step was taken.
