"""The conformance self-assessment (8.5): the records checked against the process, clause by
clause.

:func:`assess_conformance` reads the complaints received in a period (through the ports, as
:class:`~iso10002.analysis.Analysis` does) and runs one check per requirement. Each
:class:`ConformanceFinding` names its clause, the requirement, the rule that decides its verdict,
its figure (conforming over judged) and, as evidence, the references of the complaints that did
not conform.

It supports an audit and certifies nothing: it sees only what was recorded, and a requirement
met outside the records (a survey sent but never answered, a phone call never logged) looks
unmet here.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import cattrs

from iso10002.analysis import Analysis, Filters, Period, Rate
from iso10002.analysis.figures import text_table
from iso10002.analysis.query import check_instant
from iso10002.errors import ValidationError, describe
from iso10002.model import Complaint, EscalationKind, redacted
from iso10002.ports import ComplaintRepository, provides
from iso10002.serialization import make_converter

__all__ = [
    "CHECKS",
    "DISCLAIMER",
    "ConformanceAssessment",
    "ConformanceFinding",
    "ConformanceVerdict",
    "assess_conformance",
]

_WHAT = "assess_conformance"

DISCLAIMER = (
    "This self-assessment supports an audit of the complaints-handling process "
    "(ISO 10002:2018, 8.5). It checks what was recorded and certifies nothing."
)
"""The statement every rendering of an assessment carries."""

_EVERY = (
    "conforms when no judged complaint fails; nonconformity when any fails; not applicable "
    "when no complaint is judged"
)
_TARGET = (
    "conforms when no judged complaint fails; observation when some fail but the conforming "
    "share reaches the target ({target}); nonconformity below it; not applicable when no "
    "complaint is judged"
)

CHECKS: Mapping[str, tuple[str, str, str]] = {
    "acknowledged": (
        "7.4",
        "Every complaint acknowledged",
        "Judged: complaints closed (not withdrawn) or whose acknowledgement clock is overdue. "
        "Fails: not acknowledged.",
    ),
    "acknowledged_on_time": (
        "7.4",
        "Acknowledged within the SLA",
        "Judged: acknowledgement clocks met by the assessment instant or overdue at it. "
        "Fails: met late, or overdue.",
    ),
    "assessed": (
        "7.5",
        "Initial assessment recorded",
        "Judged: complaints with a decision or a closure (not withdrawn, not out of scope). "
        "Fails: no assessment.",
    ),
    "decision_communicated": (
        "7.8",
        "Decision communicated with the external options",
        "Judged: complaints with a communicated decision. Fails: a decision communicated "
        "without the external options (external_options_given).",
    ),
    "closed_with_record": (
        "7.9",
        "Closed with a record",
        "Judged: complaints closed (not withdrawn, not out of scope). Fails: no decision, the "
        "latest decision not communicated, or neither accepted nor given with the external "
        "options.",
    ),
    "objectivity": (
        "4.7",
        "No one decided a complaint about themselves or their team",
        "Judged: decided complaints that name whom they are about (complained_about) or went "
        "to internal review. Fails: a decision by a person named (or, with teams, of a team "
        "named), or a review decision by the author of a decision under review.",
    ),
    "satisfaction_sought": (
        "8.3",
        "Satisfaction sought where the policy asks",
        "Judged: complaints closed at least once (not withdrawn). Fails: no satisfaction "
        "response recorded. Only a recorded response counts.",
    ),
    "erasure_honoured": (
        "4.10",
        "Erasure requests honoured",
        "Judged: complaints whose personal data was erased, and the other complaints of the "
        "same complainants in the period. Fails: free text left, the complainant record still "
        "stored, or a complaint of an erased complainant not erased.",
    ),
}
"""Each check's name → (clause, title, what it judges and what fails)."""


class ConformanceVerdict(str, enum.Enum):
    """The verdict of one check; the rule deciding it is on each finding."""

    CONFORMS = "conforms"
    """No judged complaint fails."""
    OBSERVATION = "observation"
    """Some fail, but the conforming share reaches the stated target."""
    NONCONFORMITY = "nonconformity"
    """The requirement is not met."""
    NOT_APPLICABLE = "not_applicable"
    """No complaint in the period was judged by the check (or the policy does not ask)."""


@attrs.frozen
class ConformanceFinding:
    """One check's result: its clause, requirement, verdict and the rule deciding it, the figure
    (conforming over judged) and the references of the complaints that fail (at most the
    evidence limit; ``failures`` counts them all)."""

    check: str
    clause: str
    title: str
    requirement: str
    rule: str
    verdict: ConformanceVerdict
    figure: Rate
    failures: int
    evidence: tuple[str, ...]
    target: float | None = None
    note: str | None = None

    @property
    def evidence_truncated(self) -> bool:
        """Whether more complaints fail than ``evidence`` lists."""
        return self.failures > len(self.evidence)


@functools.cache
def _converter() -> cattrs.Converter:
    conv = make_converter()
    conv.register_unstructure_hook(
        Rate,
        lambda r: {"numerator": r.numerator, "denominator": r.denominator, "value": r.value},
    )
    return conv


def _md(text: str) -> str:
    """*text* safe in a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


@attrs.frozen
class ConformanceAssessment:
    """Every finding of a self-assessment of the complaints received in ``[start, end)``, judged
    at ``as_of``; ``complaints`` is how many were read."""

    start: datetime
    end: datetime
    as_of: datetime
    complaints: int
    findings: tuple[ConformanceFinding, ...]
    disclaimer: str = DISCLAIMER

    def finding(self, check: str) -> ConformanceFinding:
        """The finding of *check* (a name in :data:`CHECKS`)."""
        for found in self.findings:
            if found.check == check:
                return found
        raise KeyError(check)

    @property
    def nonconformities(self) -> tuple[ConformanceFinding, ...]:
        """The findings whose verdict is a nonconformity."""
        return tuple(f for f in self.findings if f.verdict is ConformanceVerdict.NONCONFORMITY)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data (instants as ISO 8601, verdicts as their values)."""
        data: dict[str, Any] = _converter().unstructure(self)
        for found, item in zip(self.findings, data["findings"], strict=True):
            item["evidence_truncated"] = found.evidence_truncated
        return data

    def to_markdown(self) -> str:
        """A Markdown section: the disclaimer, a summary table and each finding's evidence."""
        lines = [
            "## Conformance self-assessment (8.5)",
            "",
            f"Complaints received from {self.start.isoformat()} to {self.end.isoformat()}, "
            f"judged at {self.as_of.isoformat()}: {self.complaints} complaints.",
            "",
            f"> {self.disclaimer}",
            "",
            "| Clause | Check | Verdict | Conforming | Failing |",
            "|---|---|---|---|---|",
        ]
        for f in self.findings:
            lines.append(
                f"| {f.clause} | {_md(f.title)} | {f.verdict.value} | {f.figure} | {f.failures} |"
            )
        for f in self.findings:
            lines += ["", f"### {f.clause} {_md(f.title)}: {f.verdict.value}", ""]
            lines.append(f"- Requirement: {_md(f.requirement)}")
            lines.append(f"- Rule: {_md(f.rule)}")
            if f.note:
                lines.append(f"- Note: {_md(f.note)}")
            if f.evidence:
                more = f" (and {f.failures - len(f.evidence)} more)" if f.evidence_truncated else ""
                lines.append(f"- Evidence: {', '.join(f.evidence)}{more}")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """A plain-text table of the findings."""
        rows = [(f.clause, f.check, f.verdict.value, f.figure, f.failures) for f in self.findings]
        title = f"Conformance self-assessment {self.start.date()} to {self.end.date()}"
        table = text_table(title, ("clause", "check", "verdict", "conforming", "failing"), rows)
        return f"{table}\n{self.disclaimer}"

    def __str__(self) -> str:
        return self.to_text()


class _Check:
    """Counts judged and failing complaints of one check, keeping the first references."""

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.judged = 0
        self.failing = 0
        self.evidence: list[str] = []

    def judge(self, complaint: Complaint, *, fails: bool) -> None:
        self.judged += 1
        if fails:
            self.failing += 1
            if len(self.evidence) < self.limit:
                self.evidence.append(complaint.reference)

    def finding(
        self, *, target: float | None = None, note: str | None = None, applicable: bool = True
    ) -> ConformanceFinding:
        clause, title, requirement = CHECKS[self.name]
        if not applicable:  # nothing is judged, nothing is claimed
            self.judged = self.failing = 0
            self.evidence = []
        figure = Rate(self.judged - self.failing, self.judged)
        if self.judged == 0:
            verdict = ConformanceVerdict.NOT_APPLICABLE
        elif self.failing == 0:
            verdict = ConformanceVerdict.CONFORMS
        elif target is not None and (figure.value or 0.0) >= target:
            verdict = ConformanceVerdict.OBSERVATION
        else:
            verdict = ConformanceVerdict.NONCONFORMITY
        rule = _EVERY if target is None else _TARGET.format(target=target)
        return ConformanceFinding(
            check=self.name,
            clause=clause,
            title=title,
            requirement=requirement,
            rule=rule,
            verdict=verdict,
            figure=figure,
            failures=self.failing,
            evidence=tuple(sorted(self.evidence)),
            target=target,
            note=note,
        )


def _ack_clock_state(complaint: Complaint, milestone: str, as_of: datetime) -> str | None:
    """``on_time``, ``late``, ``overdue``, ``pending`` or ``None`` (no clock), as the analysis
    judges SLA compliance at *as_of*."""
    clock = complaint.clock(milestone)
    if clock is None or clock.started_at > as_of or clock.due_at is None:
        return None
    due = clock.due_at
    stopped = clock.stopped_at
    if stopped is not None and stopped <= as_of:
        if clock.cancelled and stopped <= due:
            return None
        return "on_time" if stopped <= due else "late"
    paused = clock.paused_since
    judged = paused if paused is not None and paused < as_of else as_of
    return "overdue" if judged > due else "pending"


def _closed(complaint: Complaint) -> bool:
    """Closed at least once, not by withdrawal."""
    closure = complaint.closure
    return complaint.reopened > 0 or (closure is not None and not closure.withdrawn)


def _objectivity_fails(complaint: Complaint, teams: Mapping[str, str]) -> bool | None:
    """Whether a decision breaks objectivity; ``None`` when the data cannot say."""
    about = complaint.details.complained_about
    review_at = None
    for escalation in complaint.escalations:
        if escalation.kind is EscalationKind.INTERNAL_REVIEW:
            review_at = escalation.at
    if not about and review_at is None:
        return None
    fails = False
    for decision in complaint.decisions:
        who = decision.decided_by
        if who in about or teams.get(who, None) in about:
            fails = True
    if review_at is not None:
        before = {d.decided_by for d in complaint.decisions if d.decided_at <= review_at}
        after = [d.decided_by for d in complaint.decisions if d.decided_at > review_at]
        if any(who in before for who in after):
            fails = True
    return fails


def _check_target(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValidationError(
            [(name, f"expected a number in (0, 1] or None, got {describe(value)}")], what=_WHAT
        )
    return float(value)


def _check_names(name: str, value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(
            [(name, f"expected a collection of names, got {describe(value)}")], what=_WHAT
        )
    names = frozenset(value)
    if not all(isinstance(x, str) for x in names):
        raise ValidationError([(name, "expected names (str)")], what=_WHAT)
    return names


def _check_limit(evidence_limit: object) -> None:
    if (
        not isinstance(evidence_limit, int)
        or isinstance(evidence_limit, bool)
        or not 0 <= evidence_limit <= 10_000
    ):
        raise ValidationError(
            [
                (
                    "evidence_limit",
                    f"expected an int from 0 to 10000, got {describe(evidence_limit)}",
                )
            ],
            what=_WHAT,
        )


def _closed_in_order(complaint: Complaint) -> bool:
    """7.9: the latest decision communicated, and accepted or given with the external
    options."""
    latest = complaint.decision
    if latest is None or latest.communicated_at is None:
        return False
    reply = complaint.reply
    return latest.external_options_given or (reply is not None and reply.accepted)


class _Judge:
    """Runs every check over the complaints it is given, one at a time."""

    def __init__(
        self,
        *,
        as_of: datetime,
        milestone: str,
        skip: frozenset[str],
        teams: Mapping[str, str],
        repository: ComplaintRepository | None,
        limit: int,
    ) -> None:
        self.as_of = as_of
        self.milestone = milestone
        self.skip = skip
        self.teams = teams
        self.repository = repository
        self.checks = {name: _Check(name, limit) for name in CHECKS}
        self.pending_ack = 0
        self.not_communicated = 0
        self.erased_ids: set[str] = set()
        self.total = 0

    def add(self, c: Complaint) -> None:
        self.total += 1
        self._acknowledgement(c)
        if c.state not in self.skip:
            self._handling(c)
        if c.personal_data_erased:
            self.erased_ids.add(c.complainant_id)
            left = redacted(c) != c
            repository = self.repository
            kept = (
                repository is not None and repository.get_complainant(c.complainant_id) is not None
            )
            self.checks["erasure_honoured"].judge(c, fails=left or kept)

    def _acknowledgement(self, c: Complaint) -> None:
        """7.4: acknowledged, and on time."""
        clock = _ack_clock_state(c, self.milestone, self.as_of)
        acknowledged = c.acknowledged_at is not None and c.acknowledged_at <= self.as_of
        withdrawn = c.closure is not None and c.closure.withdrawn and c.reopened == 0
        if _closed(c) or clock == "overdue":
            self.checks["acknowledged"].judge(c, fails=not acknowledged)
        elif not acknowledged and not withdrawn:
            self.pending_ack += 1
        if clock in ("on_time", "late", "overdue"):
            self.checks["acknowledged_on_time"].judge(c, fails=clock != "on_time")

    def _handling(self, c: Complaint) -> None:
        """7.5, 7.8, 7.9, 4.7 and 8.3, for complaints handled as complaints."""
        checks = self.checks
        closed = _closed(c)
        if c.decisions or closed:
            checks["assessed"].judge(c, fails=c.assessment is None)
        told = [d for d in c.decisions if d.communicated_at is not None]
        if told:
            fails = not all(d.external_options_given for d in told)
            checks["decision_communicated"].judge(c, fails=fails)
        if c.decision is not None and c.decision.communicated_at is None:
            self.not_communicated += 1
        if closed:
            checks["closed_with_record"].judge(c, fails=not _closed_in_order(c))
            checks["satisfaction_sought"].judge(c, fails=c.satisfaction is None)
        objective = _objectivity_fails(c, self.teams) if c.decisions else None
        if objective is not None:
            checks["objectivity"].judge(c, fails=objective)

    def siblings(self, complaints: Iterable[Complaint]) -> None:
        """4.10: every other complaint of an erased complainant must be erased too."""
        for c in complaints:
            if c.complainant_id in self.erased_ids and not c.personal_data_erased:
                self.checks["erasure_honoured"].judge(c, fails=True)

    def findings(self, target: float, wanted: float | None) -> tuple[ConformanceFinding, ...]:
        checks = self.checks
        pending, silent = self.pending_ack, self.not_communicated
        return (
            checks["acknowledged"].finding(
                note=f"{pending} complaints not yet acknowledged and not yet due"
                if pending
                else None
            ),
            checks["acknowledged_on_time"].finding(
                target=target,
                note=None
                if checks["acknowledged_on_time"].judged
                else f"no '{self.milestone}' clock was judged (no SLA policy ran?)",
            ),
            checks["assessed"].finding(),
            checks["decision_communicated"].finding(
                note=f"{silent} decisions not yet communicated" if silent else None
            ),
            checks["closed_with_record"].finding(),
            checks["objectivity"].finding(
                note=None
                if checks["objectivity"].judged
                else "no decided complaint records whom it is about"
            ),
            checks["satisfaction_sought"].finding(
                target=wanted,
                applicable=wanted is not None,
                note="the policy does not ask for satisfaction responses"
                if wanted is None
                else None,
            ),
            checks["erasure_honoured"].finding(
                note=None
                if self.repository is not None
                else "complainant records not checked: the source is not a repository"
            ),
        )


def assess_conformance(
    source: ComplaintRepository | Iterable[Complaint],
    period: Period,
    *,
    as_of: datetime | None = None,
    on_time_target: float = 0.95,
    satisfaction_target: float | None = None,
    teams: Mapping[str, str] | None = None,
    out_of_scope_states: Sequence[str] = ("out_of_scope",),
    acknowledgement_milestone: str = "acknowledgement",
    evidence_limit: int = 20,
    page_size: int = 1000,
) -> ConformanceAssessment:
    """Check the complaints *source* received in *period* against the process (:data:`CHECKS`).

    *as_of* (aware; default: now) is the instant the records are judged at. *on_time_target*
    is the share of acknowledgements on time below which lateness is a nonconformity rather
    than an observation. *satisfaction_target* is the share of closed complaints the policy asks
    to survey (8.3); ``None``: the policy does not ask, and the check is not applicable.
    *teams* maps a handler's id to their team, so a decision by a member of a team the complaint
    is about fails objectivity. Complaints in *out_of_scope_states* were not handled as
    complaints and are judged only by the acknowledgement and erasure checks. At most
    *evidence_limit* references are listed per finding. The complainant records are checked
    when *source* is a repository. Bad arguments raise
    :class:`~iso10002.errors.ValidationError` naming the argument.
    """
    if not isinstance(period, Period):
        raise ValidationError(
            [("period", f"expected a Period, got {describe(period)}")], what=_WHAT
        )
    target = _check_target("on_time_target", on_time_target)
    if target is None:
        raise ValidationError([("on_time_target", "expected a number in (0, 1]")], what=_WHAT)
    wanted = _check_target("satisfaction_target", satisfaction_target)
    if teams is None:
        teams = {}
    elif not isinstance(teams, Mapping):
        raise ValidationError(
            [("teams", f"expected a mapping of handler id to team, got {describe(teams)}")],
            what=_WHAT,
        )
    skip = _check_names("out_of_scope_states", out_of_scope_states)
    if not isinstance(acknowledgement_milestone, str) or not acknowledgement_milestone:
        raise ValidationError(
            [("acknowledgement_milestone", "expected a milestone name")], what=_WHAT
        )
    _check_limit(evidence_limit)
    instant = None if as_of is None else check_instant("as_of", as_of, what=_WHAT)
    analysis = Analysis(source, filters=Filters(period=period), as_of=instant, page_size=page_size)
    repository: ComplaintRepository | None = None
    if provides(source, ComplaintRepository):
        repository = source  # type: ignore[assignment]
    judge = _Judge(
        as_of=analysis.as_of,
        milestone=acknowledgement_milestone,
        skip=skip,
        teams=teams,
        repository=repository,
        limit=evidence_limit,
    )
    for complaint in analysis.complaints():
        judge.add(complaint)
    if judge.erased_ids:
        judge.siblings(analysis.complaints())
    return ConformanceAssessment(
        period.start, period.end, analysis.as_of, judge.total, judge.findings(target, wanted)
    )
