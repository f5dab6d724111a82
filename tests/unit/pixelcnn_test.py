import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.models import PixelCNN
from keras_vq.models.sampling import draw_categorical

SMALL = dict(num_embeddings=8, channels=8, num_blocks=2, first_kernel_size=5)


def conditional_prior():
    return PixelCNN(
        code_shape=(4, 6),
        num_classes=3,
        condition_shape=(2, 3),
        condition_num_embeddings=5,
        condition_residual_layers=1,
        **SMALL,
    )


def conditioning(count, seed=0):
    rng = np.random.default_rng(seed)
    return dict(class_labels=rng.integers(0, 3, count), condition=rng.integers(0, 5, (count, 2, 3)))


def test_cached_and_naive_samplers_draw_identical_codes_from_the_same_seed():
    prior = PixelCNN(code_shape=(5, 7), **SMALL)
    cached = prior.sample(3, seed=11, method="cached")
    naive = prior.sample(3, seed=11, method="naive")
    assert cached.shape == (3, 5, 7) and cached.dtype == np.int32
    np.testing.assert_array_equal(cached, naive)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="reads the loop's logits as it runs: eager on PyTorch")
@pytest.mark.parametrize("conditioned", [False, True])
def test_the_cached_loops_logits_equal_the_full_pass_at_every_position(monkeypatch, conditioned):
    """Every logit, not only the drawn codes (which a slightly wrong cache reproduces most of the time)."""
    from keras_vq.models import sampling

    prior = conditional_prior() if conditioned else PixelCNN(code_shape=(4, 6), **SMALL)
    given = conditioning(3) if conditioned else {}
    seen = []

    def recording(logits, uniform, temperature):
        seen.append(ops.convert_to_numpy(logits))
        return draw_categorical(logits, uniform, temperature)

    monkeypatch.setattr(sampling, "draw_categorical", recording)
    codes = prior.sample(3, seed=4, method="cached", **given)
    full = ops.convert_to_numpy(prior(prior.model_inputs(codes, given.get("class_labels"), given.get("condition"))))
    assert len(seen) == 4 * 6  # one draw a position, in raster order
    np.testing.assert_allclose(np.stack(seen, axis=1).reshape(full.shape), full, rtol=1e-4, atol=1e-4)


def test_cached_and_naive_samplers_agree_with_class_and_spatial_conditioning():
    prior = conditional_prior()
    given = conditioning(4)
    np.testing.assert_array_equal(
        prior.sample(4, seed=5, method="cached", **given), prior.sample(4, seed=5, method="naive", **given)
    )


def test_same_seed_repeats_and_another_seed_differs():
    prior = PixelCNN(code_shape=(4, 4), **SMALL)
    first = prior.sample(6, seed=1)
    np.testing.assert_array_equal(first, prior.sample(6, seed=1))
    assert (first != prior.sample(6, seed=2)).any()


def test_draws_follow_the_softmax_and_low_temperature_takes_the_most_likely_code():
    logits = np.log(np.array([0.1, 0.6, 0.05, 0.25], "float32"))
    count = 20000
    uniform = np.random.default_rng(0).random(count).astype("float32")
    drawn = ops.convert_to_numpy(draw_categorical(np.tile(logits, (count, 1)), uniform, np.ones(count, "float32")))
    frequencies = np.bincount(drawn, minlength=4) / count
    np.testing.assert_allclose(frequencies, [0.1, 0.6, 0.05, 0.25], atol=0.015)  # > 4 standard errors
    cold = ops.convert_to_numpy(
        draw_categorical(np.tile(logits, (100, 1)), uniform[:100], np.full(100, 1e-3, "float32"))
    )
    assert (cold == 1).all()


def test_logits_at_a_position_ignore_codes_at_and_after_it():
    prior = conditional_prior()
    rng = np.random.default_rng(0)
    given = conditioning(1)
    codes = rng.integers(0, 8, (1, 4, 6))
    changed = codes.copy()
    changed[0, 2, 3:] = rng.integers(0, 8, 3)  # the position itself and the rest of its row
    changed[0, 3] = rng.integers(0, 8, 6)
    before = ops.convert_to_numpy(prior({"codes": codes, **given}))
    after = ops.convert_to_numpy(prior({"codes": changed, **given}))
    np.testing.assert_allclose(after[0, :2], before[0, :2], atol=1e-6)
    np.testing.assert_allclose(after[0, 2, :4], before[0, 2, :4], atol=1e-6)  # (2, 3) sees only (2, 0..2)
    assert not np.allclose(after[0, 2, 4:], before[0, 2, 4:])


def striped_codes(labels):
    """Class 0: vertical stripes of codes 0 and 1; class 1: horizontal stripes of 2 and 3."""
    columns = np.arange(4) % 2
    codes = np.where(np.asarray(labels)[:, None, None] == 0, columns[None, None, :], 2 + columns[None, :, None])
    return np.broadcast_to(codes, (len(labels), 4, 4)).astype("int32")


def test_a_trained_class_conditional_prior_samples_its_classes_patterns():
    keras.utils.set_random_seed(0)
    prior = PixelCNN(code_shape=(4, 4), num_embeddings=4, channels=16, num_blocks=2, first_kernel_size=3, num_classes=2)
    labels = np.arange(256) % 2
    codes = striped_codes(labels)
    # Each pattern may start with either code: roll half of them by one stripe.
    codes = np.where((np.arange(256) // 2 % 2)[:, None, None] == 1, codes ^ 1, codes)
    prior.compile(optimizer=keras.optimizers.Adam(0.01))
    history = prior.fit({"codes": codes, "class_labels": labels}, epochs=15, batch_size=32, verbose=0)
    assert history.history["bits_per_code"][-1] < 0.2  # from 2 bits (uniform over 4) to ~1/16 bit

    samples = prior.sample(8, class_labels=[0, 1] * 4, temperature=0.5, seed=0)
    for sample, label in zip(samples, [0, 1] * 4):
        first = sample[0, 0]
        expected = striped_codes([label])[0]
        expected = expected ^ 1 if first != expected[0, 0] else expected
        np.testing.assert_array_equal(sample, expected)


def test_log_likelihood_bits_matches_the_bits_per_code_that_evaluate_reports():
    prior = conditional_prior()
    rng = np.random.default_rng(1)
    inputs = {"codes": rng.integers(0, 8, (10, 4, 6)), **conditioning(10, seed=1)}
    bits = prior.log_likelihood_bits(inputs, batch_size=4)
    assert bits.shape == (10,)
    prior.compile()
    reported = prior.evaluate(inputs, batch_size=10, verbose=0, return_dict=True)["bits_per_code"]
    np.testing.assert_allclose(bits.mean() / 24, reported, rtol=1e-4)
    assert 2.5 < reported < 3.5  # untrained: near log2(8) = 3


def test_saved_and_reloaded_prior_gives_the_same_logits_and_samples(tmp_path):
    prior = conditional_prior()
    given = conditioning(2)
    inputs = {"codes": np.random.default_rng(2).integers(0, 8, (2, 4, 6)), **given}
    prior.save(tmp_path / "prior.keras")
    reloaded = keras.saving.load_model(tmp_path / "prior.keras")
    np.testing.assert_allclose(ops.convert_to_numpy(reloaded(inputs)), ops.convert_to_numpy(prior(inputs)), atol=1e-6)
    np.testing.assert_array_equal(reloaded.sample(2, seed=3, **given), prior.sample(2, seed=3, **given))
    preset = PixelCNN.from_preset(prior.save_to_preset(tmp_path / "preset"))
    assert preset.get_config() == prior.get_config()
    np.testing.assert_array_equal(preset.sample(2, seed=3, **given), prior.sample(2, seed=3, **given))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(class_labels=None), r"num_classes=3: class_labels must be given"),
        (dict(class_labels=[0, 3]), r"class_labels must lie in \[0, 3\)"),
        (dict(class_labels=[0, 1, 2]), r"class_labels must have shape \(num_samples,\) = \(2,\)"),
        (dict(condition=np.zeros((2, 4, 6), "int32")), r"condition must have shape \(2, 2, 3\); got \(2, 4, 6\)"),
        (dict(condition=np.full((2, 2, 3), 5)), r"condition must lie in \[0, 5\); got values 5..5"),
        (dict(temperature=0.0), r"temperature must be in range \(0.0, inf\), got 0.0"),
        (dict(method="greedy"), r"method must be one of \('cached', 'naive'\)"),
    ],
)
def test_bad_sampling_arguments_are_refused_before_sampling(arguments, message):
    prior = conditional_prior()
    call = dict(class_labels=[0, 1], condition=np.zeros((2, 2, 3), "int32")) | arguments
    with pytest.raises(ValueError, match=message):
        prior.sample(2, **call)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(code_shape=(8,)), r"code_shape must be a tuple of 2 positive integer sizes, got \(8,\)"),
        (dict(condition_shape=(3, 3), condition_num_embeddings=4), r"condition_shape \(3, 3\) must divide code_shape"),
        (dict(condition_shape=(4, 4)), "condition_num_embeddings must be given with condition_shape"),
        (dict(kernel_size=2), "kernel_size must be odd"),
    ],
)
def test_bad_architectures_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        PixelCNN(**(dict(code_shape=(8, 8)) | SMALL | arguments))


@pytest.mark.parametrize(
    "inputs, message",
    [
        (
            {"codes": np.zeros((4, 4, 6), "int32"), "class_labels": np.zeros(4, "int32")},
            r"takes \['class_labels', 'codes', 'condition'\]; got \['class_labels', 'codes'\]",
        ),
        (
            {
                "codes": np.full((4, 4, 6), 8),
                "class_labels": np.zeros(4, "int32"),
                "condition": np.zeros((4, 2, 3), "int32"),
            },
            r"codes must lie in \[0, 8\); got values 8..8",
        ),
        (
            {
                "codes": np.zeros((4, 6, 4), "int32"),
                "class_labels": np.zeros(4, "int32"),
                "condition": np.zeros((4, 2, 3), "int32"),
            },
            r"codes must have shape \(examples, \*\(4, 6\)\); got \(4, 6, 4\)",
        ),
        (
            {
                "codes": np.zeros((4, 4, 6)),
                "class_labels": np.zeros(4, "int32"),
                "condition": np.zeros((4, 2, 3), "int32"),
            },
            "codes must be integers; got dtype float64",
        ),
    ],
)
def test_fit_evaluate_and_likelihood_refuse_codes_that_do_not_fit_the_prior_before_any_step(inputs, message):
    prior = conditional_prior()
    prior.compile(optimizer="adam")
    weights = [w.copy() for w in prior.get_weights()]
    with pytest.raises(ValueError, match=message):
        prior.fit(inputs, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(weights, prior.get_weights()))
    with pytest.raises(ValueError, match=message):  # TensorFlow's InvalidArgumentError, or NaN on JAX, before.
        prior.evaluate(inputs, verbose=0)
    with pytest.raises(ValueError, match=message):
        prior.log_likelihood_bits(inputs)


def test_a_second_sampling_call_with_another_number_of_samples_gives_what_a_fresh_prior_gives():
    # TensorFlow retraced the compiled loop with an unknown batch size and crashed on the second call.
    prior = PixelCNN(code_shape=(3, 4), **SMALL)
    first = prior.sample(2, seed=3)
    second = prior.sample(5, seed=3)
    assert first.shape == (2, 3, 4) and second.shape == (5, 3, 4)
    np.testing.assert_array_equal(second, prior.sample(5, seed=3, method="naive"))
    np.testing.assert_array_equal(first, prior.sample(2, seed=3))


def sharpened(prior, factor=40.0):
    """The prior with its output logits scaled up: each draw then depends on small logit differences, so a
    sampler reading a stale or shifted value draws other codes (untrained logits barely differ)."""
    logits_layer = prior.get_layer("logits")
    logits_layer.set_weights([weight * factor for weight in logits_layer.get_weights()])
    return prior


def test_cached_sampler_matches_the_naive_loop_on_sharp_conditional_distributions():
    prior = sharpened(conditional_prior())
    given = conditioning(4, seed=2)
    cached = prior.sample(4, seed=9, method="cached", **given)
    np.testing.assert_array_equal(cached, prior.sample(4, seed=9, method="naive", **given))
    assert len(np.unique(cached)) >= 5  # Not a degenerate map that any sampler would reproduce.
    # Each draw is the inverse-CDF draw from the full pass's logits given the codes before it.
    logits = ops.convert_to_numpy(prior(prior.model_inputs(cached, given["class_labels"], given["condition"])))
    uniform = np.random.default_rng(9).random((4,) + prior.code_shape, dtype=np.float32)
    redrawn = ops.convert_to_numpy(
        draw_categorical(logits.reshape(-1, 8), uniform.reshape(-1), np.ones(uniform.size, "float32"))
    )
    np.testing.assert_array_equal(redrawn.reshape(cached.shape), cached)


def test_cached_and_naive_samplers_agree_under_mixed_bfloat16():
    # The cached loop's row preactivation once added a float32 bias to bfloat16 features (TensorFlow refused).
    prior = PixelCNN(
        code_shape=(4, 6),
        num_classes=3,
        condition_shape=(2, 3),
        condition_num_embeddings=5,
        condition_residual_layers=1,
        dtype="mixed_bfloat16",
        **SMALL,
    )
    given = conditioning(3, seed=4)
    cached = prior.sample(3, seed=2, method="cached", **given)
    np.testing.assert_array_equal(cached, prior.sample(3, seed=2, method="naive", **given))


def test_cached_sampler_handles_one_by_one_kernels():
    # Kernel size 1: the later blocks keep no columns before j, the first block one.
    prior = PixelCNN(code_shape=(3, 4), num_embeddings=8, channels=8, num_blocks=3, kernel_size=1, first_kernel_size=1)
    np.testing.assert_array_equal(prior.sample(2, seed=6, method="cached"), prior.sample(2, seed=6, method="naive"))
