"""Presets: a trained model as a directory, in keras-hub's layout, loaded safely.

A preset directory holds

    config.json        the model, serialised (`keras.saving.serialize_keras_object`)
    metadata.json      keras and keras_vq versions, parameter count, what it was
                       trained on and the figures it reached, and the SHA-256 of
                       the two other files
    model.weights.h5   the weights

`Model.from_preset(name_or_path, load_weights=True)` loads one: a built-in
name (declared as data in the model's `*_presets.py`) or a directory.
Nothing in it runs: the config may only name the model class (registered by
keras_vq) and dtype policies (`keras_vq.saving.check_config`); files are
read only from inside the directory, never through a link or `..` that leads
out; and each file's SHA-256 must match the one recorded (in the
`*_presets.py` for built-ins, in `metadata.json` otherwise).
"""

import hashlib
import json
import math
import os
import pathlib
import shutil
import tempfile
import warnings

import keras

from keras_vq.saving import UnsafeConfigError, check_config
from keras_vq.utils.atomic import TEMPORARY_MARKER, replace_directory
from keras_vq.utils.paths import keras_vq_home
from keras_vq.version import __version__

__all__ = ["PresetMixin", "PresetError", "sha256_of", "user_presets_dir"]

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
PRESET_FILES = (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE)
DTYPE_POLICY_CLASSES = {"DTypePolicy", "FloatDTypePolicy"}


class PresetError(ValueError):
    """A preset is unknown, incomplete, tampered with, or of another model.

    Example:
        ```python
        import keras_vq

        try:
            keras_vq.models.VQVAE.from_preset("no_such_preset")
        except keras_vq.presets.PresetError as error:
            print(str(error)[:60], "...")  # names the preset and the ones there are
        ```
    """


def user_presets_dir():
    """Where recipes save presets they train: `~/.keras/keras_vq/presets` (under `$KERAS_HOME` when set).

    Example:
        ```python
        import keras_vq

        print(keras_vq.presets.user_presets_dir())  # a folder here is loaded by name: VQVAE.from_preset("my_run")
        ```
    """
    return keras_vq_home() / "presets"


def sha256_of(path):
    """The SHA-256 of a file's bytes, as hex: what a preset's metadata records for each of its files.

    Example:
        ```python
        import pathlib

        import keras_vq

        pathlib.Path("hello.txt").write_bytes(b"hello")
        print(keras_vq.presets.sha256_of("hello.txt")[:16])  # 2cf24dba5fb0a30e
        ```
    """
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def preset_file(directory, name):
    """`directory / name`, refused if it is a link or resolves outside `directory`."""
    directory = pathlib.Path(directory)
    path = directory / name
    if not path.exists():
        raise PresetError(f"preset {directory} has no {name}")
    if path.is_symlink() or directory.resolve() not in path.resolve().parents:
        raise PresetError(f"preset file {path} leads outside {directory} (a link or '..'); refused")
    return path


# The largest sizes a preset's config may ask for: far above any model keras_vq ships (K = 512, 256 channels,
# 20 layers), far below what building the model would need more memory than a machine has for (a preset whose
# SHA-256 was re-recorded with num_embeddings=10**9 asked for a 256 GB codebook).
PRESET_SIZE_BOUNDS = {
    **dict.fromkeys(
        ("num_embeddings", "condition_num_embeddings", "num_symbols", "num_classes", "num_speakers"), 2**20
    ),
    **dict.fromkeys(
        (
            "embedding_dim",
            "latent_dim",
            "hidden_channels",
            "residual_channels",
            "channels",
            "skip_channels",
            "local_channels",
            "speaker_embedding_dim",
            "fft_length",
            "hop",
            "upsampling",
            "distance_chunk_size",
        ),
        2**16,
    ),
    **dict.fromkeys(
        (
            "num_layers",
            "num_blocks",
            "num_residual_layers",
            "num_downsamples",
            "num_stages",
            "num_mixtures",
            "kernel_size",
            "first_kernel_size",
            "griffin_lim_iterations",
            "kmeans_iterations",
        ),
        2**10,
    ),
}
PRESET_CODEBOOK_BOUND = 2**20  # prod(levels) of a FiniteScalarQuantizer, as num_embeddings.


def check_preset_sizes(config, source, where="config"):
    """PresetError naming the key unless every size in a preset's `config` (nested quantizers and decoders
    included) is within `PRESET_SIZE_BOUNDS`: a preset is refused before anything is allocated."""
    if isinstance(config, dict):
        for key, value in config.items():
            bound = PRESET_SIZE_BOUNDS.get(key)
            if bound is not None and isinstance(value, int) and not isinstance(value, bool) and value > bound:
                raise PresetError(
                    f"{source}: {where}.{key} = {value:,} is larger than a preset may ask for ({bound:,}); refused"
                )
            if (
                key == "levels"
                and isinstance(value, list)
                and all(isinstance(level, int) for level in value)
                and math.prod(value) > PRESET_CODEBOOK_BOUND
            ):
                raise PresetError(
                    f"{source}: {where}.levels {value} make {math.prod(value):,} codes, more than a "
                    f"preset may ask for ({PRESET_CODEBOOK_BOUND:,}); refused"
                )
            check_preset_sizes(value, source, f"{where}.{key}")
    elif isinstance(config, list):
        for index, item in enumerate(config):
            check_preset_sizes(item, source, f"{where}[{index}]")


def _read_json(path):
    """The JSON in `path`; PresetError naming the file if it is not UTF-8 JSON."""
    try:
        return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PresetError(f"{path} is not valid JSON ({error})") from error
    except RecursionError:  # Nesting deeper than Python's parser goes: no config is that deep.
        raise PresetError(f"{path} is not a preset's JSON: it nests deeper than Python can parse") from None


def _verified_file(directory, name, recorded_hashes):
    """`preset_file(directory, name)`, refused unless it matches its recorded SHA-256."""
    path = preset_file(directory, name)
    if name not in recorded_hashes:
        raise PresetError(f"no SHA-256 is recorded for {path}; refused")
    if sha256_of(path) != recorded_hashes[name]:
        raise PresetError(f"{path} does not match its recorded SHA-256 {recorded_hashes[name]}; refused")
    return path


class classproperty:
    """A read-only property of the class itself, as keras-hub's `Backbone.presets`."""

    def __init__(self, getter):
        self.getter = getter
        self.__doc__ = getter.__doc__

    def __get__(self, instance, owner):
        return self.getter(owner)


def current_umask():
    """The process's file-creation mask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_json_metadata(metadata, path="metadata"):
    """Raises TypeError naming the first value of `metadata` that JSON cannot hold (e.g. a NumPy float)."""
    if isinstance(metadata, dict):
        for key, value in metadata.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} keys must be strings; got {key!r}")
            check_json_metadata(value, f"{path}[{key!r}]")
    elif isinstance(metadata, (list, tuple)):
        for index, value in enumerate(metadata):
            check_json_metadata(value, f"{path}[{index}]")
    elif not (metadata is None or isinstance(metadata, (str, bool, int, float))):
        raise TypeError(
            f"{path} is a {type(metadata).__name__}, not JSON: convert it (float(x), int(x), x.tolist()) before saving"
        )


class PresetMixin:
    """`from_preset`, `save_to_preset`, `preset_metadata` and `presets` for keras_vq models (every model
    class has them), as keras-hub's models do.

    A model class sets `builtin_presets` to its `*_presets.py` dict: name ->
    {"description", "directory" (inside keras_vq) or "user_directory"
    (under `user_presets_dir()`, for weights a recipe trains), "sha256"
    ({file name: digest}, for files that ship), "how_to_train"}.

    Example:
        ```python
        import keras_vq

        for model_class in (keras_vq.models.VQVAE, keras_vq.models.VQVAE2, keras_vq.models.PixelCNN):
            print(model_class.__name__, sorted(model_class.presets))
        ```
    """

    builtin_presets = {}

    @classmethod
    def from_config(cls, config):
        """The model of `get_config()`'s dict; a serialised `dtype` policy is
        deserialised first (the models store the policy their layers use), and
        an older version's config is migrated (`migrated_config`)."""
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.saving.deserialize_keras_object(config["dtype"])
        return cls(**cls.migrated_config(config))

    @classmethod
    def migrated_config(cls, config):
        """`config` as this version's constructor takes it: a model class whose
        arguments changed overrides this to read the configs older versions saved."""
        return config

    @classproperty
    def presets(cls):
        """Built-in preset names and their descriptions.

        Example:
            ```python
            import keras_vq

            print(sorted(keras_vq.models.VQVAE.presets))  # ['cifar10', 'librispeech']
            ```
        """
        return {name: entry["description"] for name, entry in cls.builtin_presets.items()}

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """The model of a built-in preset name or a preset directory; with
        `load_weights=False`, the architecture alone (untrained).

        Keyword arguments override the preset's config, as in keras-hub: e.g.
        `dtype="bfloat16"` loads the weights into a bfloat16 model. A keyword
        the model's config does not have is a TypeError naming it.

        Example:
            ```python
            import keras_vq

            model = keras_vq.models.VQVAE.from_preset("cifar10")                       # trained weights
            untrained = keras_vq.models.VQVAE2.from_preset("kaokore", load_weights=False)  # the architecture alone
            half = keras_vq.models.VQVAE.from_preset("cifar10", dtype="bfloat16")        # overriding the config
            print(model.count_params(), untrained.data_shape, half.layers_dtype_policy().name)  # ... bfloat16
            ```
        """
        if cls._is_builtin(preset):
            return cls._from_builtin(preset, load_weights, kwargs)
        directory = cls._preset_directory(preset)
        recorded = cls._recorded_hashes(directory)
        return cls._load(directory, recorded, load_weights, kwargs)

    @classmethod
    def preset_config(cls, preset):
        """The constructor arguments in the `config.json` of a built-in preset name or a preset
        directory (checked against its recorded SHA-256), without building the model: e.g. the widths
        of a preset's architecture, for another model of the same widths.

        Example:
            ```python
            import keras_vq

            config = keras_vq.models.VQVAE2.preset_config("kaokore")
            bottom = config["quantizer"]["bottom"]["config"]  # the bottom level's VectorQuantizer
            print(config["data_shape"], config["hidden_channels"], bottom["num_embeddings"])  # [256, 256, 3] 128 512
            ```
        """
        if cls._is_builtin(preset):
            entry = cls.builtin_presets[preset]
            path = _verified_file(pathlib.Path(__file__).parent / entry["directory"], CONFIG_FILE, entry["sha256"])
        else:
            directory = cls._preset_directory(preset)
            path = _verified_file(directory, CONFIG_FILE, cls._recorded_hashes(directory))
        return _read_json(path)["config"]

    @classmethod
    def preset_metadata(cls, preset):
        """The `metadata.json` of a built-in preset name or a preset directory, as a dict: versions,
        parameter count, what it was trained on and the figures it reached (e.g. the LibriSpeech
        presets' `speaker_ids`, the dataset's speaker id of each speaker index).

        Example:
            ```python
            import keras_vq

            metadata = keras_vq.models.VQVAE.preset_metadata("librispeech")
            print(metadata["speaker_ids"][:3], metadata["parameter_count"])  # [19, 32, 118] 2574535
            ```
        """
        if cls._is_builtin(preset):
            entry = cls.builtin_presets[preset]
            directory = (
                cls.trained_preset_dir(preset)
                if "user_directory" in entry
                else pathlib.Path(__file__).parent / entry["directory"]
            )
        else:
            directory = cls._preset_directory(preset)
        metadata = _read_json(preset_file(directory, METADATA_FILE))
        if not isinstance(metadata, dict):
            raise PresetError(f"{directory / METADATA_FILE} is not a JSON object")
        return metadata

    @classmethod
    def _is_builtin(cls, preset):
        """Whether `preset` names a built-in preset. The built-in wins over a folder of the same name in
        the working folder, with a warning naming both; a path (`./cifar10`, a `pathlib.Path`) is a folder."""
        if not isinstance(preset, str) or preset not in cls.builtin_presets:
            return False
        if pathlib.Path(preset).is_dir():
            warnings.warn(
                f"{preset!r} is both a built-in {cls.__name__} preset and a folder "
                f"{pathlib.Path(preset).resolve()}; loading the built-in. Pass './{preset}' or a "
                f"pathlib.Path to load the folder",
                UserWarning,
                stacklevel=3,
            )
        return True

    @classmethod
    def _preset_directory(cls, preset):
        """`preset` as a preset directory; PresetError if it is neither a built-in name nor a folder."""
        directory = pathlib.Path(str(preset)).expanduser()
        if not directory.is_dir():
            raise PresetError(
                f"unknown preset {preset!r} for {cls.__name__}: the built-in presets are "
                f"{sorted(cls.builtin_presets)}, or pass a preset directory"
            )
        return directory

    @classmethod
    def trained_preset_dir(cls, name):
        """Where `from_preset(name)` finds the weights of a built-in preset that a
        recipe trains locally (e.g. VQVAE2's "kaokore"); ValueError for a preset
        whose weights are shipped."""
        if name not in cls.builtin_presets:
            raise ValueError(
                f"unknown preset {name!r} for {cls.__name__}: the built-in presets are {sorted(cls.builtin_presets)}"
            )
        if "user_directory" not in cls.builtin_presets[name]:
            raise ValueError(f"{cls.__name__} preset {name!r} ships its weights; none are trained locally")
        return user_presets_dir() / cls.builtin_presets[name]["user_directory"]

    @classmethod
    def _from_builtin(cls, name, load_weights, overrides):
        entry = cls.builtin_presets[name]
        package_root = pathlib.Path(__file__).parent
        config_directory = package_root / entry["directory"]
        if not load_weights:
            return cls._load(config_directory, entry["sha256"], False, overrides)
        if "user_directory" not in entry:
            return cls._load(config_directory, entry["sha256"], True, overrides)
        trained = cls.trained_preset_dir(name)
        if not (trained / WEIGHTS_FILE).exists():
            raise PresetError(
                f"{cls.__name__} preset {name!r} has no trained weights yet: they are not shipped and "
                f"none were found in {trained}. {entry['how_to_train']} "
                f"(from_preset({name!r}, load_weights=False) gives the untrained architecture)."
            )
        trained_hashes = cls._recorded_hashes(trained)
        shipped_config = _read_json(_verified_file(config_directory, CONFIG_FILE, entry["sha256"]))
        trained_config = _read_json(_verified_file(trained, CONFIG_FILE, trained_hashes))
        if trained_config.get("config") != shipped_config["config"]:
            raise PresetError(f"{trained} does not hold the {name!r} architecture; retrain it")
        return cls._load(trained, trained_hashes, True, overrides)

    @staticmethod
    def _recorded_hashes(directory):
        metadata_path = preset_file(directory, METADATA_FILE)
        metadata = _read_json(metadata_path)
        recorded = metadata.get("sha256") if isinstance(metadata, dict) else None
        if not isinstance(recorded, dict) or not all(isinstance(value, str) for value in recorded.values()):
            raise PresetError(f"{metadata_path} has no readable 'sha256' record ({{file name: hex digest}})")
        return recorded

    @classmethod
    def _load(cls, directory, recorded_hashes, load_weights, overrides):
        needed = [CONFIG_FILE] + ([WEIGHTS_FILE] if load_weights else [])
        paths = {name: _verified_file(directory, name, recorded_hashes) for name in needed}
        config = _read_json(paths[CONFIG_FILE])
        model_class = cls._model_class(config, paths[CONFIG_FILE])
        unknown = sorted(set(overrides) - set(config["config"]))
        if unknown:
            raise TypeError(
                f"{model_class.__name__}.from_preset got unexpected keyword argument(s) {unknown}; "
                f"it takes the model's own: {sorted(config['config'])}"
            )
        try:
            model = model_class.from_config(config["config"] | overrides)
        except (TypeError, ValueError) as error:
            raise PresetError(
                f"{paths[CONFIG_FILE]} does not describe a valid {model_class.__name__}: {error}"
            ) from error
        if load_weights:
            try:
                model.load_weights(paths[WEIGHTS_FILE])
            except Exception as error:  # h5py's and Keras' errors for a damaged or mismatched file vary.
                raise PresetError(
                    f"{paths[WEIGHTS_FILE]} could not be loaded into the {model_class.__name__} of "
                    f"{paths[CONFIG_FILE]} ({type(error).__name__}: {error})"
                ) from error
        return model

    @classmethod
    def _model_class(cls, config, source):
        if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
            raise PresetError(f"{source} is not a serialised keras_vq model")
        registered = config.get("registered_name") or ""
        if not registered.startswith("keras_vq>"):
            raise UnsafeConfigError(
                f"{source} names {config.get('class_name')!r} ({registered or 'unregistered'}), "
                "not a keras_vq model; refused"
            )
        check_config(config, str(source))
        check_config(config["config"], str(source), allowed_keras_classes=DTYPE_POLICY_CLASSES)
        check_preset_sizes(config["config"], str(source))
        model_class = keras.saving.get_registered_object(registered)
        if not (isinstance(model_class, type) and issubclass(model_class, cls)):
            raise PresetError(f"{source} holds a {registered.split('>')[-1]}, not a {cls.__name__}")
        return model_class

    def save_to_preset(self, preset_dir, metadata=None, overwrite=False):
        """Writes config.json, model.weights.h5 and metadata.json (with their SHA-256)
        into `preset_dir`; a non-empty directory is refused unless `overwrite=True`.

        The preset is written into a temporary folder beside `preset_dir` and
        renamed into place when whole, so a kill never leaves a partial
        preset where `from_preset` would read it.

        Example:
            ```python
            import keras_vq

            images, _, _ = keras_vq.data.load_cifar10_sample()
            model = keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                          quantizer=keras_vq.layers.VectorQuantizer(32, 8))
            model.save_to_preset("my_preset", metadata={"note": "an example"})
            again = keras_vq.models.VQVAE.from_preset("my_preset")
            print(keras_vq.models.VQVAE.preset_metadata("my_preset")["note"])  # an example
            ```
        """
        preset_dir = pathlib.Path(preset_dir).expanduser()
        if preset_dir.is_symlink():
            raise ValueError(
                f"{preset_dir} is a symbolic link; save to the folder it points to "
                f"({os.path.realpath(preset_dir)}) or to another name"
            )
        if preset_dir.resolve() == pathlib.Path.cwd().resolve() or not preset_dir.resolve().name:
            raise ValueError(
                f"{str(preset_dir)!r} names the current folder (or the root); name a preset folder "
                "inside it, e.g. save_to_preset('my_preset')"
            )
        if preset_dir.exists() and not preset_dir.is_dir():
            raise FileExistsError(f"{preset_dir} is a file, not a preset folder")
        if preset_dir.exists() and any(preset_dir.iterdir()):
            if not overwrite:
                raise FileExistsError(f"{preset_dir} is not empty; pass overwrite=True to replace the preset")
            # Overwriting replaces a preset, never a folder of the user's other work.
            foreign = sorted(path.name for path in preset_dir.iterdir() if path.name not in PRESET_FILES)
            if foreign:
                raise FileExistsError(
                    f"{preset_dir} holds files that are not a preset's {foreign}; overwrite=True "
                    f"replaces only a preset ({', '.join(PRESET_FILES)}): choose another folder"
                )
        metadata = dict(metadata or {})
        check_json_metadata(metadata)
        preset_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{preset_dir.name}{TEMPORARY_MARKER}", dir=preset_dir.parent))
        try:
            staging.chmod(0o777 & ~current_umask())  # mkdtemp's folder is private (0700); a preset is not.
            self._write_preset_files(staging, metadata)
            replace_directory(staging, preset_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return preset_dir

    def _without_optimizer(self):
        """This model, or an uncompiled twin with its weights when it is compiled: a compiled model's
        weights file carries the optimizer's state too (Adam: twice the parameters again), which a
        preset, read to use the model, never needs."""
        if getattr(self, "optimizer", None) is None:
            return self
        twin = type(self).from_config(self.get_config())
        twin.set_weights(self.get_weights())
        return twin

    def _write_preset_files(self, preset_dir, metadata):
        config = keras.saving.serialize_keras_object(self)
        config = {key: config[key] for key in ("module", "class_name", "config", "registered_name")}
        (preset_dir / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))
        self._without_optimizer().save_weights(preset_dir / WEIGHTS_FILE, overwrite=True)
        record = {
            "class_name": type(self).__name__,
            "keras_vq_version": __version__,
            "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
            "parameter_count": int(self.count_params()),
            **(metadata or {}),
            "sha256": {name: sha256_of(preset_dir / name) for name in (CONFIG_FILE, WEIGHTS_FILE)},
        }
        (preset_dir / METADATA_FILE).write_text(json.dumps(record, indent=2, sort_keys=True))
