"""Workflow engine benchmark: iso10002.workflow beside python-statemachine and transitions.

One complaint goes through the default ISO 10002 lifecycle: eight transitions with their guards
(acknowledge, assess, start_investigation, record_findings, decide, communicate_decision,
record_reply, close). The peers model the same graph (every state and transition of the default
definition, internal actions as internal transitions) with the same guards as conditions; they
mutate one attribute of a model object, where ``fire`` also builds the domain events and a new
immutable complaint. Also measured: the cost of starting a new complaint (peers: binding a
machine to a new model object; here: folding the receipt, with nothing to bind).

Run: ``python benchmarks/workflow_bench.py`` (``--quick`` for a smoke run). Prints a Markdown
table of medians and ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from statemachine import State as SMState
from statemachine import StateMachine
from transitions import Machine

from iso10002 import events as ev
from iso10002.model import (
    Assessment,
    Breadth,
    Channel,
    Complaint,
    ComplaintDetails,
    Complexity,
    Outcome,
    Priority,
    Safety,
)
from iso10002.workflow import Actor, fire, iso10002_workflow

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
LIFECYCLE = (
    "acknowledge",
    "assess",
    "start_investigation",
    "record_findings",
    "decide",
    "communicate_decision",
    "record_reply",
    "close",
)

# --- iso10002.workflow -------------------------------------------------------------------

DEFINITION = iso10002_workflow()
ACTOR = Actor("handler-1", frozenset({"handler"}))
ASSESSMENT = Assessment(
    impact=2,
    breadth=Breadth.SINGLE,
    safety=Safety.NONE,
    complexity=Complexity.SIMPLE,
    priority=Priority.P3,
)
DATA: dict[str, dict[str, Any]] = {
    "assess": {"assessment": ASSESSMENT},
    "record_findings": {"summary": "Invoice run applied the old tariff."},
    "decide": {"outcome": Outcome.UPHELD, "reasons": "Charged twice.", "remedies": ("refund",)},
    "record_reply": {"accepted": True},
}
RECEIVED = ev.ComplaintReceived(
    complaint_id="c-1",
    sequence=1,
    occurred_at=T0,
    actor="intake",
    reference="REF-1",
    state=DEFINITION.initial_state,
    details=ComplaintDetails(
        received_at=T0,
        channel=Channel.EMAIL,
        complainant_id="p-1",
        subject="Double charge",
        description="I was charged twice.",
        complained_about=frozenset({"agent-7"}),
    ),
)


def ours_start() -> Complaint:
    """A new complaint: fold the receipt (there is no machine to bind)."""
    return ev.apply(None, RECEIVED)


def ours_lifecycle(complaint: Complaint) -> Complaint:
    """Fire the eight transitions; every call builds the events and a new complaint."""
    c = complaint
    for name in LIFECYCLE:
        c, _ = fire(DEFINITION, c, name, actor=ACTOR, at=T0, **DATA.get(name, {}))
    return c


# --- the peers: the same graph, the same guards ----------------------------------------------


class PeerModel:
    """The mutable model the peers drive: a state attribute and the facts guards look at."""

    def __init__(self) -> None:
        self.state: str | None = None
        self.assessment: object = None
        self.decision: object = None
        self.communicated = False
        self.accepted = False
        self.external_options_given = False
        self.complained_about = frozenset({"agent-7"})
        self.actor_id = "handler-1"

    # guards
    def has_assessment(self, *args: Any, **kwargs: Any) -> bool:
        return self.assessment is not None

    def has_decision(self, *args: Any, **kwargs: Any) -> bool:
        return self.decision is not None and not self.communicated

    def can_close(self, *args: Any, **kwargs: Any) -> bool:
        return self.communicated and (self.accepted or self.external_options_given)

    def not_complained_about(self, *args: Any, **kwargs: Any) -> bool:
        return self.actor_id not in self.complained_about


def _peer_graph() -> tuple[list[str], list[dict[str, Any]]]:
    """States and transitions of the default definition in the ``transitions`` format."""
    conditions = {
        "start_investigation": ["has_assessment"],
        "decide": ["not_complained_about"],
        "review_decide": ["not_complained_about"],
        "communicate_decision": ["has_decision"],
        "close": ["can_close"],
        "revise_assessment": ["has_assessment"],
    }
    states = [s.name for s in DEFINITION.states]
    rows = []
    for t in DEFINITION.transitions:
        rows.append(
            {
                "trigger": t.name,
                "source": list(DEFINITION.expand_sources(t.sources)),
                "dest": t.target,
                "conditions": conditions.get(t.name, []),
            }
        )
    return states, rows


PEER_STATES, PEER_TRANSITIONS = _peer_graph()


def _peer_effects(model: PeerModel, name: str) -> None:
    """What each lifecycle step records on the peer model, after it fired (same for both)."""
    if name == "assess":
        model.assessment = ASSESSMENT
    elif name == "decide":
        model.decision = DATA["decide"]
    elif name == "communicate_decision":
        model.communicated = True
    elif name == "record_reply":
        model.accepted = True


def _build_statemachine_class() -> type[StateMachine]:
    """A python-statemachine class with every state and transition of the definition."""
    namespace: dict[str, Any] = {}
    leaving = {source for row in PEER_TRANSITIONS for source in row["source"]}
    states = {  # python-statemachine's final states may have no way out (closed can reopen)
        s.name: SMState(
            name=s.name, value=s.name, initial=s.initial, final=s.terminal and s.name not in leaving
        )
        for s in DEFINITION.states
    }
    namespace.update(states)
    for row in PEER_TRANSITIONS:
        cond = row["conditions"] or None
        group = None
        for source in row["source"]:
            src = states[source]
            if row["dest"] is None:
                edge = src.to.itself(internal=True, cond=cond)  # type: ignore[no-untyped-call]
            else:
                edge = src.to(states[row["dest"]], cond=cond)
            group = edge if group is None else group | edge
        namespace[row["trigger"]] = group
    for guard_name in ("has_assessment", "has_decision", "can_close", "not_complained_about"):
        namespace[guard_name] = _delegate(guard_name)
    return type("IsoMachine", (StateMachine,), namespace)


def _delegate(name: str) -> Callable[..., bool]:
    def check(self: Any, *args: Any, **kwargs: Any) -> bool:
        result: bool = getattr(self.model, name)()
        return result

    return check


IsoMachine = _build_statemachine_class()


def psm_start() -> tuple[PeerModel, Any]:
    model = PeerModel()
    return model, IsoMachine(model=model, state_field="state")


def psm_lifecycle(started: tuple[PeerModel, Any]) -> PeerModel:
    model, sm = started
    for name in LIFECYCLE:
        sm.send(name)
        _peer_effects(model, name)
    return model


SHARED_MACHINE = Machine(
    model=None, states=PEER_STATES, transitions=PEER_TRANSITIONS, initial="received"
)


def tr_start_new_machine() -> PeerModel:
    model = PeerModel()
    Machine(model=model, states=PEER_STATES, transitions=PEER_TRANSITIONS, initial="received")
    return model


def tr_start_add_model() -> PeerModel:
    model = PeerModel()
    SHARED_MACHINE.add_model(model)
    return model


def tr_lifecycle(model: PeerModel) -> PeerModel:
    for name in LIFECYCLE:
        model.trigger(name)  # type: ignore[attr-defined]
        _peer_effects(model, name)
    return model


# --- measuring ---------------------------------------------------------------------------------


def _start_sample(fn: Callable[[], object], number: int) -> float:
    """Mean µs per call of *fn* over *number* calls."""
    begin = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - begin) / number * 1e6


def _transition_sample(
    start: Callable[[], Any], run: Callable[[Any], object], number: int
) -> tuple[float, list[Any]]:
    """Mean µs per transition over *number* lifecycles (the starts are made untimed)."""
    started = [start() for _ in range(number)]
    begin = time.perf_counter()
    for item in started:
        run(item)
    return (time.perf_counter() - begin) / number / len(LIFECYCLE) * 1e6, started


def _check_equivalence() -> None:
    finals = {
        "iso10002.workflow": ours_lifecycle(ours_start()).state,
        "python-statemachine": psm_lifecycle(psm_start()).state,
        "transitions": tr_lifecycle(tr_start_add_model()).state,
    }
    for library, state in finals.items():
        if state != "closed":
            raise SystemExit(f"{library}: the lifecycle ended in {state!r}, not 'closed'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke run)")
    args = parser.parse_args(argv)
    number, repeat = (20, 3) if args.quick else (2000, 21)
    _check_equivalence()
    steps = len(LIFECYCLE)
    slow = max(number // 10, 1)
    starts: dict[str, list[float]] = {
        "ours": [],
        "psm": [],
        "tr_machine": [],
        "tr_add_model": [],
    }
    per: dict[str, list[float]] = {"ours": [], "psm": [], "tr": []}
    # Rounds interleave the libraries, so that a busy machine slows them all alike.
    for _ in range(repeat):
        starts["ours"].append(_start_sample(ours_start, number * 4))
        starts["psm"].append(_start_sample(psm_start, slow))
        starts["tr_machine"].append(_start_sample(tr_start_new_machine, slow))
        starts["tr_add_model"].append(_start_sample(tr_start_add_model, slow))
        per["ours"].append(_transition_sample(ours_start, ours_lifecycle, number)[0])
        per["psm"].append(_transition_sample(psm_start, psm_lifecycle, slow)[0])
        sample, models = _transition_sample(tr_start_add_model, tr_lifecycle, number)
        per["tr"].append(sample)
        for model in models:
            SHARED_MACHINE.remove_model(model)
    for model in list(SHARED_MACHINE.models):
        SHARED_MACHINE.remove_model(model)
    med = {key: statistics.median(values) for key, values in per.items()}
    start = {key: statistics.median(values) for key, values in starts.items()}
    ratio = {
        key: statistics.median(p / o for p, o in zip(per[key], per["ours"], strict=True))
        for key in ("psm", "tr")
    }
    best = {key: min(values) for key, values in per.items()}
    print(f"Python {sys.version.split()[0]}; {steps} transitions per lifecycle; medians of")
    print(f"{repeat} interleaved rounds (best round in brackets); ratio = the peer's time / ours,")
    print("per round.\n")
    print("| library | µs per transition | ratio to ours | µs to start a complaint |")
    print("|---|---:|---:|---:|")
    print(
        f"| iso10002.workflow | {med['ours']:.2f} ({best['ours']:.2f}) | 1.0 "
        f"| {start['ours']:.2f} |"
    )
    print(
        f"| python-statemachine | {med['psm']:.2f} ({best['psm']:.2f}) | {ratio['psm']:.1f} "
        f"| {start['psm']:.1f} |"
    )
    print(
        f"| transitions | {med['tr']:.2f} ({best['tr']:.2f}) | {ratio['tr']:.2f} "
        f"| {start['tr_machine']:.1f} (new Machine); {start['tr_add_model']:.1f} (add_model) |"
    )
    print()
    print(
        "Starting a complaint: iso10002 folds the ComplaintReceived event (nothing is bound); "
        "the peers bind a machine to a new model object."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
