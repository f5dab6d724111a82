"""Every quantizer inside the models: `quantizer=` in VQVAE and VQVAE2, training, saving, priors over codes."""

import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
import keras_vq.data.codes
from keras_vq.layers import FiniteScalarQuantizer, LookupFreeQuantizer, ResidualVectorQuantizer, VectorQuantizer
from keras_vq.models import VQVAE, VQVAE2, PixelCNN
from keras_vq.saving import UnsafeConfigError
from tests.synthetic import smooth_images

SMALL = dict(data_shape=(16, 16, 3), hidden_channels=16, residual_channels=8, num_residual_layers=1)
QUANTIZERS = {
    "vq": lambda: VectorQuantizer(32, 6, dead_code_threshold=1.0, seed=0),
    "vq-rotation": lambda: VectorQuantizer(32, 6, dead_code_threshold=1.0, gradient="rotation", seed=0),
    "residual": lambda: ResidualVectorQuantizer(
        2, 16, 6, quantizer_dropout=0.5, stage_options=dict(dead_code_threshold=1.0), seed=0
    ),
    "fsq": lambda: FiniteScalarQuantizer([5, 4, 4]),
    "lfq": lambda: LookupFreeQuantizer(5),
}


@pytest.mark.parametrize("name", sorted(QUANTIZERS))
def test_every_quantizer_trains_inside_vqvae_and_reports_its_own_metrics(name, optimized_compilation):
    images = smooth_images(count=64)
    model = VQVAE(**SMALL, quantizer=QUANTIZERS[name]())
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    before = model.evaluate(images, batch_size=64, verbose=0, return_dict=True)["reconstruction_loss"]
    with optimized_compilation():
        history = model.fit(images, batch_size=16, epochs=25, verbose=0)
    after = model.evaluate(images, batch_size=64, verbose=0, return_dict=True)["reconstruction_loss"]
    assert set(history.history) == {"loss", "reconstruction_loss", *model.quantizer.metric_names}
    assert all(np.isfinite(values).all() for values in history.history.values())
    assert after < 0.75 * before, (before, after)  # learning (a dead decoder stays at 1.0)
    codes = model.encode(images[:4])
    expected = (4, 4, 4) + ((2,) if name == "residual" else ())
    assert tuple(codes["codes"].shape) == expected and int(ops.max(codes["codes"])) < model.num_embeddings
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.decode(codes)),
        ops.convert_to_numpy(model.predict(images[:4], verbose=0)),
        atol=1e-5,
    )


@pytest.mark.parametrize("name", sorted(QUANTIZERS))
def test_mixed_precision_training_stays_finite_and_the_model_survives_keras_files_and_presets(name, tmp_path):
    images = smooth_images(count=32)
    model = VQVAE(**SMALL, quantizer=QUANTIZERS[name](), dtype="mixed_bfloat16")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(images, batch_size=16, epochs=2, verbose=0)
    assert all(np.isfinite(values).all() for values in history.history.values())
    outputs = ops.convert_to_numpy(ops.cast(model(images[:4]), "float32"))
    assert np.isfinite(outputs).all()
    model.save(tmp_path / "model.keras")
    for loaded in (
        keras_vq.saving.load_model(tmp_path / "model.keras", compile=False),
        VQVAE.from_preset(model.save_to_preset(tmp_path / "preset")),
    ):
        assert type(loaded.quantizer) is type(model.quantizer)
        assert loaded.quantizer.get_config() == model.quantizer.get_config()
        np.testing.assert_array_equal(ops.convert_to_numpy(ops.cast(loaded(images[:4]), "float32")), outputs)


def test_vqvae2_takes_a_different_quantizer_per_level_and_a_prior_learns_the_first_residual_stage():
    images = smooth_images(count=32, size=32)
    model = VQVAE2(
        **(SMALL | dict(data_shape=(32, 32, 3))),
        quantizer={
            "top": FiniteScalarQuantizer([4, 4, 3], name="top_quantizer"),
            "bottom": ResidualVectorQuantizer(3, 16, 8, name="bottom_quantizer", seed=1),
        },
    )
    model.compile(optimizer="adam")
    history = model.fit(images, batch_size=16, epochs=1, verbose=0)
    assert {"top_perplexity", "bottom_commitment_loss", "bottom_perplexity"} <= set(history.history)
    assert "top_commitment_loss" not in history.history  # FSQ has no commitment
    levels = model.code_levels()
    assert (levels["top"].num_embeddings, levels["bottom"].num_embeddings) == (48, 16)
    assert levels["bottom"].codes_per_position == 3
    codes = keras_vq.data.codes.encode_batch(model, images, labels=np.zeros(32, "int32"))
    assert codes["top"].shape == (32, 4, 4) and codes["bottom"].shape == (32, 8, 8, 3)
    priors = []
    for level in levels.values():
        prior = PixelCNN.for_code_level(level, channels=8, num_blocks=1, num_classes=1)
        inputs = keras_vq.data.prior_inputs(codes, level, prior)
        np.testing.assert_array_equal(inputs["codes"], level.prior_codes(codes[level.name]))
        prior.compile(optimizer="adam")
        prior.fit(inputs, batch_size=16, epochs=1, verbose=0)
        priors.append(prior)
    samples = model.generate(*priors, num_samples=2, class_labels=[0, 0], seed=0)
    assert samples.shape == (2, 32, 32, 3) and np.isfinite(samples).all()


def test_a_vqvae_prior_over_residual_codes_samples_the_first_stage_and_decodes_it():
    images = smooth_images(count=16)
    model = VQVAE(**SMALL, quantizer=ResidualVectorQuantizer(4, 16, 6, seed=2))
    level = model.code_levels()["codes"]
    prior = PixelCNN.for_code_level(level, channels=8, num_blocks=1)
    first_stage = level.prior_codes(ops.convert_to_numpy(model.encode(images)["codes"]))
    prior.compile(optimizer="adam")
    prior.fit(first_stage, batch_size=8, epochs=1, verbose=0)
    samples = model.generate(prior, 2, seed=3)
    codes = prior.sample(2, seed=3)
    np.testing.assert_allclose(
        samples, ops.convert_to_numpy(model.decode({"codes": np.asarray(codes)[..., None]})), atol=1e-5
    )


def test_vqvae2_copies_one_quantizer_to_both_levels_seeding_the_bottom_with_the_next_seed():
    model = VQVAE2(**(SMALL | dict(data_shape=(32, 32, 3))), quantizer=VectorQuantizer(16, 4, kmeans_init=True, seed=5))
    assert (model.top_quantizer.seed, model.bottom_quantizer.seed) == (5, 6)
    assert model.top_quantizer.kmeans_init and model.bottom_quantizer.kmeans_init
    assert (model.top_quantizer.name, model.bottom_quantizer.name) == ("top_quantizer", "bottom_quantizer")


@pytest.mark.parametrize("model_class", [VQVAE, VQVAE2])
def test_quantizer_arguments_are_refused_beside_an_explicit_quantizer(model_class):
    shape = dict(data_shape=(32, 32, 3))
    with pytest.raises(TypeError, match=r"takes the quantizer's options on the quantizer: .*num_embeddings=64"):
        model_class(**shape, quantizer=FiniteScalarQuantizer([5, 5]), num_embeddings=64)
    with pytest.raises(ValueError, match=r"seed=1 cannot be combined with quantizer=VectorQuantizer"):
        model_class(**shape, quantizer=VectorQuantizer(8, 4), seed=1)
    with pytest.raises(ValueError, match=r"must be a keras_vq quantizer layer .* got 'fsq'"):
        model_class(**shape, quantizer="fsq")


@pytest.mark.parametrize(
    "quantizer",
    [{"top": VectorQuantizer(8, 4)}, {"top": VectorQuantizer(8, 4), "bottom": VectorQuantizer(8, 4), "middle": None}],
)
def test_vqvae2_names_the_levels_a_per_level_quantizer_dict_needs(quantizer):
    with pytest.raises(ValueError, match=r"exactly the keys \['top', 'bottom'\]; got \["):
        VQVAE2(data_shape=(32, 32, 3), quantizer=quantizer)


def test_a_quantizer_config_naming_foreign_code_is_refused_before_it_is_built():
    config = VQVAE(**SMALL, quantizer=FiniteScalarQuantizer([5, 5])).get_config()
    config["quantizer"] = {"module": "keras.layers", "class_name": "Lambda", "config": {}, "registered_name": None}
    with pytest.raises(UnsafeConfigError, match="Lambda"):
        VQVAE.from_config(config)


def test_the_encoder_projects_to_the_quantizers_width():
    model = VQVAE(**SMALL, quantizer=LookupFreeQuantizer(7))
    assert model.embedding_dim == 7 and model.encoder.output_shape[-1] == 7 and model.num_embeddings == 128


def test_from_preset_with_a_seed_reseeds_the_presets_quantizers():
    assert VQVAE.from_preset("cifar10", load_weights=False, seed=7).quantizer.seed == 7
    model = VQVAE2.from_preset("cifar10", load_weights=False, seed=7)
    assert (model.top_quantizer.seed, model.bottom_quantizer.seed) == (7, 8)
    assert VQVAE.from_preset("cifar10", load_weights=False).quantizer.seed == 0  # the preset's own


@pytest.mark.parametrize("stages", [1, 3])
def test_residual_codes_of_any_stage_count_round_trip_and_give_a_prior_one_code_a_position(stages):
    images = smooth_images(count=4)
    model = VQVAE(**SMALL, quantizer=ResidualVectorQuantizer(stages, 16, 6, seed=2))
    codes = ops.convert_to_numpy(model.encode(images)["codes"])
    assert codes.shape == (4, 4, 4, stages)
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.decode({"codes": codes})),
        ops.convert_to_numpy(model.predict(images, verbose=0)),
        atol=1e-5,
    )
    level = model.code_levels()["codes"]
    inputs = keras_vq.data.codes.prior_inputs(
        {"codes": codes}, level, PixelCNN.for_code_level(level, channels=4, num_blocks=1)
    )
    assert inputs.shape == (4, 4, 4)
    np.testing.assert_array_equal(inputs, codes[..., 0])


def test_bits_per_dim_of_residual_codes_scores_the_first_stage_as_generation_decodes_it():
    images = smooth_images(count=4)
    model = VQVAE(**SMALL, quantizer=ResidualVectorQuantizer(3, 16, 6, seed=2))
    level = model.code_levels()["codes"]
    prior = PixelCNN.for_code_level(level, channels=8, num_blocks=1)
    scales = np.full(3, 0.05)
    figures = keras_vq.metrics.bits_per_dim(model, prior, images, scales, verbose=0)
    first_stage = ops.convert_to_numpy(model.encode(images)["codes"])[..., :1]
    means = ops.convert_to_numpy(model.decode({"codes": first_stage}))
    pixels = np.rint(images * 255).astype(np.int64)
    decoder_bits = keras_vq.metrics.discretized_logistic_bits(pixels, means, scales).sum() / images.size
    prior_bits = prior.log_likelihood_bits(prior.model_inputs(first_stage[..., 0])).sum() / images.size
    assert figures["decoder_bits_per_dim"] == pytest.approx(decoder_bits, rel=1e-4)
    assert figures["prior_bits_per_dim"] == pytest.approx(prior_bits, rel=1e-4)
