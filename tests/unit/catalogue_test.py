"""The generic checks, generated for every entry of `tests/catalogue.py` (every public layer and model).

- The catalogue is complete: every public Keras layer or model class of `keras_vq.layers` and
  `keras_vq.models` has an entry (a new one fails here until it has), and the hand-kept cases (quantizers
  trained inside a VQ-VAE, the fuzz of bad constructor arguments) cover its quantizers and models.
- Every argument survives `get_config` -> `from_config`, compared by name with what was passed in
  (comparing the two configs alone would miss an argument that `get_config` drops from both).
- A rebuilt instance (`from_config(get_config())`) given the same weights computes the same outputs.
- A model saved as a `.keras` archive and loaded with `keras_vq.saving.load_model`, and (a model with
  presets) saved as a preset and loaded with `from_preset`, computes the same outputs.
- Under mixed precision (`dtype="mixed_bfloat16"`) the variables stay float32 and the outputs are finite.
- An unknown keyword is refused naming it (a model: TypeError; a layer: Keras' ValueError).
"""

import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq.layers import Quantizer
from keras_vq.presets import PresetMixin
from tests.catalogue import CATALOGUE

NAMES = sorted(CATALOGUE)
MODELS = [name for name in NAMES if issubclass(CATALOGUE[name].cls, keras.Model)]


def outputs(name, instance):
    """The instance's outputs on its entry's inputs, flattened to NumPy arrays.

    On JAX the call runs as one compiled program (`stateless_call` under `jax.jit`, the instance built by a
    symbolic call first): run eagerly, JAX compiles every op of the call for each new shape, which made this
    file's JAX checks 135 s of contended CI time against TensorFlow's 21 s.
    """
    entry = CATALOGUE[name]
    inputs = entry.inputs(np.random.default_rng(0))
    if keras.backend.backend() == "jax":
        result = _compiled_jax_call(instance, inputs, entry.keywords)
    else:
        result = instance(*inputs, **entry.keywords)
    return [ops.convert_to_numpy(value) for value in keras.tree.flatten(result)]


def _compiled_jax_call(instance, inputs, keywords):
    import jax

    if not instance.built:
        instance(*(keras.KerasTensor(value.shape, str(value.dtype)) for value in inputs), **keywords)

    def call(trainable, non_trainable, inputs):
        result, _ = instance.stateless_call(trainable, non_trainable, *inputs, **keywords)
        return result

    trainable = [variable.value for variable in instance.trainable_variables]
    non_trainable = [variable.value for variable in instance.non_trainable_variables]
    return jax.jit(call)(trainable, non_trainable, inputs)


def assert_same_outputs(got, expected, name):
    assert len(got) == len(expected), name
    for index, (value, reference) in enumerate(zip(got, expected)):
        np.testing.assert_array_equal(value, reference, err_msg=f"{name}: output {index}")


def test_every_public_layer_and_model_has_a_catalogue_entry():
    public = {
        name
        for module in (keras_vq.layers, keras_vq.models)
        for name in module.__all__
        if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), keras.layers.Layer)
    }
    public.discard("Quantizer")  # The interface: each quantizer has its own entry.
    assert public == set(CATALOGUE), (
        f"missing: {sorted(public - set(CATALOGUE))}, extra: {sorted(set(CATALOGUE) - public)}"
    )


def _plain(value):
    """Tuples as lists, and quantizer layers as their configs, as get_config stores them."""
    if isinstance(value, Quantizer):
        return value.get_config()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return list(value) if isinstance(value, tuple) else value


def _stored(value):
    """A config entry with serialised layers reduced to their own configs."""
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        return value["config"]
    if isinstance(value, dict):
        return {key: _stored(item) for key, item in value.items()}
    return _plain(value)


def test_the_hand_kept_cases_cover_every_catalogue_class_they_are_for():
    """The cases that cannot be generated (a quantizer trained inside a VQ-VAE; bad values for each
    argument) are kept beside their tests; a class added to the catalogue fails here until they cover it."""
    from tests.faults.fuzz_test import CONSTRUCTOR_CASES
    from tests.unit.quantizer_models_test import QUANTIZERS

    quantizers = {entry.cls for entry in CATALOGUE.values() if issubclass(entry.cls, Quantizer)}
    assert {type(make()) for make in QUANTIZERS.values()} == quantizers
    fuzzed = {case[1] for case in CONSTRUCTOR_CASES}
    assert fuzzed >= quantizers | {
        CATALOGUE[name].cls for name in MODELS if issubclass(CATALOGUE[name].cls, PresetMixin)
    }


@pytest.mark.parametrize("name", NAMES)
def test_every_argument_is_in_the_config_and_survives_the_round_trip(name):
    cls, arguments = CATALOGUE[name].cls, CATALOGUE[name].arguments
    assert keras.saving.get_registered_name(cls) == f"keras_vq>{cls.__name__}"  # How configs name it.
    config = cls(**arguments).get_config()
    clone_config = cls.from_config(config).get_config()
    for argument, value in arguments.items():
        assert argument in config, f"{name}.get_config() drops {argument}"
        assert _stored(config[argument]) == _plain(value), argument
        assert _stored(clone_config[argument]) == _plain(value), argument


@pytest.mark.parametrize("name", NAMES)
def test_a_rebuilt_instance_with_the_same_weights_computes_the_same_outputs(name):
    original = CATALOGUE[name].build()
    expected = outputs(name, original)
    rebuilt = CATALOGUE[name].cls.from_config(original.get_config())
    outputs(name, rebuilt)  # Builds it.
    rebuilt.set_weights(original.get_weights())
    assert_same_outputs(outputs(name, rebuilt), expected, name)


@pytest.mark.parametrize("name", MODELS)
def test_a_model_saved_as_an_archive_and_as_a_preset_loads_computing_the_same_outputs(name, tmp_path):
    original = CATALOGUE[name].build()
    expected = outputs(name, original)
    original.save(tmp_path / "model.keras")
    assert_same_outputs(outputs(name, keras_vq.saving.load_model(tmp_path / "model.keras")), expected, name)
    if not issubclass(CATALOGUE[name].cls, PresetMixin):
        return  # A part of a model (SpectrogramDecoder: a VQVAE's decoder), saved in the model's preset.
    original.save_to_preset(tmp_path / "preset")
    assert_same_outputs(outputs(name, CATALOGUE[name].cls.from_preset(tmp_path / "preset")), expected, name)


@pytest.mark.parametrize("name", NAMES)
def test_under_mixed_precision_the_variables_stay_float32_and_the_outputs_are_finite(name):
    instance = CATALOGUE[name].build(dtype="mixed_bfloat16")
    values = outputs(name, instance)
    assert {variable.dtype for variable in instance.trainable_variables} <= {"float32"}, name
    for index, value in enumerate(values):
        assert np.isfinite(value.astype("float64")).all(), f"{name}: output {index}"


@pytest.mark.parametrize("name", MODELS)
def test_a_model_trained_under_mixed_precision_has_a_float32_twin_in_every_layer(name):
    """What recipes save as presets: `in_float32` reaches the layers serialised inside the model's config
    (a `quantizer=`, a decoder), not only the model's own policy."""
    keras.config.set_dtype_policy("mixed_bfloat16")  # As a recipe trains under --dtype-policy.
    try:
        mixed = CATALOGUE[name].build()
        outputs(name, mixed)  # Built.
        twin = keras_vq.training.in_float32(mixed)
    finally:
        keras.config.set_dtype_policy("float32")
    # The layers that compute (a functional model and its inputs report the global policy whatever they hold).
    computing = [
        layer for layer in twin._flatten_layers() if not isinstance(layer, (keras.Model, keras.layers.InputLayer))
    ]
    assert (
        computing
        and {layer.name: layer.dtype_policy.name for layer in computing if layer.compute_dtype != "float32"} == {}
    )
    assert keras_vq.training.with_float32_policies(twin.get_config()) == twin.get_config()  # What a preset stores.
    assert keras_vq.training.in_float32(twin) is twin
    for mine, theirs in zip(twin.get_weights(), mixed.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_keyword_is_refused_naming_it(name):
    # Models: TypeError, as Python refuses an unexpected keyword; layers: Keras' own ValueError.
    expected = TypeError if issubclass(CATALOGUE[name].cls, keras.Model) else ValueError
    with pytest.raises(expected, match=r"not_an_argument"):
        CATALOGUE[name].build(not_an_argument=1)
