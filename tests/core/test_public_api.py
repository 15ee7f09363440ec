"""The public API of every public module: ``__all__`` in isort order, resolvable, complete and
documented; every package re-exports its modules' names."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import pkgutil
import types
import typing

import pytest

import iso10002

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(iso10002.__path__, "iso10002.")
    if not any(part.startswith("_") for part in info.name.split("."))
)
PACKAGES = [
    "iso10002.sla",
    "iso10002.workflow",
    "iso10002.taxonomy",
    "iso10002.notify",
    "iso10002.improvement",
    "iso10002.report",
]
# Helpers that live in a module for the package's own use but are not re-exported.
NOT_REEXPORTED = {"check_thresholds", "duration_problems"}


def _order(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_every_module_is_covered() -> None:
    assert "iso10002.service" in MODULES
    assert "iso10002.backends.postgres" in MODULES
    assert len(MODULES) >= 35


@pytest.mark.parametrize("module_name", ["iso10002", *MODULES])
def test_all_is_sorted_unique_and_resolvable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    assert names == sorted(names, key=_order)
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name!r}"


@pytest.mark.parametrize("module_name", ["iso10002", *MODULES])
def test_all_is_complete(module_name: str) -> None:
    module = importlib.import_module(module_name)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, (type, types.FunctionType))
        and value.__module__ == module_name
    }
    missing = public - set(module.__all__)
    assert not missing, f"{module_name}: public names not in __all__: {sorted(missing)}"


def _documented_data(module_name: str) -> set[str]:
    """Module-level names assigned right before a docstring, as Sphinx documents data."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    found: set[str] = set()
    for node, after in itertools.pairwise(tree.body):
        if not (isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)):
            continue
        if not (isinstance(after.value.value, str) and after.value.value.strip()):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        found.update(t.id for t in targets if isinstance(t, ast.Name))
    return found


@pytest.mark.parametrize("module_name", ["iso10002", *MODULES])
def test_every_public_item_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__
    for name in module.__all__:
        value = getattr(module, name)
        if typing.get_origin(value) is not None:
            # A type alias (``Recipients = Callable[...]``). Its runtime ``__doc__`` is no help:
            # None on 3.10, where the alias also passes for a type, and the origin's elsewhere.
            # So look for the docstring under the assignment, where Sphinx finds it, in this
            # module or in the submodule a package re-exports it from.
            homes = [m for m in [module_name, *MODULES] if m.startswith(module_name)]
            assert any(
                getattr(importlib.import_module(home), name, None) is value
                and name in _documented_data(home)
                for home in homes
            ), f"{module_name}.{name}"
            continue
        if isinstance(value, (type, types.FunctionType)):
            assert value.__doc__, name
            for attr, member in vars(value).items():
                if attr.startswith(("_", "test_")):  # test names describe themselves
                    continue
                if isinstance(member, (types.FunctionType, property)):
                    assert member.__doc__, f"{module_name}.{name}.{attr}"


@pytest.mark.parametrize("package_name", PACKAGES)
def test_packages_reexport_their_modules(package_name: str) -> None:
    package = importlib.import_module(package_name)
    for module_name in (m for m in MODULES if m.startswith(package_name + ".")):
        module = importlib.import_module(module_name)
        for name in set(module.__all__) - NOT_REEXPORTED:
            assert getattr(package, name) is getattr(module, name), f"{module_name}.{name}"


def test_top_level_reexports_the_entities_and_the_common_errors() -> None:
    from iso10002 import errors, model

    for name in model.__all__:
        assert getattr(iso10002, name) is getattr(model, name)
    for name in ("Iso10002Error", "ValidationError", "ConcurrencyConflict", "ComplaintNotFound"):
        assert getattr(iso10002, name) is getattr(errors, name)


def test_version_is_single_sourced() -> None:
    from importlib.metadata import version

    assert version("iso10002") == iso10002.__version__


def test_the_public_surface_is_what_was_agreed() -> None:
    # A change to any public module's __all__ is a change of the API: make it here on purpose.
    import json
    from pathlib import Path

    pinned = json.loads((Path(__file__).with_name("public_api.json")).read_text("utf-8"))
    current = {name: list(importlib.import_module(name).__all__) for name in ["iso10002", *MODULES]}
    added = {m: sorted(set(v) - set(pinned.get(m, []))) for m, v in current.items()}
    removed = {m: sorted(set(v) - set(current.get(m, []))) for m, v in pinned.items()}
    assert {m: v for m, v in added.items() if v} == {}, "new public names: update public_api.json"
    assert {m: v for m, v in removed.items() if v} == {}, "removed public names"


def test_the_first_program_imports_from_one_place() -> None:
    for name in ("ComplaintsHandling", "open_repository", "Actor", "ComplaintQuery", "Outcome"):
        assert name in iso10002.__all__
    namespace: dict[str, object] = {}
    exec("from iso10002.backends import *", namespace)
    assert "PostgresRepository" not in namespace
