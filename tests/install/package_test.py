import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_vq
from tests import data_helpers
from tests.passes import PACKAGING


def blocking_imports(*top_level_names):
    """Python source that makes importing these packages fail, as where they are not installed."""
    return f"""
import importlib.abc, importlib.machinery, sys
BLOCKED = {top_level_names!r}
class Blocker(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, self)
    def create_module(self, spec):
        raise ModuleNotFoundError(f"No module named {{spec.name!r}}", name=spec.name)
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, Blocker())
"""


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="needs a backend other than TensorFlow")
def test_models_build_train_and_save_and_the_numpy_path_feeds_them_with_tensorflow_absent(tmp_path):
    """Where TensorFlow and TFDS are not installed (one process, as a JAX or PyTorch user's): the models
    build, train and save, and the NumPy data path reads LibriSpeech (soundfile) for an audio model's fit."""
    script = (
        blocking_imports("tensorflow", "tensorflow_datasets")
        + f"""
import sys, numpy as np, keras, keras_vq
model = keras_vq.models.VQVAE(data_shape=(8, 8, 3), hidden_channels=8, residual_channels=4,
                              quantizer=keras_vq.layers.VectorQuantizer(8, 4))
images, _, _ = keras_vq.data.load_cifar10_sample()
model.compile(optimizer="adam")
model.fit(images[:8, :8, :8], epochs=1, verbose=0)
model.save({str(tmp_path / "m.keras")!r})
keras_vq.models.VAE(data_shape=(8, 8, 3), hidden_channels=8, residual_channels=4)
audio = keras_vq.data.load_numpy("librispeech", "train-clean-5", 2, crop_length=1024,
                                 data_dir={str(data_helpers.LIBRISPEECH_FIXTURE)!r})
speech = keras_vq.models.VQVAE(data_shape=(1024, 1), data_range=(-1, 1), num_downsamples=3, hidden_channels=8,
                               residual_channels=4, quantizer=keras_vq.layers.VectorQuantizer(8, 4))
speech.compile(optimizer="adam")
speech.fit(audio, epochs=1, verbose=0)
assert "tensorflow" not in sys.modules and "tensorflow_datasets" not in sys.modules
print("ok")
"""
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_embedded_sample_is_three_thousand_cifar10_training_images_on_the_model_scale():
    images, labels, class_names = keras_vq.data.load_cifar10_sample()
    assert images.shape == (3000, 32, 32, 3) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert np.bincount(labels).tolist() == [300] * 10
    assert class_names[0] == "airplane" and len(class_names) == 10
    with np.load(keras_vq.data.embedded.CIFAR10_SAMPLE_PATH) as archive:
        assert all(str(name).startswith("train/") for name in archive["file_names"])


@PACKAGING
def test_import_needs_neither_tensorflow_nor_the_data_extra():
    script = (
        blocking_imports("tensorflow", "tensorflow_datasets", "PIL", "soundfile", "tqdm")
        + """
import keras_vq
assert callable(keras_vq.models.VQVAE) and callable(keras_vq.data.load_cifar10_sample)
print("ok")
"""
    )
    environment = dict(os.environ)  # the PyTorch backend (PACKAGING): a backend that needs no TensorFlow
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


@PACKAGING
@pytest.mark.parametrize(
    "blocked, works, refused, message",
    [
        # Without soundfile, images still load; audio names the package and the extra.
        (
            "soundfile",
            "cifar10",
            "librispeech",
            "reading LibriSpeech needs soundfile, which is not installed: pip install 'keras-vq[numpy-data]'",
        ),
        # Without Pillow, audio still loads; images name it.
        (
            "PIL",
            "librispeech",
            "cifar10",
            "reading CIFAR-10 needs Pillow, which is not installed: pip install 'keras-vq[numpy-data]'",
        ),
    ],
)
def test_each_reader_is_imported_when_used_and_a_missing_one_names_its_extra(blocked, works, refused, message):
    from tests import data_helpers

    folders = {"cifar10": data_helpers.CIFAR10_FIXTURE, "librispeech": data_helpers.LIBRISPEECH_FIXTURE}
    splits = {"cifar10": "test", "librispeech": "train-clean-5"}
    script = (
        blocking_imports(blocked)
        + f"""
import keras_vq
batches = keras_vq.data.load_numpy({works!r}, {splits[works]!r}, 2, data_dir={str(folders[works])!r},
                                   crop_length=1600, evaluation=True, progress=False)
assert len(batches[0]) == 2
try:
    keras_vq.data.load_numpy({refused!r}, {splits[refused]!r}, 2, data_dir={str(folders[refused])!r})
except ModuleNotFoundError as error:
    print(error)
"""
    )
    environment = dict(os.environ)  # the PyTorch backend (PACKAGING): a backend that needs no TensorFlow
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == message


def public_names_a_recipe_uses(source):
    """(module, name) for each `from keras_vq.M import name` and each `keras_vq.M.name` in `source`, where
    M is a package of keras_vq that declares its public API (`__all__`)."""
    import ast
    import importlib

    declared = {}
    for package in ("data", "distribute", "layers", "models", "utils"):
        declared[f"keras_vq.{package}"] = set(importlib.import_module(f"keras_vq.{package}").__all__)
    used = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("keras_vq"):
            used += [(node.module, alias.name) for alias in node.names]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "keras_vq"
        ):
            used.append((f"keras_vq.{node.value.attr}", node.attr))
    return [
        (module, name, module in declared and name in declared[module])
        for module, name in used
        if module in declared
        or module.startswith(tuple(f"{package}." for package in declared))
        or module.startswith("keras_vq.datasets")
    ]


def test_recipes_use_only_the_public_api_of_data_layers_models_distribute_and_utils():
    """What a recipe needs is API (issue 30): no recipe reaches into keras_vq.datasets or a module
    inside keras_vq.data, .layers, .models, .distribute or .utils for a name their `__all__` does not declare."""
    import pathlib

    recipes = sorted((pathlib.Path(__file__).resolve().parents[2] / "recipes").glob("*.py"))
    assert len(recipes) >= 8
    private = [
        (recipe.name, module, name)
        for recipe in recipes
        for module, name, public in public_names_a_recipe_uses(recipe.read_text())
        if not public
    ]
    assert not private, private
    # The check sees what it must: a name from inside a package, a dataset module, an undeclared attribute.
    assert [
        public
        for _, _, public in public_names_a_recipe_uses(
            "from keras_vq.data.utterances import clips\n"
            "from keras_vq.datasets.cifar10.cifar10_files import CLASS_NAMES\n"
            "keras_vq.data.clips\nkeras_vq.data.SeededBatches\nkeras_vq.models.VQVAE\n"
        )
    ] == [False, False, True, False, True]


def model_names_in(source, model_names, model_modules):
    """(line, name) for each identifier of `source` that names one of `model_names` (a name, an attribute,
    an imported name or a string) or imports one of `model_modules`; docstrings and comments do not count."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in model_names:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute) and node.attr in model_names:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Constant) and node.value in model_names:
            found.append((node.lineno, node.value))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            found += [(node.lineno, alias.name) for alias in node.names if alias.name in model_names]
            found += [(node.lineno, module) for module in modules if set(module.split(".")) & model_modules]
    return found


PRIOR_FOLDERS = ("pixelcnn", "transformer", "wavenet")
PRIOR_NAMES = {"MaskGITPrior", "PixelCNN", "TransformerPrior", "WaveNet"}


def test_a_prior_is_named_only_in_its_folder_and_the_registries():
    """Adding a prior touches its folder and one registry line (issue 30, item 2): no module of keras_vq
    outside models/pixelcnn/, models/transformer/ and models/wavenet/, nor the generic prior recipe, names
    PixelCNN, TransformerPrior, MaskGITPrior or WaveNet,
    except the registries: `keras_vq.models` (its exports and `PRIORS`) and the VQ-VAE's decoder registry
    (a WaveNet is also a VQ-VAE's audio decoder). The speech recipes choose WaveNet as a user's script would."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    registries = {"keras_vq/models/__init__.py", "keras_vq/models/vqvae/vqvae_decoders.py"}
    checked = sorted(root.glob("keras_vq/**/*.py")) + [root / "recipes" / "cifar10_prior.py"]
    naming = {}
    for path in checked:
        relative = path.relative_to(root).as_posix()
        if (
            relative.startswith(tuple(f"keras_vq/models/{folder}/" for folder in PRIOR_FOLDERS))
            or relative in registries
        ):
            continue
        found = model_names_in(path.read_text(), PRIOR_NAMES, set(PRIOR_FOLDERS))
        if found:
            naming[relative] = found
    assert len(checked) > 60
    assert not naming, naming
    # The check sees each way of naming a prior, and not a name in a docstring or a longer identifier.
    assert sorted(
        name
        for _, name in model_names_in(
            '"""A PixelCNN prior."""\nfrom keras_vq.models.wavenet.wavenet import WaveNet\nimport keras_vq.models.pixelcnn\n'
            'isinstance(p, keras_vq.models.PixelCNN)\nGatedPixelCNNBlock\nkind = "WaveNet"\n',
            {"PixelCNN", "WaveNet"},
            {"pixelcnn", "wavenet"},
        )
    ) == ["PixelCNN", "WaveNet", "WaveNet", "keras_vq.models.pixelcnn", "keras_vq.models.wavenet.wavenet"]
