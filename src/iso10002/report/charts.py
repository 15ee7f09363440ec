"""The management review's charts, drawn by matplotlib (SVG backend) as inline SVG text.

Each function takes plain figures and returns one ``<svg>`` element (no XML declaration), ready
to be placed in an HTML page. Text is kept as text (``svg.fonttype`` ``none``) and element ids
are seeded so the same figures give the same SVG.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["bar_chart", "pareto_chart", "stacked_bar_chart"]

_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "iso10002",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# No date (reproducible output) and no RDF block (it names remote vocabularies).
_NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_BLUE = "#2b6cb0"
_ORANGE = "#dd6b20"
_COLOURS = ("#2f855a", "#dd6b20", "#c53030", "#2b6cb0", "#a0aec0")
_MAX_LABEL = 28


def _short(label: str) -> str:
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=_NO_METADATA)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure() -> Figure:
    return Figure(figsize=(7.0, 3.2), dpi=100, layout="constrained")


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    ylabel: str = "complaints",
    rotate: bool = False,
) -> str:
    """Vertical bars of *values* under *labels*, as an SVG element."""
    with rc_context(_STYLE):
        figure = _figure()
        axes = figure.add_subplot()
        positions = list(range(len(values)))
        axes.bar(positions, list(values), color=_BLUE)
        axes.set_xticks(positions, [_short(x) for x in labels], rotation=45 if rotate else 0)
        if rotate:
            for tick in axes.get_xticklabels():
                tick.set_horizontalalignment("right")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title)
        axes.set_ylabel(ylabel)
        return _svg(figure)


def pareto_chart(title: str, labels: Sequence[str], counts: Sequence[int]) -> str:
    """A Pareto chart: bars of *counts* (largest first) and the cumulative share as a line."""
    with rc_context(_STYLE):
        figure = _figure()
        axes = figure.add_subplot()
        positions = list(range(len(counts)))
        axes.bar(positions, list(counts), color=_BLUE)
        axes.set_xticks(positions, [_short(x) for x in labels], rotation=45)
        for tick in axes.get_xticklabels():
            tick.set_horizontalalignment("right")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("complaints")
        axes.set_title(title)
        total = sum(counts) or 1
        running = 0
        shares = []
        for n in counts:
            running += n
            shares.append(100.0 * running / total)
        line = axes.twinx()
        line.plot(positions, shares, color=_ORANGE, marker="o")
        line.set_ylim(0, 105)
        line.set_ylabel("cumulative %")
        line.spines["top"].set_visible(False)
        return _svg(figure)


def stacked_bar_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> str:
    """Horizontal bars under *labels*, each split into the named *series*, as an SVG element."""
    with rc_context(_STYLE):
        figure = _figure()
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        left = [0] * len(labels)
        for (name, values), colour in zip(series, _COLOURS, strict=False):
            axes.barh(positions, list(values), left=list(left), color=colour, label=name)
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_yticks(positions, [_short(x) for x in labels])
        axes.invert_yaxis()
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("clocks")
        axes.set_title(title)
        axes.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, fontsize=8, frameon=False
        )
        return _svg(figure)
