"""Every class and function in the API reference has an `Example:` section, and every example runs.

The objects are the ones the API pages (`docs/api/*.md`) render: each `::: module.name`, and for a
module, its `members:` list or else every public class and function defined in it. An example is the
```python block of the docstring's `Example:` section; it runs as written, in a fresh folder with its own
KERAS_HOME. A block whose first line is `# not run in tests` is skipped (the marker shows in the docs).
Examples run in the PyTorch pass only (the tutorials cover every backend; these are for drift).
"""

import importlib
import inspect
import pathlib
import re

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^::: (\S+)(?:\n    options:\n      members: \[(.*?)\])?", re.MULTILINE)
EXAMPLE = re.compile(r"^Example:\n    ```python\n(.*?)^    ```", re.MULTILINE | re.DOTALL)


def api_objects():
    """[(dotted name, object)] of everything the API reference documents."""
    found = []
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        for match in DIRECTIVE.finditer(page.read_text()):
            path, members = match.groups()
            try:
                target = importlib.import_module(path)
            except ImportError:
                module, name = path.rsplit(".", 1)
                target = getattr(importlib.import_module(module), name)
            if not inspect.ismodule(target):
                found.append((path, target))
                continue
            names = ([name.strip() for name in members.split(",")] if members else
                     [name for name, value in vars(target).items() if not name.startswith("_")
                      and (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__ == path])
            found.extend((f"{path}.{name}", getattr(target, name)) for name in names)
    return found


def example_of(target):
    """The code of `target`'s Example section, dedented; None if it has none."""
    match = EXAMPLE.search(inspect.getdoc(target) or "")
    return None if match is None else re.sub(r"^    ", "", match.group(1), flags=re.MULTILINE)


OBJECTS = api_objects()


def test_the_api_reference_documents_the_public_api_and_each_has_an_example():
    names = {name for name, _ in OBJECTS}
    for required in ("keras_vq.models.VQVAE", "keras_vq.layers.VectorQuantizer", "keras_vq.data.pipelines.load",
                     "keras_vq.metrics.perplexity", "keras_vq.training.fit_resumably"):
        assert required in names
    assert len(OBJECTS) >= 45, len(OBJECTS)
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
