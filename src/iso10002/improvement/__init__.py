"""Continual improvement (clause 8.5 to 8.7): the conformance self-assessment.

:func:`assess_conformance` checks the recorded complaints of a period against the process,
clause by clause, and lists findings with the complaint references as evidence. It supports an
audit and certifies nothing. See ``docs/review.md``.
"""

from __future__ import annotations

from .conformance import (
    CHECKS,
    DISCLAIMER,
    ConformanceAssessment,
    ConformanceFinding,
    ConformanceVerdict,
    assess_conformance,
)

__all__ = [
    "CHECKS",
    "DISCLAIMER",
    "ConformanceAssessment",
    "ConformanceFinding",
    "ConformanceVerdict",
    "assess_conformance",
]
