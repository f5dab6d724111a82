"""Presets: save_to_preset / from_preset round trips, built-ins, and loading that never runs code."""

import json
import os
import pathlib
import shutil
import zipfile

import keras
import numpy as np
import pytest
from keras import ops

import keras_vq
from keras_vq.models import VAE, VQVAE, VQVAE2
from keras_vq.presets import PresetError, current_umask
from keras_vq.saving import UnsafeConfigError
from tests.synthetic import smooth_images

SMALL = dict(data_shape=(16, 16, 3), hidden_channels=16, residual_channels=8, num_residual_layers=1)


@pytest.fixture(scope="module")
def trained_model():
    """Trained once for the module (no test changes it): on TensorFlow, tracing the training step cost each
    of ~30 tests ~12 s."""
    keras.utils.set_random_seed(1234)
    model = VQVAE(**SMALL, quantizer=keras_vq.layers.VectorQuantizer(32, 8, seed=0))
    model.compile(optimizer="adam")
    model.fit(smooth_images(count=32), batch_size=16, epochs=1, verbose=0)
    return model


@pytest.fixture
def trained_preset(trained_model, tmp_path):
    """The trained model, and its preset saved afresh for the test (which may damage it)."""
    return trained_model, trained_model.save_to_preset(tmp_path / "preset", metadata={"dataset": "smooth images"})


def test_preset_round_trip_gives_identical_outputs_and_records_what_it_is(trained_preset):
    model, preset = trained_preset
    assert sorted(path.name for path in preset.iterdir()) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = VQVAE.from_preset(preset)
    images = smooth_images(count=4)
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded(images)), ops.convert_to_numpy(model(images)))
    metadata = json.loads((preset / "metadata.json").read_text())
    assert metadata["keras_version"] == keras.__version__ and metadata["keras_vq_version"] == keras_vq.__version__
    assert metadata["parameter_count"] == model.count_params() and metadata["dataset"] == "smooth images"
    assert set(metadata["sha256"]) == {"config.json", "model.weights.h5"}
    untrained = VQVAE.from_preset(preset, load_weights=False)
    assert untrained.get_config() == model.get_config()


def test_saving_into_a_non_empty_directory_needs_overwrite(trained_preset):
    model, preset = trained_preset
    before = (preset / "model.weights.h5").read_bytes()
    with pytest.raises(FileExistsError, match="is not empty; pass overwrite=True"):
        model.save_to_preset(preset)
    assert (preset / "model.weights.h5").read_bytes() == before


def test_overwrite_replaces_a_presets_own_files_and_refuses_a_folder_holding_anything_else(trained_preset):
    model, preset = trained_preset
    os.chmod(preset, 0o755)
    model.save_to_preset(preset, metadata={"run": 2}, overwrite=True)  # A preset over a preset: replaced.
    assert VQVAE.preset_metadata(preset)["run"] == 2
    assert oct(preset.stat().st_mode & 0o777) == oct(0o777 & ~current_umask())  # Not mkdtemp's private 0700.
    (preset / "thesis.tex").write_text("two years of work")
    (preset / "data").mkdir()
    (preset / "data" / "x.npy").write_bytes(b"123")
    before = (preset / "model.weights.h5").read_bytes()
    with pytest.raises(FileExistsError, match=r"holds files that are not a preset's \['data', 'thesis.tex'\]"):
        model.save_to_preset(preset, overwrite=True)
    assert (preset / "thesis.tex").read_text() == "two years of work" and (preset / "data" / "x.npy").exists()
    assert (preset / "model.weights.h5").read_bytes() == before


def test_a_compiled_models_preset_holds_its_weights_not_its_optimizers_state(trained_preset, tmp_path):
    import h5py

    model, preset = trained_preset  # Compiled and trained: Adam holds two moments a weight.
    with h5py.File(preset / "model.weights.h5") as weights:
        assert "optimizer" not in weights, list(weights)
    wavenet = keras_vq.models.WaveNet(num_symbols=8, channels=8, skip_channels=8, num_layers=2, num_speakers=2)
    wavenet.compile(optimizer="adam")
    symbols = np.random.default_rng(0).integers(0, 8, (4, 16))
    wavenet.fit({"symbols": symbols, "speakers": np.array([0, 1, 0, 1])}, epochs=1, verbose=0)
    loaded = keras_vq.models.WaveNet.from_preset(wavenet.save_to_preset(tmp_path / "wavenet"))
    with h5py.File(tmp_path / "wavenet" / "model.weights.h5") as weights:
        assert "optimizer" not in weights, list(weights)
    inputs = {"symbols": symbols, "speakers": np.array([0, 1, 0, 1])}
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded(inputs)), ops.convert_to_numpy(wavenet(inputs)))


def test_save_to_preset_refuses_a_symlink_the_working_folder_and_metadata_that_is_not_json(
    trained_preset, tmp_path, monkeypatch
):
    model, preset = trained_preset
    link = tmp_path / "link"
    link.symlink_to(preset, target_is_directory=True)
    with pytest.raises(ValueError, match="is a symbolic link"):
        model.save_to_preset(link, overwrite=True)
    assert link.is_symlink()
    monkeypatch.chdir(preset)
    with pytest.raises(ValueError, match="names the current folder"):
        model.save_to_preset(".", overwrite=True)
    with pytest.raises(TypeError, match=r"metadata\['x'\] is a float32, not JSON"):
        model.save_to_preset(tmp_path / "other", metadata={"x": np.float32(1)})
    assert not (tmp_path / "other").exists()


def test_unknown_preset_name_lists_the_built_in_ones():
    with pytest.raises(
        PresetError, match=r"unknown preset 'imagenet' for VQVAE2: the built-in presets are \[.*'kaokore'.*\]"
    ):
        VQVAE2.from_preset("imagenet")
    assert "kaokore" in VQVAE2.presets and "256x256" in VQVAE2.presets["kaokore"]


def test_a_preset_of_another_model_is_refused(trained_preset):
    _, preset = trained_preset
    with pytest.raises(PresetError, match="holds a VQVAE, not a VAE"):
        VAE.from_preset(preset)


def test_tampered_weights_are_refused(trained_preset):
    _, preset = trained_preset
    weights = preset / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(PresetError, match="model.weights.h5 does not match its recorded SHA-256"):
        VQVAE.from_preset(preset)


def _rewrite_config(preset, edit):
    config = json.loads((preset / "config.json").read_text())
    edit(config)
    (preset / "config.json").write_text(json.dumps(config))
    metadata = json.loads((preset / "metadata.json").read_text())
    metadata["sha256"]["config.json"] = keras_vq.presets.sha256_of(preset / "config.json")  # A consistent forgery.
    (preset / "metadata.json").write_text(json.dumps(metadata))


def test_config_naming_an_unregistered_class_is_refused(trained_preset):
    _, preset = trained_preset

    def edit(config):
        config.update(module="os", class_name="system", registered_name="evil>Payload")

    _rewrite_config(preset, edit)
    with pytest.raises(UnsafeConfigError, match=r"names 'system' \(evil>Payload\), not a keras_vq model; refused"):
        VQVAE.from_preset(preset)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda c: c["config"].update(num_embeddings=10**9),
            r"config.num_embeddings = 1,000,000,000 is larger than a "
            r"preset may ask for \(1,048,576\); refused",
        ),
        (lambda c: c["config"].update(hidden_channels=10**6), r"config.hidden_channels = 1,000,000 is larger"),
        (
            lambda c: c["config"].update(
                quantizer={
                    "module": "keras_vq.layers.finite_scalar_quantizer",
                    "class_name": "FiniteScalarQuantizer",
                    "config": {"levels": [46340, 46340]},
                    "registered_name": "keras_vq>FiniteScalarQuantizer",
                }
            ),
            r"config.quantizer.config.levels \[46340, 46340\] make 2,147,395,600 codes, more than a preset may ask for",
        ),
    ],
)
def test_a_preset_asking_for_a_model_too_large_to_build_is_refused_by_key_before_building(
    trained_preset, edit, message
):
    _, preset = trained_preset
    _rewrite_config(preset, edit)  # The SHA-256 re-recorded: only the sizes can give it away.
    with pytest.raises(PresetError, match=message):
        VQVAE.from_preset(preset)


def test_a_finite_scalar_quantizer_with_more_codes_than_it_can_count_is_refused():
    with pytest.raises(
        ValueError,
        match=r"the codebook size prod\(levels\) must be in range \[2, 16777216\], "
        r"got 2147395600",
    ):
        keras_vq.layers.FiniteScalarQuantizer([46340, 46340])
    assert keras_vq.layers.FiniteScalarQuantizer([8, 8, 8, 6, 5]).num_embeddings == 15_360


def test_config_smuggling_a_lambda_layer_is_refused(trained_preset):
    _, preset = trained_preset

    def edit(config):
        config["config"]["dtype"] = {
            "module": "keras.layers",
            "class_name": "Lambda",
            "config": {"function": "print"},
            "registered_name": None,
        }

    _rewrite_config(preset, edit)
    with pytest.raises(UnsafeConfigError, match=r"at \['config'\]\['dtype'\] names a Lambda layer, which holds code"):
        VQVAE.from_preset(preset)


def test_preset_files_that_lead_outside_the_directory_are_refused(trained_preset, tmp_path):
    _, preset = trained_preset
    outside = tmp_path / "elsewhere.weights.h5"
    os.replace(preset / "model.weights.h5", outside)
    os.symlink(outside, preset / "model.weights.h5")
    with pytest.raises(PresetError, match="leads outside .* refused"):
        VQVAE.from_preset(preset)
    with pytest.raises(PresetError, match="leads outside"):
        VQVAE.from_preset(tmp_path / "preset" / ".." / "preset")


def test_keras_file_with_a_lambda_layer_is_refused_before_keras_reads_it(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(UnsafeConfigError, match="names a Lambda layer, which holds code; keras_vq refuses to load it"):
        keras_vq.saving.load_model(tmp_path / "lambda.keras")


def test_keras_file_naming_a_foreign_class_is_refused(tmp_path):
    model = VQVAE(**SMALL, quantizer=keras_vq.layers.VectorQuantizer(8, 4))
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    config.update(module="shutil", class_name="rmtree", registered_name="thirdparty>Remover")
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "forged.keras", "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(UnsafeConfigError, match=r"names class 'rmtree' from module 'shutil'"):
        keras_vq.saving.load_model(tmp_path / "forged.keras")
    loaded = keras_vq.saving.load_model(tmp_path / "model.keras")
    assert type(loaded) is VQVAE


def test_kaokore_preset_without_trained_weights_says_how_to_train_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(
        PresetError,
        match=r"no trained weights yet.*"
        r"python -m keras_vq\.recipes\.kaokore_vqvae2 --data-dir DIR --download",
    ):
        VQVAE2.from_preset("kaokore")
    model = VQVAE2.from_preset("kaokore", load_weights=False)
    config = model.get_config()
    assert config["data_shape"] == (256, 256, 3) or list(config["data_shape"]) == [256, 256, 3]
    quantizer = config["quantizer"]["bottom"]["config"]
    assert (quantizer["num_embeddings"], quantizer["embedding_dim"], config["hidden_channels"]) == (512, 64, 128)
    assert (config["num_residual_layers"], config["residual_channels"]) == (2, 32)


def _record_hashes(preset):
    metadata = json.loads((preset / "metadata.json").read_text())
    for name in ("config.json", "model.weights.h5"):
        metadata["sha256"][name] = keras_vq.presets.sha256_of(preset / name)
    (preset / "metadata.json").write_text(json.dumps(metadata))


def test_a_preset_file_with_no_recorded_sha256_is_refused(trained_preset):
    _, preset = trained_preset
    metadata = json.loads((preset / "metadata.json").read_text())
    del metadata["sha256"]["model.weights.h5"]
    (preset / "metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(PresetError, match=r"no SHA-256 is recorded for .*model.weights.h5; refused"):
        VQVAE.from_preset(preset)
    assert type(VQVAE.from_preset(preset, load_weights=False)) is VQVAE  # The config's record is still there.


def test_an_unknown_key_in_a_presets_config_is_refused_naming_the_file_and_key(trained_preset):
    _, preset = trained_preset
    _rewrite_config(preset, lambda config: config["config"].update(hidden_chanels=64))
    with pytest.raises(
        PresetError,
        match=r"config.json does not describe a valid VQVAE: .*'hidden_chanels' "
        r"\(did you mean 'hidden_channels'\?\)",
    ):
        VQVAE.from_preset(preset)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("config.json", b"\xff\xfe not json", r"config.json is not valid JSON"),
        ("metadata.json", b"{truncated", r"metadata.json is not valid JSON"),
        ("config.json", b"[" * 100_000 + b"]" * 100_000, r"config.json is not a preset's JSON: it nests deeper"),
        ("metadata.json", b"[" * 100_000 + b"]" * 100_000, r"metadata.json is not a preset's JSON: it nests deeper"),
        ("model.weights.h5", b"\x89HDF\r\n\x1a\n truncated", r"model.weights.h5 could not be loaded into the VQVAE"),
    ],
)
def test_damaged_preset_files_are_refused_naming_the_file(trained_preset, name, content, message):
    _, preset = trained_preset
    (preset / name).write_bytes(content)
    if name != "metadata.json":
        _record_hashes(preset)  # The damage is recorded: only the content itself can give it away.
    with pytest.raises(PresetError, match=message):
        VQVAE.from_preset(preset)


@pytest.mark.parametrize(
    "model_class, arguments, misspelt, suggestion",
    [
        (
            keras_vq.models.PixelCNN,
            dict(code_shape=(4, 4), num_embeddings=8, channels=8, num_blocks=1),
            "num_clases",
            "num_classes",
        ),
        (
            keras_vq.models.WaveNet,
            dict(num_symbols=8, channels=8, skip_channels=8, num_layers=2),
            "num_speaker",
            "num_speakers",
        ),
        (VQVAE, SMALL, "hidden_chanels", "hidden_channels"),
        (VQVAE2, dict(SMALL, data_shape=(16, 16, 3)), "residual_chanels", "residual_channels"),
        (VAE, SMALL, "kl_weigth", "kl_weight"),
    ],
)
def test_misspelt_keyword_arguments_are_errors_naming_the_argument(model_class, arguments, misspelt, suggestion):
    with pytest.raises(
        TypeError,
        match=rf"{model_class.__name__} got unexpected keyword argument\(s\) "
        rf"'{misspelt}' \(did you mean '{suggestion}'\?\)",
    ):
        model_class(**arguments, **{misspelt: 1})


def test_load_model_reads_only_keras_files_so_keras_cannot_pick_another_loader(tmp_path):
    # A file that is both HDF5 and zip: named .h5, Keras would read it as HDF5, past the zip's checked config.
    model = VQVAE(**SMALL, quantizer=keras_vq.layers.VectorQuantizer(8, 4))
    model.save(tmp_path / "model.keras")
    (tmp_path / "model.h5").write_bytes((tmp_path / "model.keras").read_bytes())
    with pytest.raises(ValueError, match=r"model.h5 is not a .keras file; keras_vq.saving.load_model reads only"):
        keras_vq.saving.load_model(tmp_path / "model.h5")


def test_check_config_refuses_a_lambda_even_where_keras_classes_are_allowed():
    lambda_config = {"module": "keras.layers", "class_name": "Lambda", "config": {}, "registered_name": None}
    with pytest.raises(UnsafeConfigError, match=r"at \['layer'\] names a Lambda layer, which holds code"):
        keras_vq.saving.check_config({"layer": lambda_config}, "test config")
    dense = {"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": None}
    keras_vq.saving.check_config({"layer": dense}, "test config")  # Keras' own classes pass.


def test_from_preset_passes_keyword_arguments_to_the_model_as_keras_hub_does(trained_preset):
    model, preset = trained_preset
    in_bfloat16 = VQVAE.from_preset(preset, dtype="bfloat16")
    assert in_bfloat16.layers_dtype_policy().name == "bfloat16"
    images = smooth_images(count=2)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ops.cast(in_bfloat16(images), "float32")), ops.convert_to_numpy(model(images)), atol=0.05
    )
    assert VQVAE.from_preset(preset, name="renamed").name == "renamed"
    with pytest.raises(TypeError, match=r"VQVAE.from_preset got unexpected keyword argument\(s\) \['dtpye'\]"):
        VQVAE.from_preset(preset, dtpye="bfloat16")
    cifar10 = VQVAE.from_preset("cifar10", dtype="bfloat16")  # Built-ins too.
    assert cifar10.layers_dtype_policy().name == "bfloat16"


def test_trained_preset_dir_is_where_from_preset_looks_and_only_for_locally_trained_presets(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    directory = keras_vq.models.VQVAE2.trained_preset_dir("kaokore")
    assert directory.is_relative_to(tmp_path) and directory.parts[-2:] == ("vqvae2", "kaokore")
    with pytest.raises(PresetError, match=str(directory)):
        keras_vq.models.VQVAE2.from_preset("kaokore")
    with pytest.raises(ValueError, match="VQVAE preset 'cifar10' ships its weights"):
        keras_vq.models.VQVAE.trained_preset_dir("cifar10")
    with pytest.raises(ValueError, match="unknown preset 'nope' for VQVAE2"):
        keras_vq.models.VQVAE2.trained_preset_dir("nope")


def test_preset_config_is_the_checked_config_without_building_the_model(trained_preset):
    model, preset = trained_preset
    config = VQVAE.preset_config(preset)
    assert config["hidden_channels"] == model.hidden_channels and list(config["data_shape"]) == [16, 16, 3]
    assert config["quantizer"]["config"]["num_embeddings"] == 32
    kaokore = VQVAE2.preset_config("kaokore")  # A built-in whose weights are not shipped: the config is.
    built = VQVAE2.from_preset("kaokore", load_weights=False).get_config()
    assert (kaokore["hidden_channels"], kaokore["quantizer"]) == (built["hidden_channels"], built["quantizer"])
    config_path = preset / "config.json"
    config_path.write_text(config_path.read_text().replace('"num_embeddings": 32', '"num_embeddings": 16'))
    with pytest.raises(PresetError, match=r"config.json does not match its recorded SHA-256"):
        VQVAE.preset_config(preset)
    with pytest.raises(PresetError, match=r"unknown preset 'nowhere' for VQVAE: the built-in presets are"):
        VQVAE.preset_config("nowhere")


LEGACY_PRESETS = pathlib.Path(__file__).parents[1] / "fixtures" / "legacy_presets"


@pytest.mark.parametrize("model_class, name", [(VQVAE, "cifar10"), (VQVAE2, "cifar10")])
def test_a_preset_saved_with_flat_quantizer_arguments_loads_with_identical_outputs(model_class, name, tmp_path):
    """Presets saved before models took `quantizer=` (the VectorQuantizer's arguments flat in the model's
    config, as the built-in ones were) still load, into the same model with the same outputs."""
    folder = model_class.__name__.lower()
    legacy_config = LEGACY_PRESETS / f"{folder}_{name}_config.json"
    assert "num_embeddings" in json.loads(legacy_config.read_text())["config"]  # the old, flat form
    weights = pathlib.Path(keras_vq.__file__).parent / "models" / folder / "presets" / name / "model.weights.h5"
    preset = tmp_path / "legacy"
    preset.mkdir()
    shutil.copy(legacy_config, preset / "config.json")
    shutil.copy(weights, preset / "model.weights.h5")
    sha256 = {file: keras_vq.presets.sha256_of(preset / file) for file in ("config.json", "model.weights.h5")}
    (preset / "metadata.json").write_text(json.dumps({"sha256": sha256}))
    legacy, current = model_class.from_preset(preset), model_class.from_preset(name)
    assert legacy.get_config() == current.get_config()
    images = smooth_images(count=4, size=32)
    np.testing.assert_array_equal(ops.convert_to_numpy(legacy(images)), ops.convert_to_numpy(current(images)))


def test_the_kaokore_preset_config_in_its_old_flat_form_builds_the_same_model():
    legacy = json.loads((LEGACY_PRESETS / "vqvae2_kaokore_config.json").read_text())["config"]
    rebuilt = json.loads(json.dumps(VQVAE2.from_config(legacy).get_config()))  # tuples as the file's lists
    assert rebuilt == VQVAE2.preset_config("kaokore")


def test_a_folder_named_like_a_built_in_preset_is_named_in_a_warning_and_loads_as_a_path(trained_preset, monkeypatch):
    model, preset = trained_preset
    monkeypatch.chdir(preset.parent)
    shutil.copytree(preset, "cifar10")
    with pytest.warns(
        UserWarning,
        match=r"'cifar10' is both a built-in VQVAE preset and a folder .*cifar10; "
        r"loading the built-in. Pass './cifar10'",
    ):
        builtin = VQVAE.from_preset("cifar10")
    assert builtin.data_shape == (32, 32, 3)
    with pytest.warns(UserWarning, match="is both a built-in"):
        VQVAE.preset_metadata("cifar10")
    assert VQVAE.from_preset("./cifar10").data_shape == (16, 16, 3)
    assert VQVAE.from_preset(pathlib.Path("cifar10")).data_shape == (16, 16, 3)


def test_load_model_names_a_keras_archive_whose_config_nests_too_deep(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "model.keras", "w") as archive:
        archive.writestr("config.json", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=r"model.keras: its config.json nests deeper than Python can parse"):
        keras_vq.saving.load_model(tmp_path / "model.keras")


def test_every_class_lists_only_built_in_presets_that_hold_that_class():
    """A subclass inherits its parent's `builtin_presets` unless it sets its own: MaskGITPrior listed the
    TransformerPrior's preset, which `from_preset` then refused as "holds a TransformerPrior"."""
    classes = [
        value
        for value in vars(keras_vq.models).values()
        if isinstance(value, type) and issubclass(value, keras_vq.presets.PresetMixin)
    ]
    assert {"VQVAE", "TransformerPrior", "MaskGITPrior"} <= {cls.__name__ for cls in classes}
    package = pathlib.Path(keras_vq.__file__).parent
    for cls in classes:
        for name, entry in cls.builtin_presets.items():
            held = json.loads((package / entry["directory"] / "config.json").read_text())["class_name"]
            assert held == cls.__name__, f"{cls.__name__} lists the preset {name!r}, which holds a {held}"
