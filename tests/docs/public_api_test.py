"""The public API is declared once, by each module's `__all__`: the API pages render it (a `::: module`
directive gets its members from `__all__`: scripts/mkdocs_members_from_all.py), and the recipes,
scripts, benchmarks and tutorials use nothing else.

- A page's `::: module` directive has no `members:` list (mkdocstrings then renders the module's `__all__`),
  and names a module that declares `__all__`; a `::: module.name` directive names something in its
  module's `__all__`.
- Every class and function in the `__all__` of a module that a page documents, or of a package
  (`keras_vq.layers`, `keras_vq.models`, ...), is rendered on some page, under its own module or the one
  that holds it.
- `keras_vq.<module>.<name>` and `from keras_vq.<module> import <name>` in the recipes, scripts,
  benchmarks, README and tutorials name something in that module's `__all__` (or a submodule).

Static checks of files (no model is built): they run once, on the PyTorch pass.
"""

import ast
import importlib
import inspect
import pathlib
import re
import runpy
import types

from tests.passes import once_on

pytestmark = once_on("torch", "public API checks")

ROOT = pathlib.Path(__file__).resolve().parents[2]
API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))
DIRECTIVE = re.compile(r"^::: (\S+)\n((?:    .*\n)*)", re.MULTILINE)
PACKAGES = ["keras_vq", "keras_vq.data", "keras_vq.distribute", "keras_vq.layers", "keras_vq.models"]
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def directives():
    """(page, target, options text) for every `:::` directive of the API pages."""
    return [(page.name, *match.groups()) for page in API_PAGES for match in DIRECTIVE.finditer(page.read_text())]


def split_target(target):
    """`(module, name)`: the module the directive names (name None), or the module holding `name`."""
    try:
        return importlib.import_module(target), None
    except ModuleNotFoundError:
        module, name = target.rsplit(".", 1)
        return importlib.import_module(module), name


def rendered():
    """Where each rendered class and function is defined, `(module, qualname)` of every one on the pages."""
    shown = set()
    for _, target, _ in directives():
        module, name = split_target(target)
        objects = [getattr(module, member) for member in module.__all__] if name is None else [getattr(module, name)]
        shown.update(home(value) for value in objects if home(value))
    return shown


def home(value):
    if isinstance(value, type) or isinstance(value, types.FunctionType):
        return value.__module__, value.__qualname__
    return None


def test_a_module_directive_renders_the_modules_all_and_a_name_directive_a_name_in_it():
    assert directives(), "no API page found"
    for page, target, options in directives():
        module, name = split_target(target)
        assert hasattr(module, "__all__"), f"{page}: {module.__name__} declares no __all__"
        if name is None:
            assert "members:" not in options, f"{page}: ::: {target} lists members; its __all__ says what is public"
        else:
            assert name in module.__all__, f"{page}: ::: {target}: {name!r} is not in {module.__name__}.__all__"


def test_the_docs_hook_renders_each_module_directive_as_its_modules_all():
    hook = runpy.run_path(str(ROOT / "scripts" / "mkdocs_members_from_all.py"))
    for page in API_PAGES:
        for target, options in DIRECTIVE.findall(hook["on_page_markdown"](page.read_text())):
            module, name = split_target(target)
            if name is None:
                assert options == f"    options:\n      members: [{', '.join(module.__all__)}]\n", (page.name, target)


def test_every_public_class_and_function_is_on_an_api_page():
    shown = rendered()
    modules = {importlib.import_module(package) for package in PACKAGES}
    modules |= {split_target(target)[0] for _, target, _ in directives()}
    pages = "\n".join(page.read_text() for page in API_PAGES)
    missing = []
    for module in sorted(modules, key=lambda module: module.__name__):
        for name in module.__all__:
            where = home(getattr(module, name))
            if where is None or where in shown:
                continue
            # keras_vq.datasets installs from datasets/ (setup.cfg), which the pages' source analysis cannot
            # reach: what it exports is described in prose, by its public name.
            if where[0].startswith("keras_vq.datasets.") and f"{module.__name__}.{name}" in pages:
                continue
            missing.append(f"{module.__name__}.{name}")
    assert not missing, "public (in __all__) but on no API page: " + ", ".join(missing)


def references(tree):
    """`(module path, name, line)` for each `keras_vq.a.b.name` attribute chain and `from keras_vq.a import name`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "keras_vq":
            found += [(node.module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.Attribute):
            chain, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                chain.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "keras_vq":
                found.append(("keras_vq." + ".".join(chain[:-1]) if chain[:-1] else "keras_vq", chain[-1], node.lineno))
    return found


def user_code():
    """(file, parsed code) of everything written against the API from outside the package."""
    files = [*sorted((ROOT / "recipes").glob("*.py")), *sorted((ROOT / "scripts").glob("*.py"))]
    files += sorted((ROOT / "benchmarks").glob("*.py"))
    parsed = [(path.relative_to(ROOT), ast.parse(path.read_text())) for path in files]
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        code = "\n".join(block for block in CODE_BLOCK.findall(page.read_text()))
        parsed.append((page.relative_to(ROOT), ast.parse(code)))
    return parsed


def test_recipes_scripts_benchmarks_and_tutorials_use_only_the_public_api():
    outside = []
    for path, tree in user_code():
        for module_path, name, line in references(tree):
            try:
                module = importlib.import_module(module_path)
            except ModuleNotFoundError:
                continue  # The longer chain's own check (keras_vq.a.b.c) names the missing part.
            if inspect.ismodule(getattr(module, name, None)) or name == "__file__":
                continue  # A submodule (its own names are checked), or where a package lies.
            if name not in getattr(module, "__all__", ()):
                outside.append(f"{path}:{line}: {module_path}.{name}")
    assert not outside, "not in the module's __all__:\n" + "\n".join(outside)


def test_the_checks_see_a_name_outside_all():
    tree = ast.parse("import keras_vq\nkeras_vq.metrics.PIXEL_LEVELS\nfrom keras_vq.runs import check_writable\n")
    assert sorted(references(tree)) == [
        ("keras_vq", "metrics", 2),
        ("keras_vq.metrics", "PIXEL_LEVELS", 2),
        ("keras_vq.runs", "check_writable", 3),
    ]
    assert "PIXEL_LEVELS" not in importlib.import_module("keras_vq.metrics").__all__
