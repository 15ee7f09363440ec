"""iso10002: the ISO 10002 complaints-handling process as importable Python."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
