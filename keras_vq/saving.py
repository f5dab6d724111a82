"""Loading saved models without running code from them.

A Keras config names classes. Deserialising a class Keras does not know can
import a module, and a `Lambda` layer carries Python bytecode. Before any
deserialisation, `check_config` walks a config and refuses (with
`UnsafeConfigError`, saying where) every class that is neither registered
by keras_vq nor one of Keras' own, and every `Lambda`. `load_model` does
that for a `.keras` file, then loads it with Keras' safe mode on.
"""

import json
import pathlib
import zipfile

import keras

__all__ = ["load_model", "UnsafeConfigError"]

REFUSED_CLASSES = {"Lambda", "TFSMLayer"}
KERAS_VQ_PACKAGE = "keras_vq"


class UnsafeConfigError(ValueError):
    """A saved config names a class keras_vq will not load (`load_model` and `from_preset` check first).

    Example:
        ```python
        import keras

        import keras_vq

        model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])  # code in a config
        model.save("lambda.keras")
        try:
            keras_vq.saving.load_model("lambda.keras")
        except keras_vq.saving.UnsafeConfigError as error:
            print(str(error)[:70], "...")  # names the file and the Lambda layer
        ```
    """


def _describe(path):
    return "".join(f"[{part!r}]" for part in path) or "the top level"


def check_config(config, source, allowed_keras_classes=None):
    """Raises `UnsafeConfigError` unless every class `config` names is safe to build.

    A dict with a `class_name` names a class. Allowed: classes registered
    under the `keras_vq` package (looked up in Keras' registry, never
    imported), and classes of Keras' own modules except `Lambda` and
    `TFSMLayer`; with `allowed_keras_classes`, only those Keras classes.
    `source` names the file in messages.
    """

    def walk(node, path):
        if isinstance(node, dict):
            if "class_name" in node:
                _check_class(node, path)
            for key, value in node.items():
                walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, path + (index,))

    def _check_class(node, path):
        class_name = node.get("class_name")
        registered = node.get("registered_name") or ""
        module = node.get("module") or ""
        where = f"{source} at {_describe(path)}"
        if registered.startswith(f"{KERAS_VQ_PACKAGE}>"):
            if keras.saving.get_registered_object(registered) is None:
                raise UnsafeConfigError(f"{where} names {registered!r}, which keras_vq does not define")
            return
        if class_name in REFUSED_CLASSES:
            raise UnsafeConfigError(
                f"{where} names a {class_name} layer, which holds code; keras_vq refuses to load it"
            )
        is_keras = module == "keras" or module.startswith("keras.")
        if not is_keras or (registered and registered != class_name):
            raise UnsafeConfigError(
                f"{where} names class {class_name!r} from module {module!r}, which is neither "
                "registered by keras_vq nor part of Keras; keras_vq refuses to load it"
            )
        if allowed_keras_classes is not None and class_name not in allowed_keras_classes:
            raise UnsafeConfigError(
                f"{where} names Keras class {class_name!r}; only {sorted(allowed_keras_classes)} may appear here"
            )

    walk(config, ())


def load_model(filepath, compile=True):
    """`keras.saving.load_model` in safe mode, after `check_config` on the archive's config.

    Only `.keras` files are taken: Keras picks its loader by the extension, so
    a file named otherwise (say `.h5`, for a file that is both HDF5 and zip)
    would be read by a loader other than the archive whose config was checked.

    Example:
        ```python
        import keras_vq

        model = keras_vq.models.VQVAE(data_shape=(16, 16, 3), hidden_channels=8, residual_channels=4)
        model.save("vqvae.keras")
        print(type(keras_vq.saving.load_model("vqvae.keras")).__name__)  # VQVAE
        ```
    """
    if pathlib.Path(str(filepath)).suffix != ".keras":
        raise ValueError(
            f"{filepath} is not a .keras file; keras_vq.saving.load_model reads only the .keras format "
            "(whose config it checks before Keras reads it)"
        )
    try:
        with zipfile.ZipFile(filepath) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{filepath} is not a .keras archive with a config.json ({error})") from error
    except RecursionError:  # Nesting deeper than Python's parser goes: no config is that deep.
        raise ValueError(f"{filepath}: its config.json nests deeper than Python can parse") from None
    check_config(config, f"{filepath}: config.json")
    return keras.saving.load_model(filepath, compile=compile, safe_mode=True)
