"""pytest plugin (entry point ``pytest11``): rewrite asserts in the shipped contract suites."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("iso10002.testing.contract")

__all__: list[str] = []
