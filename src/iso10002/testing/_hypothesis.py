"""The ``hypothesis`` entry point: registers our strategies for ``st.from_type``.

Hypothesis calls :func:`setup` while it is being imported, so this module imports nothing from
hypothesis at module level and resolves the strategies lazily, when first used.
"""

from __future__ import annotations

from typing import Any


def _complainants(_: type) -> Any:
    from iso10002.testing.strategies import complainants

    return complainants()


def _complaints(_: type) -> Any:
    from iso10002.testing.strategies import complaints

    return complaints()


def setup() -> None:
    """Register ``complainants()`` and ``complaints()`` for their types."""
    from hypothesis import strategies as st

    from iso10002.model import Complainant, Complaint

    st.register_type_strategy(Complainant, _complainants)
    st.register_type_strategy(Complaint, _complaints)
