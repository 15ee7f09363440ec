"""Reports rendered from the records and the configuration that runs the process: the
management review (8.6) and the published procedure, "How to complain" (5.3, 6.4).

Needs the ``report`` extra (Jinja2 for the templates, autoescaped; matplotlib for the charts):
``pip install iso10002[report]``. See ``docs/review.md``.
"""

from __future__ import annotations

try:
    import jinja2  # noqa: F401
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without the extra
    raise ImportError(
        f"iso10002.report needs the 'report' extra (jinja2 and matplotlib), missing {exc.name}: "
        "pip install iso10002[report]"
    ) from exc

from .charts import bar_chart, pareto_chart, stacked_bar_chart
from .procedure import ExternalBody, Procedure, how_to_complain
from .review import (
    ManagementReview,
    TimeToClose,
    management_review,
    policy_rows,
    workflow_rows,
)

__all__ = [
    "ExternalBody",
    "ManagementReview",
    "Procedure",
    "TimeToClose",
    "bar_chart",
    "how_to_complain",
    "management_review",
    "pareto_chart",
    "policy_rows",
    "stacked_bar_chart",
    "workflow_rows",
]
