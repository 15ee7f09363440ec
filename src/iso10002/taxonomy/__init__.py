"""Classification taxonomies (8.2) and the initial assessment (7.5).

:class:`Taxonomy` holds hierarchical code lists (complaint categories, root causes, remedies,
outcomes); :func:`default_taxonomy` returns the bundled ones. :class:`SeverityMatrix` and
:func:`assess` turn the assessment factors into a priority and an SLA policy key.
"""

from __future__ import annotations

from .codes import CSV_COLUMNS, Code, Taxonomy
from .defaults import DEFAULT_TAXONOMY_NAMES, default_taxonomies, default_taxonomy
from .severity import DEFAULT_SEVERITY_MATRIX, SeverityMatrix, assess

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_SEVERITY_MATRIX",
    "DEFAULT_TAXONOMY_NAMES",
    "Code",
    "SeverityMatrix",
    "Taxonomy",
    "assess",
    "default_taxonomies",
    "default_taxonomy",
]
