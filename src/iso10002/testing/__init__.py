"""Test helpers for applications built on iso10002: hypothesis strategies and contract suites.

* :mod:`iso10002.testing.strategies`: ``complainants()``, ``complaints()``, ``event_histories()``;
* :mod:`iso10002.testing.contract`: the contract suites every storage backend must pass.

These modules need the ``testing`` extra (``pip install iso10002[testing]``).
"""

__all__: list[str] = []
