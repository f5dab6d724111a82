import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import WaveNetBlock
from keras_vq.models import WaveNet
from tests.backend_utils import gradient

SMALL = dict(num_symbols=16, channels=8, skip_channels=8, num_layers=4, layers_per_cycle=3)


def conditioned_wavenet(**kwargs):
    return WaveNet(**(SMALL | dict(num_speakers=3, local_num_embeddings=5, local_channels=4, upsampling=4) | kwargs))


@pytest.mark.parametrize("kernel_size, dilation_rate", [(2, 1), (2, 4), (3, 2)])
def test_block_output_depends_on_exactly_its_dilated_taps_and_nothing_later(kernel_size, dilation_rate):
    block = WaveNetBlock(4, dilation_rate=dilation_rate, kernel_size=kernel_size)
    inputs = np.random.default_rng(0).normal(size=(1, 20, 4)).astype("float32")
    t = 12

    def output_at_t(values):
        return block(values)[0][:, t, :]

    dependence = np.abs(gradient(output_at_t, inputs)).sum(axis=(0, 2)) > 0
    expected = np.zeros(20, bool)
    expected[[t - tap * dilation_rate for tap in range(kernel_size)]] = True
    np.testing.assert_array_equal(dependence, expected)


def test_stacked_model_sees_exactly_its_receptive_field_of_the_past():
    model = WaveNet(**(SMALL | dict(kernel_size=2)))  # dilations 1, 2, 4, 1: field 1 + 8 = 9
    assert model.receptive_field == 9
    t = 20

    def logits_at_t(embedded):
        hidden = ops.pad(embedded, ((0, 0), (1, 0), (0, 0)))[:, :-1]
        skips = []
        for block in model.blocks:
            hidden, skip = block(hidden)
            skips.append(skip)
        return model.output_head(skips)[:, t, :]

    embedded = np.random.default_rng(1).normal(size=(1, 32, 8)).astype("float32")
    dependence = np.abs(gradient(logits_at_t, embedded)).sum(axis=(0, 2)) > 0
    expected = np.zeros(32, bool)
    expected[t - model.receptive_field : t] = True
    np.testing.assert_array_equal(dependence, expected)


def test_block_step_equals_the_full_pass_at_each_time():
    block = WaveNetBlock(4, dilation_rate=3, kernel_size=3, global_condition_dim=2, local_condition_channels=5)
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(2, 15, 4)).astype("float32")
    speaker = rng.normal(size=(2, 2)).astype("float32")
    local = rng.normal(size=(2, 15, 5)).astype("float32")
    full_output, full_skip = (ops.convert_to_numpy(value) for value in block(inputs, speaker, local))
    padded = np.pad(inputs, ((0, 0), (6, 0), (0, 0)))
    for t in (0, 4, 14):
        past = padded[:, [t, t + 3]]  # t - 6 and t - 3 in the unpadded sequence
        bias = block.conditioning(speaker, local[:, t : t + 1])
        output, skip = block.step(inputs[:, t : t + 1], past, bias)
        np.testing.assert_allclose(ops.convert_to_numpy(output)[:, 0], full_output[:, t], atol=1e-5)
        np.testing.assert_allclose(ops.convert_to_numpy(skip)[:, 0], full_skip[:, t], atol=1e-5)


def test_incremental_and_naive_generation_give_identical_samples_from_the_same_seed():
    model = conditioned_wavenet(kernel_size=3)
    codes = np.random.default_rng(3).integers(0, 5, (2, 9))
    incremental = model.sample(speakers=[0, 2], local_codes=codes, seed=7, method="cached")
    naive = model.sample(speakers=[0, 2], local_codes=codes, seed=7, method="naive")
    assert incremental.shape == (2, 36) and incremental.dtype == np.int32
    np.testing.assert_array_equal(incremental, naive)
    assert (model.sample(speakers=[0, 2], local_codes=codes, seed=8) != incremental).any()


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="reads the loop's logits as it runs: eager on PyTorch")
@pytest.mark.parametrize("conditioned", [False, True])
def test_the_incremental_loops_logits_equal_the_full_pass_at_every_step(monkeypatch, conditioned):
    """Every logit, not only the drawn symbols (which a slightly wrong tap slot reproduces most of the time)."""
    from keras_vq.models import sampling
    from keras_vq.models.sampling import draw_categorical

    model = conditioned_wavenet(kernel_size=3) if conditioned else WaveNet(**(SMALL | dict(kernel_size=3)))
    given = (
        dict(speakers=np.array([0, 2]), local_codes=np.random.default_rng(3).integers(0, 5, (2, 6)))
        if conditioned
        else dict(num_samples=2)
    )
    seen = []

    def recording(logits, uniform, temperature):
        seen.append(ops.convert_to_numpy(logits))
        return draw_categorical(logits, uniform, temperature)

    monkeypatch.setattr(sampling, "draw_categorical", recording)
    symbols = model.sample(length=None if conditioned else 24, seed=5, method="cached", verbose=0, **given)
    full = ops.convert_to_numpy(
        model(model.model_inputs(symbols, given.get("speakers"), given.get("local_codes"), None))
    )
    assert len(seen) == 24
    np.testing.assert_allclose(np.stack(seen, axis=1), full, rtol=1e-4, atol=1e-4)


def test_feature_conditioned_generation_is_identical_both_ways_and_the_features_steer_it():
    model = WaveNet(**(SMALL | dict(kernel_size=3, local_condition_dim=6, local_channels=4, upsampling=4)))
    features = np.random.default_rng(5).normal(size=(2, 5, 6)).astype("float32")
    incremental = model.sample(local_features=features, seed=3, method="cached")
    np.testing.assert_array_equal(incremental, model.sample(local_features=features, seed=3, method="naive"))
    assert incremental.shape == (2, 20)
    logits = model({"symbols": incremental, "local_features": features})
    moved = model({"symbols": incremental, "local_features": features + 1.0})
    assert np.abs(ops.convert_to_numpy(moved) - ops.convert_to_numpy(logits)).max() > 1e-4


def test_feature_condition_reaches_only_the_steps_its_convolution_and_the_stack_cover():
    """The condition enters every block at its own time: logits at t see it at
    times t - 7 .. t (the blocks' dilations 1, 2, 4 before the last), each time
    is condition step s // 4 (repeated), and the 3-tap conv adds one step each side."""
    model = WaveNet(**(SMALL | dict(local_condition_dim=3, local_channels=32, upsampling=4)))
    symbols = ops.convert_to_tensor(np.random.default_rng(6).integers(0, 16, (1, 24)), "int32")

    def logits_at(features, t):
        return model({"symbols": symbols, "local_features": features})[:, t, :]

    features = np.random.default_rng(7).normal(size=(1, 6, 3)).astype("float32")
    for t, reached in ((0, [0, 1]), (10, [0, 1, 2, 3]), (23, [3, 4, 5])):
        dependence = np.abs(gradient(lambda values: logits_at(values, t), features)).sum(axis=(0, 2)) > 0
        np.testing.assert_array_equal(np.flatnonzero(dependence), reached)


def test_codes_and_features_conditions_are_exclusive():
    with pytest.raises(ValueError, match="local_num_embeddings .* or local_condition_dim .* not both"):
        WaveNet(**(SMALL | dict(local_num_embeddings=4, local_condition_dim=3)))
    model = WaveNet(**(SMALL | dict(local_condition_dim=3, upsampling=2)))
    with pytest.raises(ValueError, match=r"local_features must have shape \(num_samples, steps, 3\); got \(1, 4, 2\)"):
        model.sample(local_features=np.zeros((1, 4, 2), "float32"))
    with pytest.raises(ValueError, match="local_condition_dim=3: local_features must be given"):
        model.sample(length=8, num_samples=1)


def test_generate_is_a_deprecated_alias_of_sample_that_warns():
    model = WaveNet(**SMALL)
    with pytest.warns(
        DeprecationWarning,
        match=r"WaveNet.generate\(length, ...\) is deprecated since 0.1 and will go: use WaveNet.sample",
    ):
        old = model.generate(7, num_samples=2, seed=3, method="incremental", verbose=0)
    np.testing.assert_array_equal(old, model.sample(2, length=7, seed=3, verbose=0))


def test_unconditioned_wavenet_generates_a_prior_sample_of_any_length():
    model = WaveNet(**SMALL)
    first = model.sample(length=25, num_samples=3, seed=0)
    np.testing.assert_array_equal(first, model.sample(length=25, num_samples=3, seed=0, method="naive"))
    assert first.shape == (3, 25)


def test_a_trained_wavenet_continues_a_periodic_sequence_and_follows_its_speaker():
    """Speaker 0 counts up 0..7 and wraps, speaker 1 counts down: generation must follow."""
    keras.utils.set_random_seed(0)
    model = WaveNet(num_symbols=8, channels=16, skip_channels=16, num_layers=3, layers_per_cycle=3, num_speakers=2)
    speakers = np.arange(64) % 2
    starts = np.random.default_rng(0).integers(0, 8, 64)
    steps = np.arange(24)
    symbols = np.where(speakers[:, None] == 0, starts[:, None] + steps, starts[:, None] - steps) % 8
    model.compile(optimizer=keras.optimizers.Adam(0.02))
    history = model.fit({"symbols": symbols, "speakers": speakers}, epochs=30, batch_size=16, verbose=0)
    assert history.history["bits_per_symbol"][-1] < 0.3  # 3 bits for the first step, ~0 after
    generated = model.sample(length=20, speakers=[0, 1, 0, 1], temperature=0.3, seed=0)
    differences = np.diff(generated, axis=1) % 8
    np.testing.assert_array_equal(differences[[0, 2]], 1)
    np.testing.assert_array_equal(differences[[1, 3]], 7)


def test_saved_and_reloaded_wavenet_gives_the_same_logits_and_samples(tmp_path):
    model = conditioned_wavenet()
    rng = np.random.default_rng(4)
    inputs = {
        "symbols": rng.integers(0, 16, (2, 12)),
        "speakers": np.array([1, 2]),
        "local_codes": rng.integers(0, 5, (2, 3)),
    }
    model.save(tmp_path / "wavenet.keras")
    reloaded = keras.saving.load_model(tmp_path / "wavenet.keras")
    np.testing.assert_allclose(ops.convert_to_numpy(reloaded(inputs)), ops.convert_to_numpy(model(inputs)), atol=1e-6)
    preset = WaveNet.from_preset(model.save_to_preset(tmp_path / "preset"))
    np.testing.assert_array_equal(
        preset.sample(speakers=[1, 2], local_codes=inputs["local_codes"], seed=1),
        model.sample(speakers=[1, 2], local_codes=inputs["local_codes"], seed=1),
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(speakers=None), r"num_speakers=3: speakers must be given"),
        (dict(speakers=[0, 3]), r"speakers must lie in \[0, 3\)"),
        (dict(local_codes=np.zeros((2, 3, 1), "int32")), r"local_codes must have shape \(num_samples, codes\)"),
        (dict(local_codes=np.full((2, 3), 5)), r"local_codes must lie in \[0, 5\)"),
        (dict(length=10), r"length must be local_codes.shape\[1\] \* upsampling = 12; got 10"),
        (dict(speakers=[0, 1, 2]), r"speakers must have shape \(num_samples,\) = \(2,\)"),
        (dict(temperature=-1.0), r"temperature must be in range \(0.0, inf\), got -1.0"),
        (dict(method="fast"), r"method must be one of \('cached', 'naive'\)"),
    ],
)
def test_bad_generation_arguments_are_refused_before_generating(arguments, message):
    model = conditioned_wavenet()
    call = dict(length=None, speakers=[0, 1], local_codes=np.zeros((2, 3), "int32")) | arguments
    with pytest.raises(ValueError, match=message):
        model.sample(**call)


def test_bad_block_arguments_are_refused():
    with pytest.raises(ValueError, match="dilation_rate must be an integer >= 1"):
        WaveNetBlock(4, dilation_rate=0)
    block = WaveNetBlock(4, global_condition_dim=3, name="wn")
    with pytest.raises(ValueError, match="wn was built with global_condition_dim=3; global_condition must be given"):
        block(np.zeros((1, 5, 4), "float32"))


def test_log_likelihood_bits_sums_the_per_step_cross_entropy_that_evaluate_averages():
    model = conditioned_wavenet()
    rng = np.random.default_rng(9)
    inputs = {
        "symbols": rng.integers(0, 16, (5, 12)),
        "speakers": rng.integers(0, 3, 5),
        "local_codes": rng.integers(0, 5, (5, 3)),
    }
    bits = model.log_likelihood_bits(inputs, batch_size=2)
    assert bits.shape == (5,)
    model.compile(optimizer="adam")
    figures = model.evaluate(inputs, batch_size=5, verbose=0, return_dict=True)
    assert bits.sum() / inputs["symbols"].size == pytest.approx(figures["bits_per_symbol"], rel=1e-4)


def test_a_second_generation_call_with_another_batch_and_length_works_and_matches_the_naive_loop():
    # TensorFlow retraced the compiled loop with an unknown batch size and crashed on the second call.
    model = WaveNet(**SMALL)
    assert model.sample(length=6, num_samples=2, seed=1).shape == (2, 6)
    longer = model.sample(length=9, num_samples=3, seed=1)
    assert longer.shape == (3, 9)
    np.testing.assert_array_equal(longer, model.sample(length=9, num_samples=3, seed=1, method="naive"))


def test_incremental_and_naive_generation_agree_under_mixed_bfloat16_with_three_taps():
    model = conditioned_wavenet(kernel_size=3, dtype="mixed_bfloat16")
    codes = np.random.default_rng(1).integers(0, 5, (2, 6))
    incremental = model.sample(speakers=[2, 0], local_codes=codes, seed=4, method="cached")
    np.testing.assert_array_equal(incremental, model.sample(speakers=[2, 0], local_codes=codes, seed=4, method="naive"))
