"""The one interface of every autoencoder (VQVAE, VQVAE2, VAE): encode -> {level: codes} -> decode, the
decoder's parameters from a call and their mean from predict, and the 0.1 renames that still warn."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_vq.layers import VectorQuantizer
from keras_vq.models import VAE, VQVAE, VQVAE2
from tests.synthetic import smooth_images

SMALL = dict(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4, num_residual_layers=1)
MIXTURE = {"name": "logistic_mixture", "num_mixtures": 2}  # 20 parameters a pixel
MODELS = {
    "VQVAE": (lambda **options: VQVAE(**SMALL, quantizer=VectorQuantizer(16, 4, seed=1), **options), ["codes"]),
    "VQVAE2": (
        lambda **options: VQVAE2(**SMALL, quantizer=VectorQuantizer(16, 4, seed=1), **options),
        ["top", "bottom"],
    ),
    "VAE": (lambda **options: VAE(**SMALL, latent_dim=4, seed=1, **options), ["latents"]),
}


def numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor))


@pytest.mark.parametrize("name", list(MODELS))
def test_encode_gives_levels_by_name_and_decode_takes_them_back(name):
    build, levels = MODELS[name]
    model = build(output_distribution=MIXTURE)
    images = smooth_images(count=3)
    codes = model.encode(images)
    assert list(codes) == levels
    decoded = numpy(model.decode(codes))
    parameters = numpy(model(images))  # the decoder's output: what the loss scores
    assert decoded.shape == (3, 16, 16, 3) and parameters.shape == (3, 16, 16, 20)
    np.testing.assert_allclose(numpy(model.output_distribution.mean(parameters)), decoded, atol=1e-5)
    np.testing.assert_allclose(model.predict(images, verbose=0), decoded, atol=1e-5)
    np.testing.assert_allclose(numpy(model.reconstruct(images)), decoded, atol=1e-5)
    with pytest.raises(TypeError, match=rf"{name}.decode takes \{{'{levels[0]}': codes"):
        model.decode(numpy(codes[levels[0]]) if name != "VAE" else [1, 2])
    with pytest.raises(ValueError, match=rf"{name}.decode takes the levels .*; got \['elsewhere'\]"):
        model.decode({"elsewhere": codes[levels[0]]})


def test_a_custom_training_loop_scores_the_parameters_a_call_gives_as_fit_does():
    """`model(x)` is the decoder's parameters outside Keras' steps too: a hand-written step's loss is
    `evaluate`'s (before 0.1 a call outside them gave the mean, which the likelihood cannot score)."""
    model = VQVAE(**SMALL, quantizer=VectorQuantizer(16, 4, seed=1), output_distribution=MIXTURE)
    model.compile(optimizer="adam")
    images = smooth_images(count=4)
    evaluated = model.evaluate(images, batch_size=4, verbose=0, return_dict=True)
    loss = model.compute_loss(x=images, y_pred=model(images, training=False))
    assert float(numpy(loss)) == pytest.approx(evaluated["loss"], rel=1e-5)


@pytest.mark.parametrize(
    "name, call_old, call_new, warning",
    [
        (
            "VQVAE",
            lambda model, images: model.decode_codes(model.encode(images)["codes"]),
            lambda model, images: model.decode(model.encode(images)),
            r"VQVAE.decode_codes\(indices, ...\) is deprecated since 0.1 and will go: use VQVAE.decode\(",
        ),
        (
            "VQVAE2",
            lambda model, images: model.decode_codes(*model.encode(images).values()),
            lambda model, images: model.decode(model.encode(images)),
            r"VQVAE2.decode_codes\(top, bottom\) is deprecated since 0.1",
        ),
        (
            "VAE",
            lambda model, images: model.decode(model.encode(images)["latents"]),
            lambda model, images: model.decode(model.encode(images)),
            r"VAE.decode\(latents\) is deprecated since 0.1",
        ),
        (
            "VQVAE2",
            lambda model, images: model.decode_levels(model.encode_levels(images)),
            lambda model, images: model.decode(model.encode(images)),
            r"VQVAE2.decode_levels\(codes\) is deprecated since 0.1 and will go: use VQVAE2.decode\(codes\)",
        ),
        (
            "VQVAE",
            lambda model, images: model.latent_shape(),
            lambda model, images: model.code_levels()["codes"].shape,
            r'VQVAE.latent_shape\(\) is deprecated since 0.1 and will go: use VQVAE.code_levels\(\)\["codes"\].shape',
        ),
        (
            "VQVAE2",
            lambda model, images: model.latent_shapes(),
            lambda model, images: [level.shape for level in model.code_levels().values()],
            r"VQVAE2.latent_shapes\(\) is deprecated since 0.1",
        ),
    ],
)
def test_the_names_before_0_1_warn_and_give_the_same_results(name, call_old, call_new, warning):
    model = MODELS[name][0]()
    images = smooth_images(count=2)
    with pytest.warns(DeprecationWarning, match=warning):
        old = numpy(call_old(model, images))
    np.testing.assert_allclose(old, numpy(call_new(model, images)), atol=1e-6)


def test_outputting_parameters_warns_and_changes_nothing():
    model = VQVAE(**SMALL, quantizer=VectorQuantizer(16, 4, seed=1), output_distribution=MIXTURE)
    images = smooth_images(count=2)
    with pytest.warns(DeprecationWarning, match=r"outputting_parameters\(\) is deprecated since 0.1"):
        with model.outputting_parameters():
            inside = numpy(model(images))
    np.testing.assert_array_equal(inside, numpy(model(images)))


def test_unpacking_vqvae2_codes_as_before_0_1_is_refused_with_the_new_form():
    """`top, bottom = model.encode(x)` now unpacks the level names: decode_codes says what to write."""
    model = MODELS["VQVAE2"][0]()
    top, bottom = model.encode(smooth_images(count=1))
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match=r"write model.decode\(model.encode\(x\)\)"):
        model.decode_codes(top, bottom)


def test_a_vae_gives_its_posterior_by_name_and_encodes_to_its_mean():
    model = MODELS["VAE"][0]()
    images = smooth_images(count=2)
    posterior = model.posterior(images)
    assert sorted(posterior) == ["log_variance", "mean"]
    np.testing.assert_array_equal(numpy(model.encode(images)["latents"]), numpy(posterior["mean"]))
    raw = numpy(model.encoder_outputs(images)["latents"])  # what the Gaussian bottleneck receives
    assert raw.shape == (2, 4, 4, 8) and keras.backend.standardize_dtype(raw.dtype) == "float32"
    np.testing.assert_array_equal(raw[..., :4], numpy(posterior["mean"]))
