"""The public API of iso10002.workflow and iso10002.taxonomy: sorted, complete, documented."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

PACKAGES = ["iso10002.workflow", "iso10002.taxonomy"]
MODULES = [
    "iso10002.workflow.actor",
    "iso10002.workflow.defaults",
    "iso10002.workflow.definition",
    "iso10002.workflow.diagram",
    "iso10002.workflow.engine",
    "iso10002.workflow.guards",
    "iso10002.taxonomy.codes",
    "iso10002.taxonomy.defaults",
    "iso10002.taxonomy.severity",
]


def _order(name: str) -> tuple[int, str]:
    """isort order: constants, then classes, then functions."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


@pytest.mark.parametrize("name", PACKAGES + MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_order)
    assert len(set(exported)) == len(exported)
    for item in exported:
        assert hasattr(module, item), item


@pytest.mark.parametrize("name", PACKAGES)
def test_the_package_exports_every_public_name_of_its_modules(name: str) -> None:
    package = importlib.import_module(name)
    for module_name in (m for m in MODULES if m.startswith(name + ".")):
        module = importlib.import_module(module_name)
        missing = set(module.__all__) - set(package.__all__)
        assert not missing, f"{module_name}: {sorted(missing)}"


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_and_classes_are_in_all(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and isinstance(value, (type, types.FunctionType))
        and value.__module__ == name
    }
    assert public <= set(module.__all__)


@pytest.mark.parametrize("name", PACKAGES)
def test_everything_exported_is_documented(name: str) -> None:
    package = importlib.import_module(name)
    assert package.__doc__
    for item in package.__all__:
        value = getattr(package, item)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), item
