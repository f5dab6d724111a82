"""MkDocs hook: a page's `::: module` directive renders exactly the module's `__all__`.

mkdocstrings renders every name without a leading underscore; a module's public API is its `__all__`
(`tests/docs/public_api_test.py` checks that every module a page names declares one). For each `::: module`
directive with no options, this hook writes `members: [...]` from the module's `__all__`, read from its
source (nothing is imported), in the order `__all__` gives. Configured in mkdocs.yml (`hooks:`).
"""

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Where each top-level package's source lies (setup.cfg installs keras_vq.datasets from datasets/).
SOURCE_DIRS = {"keras_vq.datasets": ROOT / "datasets", "keras_vq": ROOT / "keras_vq"}
MODULE_DIRECTIVE = re.compile(r"^::: (keras_vq(?:\.\w+)*)\n(?!    options:)", re.MULTILINE)


def module_source(module):
    """The source file of `module`, or None where the name is not a module (a class or function)."""
    for package, directory in SOURCE_DIRS.items():
        if module == package or module.startswith(package + "."):
            path = directory.joinpath(*module[len(package) + 1 :].split(".")) if module != package else directory
            for candidate in (path.with_suffix(".py"), path / "__init__.py"):
                if candidate.is_file():
                    return candidate
            return None
    return None


def declared_all(source):
    """The names in `__all__ = [...]` of a module's source, or None where it declares none."""
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return [ast.literal_eval(element) for element in node.value.elts]
    return None


def on_page_markdown(markdown, **kwargs):
    def with_members(match):
        source = module_source(match.group(1))
        names = declared_all(source) if source else None
        if names is None:
            return match.group(0)
        return f"::: {match.group(1)}\n    options:\n      members: [{', '.join(names)}]\n"

    return MODULE_DIRECTIVE.sub(with_members, markdown)
