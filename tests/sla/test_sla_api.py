"""The public API of ``iso10002.sla``: ``__all__`` sorted (isort order), resolvable, complete."""

from __future__ import annotations

import importlib
import types

import pytest

MODULES = [
    "iso10002.sla",
    "iso10002.sla.calendar",
    "iso10002.sla.clock",
    "iso10002.sla.durations",
    "iso10002.sla.policy",
    "iso10002.sla.presets",
]


def _order(name: str) -> tuple[int, str]:
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("module_name", MODULES)
def test_all_is_sorted_unique_resolvable_and_complete(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    assert names == sorted(names, key=_order)
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), name
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, (type, types.FunctionType))
        and value.__module__ == module_name
    }
    assert not public - set(module.__all__)


def test_the_package_exports_every_public_name_of_its_modules() -> None:
    package = importlib.import_module("iso10002.sla")
    for module_name in MODULES[1:]:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if name not in ("check_thresholds",):
                assert getattr(package, name) is getattr(module, name), name


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_item_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, (type, types.FunctionType)):
            assert value.__doc__, name
            for attr, member in vars(value).items():
                if not attr.startswith("_") and isinstance(member, (types.FunctionType, property)):
                    assert member.__doc__, f"{name}.{attr}"
