"""TransformerPrior: causal, its key-value cache draws what the full pass draws, classifier-free guidance,
every stage of residual codes, and the hierarchical VQ-VAE-2 path with no line that names it (the
generic checks: `tests/catalogue.py`)."""

import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq.layers import ResidualVectorQuantizer, VectorQuantizer
from keras_vq.models import VQVAE, VQVAE2, TransformerPrior
from keras_vq.models.autoregressive_prior import symbol_bits
from keras_vq.models.sampling import draw_categorical
from keras_vq.models.transformer.code_sequence_embedding import CodeSequenceEmbedding
from tests.synthetic import class_pattern_codes

SMALL = dict(num_embeddings=8, dim=16, num_layers=2, num_heads=2)


def conditional_prior(**options):
    return TransformerPrior(
        code_shape=(3, 4), num_classes=3, condition_shape=(2, 2), condition_num_embeddings=5, **SMALL, **options
    )


def conditioning(count, seed=0):
    rng = np.random.default_rng(seed)
    return dict(class_labels=rng.integers(0, 3, count), condition=rng.integers(0, 5, (count, 2, 2)))


def numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor))


@pytest.mark.parametrize("guidance_scale", [1.0, 3.0])
def test_cached_and_naive_samplers_draw_identical_codes_with_labels_condition_and_guidance(guidance_scale):
    prior = conditional_prior(class_dropout=0.2)
    given = conditioning(4)
    cached = prior.sample(4, **given, guidance_scale=guidance_scale, seed=5, method="cached", verbose=0)
    naive = prior.sample(4, **given, guidance_scale=guidance_scale, seed=5, method="naive", verbose=0)
    assert cached.shape == (4, 3, 4) and cached.dtype == np.int32
    np.testing.assert_array_equal(cached, naive)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="XLA or a graph: TensorFlow's choice")
def test_on_tensorflow_the_sampling_loop_follows_the_priors_jit_compile_and_draws_the_same_codes():
    """Keras leaves XLA off on a CPU; a prior compiled with jit_compile=True samples under XLA (one
    program, ~10x faster at 8x8: `CompiledLoop`), drawing what the graph and the naive loop draw."""
    prior = conditional_prior(class_dropout=0.2)
    given = conditioning(3)
    graph = prior.sample(3, **given, guidance_scale=2.0, seed=7, verbose=0)
    prior.compile(optimizer="adam", jit_compile=True)
    xla = prior.sample(3, **given, guidance_scale=2.0, seed=7, verbose=0)
    loops = prior.__dict__["_compiled_loops"]
    assert sorted(loop.jit_compile for loop in loops.values()) == [False, True]
    np.testing.assert_array_equal(xla, graph)
    naive = prior.sample(3, **given, guidance_scale=2.0, seed=7, method="naive", verbose=0)
    np.testing.assert_array_equal(xla, naive)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="reads the loop's logits as it runs: eager on PyTorch")
def test_the_key_value_caches_logits_equal_the_full_pass_at_every_position(monkeypatch):
    """Every logit, not only the drawn codes (which a slightly wrong cache reproduces most of the time):
    with the condition prefix, and guided (the cache holds both halves of the batch)."""
    from keras_vq.models import sampling

    prior = conditional_prior(class_dropout=0.2)
    given = conditioning(3)
    seen = []

    def recording(logits, uniform, temperature):
        seen.append(numpy(logits))
        return draw_categorical(logits, uniform, temperature)

    monkeypatch.setattr(sampling, "draw_categorical", recording)
    codes = prior.sample(3, **given, guidance_scale=2.5, seed=4, method="cached", verbose=0)
    inputs = prior.model_inputs(codes, given["class_labels"], given["condition"])
    null = dict(inputs, class_labels=np.full(3, 3, "int32"))  # the null class: index num_classes
    conditional, unconditional = numpy(prior(inputs)), numpy(prior(null))
    guided = unconditional + 2.5 * (conditional - unconditional)
    assert len(seen) == 3 * 4  # one draw a position, in raster order
    np.testing.assert_allclose(np.stack(seen, axis=1).reshape(guided.shape), guided, rtol=1e-4, atol=1e-4)


def test_logits_at_a_position_ignore_codes_at_and_after_it():
    prior = conditional_prior()
    given = conditioning(1)
    codes = np.random.default_rng(1).integers(0, 8, (1, 3, 4))
    changed = codes.copy()
    changed[0, 1, 2] = (changed[0, 1, 2] + 1) % 8  # position 6 in raster order
    before = numpy(prior(prior.model_inputs(codes, **given))).reshape(12, 8)
    after = numpy(prior(prior.model_inputs(changed, **given))).reshape(12, 8)
    np.testing.assert_allclose(after[:7], before[:7], atol=1e-6)  # positions 0..6 see only codes before them
    assert np.abs(after[7:] - before[7:]).max(axis=1).min() > 1e-5  # every later position sees the change


def test_class_dropout_gives_the_null_class_at_its_rate_in_training_only():
    embedding = CodeSequenceEmbedding(num_embeddings=4, dim=3, code_length=2, num_classes=5, class_dropout=0.3, seed=0)
    labels = np.arange(4000) % 5
    codes = np.zeros((4000, 2), "int32")
    tables = numpy(embedding(codes, labels)), numpy(embedding(codes, labels, training=True))
    start = numpy(embedding.start_embeddings) + numpy(embedding.position_embeddings)[0]  # the first position's
    assert np.allclose(tables[0][:, 0], start[labels])  # inference: every label's own token
    is_null = np.all(np.isclose(tables[1][:, 0], start[5]), axis=1)
    assert np.allclose(tables[1][~is_null, 0], start[labels[~is_null]])
    assert abs(is_null.mean() - 0.3) < 0.03  # > 4 standard errors of 4,000 draws


@pytest.mark.parametrize(
    "options, arguments, message",
    [
        ({}, dict(guidance_scale=2.0, class_labels=[0, 1]), r"guidance_scale = 2.0 needs .*class_dropout=0.0"),
        (dict(class_dropout=0.1), dict(guidance_scale=float("nan"), class_labels=[0, 1]), "guidance_scale must"),
        ({}, dict(class_labels=[0, 3]), r"class_labels .*\[0, 3\)"),
        ({}, dict(), "class_labels must be given"),
    ],
)
def test_bad_sampling_arguments_are_refused_by_name(options, arguments, message):
    prior = TransformerPrior(code_shape=(2, 2), num_classes=3, **SMALL, **options)
    with pytest.raises(ValueError, match=message):
        prior.sample(2, verbose=0, **arguments)


def test_a_trained_class_conditional_prior_samples_its_classes_patterns_and_guidance_sharpens_them():
    """Class c's maps are 2c + (row + column) mod 2 plus rare noise; a prior trained with class dropout
    draws its class's pattern, and guidance at s = 3 gives the class's first code more probability (later
    codes tell the class to the unconditional model too, so guidance changes little there)."""
    codes, labels, class_maps = class_pattern_codes()
    keras.utils.set_random_seed(0)
    prior = TransformerPrior(code_shape=(3, 4), num_classes=3, class_dropout=0.2, seed=1, **SMALL)
    prior.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = prior.fit({"codes": codes, "class_labels": labels}, batch_size=64, epochs=12, verbose=0).history
    assert history["bits_per_code"][-1] < 0.5 * history["bits_per_code"][0]
    wanted = np.array([0, 1, 2, 0, 1, 2])
    expected = class_maps[wanted]
    assert (prior.sample(6, class_labels=wanted, seed=2, verbose=0) == expected).mean() > 0.8
    conditioning = {"class_labels": ops.convert_to_tensor(wanted, "int32")}
    scale = {"guidance_scale": ops.convert_to_tensor(np.full(6, 3.0, "float32"))}
    chances = [
        np.take_along_axis(
            numpy(ops.softmax(prior.full_pass_logits(ops.convert_to_tensor(expected, "int32"), conditioning | given))),
            expected[..., None],
            axis=-1,
        )[:, 0, 0].mean()
        for given in ({}, scale)
    ]
    assert chances[1] > chances[0] > 0.8, chances


def test_vqvae2_generates_from_transformer_priors_over_its_two_levels():
    """The hierarchical path takes any prior (issue 30, item 2): the bottom prior reads the top codes as
    its prefix, so other top codes change the bottom codes drawn from the same noise."""
    model = VQVAE2(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, quantizer=VectorQuantizer(8, 4))
    levels = model.code_levels()
    top = TransformerPrior.for_code_level(levels["top"], num_classes=2, dim=8, num_layers=1, num_heads=2)
    bottom = TransformerPrior.for_code_level(levels["bottom"], num_classes=2, dim=8, num_layers=1, num_heads=2)
    assert bottom.condition_shape == (2, 2) and bottom.code_shape == (4, 4)
    images = model.generate(top, bottom, 2, class_labels=[0, 1], seed=0)
    assert images.shape == (2, 16, 16, 3) and np.isfinite(images).all()
    condition = np.zeros((2, 2, 2), "int32")
    first = bottom.sample(2, class_labels=[0, 1], condition=condition, seed=3, verbose=0)
    again = bottom.sample(2, class_labels=[0, 1], condition=condition, seed=3, verbose=0)
    other = bottom.sample(2, class_labels=[0, 1], condition=condition + 5, seed=3, verbose=0)
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()


def residual_vqvae(stages=3, **options):
    quantizer = ResidualVectorQuantizer(stages, 8, 4, seed=0)
    return VQVAE(data_shape=(8, 8, 3), hidden_channels=8, residual_channels=4, quantizer=quantizer, **options)


def test_a_prior_over_residual_codes_draws_every_stage_cached_as_naive_and_the_vqvae_decodes_them_all():
    """Issue 31, item 3: `for_code_level` over a residual level models its S stages as T S tokens; the
    cached loop draws what the full passes draw, and `generate` decodes every stage drawn."""
    model = residual_vqvae()
    level = model.code_levels()["codes"]
    prior = TransformerPrior.for_code_level(level, num_classes=3, class_dropout=0.2, dim=16, num_layers=2, num_heads=2)
    assert prior.codes_shape == (2, 2, 3) and prior.level_spec().stages == 3
    for guidance_scale in (2.0, 1.0):  # the second: what generate draws, unguided
        cached = prior.sample(4, class_labels=[0, 1, 2, 0], guidance_scale=guidance_scale, seed=4, verbose=0)
        naive = prior.sample(
            4, class_labels=[0, 1, 2, 0], guidance_scale=guidance_scale, seed=4, method="naive", verbose=0
        )
        assert cached.shape == (4, 2, 2, 3)
        np.testing.assert_array_equal(cached, naive)
    images = model.generate(prior, 4, class_labels=[0, 1, 2, 0], seed=4)
    np.testing.assert_allclose(images, numpy(model.decode({"codes": cached})), rtol=1e-5, atol=1e-5)
    assert not np.allclose(images, numpy(model.decode({"codes": cached[..., :1]})), atol=1e-4)  # the later stages count
    first_stage = TransformerPrior.for_code_level(level, num_stages=1, dim=16, num_layers=1, num_heads=2)
    assert first_stage.sample(2, seed=0, verbose=0).shape == (2, 2, 2)


def test_a_prior_over_residual_codes_learns_how_the_later_stages_follow_the_first():
    """Stage 0 is uniform over K = 4, stage 1 is (stage 0 + 1) mod 4 and stage 2 is (3 stage 0) mod 4:
    trained, the prior spends its bits on stage 0 alone (2 bits a position, none on the others), and
    its samples keep the relation. A prior of the first stage alone could hold none of it."""
    rng = np.random.default_rng(0)
    first = rng.integers(0, 4, (512, 2, 2))
    codes = np.stack([first, (first + 1) % 4, (3 * first) % 4], axis=-1).astype("int32")
    keras.utils.set_random_seed(0)
    prior = TransformerPrior(code_shape=(2, 2), num_embeddings=4, num_stages=3, dim=16, num_layers=2, num_heads=2)
    prior.compile(optimizer=keras.optimizers.Adam(3e-3))
    prior.fit(codes, batch_size=64, epochs=20, verbose=0)
    bits = symbol_bits(numpy(prior(codes[:64])), codes[:64]).mean(axis=(0, 1, 2))  # a stage's mean bits
    assert 1.8 < bits[0] < 2.2 and bits[1] < 0.1 and bits[2] < 0.1, bits  # measured: 2.00, 0.01, 0.01
    samples = prior.sample(32, seed=1, verbose=0)  # unseen contexts too: 0.97 to 0.98 measured
    assert (samples[..., 1] == (samples[..., 0] + 1) % 4).mean() > 0.9
    assert (samples[..., 2] == (3 * samples[..., 0]) % 4).mean() > 0.9


def test_bits_per_dim_with_a_prior_over_every_stage_decodes_every_stage_and_scores_all_of_them():
    """The whole-model bound with a prior over all S stages: the decoder's bits given every stage's codes
    plus the prior's bits of all of them (with a first-stage prior, the decoder sees the first stage)."""
    model = residual_vqvae(output_distribution="logistic_mixture")
    level = model.code_levels()["codes"]
    images = np.random.default_rng(0).random((6, 8, 8, 3)).astype("float32")
    codes = numpy(model.encode(images)["codes"])
    for stages in (3, 1):
        prior = TransformerPrior.for_code_level(level, num_stages=stages, dim=8, num_layers=1, num_heads=2)
        figures = keras_vq.metrics.bits_per_dim(model, prior, images, None, verbose=0)
        decoded = codes if stages == 3 else codes[..., :1]
        decoder_nats = -numpy(
            model.output_distribution.log_probability(images, model.decoder_parameters({"codes": decoded}))
        )
        prior_bits = prior.log_likelihood_bits(codes if stages == 3 else codes[..., 0])
        np.testing.assert_allclose(
            figures["decoder_bits_per_dim"], decoder_nats.sum() / np.log(2) / images.size, rtol=1e-4
        )
        np.testing.assert_allclose(figures["prior_bits_per_dim"], prior_bits.sum() / images.size, rtol=1e-4)


@pytest.mark.parametrize(
    "stages, quantizer, message",
    [
        (2, ResidualVectorQuantizer(3, 8, 4), "models 2 residual stages a position; level 'codes' has 3 codes"),
        (3, VectorQuantizer(8, 4), "models 3 residual stages a position; level 'codes' has 1 code a position"),
    ],
)
def test_a_prior_over_another_number_of_stages_is_refused_by_name(stages, quantizer, message):
    model = VQVAE(data_shape=(8, 8, 3), hidden_channels=8, residual_channels=4, quantizer=quantizer)
    prior = TransformerPrior(code_shape=(2, 2), num_embeddings=8, num_stages=stages, dim=8, num_layers=1, num_heads=2)
    with pytest.raises(ValueError, match=message):
        model.generate(prior, 1)
