"""The public API: ``__all__`` lists every public name, in isort order, and nothing else."""

from __future__ import annotations

import importlib
import types

import pytest

import iso10002

MODULES = [
    "iso10002",
    "iso10002.errors",
    "iso10002.model",
    "iso10002.events",
    "iso10002.serialization",
    "iso10002.testing.strategies",
]


def _order(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("module_name", MODULES)
def test_all_is_sorted_unique_and_resolvable(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    assert names == sorted(names, key=_order)
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), f"{module_name}.__all__ names missing {name!r}"


@pytest.mark.parametrize("module_name", MODULES)
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


def test_top_level_reexports_the_entities_and_the_common_errors() -> None:
    from iso10002 import errors, model

    for name in set(model.__all__) - {"unchecked_replace"}:
        assert getattr(iso10002, name) is getattr(model, name)
    for name in ("Iso10002Error", "ValidationError", "ConcurrencyConflict", "ComplaintNotFound"):
        assert getattr(iso10002, name) is getattr(errors, name)


def test_version_is_single_sourced() -> None:
    from importlib.metadata import version

    assert version("iso10002") == iso10002.__version__
