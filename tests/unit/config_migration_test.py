"""Configs saved in older forms load as the current form builds (the round trip of every argument of every
layer and model is generated from the catalogue: tests/unit/catalogue_test.py)."""

import pytest

from keras_vq.layers import VectorQuantizer
from keras_vq.models import VQVAE, VQVAE2
from tests.catalogue import QUANTIZER, SMALL_AUTOENCODER


@pytest.mark.parametrize("model_class", [VQVAE, VQVAE2])
def test_flat_quantizer_arguments_are_refused_by_the_constructor_and_migrated_by_from_config(model_class):
    """`quantizer=` is the one spelling; a config saved with the VectorQuantizer's arguments flat in the
    model's (and the model's seed) still loads, into the model the nested form builds."""
    flat = {key: value for key, value in QUANTIZER.items() if key != "seed"}
    with pytest.raises(
        TypeError,
        match=rf"{model_class.__name__} takes the quantizer's options on the quantizer: "
        rf"{model_class.__name__}\(quantizer=keras_vq.layers.VectorQuantizer\(beta=0.7, ",
    ):
        model_class(**SMALL_AUTOENCODER, **flat)
    nested = model_class(**SMALL_AUTOENCODER, quantizer=VectorQuantizer(**QUANTIZER, name="quantizer")).get_config()
    legacy = {key: value for key, value in nested.items() if key != "quantizer"} | flat | {"seed": 3}
    assert model_class.from_config(legacy).get_config() == nested
    stored = nested["quantizer"] if model_class is VQVAE else nested["quantizer"]["bottom"]
    assert stored["config"]["seed"] == (3 if model_class is VQVAE else 4)
