"""Everything in the API reference has an `Example:` section, and every example runs.

The objects are the ones the API pages (`docs/api/*.md`) render: each `::: module.name`, and for a
module, the classes and functions of its `__all__`; for a class, its
`members:` (or every method and property it defines) and `inherited_members:`, less those mkdocs.yml's
filters hide (Keras' own hooks). An example is the
```python block of the docstring's `Example:` section; it runs as written, in a fresh folder with its own
KERAS_HOME. A block whose first line is `# not run in tests` is skipped (the marker shows in the docs).
Examples run in the PyTorch pass only (the tutorials cover every backend; these are for drift).
"""

import importlib
import inspect
import pathlib
import re
import textwrap

import keras
import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIRECTIVE = re.compile(r"^::: (\S+)\n((?:    .*\n)*)", re.MULTILINE)
EXAMPLE = re.compile(r"^Example:\n    ```python\n(.*?)^    ```", re.MULTILINE | re.DOTALL)


def _hidden(name):
    """Whether mkdocs.yml's member filters leave `name` out of the pages."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    handler = next(
        plugin["mkdocstrings"] for plugin in config["plugins"] if isinstance(plugin, dict) and "mkdocstrings" in plugin
    )["handlers"]["python"]["options"]
    return any(re.search(pattern[1:], name) for pattern in handler["filters"])


def _members(target, options):
    """The members the API pages render for class `target`: its `members` (or every public method and
    property it defines) and its `inherited_members`."""
    names = options.get("members")
    if names is None:
        names = [
            name
            for name, value in vars(target).items()
            if (inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod)))
        ]
    names = list(names) + list(options.get("inherited_members") or [])
    return [name for name in names if not _hidden(name)]


def _documented(value):
    """What holds the docstring: a property's getter, a method's function."""
    for attribute in ("fget", "getter", "__func__"):  # property, keras_vq.presets.classproperty, classmethod
        if hasattr(value, attribute):
            return getattr(value, attribute)
    return value


def api_objects():
    """[(dotted name, object)] of everything the API reference documents: classes, functions, and the
    methods and properties shown with each class."""
    found = []
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        for match in DIRECTIVE.finditer(page.read_text()):
            path, block = match.groups()
            options = (yaml.safe_load(textwrap.dedent(block)) or {}).get("options", {})
            try:
                target = importlib.import_module(path)
            except ImportError:
                module, name = path.rsplit(".", 1)
                target = getattr(importlib.import_module(module), name)
            if inspect.ismodule(target):
                # What the page renders: the module's __all__ (scripts/mkdocs_members_from_all.py).
                names = [
                    name
                    for name in options.get("members") or target.__all__
                    if inspect.isfunction(getattr(target, name)) or inspect.isclass(getattr(target, name))
                ]
                targets = [(f"{path}.{name}", getattr(target, name), {}) for name in names]
            else:
                targets = [(path, target, options)]
            for name, value, value_options in targets:
                found.append((name, value))
                if inspect.isclass(value):
                    found.extend(
                        (f"{name}.{member}", _documented(inspect.getattr_static(value, member)))
                        for member in _members(value, value_options)
                    )
    return found


def example_of(target):
    """The code of `target`'s Example section, dedented; None if it has none."""
    match = EXAMPLE.search(inspect.getdoc(target) or "")
    return None if match is None else re.sub(r"^    ", "", match.group(1), flags=re.MULTILINE)


OBJECTS = api_objects()


def test_the_api_reference_documents_the_public_api_and_each_has_an_example():
    names = {name for name, _ in OBJECTS}
    for required in (
        "keras_vq.models.VQVAE",
        "keras_vq.layers.VectorQuantizer",
        "keras_vq.data.pipelines.load",
        "keras_vq.metrics.perplexity",
        "keras_vq.training.fit_resumably",
    ):
        assert required in names
    for required in (
        "keras_vq.presets.PresetMixin.from_preset",
        "keras_vq.models.VQVAE.encode",
        "keras_vq.models.PixelCNN.sample",
        "keras_vq.layers.VectorQuantizer.quantize_vectors",
    ):
        assert required in names
    assert not any(name.endswith((".call", ".build", ".get_config")) for name in names)
    assert len(OBJECTS) >= 90, len(OBJECTS)
    assert [name for name, target in OBJECTS if example_of(target) is None] == []


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the docstring examples run once, in the PyTorch pass")
@pytest.mark.parametrize("name, target", OBJECTS, ids=[name for name, _ in OBJECTS])
def test_docstring_example_runs(name, target, tmp_path, monkeypatch, capsys):
    code = example_of(target)
    if code is None or code.startswith("# not run in tests"):
        pytest.skip(f"{name} has no example to run")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    exec(compile(code, f"<example of {name}>", "exec"), {"__name__": f"example_{name}"})
    assert capsys.readouterr().out  # Every example shows what it makes.
