"""The outbox: derived from stored events, delivered at least once, never twice per key when
workers behave, retried with backoff, dead-lettered, and resumed after a crash."""

from __future__ import annotations

import email
import email.policy
import os
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller

from iso10002 import events as ev
from iso10002.backends import open_repository
from iso10002.errors import ConfigurationError, DeliveryError
from iso10002.model import (
    Assessment,
    Breadth,
    Complainant,
    Complaint,
    Complexity,
    Outcome,
    Priority,
    Safety,
)
from iso10002.notify import (
    DEFAULT_TEMPLATES,
    DispatchReport,
    Message,
    NotificationRule,
    OutboxDispatcher,
    RecordingNotifier,
    SmtpNotifier,
    WebhookNotifier,
    verify_webhook,
)
from iso10002.ports import Storage
from iso10002.service import ComplaintsHandling
from iso10002.testing.fakes import FakeClock

SECRET = b"outbox-test-secret-0123456789"
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
POSTGRES_URL = os.environ.get("ISO10002_TEST_POSTGRES_URL")


def fill(storage: Storage, clock: FakeClock, n: int) -> set[str]:
    """*n* acknowledged complaints: one acknowledgement notification each; return their keys."""
    svc = ComplaintsHandling(storage, clock=clock)
    keys = set()
    for i in range(n):
        c = svc.receive(
            {
                "channel": "web",
                "subject": f"s{i}",
                "description": "d",
                "name": "Ann Lee",
                "email": f"ann{i}@example.org",
            },
            actor="web",
        )
        c = svc.acknowledge(c.id, actor="bob")
        keys.add(f"{c.id}/000000002/acknowledgement/complainant")
    return keys


class Flaky(BaseHTTPRequestHandler):
    """Refuses (503) or hangs past the client's timeout on half the calls, at random."""

    accepted: Counter[str]
    rng: random.Random
    lock: threading.Lock

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            roll = self.rng.random()
        if roll < 0.25:
            self.send_response(503)
            self.end_headers()
            return
        if roll < 0.5:
            time.sleep(0.4)  # the client gave up at 0.2 s; this call is dropped
            return
        ok = verify_webhook(
            SECRET,
            self.headers["X-Iso10002-Timestamp"],
            body,
            self.headers["X-Iso10002-Signature"],
            idempotency_key=self.headers["Idempotency-Key"],
        )
        if not ok:
            self.send_response(401)
            self.end_headers()
            return
        with self.lock:
            self.accepted[self.headers["Idempotency-Key"]] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[tuple[str, type[Flaky]]]:
    handler = type(
        "H", (Flaky,), {"accepted": Counter(), "rng": random.Random(1002), "lock": threading.Lock()}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def drain(
    dispatcher: OutboxDispatcher, clock: FakeClock, keys: set[str], rounds: int = 100
) -> None:
    """Run the dispatcher until every key is delivered or dead."""
    log = dispatcher.storage.deliveries
    for _ in range(rounds):
        dispatcher.run_once()
        clock.advance(timedelta(minutes=5))  # every backoff has passed
        states = {d.status.value for k in keys if (d := log.get(k)) is not None}
        if states <= {"delivered", "dead"}:
            return
    raise AssertionError("deliveries still pending")


def test_flaky_webhook_gets_every_notification_exactly_once(
    tmp_path: Path, flaky_server: tuple[str, type[Flaky]]
) -> None:
    url, handler = flaky_server
    clock = FakeClock(START)
    with open_repository(f"sqlite:///{tmp_path / 'outbox.db'}") as storage:
        keys = fill(storage, clock, 16)
        dispatcher = OutboxDispatcher(
            storage,
            WebhookNotifier(url, secret=SECRET, timeout=0.2, clock=time.time),
            clock=clock,
            max_attempts=40,
            base_delay=timedelta(seconds=1),
            max_delay=timedelta(seconds=60),
            rng=random.Random(7),
        )
        drain(dispatcher, clock, keys)
        assert storage.deliveries.dead_letters() == []
        for key in keys:
            delivery = storage.deliveries.get(key)
            assert delivery is not None and delivery.status.value == "delivered"
    assert set(handler.accepted) == keys
    assert set(handler.accepted.values()) == {1}


class Answers(BaseHTTPRequestHandler):
    """Answers every request with ``status`` (and ``location``); records each method."""

    status = 204
    location = ""
    hits: ClassVar[list[str]]

    def _answer(self) -> None:
        self.hits.append(self.command)
        self.send_response(self.status)
        if self.location:
            self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer()

    do_GET = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirected_webhook_is_not_delivered(tmp_path: Path) -> None:
    class Target(Answers):
        hits: ClassVar[list[str]] = []

    target = ThreadingHTTPServer(("127.0.0.1", 0), Target)

    class Moved(Answers):
        status = 302
        location = f"http://127.0.0.1:{target.server_address[1]}/elsewhere"
        hits: ClassVar[list[str]] = []

    servers = [target, ThreadingHTTPServer(("127.0.0.1", 0), Moved)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    clock = FakeClock(START)
    try:
        with open_repository(f"sqlite:///{tmp_path / 'moved.db'}") as storage:
            (key,) = fill(storage, clock, 1)
            url = f"http://127.0.0.1:{servers[1].server_address[1]}/hooks"
            channel = WebhookNotifier(url, secret=SECRET)
            report = OutboxDispatcher(storage, channel, clock=clock).run_once()
            delivery = storage.deliveries.get(key)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for t in threads:
            t.join()
    assert (report.delivered, report.dead) == (0, 1)
    assert delivery is not None and delivery.status.value == "dead"
    assert delivery.last_error is not None and "HTTP 302" in delivery.last_error
    assert Moved.hits == ["POST"]
    assert Target.hits == []


class Crash(BaseException):
    """Stands for the process being killed: nothing in the dispatcher catches it."""


class CrashAfter:
    def __init__(self, sends: int) -> None:
        self.left = sends
        self.sent: list[str] = []

    def send(self, message: Message) -> None:
        if self.left == 0:
            raise Crash
        self.left -= 1
        self.sent.append(message.key)


def test_a_dispatcher_killed_mid_batch_is_resumed_by_another(tmp_path: Path) -> None:
    clock = FakeClock(START)
    with open_repository(f"sqlite:///{tmp_path / 'crash.db'}") as storage:
        keys = fill(storage, clock, 10)
        crashing = CrashAfter(4)
        first = OutboxDispatcher(
            storage, crashing, clock=clock, worker="w1", lease=timedelta(minutes=2)
        )
        with pytest.raises(Crash):
            first.run_once()
        assert len(crashing.sent) == 4
        # A restarted dispatcher waits for the dead worker's lease, then delivers the rest.
        recorder = RecordingNotifier()
        second = OutboxDispatcher(storage, recorder, clock=clock, worker="w2")
        assert second.run_once().delivered == 0
        clock.advance(timedelta(minutes=3))
        second.run_once()
        resent = [m.key for m in recorder.sent]
        assert set(crashing.sent) | set(resent) == keys
        # Only the four sent before the crash were unconfirmed; the rest go out exactly once.
        assert len(resent) == len(set(resent))
        assert keys - set(crashing.sent) <= set(resent)


def test_collecting_twice_enqueues_nothing_new(tmp_path: Path) -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        fill(storage, clock, 3)
        dispatcher = OutboxDispatcher(storage, RecordingNotifier(), clock=clock)
        assert dispatcher.collect() == 3
        assert dispatcher.collect() == 0
        storage.deliveries.set_position(dispatcher.name, 0)  # as if the position was lost
        assert dispatcher.collect() == 0


class Failing:
    def __init__(self, *, retryable: bool) -> None:
        self.retryable = retryable
        self.calls = 0

    def send(self, message: Message) -> None:
        self.calls += 1
        raise DeliveryError("down", retryable=self.retryable)


def test_retries_back_off_then_dead_letter() -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        (key,) = fill(storage, clock, 1)
        failing = Failing(retryable=True)
        dispatcher = OutboxDispatcher(
            storage,
            failing,
            clock=clock,
            max_attempts=3,
            base_delay=timedelta(seconds=10),
            max_delay=timedelta(seconds=15),
            rng=random.Random(3),
        )
        assert dispatcher.run_once().retried == 1
        delivery = storage.deliveries.get(key)
        assert delivery is not None
        wait = delivery.available_at - clock.now()
        assert timedelta(seconds=5) <= wait <= timedelta(seconds=10)
        assert dispatcher.run_once().retried == 0  # not due yet
        clock.advance(timedelta(seconds=16))
        assert dispatcher.run_once().retried == 1
        clock.advance(timedelta(seconds=16))
        assert dispatcher.run_once().dead == 1
        assert [d.key for d in storage.deliveries.dead_letters()] == [key]
        assert failing.calls == 3
        assert all(dispatcher.backoff(n) <= timedelta(seconds=15) for n in range(1, 40))


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A delivery log on every bundled backend."""
    if request.param == "memory":
        with open_repository("memory://") as store:
            yield store
    elif request.param == "sqlite":
        with open_repository(f"sqlite:///{tmp_path / 'poison.db'}") as store:
            yield store
    else:
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL tests need ISO10002_TEST_POSTGRES_URL")
        import psycopg

        schema = f"poison_{uuid.uuid4().hex[:12]}"
        try:
            joiner = "&" if "?" in POSTGRES_URL else "?"
            with open_repository(f"{POSTGRES_URL}{joiner}schema={schema}") as store:
                yield store
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class Poison:
    """Sends every message but the one keyed *bad*, on which it raises *error*."""

    def __init__(self, bad: str, error: Exception) -> None:
        self.bad, self.error = bad, error
        self.calls = 0
        self.sent: list[str] = []

    def send(self, message: Message) -> None:
        if message.key == self.bad:
            self.calls += 1
            raise self.error
        self.sent.append(message.key)


PERSONAL = ("Ann Lee", "ann0@example.org")


@pytest.mark.parametrize(
    "error",
    [
        ValueError("cannot send to Ann Lee"),
        OSError(5, "ann0@example.org unreachable"),
        KeyError("ann0@example.org"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_channel_raising_a_foreign_error_does_not_stop_the_outbox(
    storage: Storage, error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    keys = fill(storage, clock, 4)
    poison = min(keys)  # claimed first: the others come after it in every batch
    channel = Poison(poison, error)
    dispatcher = OutboxDispatcher(
        storage,
        channel,
        clock=clock,
        max_attempts=3,
        base_delay=timedelta(seconds=10),
        max_delay=timedelta(seconds=60),
        rng=random.Random(5),
    )
    report = dispatcher.run_once()
    assert (report.delivered, report.retried, report.dead) == (3, 1, 0)
    assert set(channel.sent) == keys - {poison}
    failed = storage.deliveries.get(poison)
    assert failed is not None and failed.status.value == "pending"
    assert failed.available_at > clock.now()  # backed off, not left claimed
    for _ in range(2):
        clock.advance(timedelta(minutes=2))
        report = dispatcher.run_once()
    assert (report.delivered, report.retried, report.dead) == (0, 0, 1)
    assert channel.calls == 3
    assert [d.key for d in storage.deliveries.dead_letters()] == [poison]
    dead = storage.deliveries.get(poison)
    assert dead is not None and dead.last_error is not None
    assert type(error).__name__ in dead.last_error
    assert not any(p.lower() in dead.last_error.lower() for p in PERSONAL)
    assert poison in caplog.text and type(error).__name__ in caplog.text
    assert not any(p.lower() in caplog.text.lower() for p in PERSONAL)
    clock.advance(timedelta(hours=2))
    assert dispatcher.run_once() == DispatchReport()
    assert channel.calls == 3


def test_a_recipient_resolver_raising_is_a_failed_attempt(storage: Storage) -> None:
    clock = FakeClock(START)
    keys = fill(storage, clock, 3)
    poison = min(keys)

    def resolve(role: str, complaint: Complaint, complainant: Complainant | None) -> str | None:
        if complaint.id == poison.split("/")[0]:
            raise RuntimeError("no address for Ann Lee")
        return complainant.email if complainant is not None else None

    recorder = RecordingNotifier()
    dispatcher = OutboxDispatcher(
        storage, recorder, clock=clock, recipients=resolve, max_attempts=1
    )
    assert dispatcher.run_once() == DispatchReport(collected=3, delivered=2, dead=1)
    assert {m.key for m in recorder.sent} == keys - {poison}
    dead = storage.deliveries.get(poison)
    assert dead is not None and dead.last_error is not None
    assert "RuntimeError" in dead.last_error and "Ann" not in dead.last_error


class Sink:
    """An SMTP server handler that keeps the ``X-Iso10002-Key`` of every mail it accepts."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.keys.append(str(parsed["X-Iso10002-Key"]).strip())  # long keys are folded
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, Sink]]:
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


def decided(storage: Storage, clock: FakeClock, remedy: str) -> str:
    """A complaint decided with *remedy* and told so; return the decision notification's key."""
    svc = ComplaintsHandling(storage, clock=clock)
    c = svc.receive(
        {
            "channel": "web",
            "subject": "s",
            "description": "d",
            "name": "Ann Lee",
            "email": "ann@example.org",
        },
        actor="web",
    )
    c = svc.acknowledge(c.id, actor="bob")
    c = svc.assess(
        c.id,
        actor="bob",
        assessment=Assessment(
            impact=2,
            breadth=Breadth.SINGLE,
            safety=Safety.NONE,
            complexity=Complexity.INVESTIGATION,
            priority=Priority.P3,
        ),
    )
    c = svc.start_investigation(c.id, actor="bob")
    c = svc.decide(c.id, actor="bob", outcome=Outcome.UPHELD, reasons="r", remedies=(remedy,))
    c = svc.communicate_decision(c.id, actor="bob")
    (told,) = [e for e in storage.events(c.id) if isinstance(e, ev.DecisionCommunicated)]
    return f"{c.id}/{told.sequence:09d}/decision/complainant"


def test_a_subject_smtp_cannot_carry_does_not_stop_the_outbox(
    storage: Storage, smtp_sink: tuple[int, Sink]
) -> None:
    port, sink = smtp_sink
    clock = FakeClock(START)
    # A remedy with a line break ends up in a custom subject: no e-mail header can carry it.
    poison = decided(storage, clock, "A refund for Ann Lee\nof the call-out fee")
    keys = fill(storage, clock, 3)
    templates = DEFAULT_TEMPLATES.with_overrides(
        {"decision": {"en": {"subject": "Our response: ${remedies}", "body": "${outcome}"}}}
    )
    dispatcher = OutboxDispatcher(
        storage,
        SmtpNotifier("127.0.0.1", port, sender="complaints@example.com"),
        templates=templates,
        clock=clock,
        max_attempts=3,
        base_delay=timedelta(seconds=10),
        max_delay=timedelta(seconds=60),
        rng=random.Random(5),
    )
    report = dispatcher.run_once()
    # Everything but the decision went out in the same run, the poison's acknowledgement too;
    # trying again cannot help, so the decision is dead at once.
    assert (report.delivered, report.retried, report.dead) == (len(keys) + 1, 0, 1)
    assert len(sink.keys) == len(keys) + 1 and poison not in sink.keys
    assert keys <= set(sink.keys)
    dead = storage.deliveries.get(poison)
    assert dead is not None and dead.status.value == "dead"
    assert dead.last_error is not None and "line break" in dead.last_error
    assert "Ann" not in dead.last_error and "refund" not in dead.last_error


def test_non_retryable_failures_are_dead_at_once() -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        fill(storage, clock, 1)
        dispatcher = OutboxDispatcher(storage, Failing(retryable=False), clock=clock)
        assert dispatcher.run_once().dead == 1


def test_messages_to_erased_complainants_are_dead_letters_not_deliveries() -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        (key,) = fill(storage, clock, 1)
        complaint = storage.get(key.split("/")[0])
        ComplaintsHandling(storage, clock=clock).erase_personal_data(
            complaint.complainant_id, actor="dpo"
        )
        recorder = RecordingNotifier()
        report = OutboxDispatcher(storage, recorder, clock=clock).run_once()
        assert recorder.sent == []
        assert (report.delivered, report.dead) == (0, 1)
        delivery = storage.deliveries.get(key)
        assert delivery is not None and delivery.status.value == "dead"
        assert delivery.last_error == "no address for the recipient role 'complainant'"
        assert storage.get(complaint.id).personal_data_erased
        # A channel that finds recipients itself can take them without an address.
        relaxed = RecordingNotifier()
        with open_repository("memory://") as other:
            fill(other, clock, 1)
            OutboxDispatcher(other, relaxed, clock=clock, require_address=False).run_once()
        assert [m.address for m in relaxed.sent] == ["ann0@example.org"]


def test_dispatcher_configuration_is_checked() -> None:
    with open_repository("memory://") as storage, pytest.raises(ConfigurationError) as caught:
        OutboxDispatcher(
            storage,
            RecordingNotifier(),
            max_attempts=0,
            batch=0,
            base_delay=timedelta(0),
            lease=timedelta(0),
        )
    assert set(caught.value.paths) == {"max_attempts", "batch", "base_delay", "lease"}
    with pytest.raises(ConfigurationError):
        NotificationRule(event="NoSuchEvent", template="t", recipient="r")


class SlowRecorder(RecordingNotifier):
    def send(self, message: Message) -> None:
        time.sleep(0.002)  # widen the window in which two workers could collide
        super().send(message)


@pytest.mark.postgres
def test_postgres_dispatchers_on_many_workers_never_send_twice() -> None:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need ISO10002_TEST_POSTGRES_URL")
    import psycopg

    schema = f"outbox_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
    try:
        with open_repository(url) as storage:
            keys = fill(storage, FakeClock(datetime.now(timezone.utc)), 60)
        recorder = SlowRecorder()
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            try:
                with open_repository(url) as own:
                    dispatcher = OutboxDispatcher(own, recorder, worker=f"host{n}", batch=5)
                    idle = 0
                    while idle < 3:
                        report = dispatcher.run_once()
                        idle = idle + 1 if report.delivered == 0 else 0
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        sent = Counter(m.key for m in recorder.sent)
        assert set(sent) == keys
        assert set(sent.values()) == {1}
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _sla_service(storage: Storage, clock: FakeClock) -> ComplaintsHandling:
    from iso10002 import BusinessCalendar, PolicyPlanner, SlaPolicy

    calendar = BusinessCalendar.from_dict(
        {
            "timezone": "Europe/London",
            "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        }
    )
    policy = SlaPolicy.from_dict(
        {
            "default": {
                "acknowledgement": {"business_days": 1, "thresholds": [0.5, 0.75, 0.9]},
                "final_response": {"weeks": 8, "thresholds": [0.5, 0.75, 0.9]},
            }
        }
    )
    return ComplaintsHandling(
        storage,
        clock=clock,
        sla=PolicyPlanner(calendar, policy),
        notifier=RecordingNotifier(),
        dispatcher_options={
            "addresses": {"handler": "team@example.org", "manager": "lead@example.org"}
        },
    )


FORM = {
    "channel": "web",
    "subject": "Late parcel",
    "description": "Still waiting.",
    "name": "Ann Lee",
    "email": "ann@example.org",
}


def test_a_late_sweep_tells_each_clock_once_and_promises_no_past_date() -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        svc = _sla_service(storage, clock)
        c = svc.receive(FORM, actor="web")
        clock.set(START + timedelta(days=90))  # every threshold and both deadlines passed
        report = svc.tick()
        assert (report.warnings, report.breaches) == (6, 2)  # all recorded
        svc.dispatch()
        assert svc.dispatcher is not None
        sent = svc.dispatcher.notifier.sent  # type: ignore[attr-defined]
        templates = sorted(m.template for m in sent)
        # Per clock only the breach goes out; no holding response to someone never
        # acknowledged, and none promising a final response by a date already past.
        assert templates == ["sla_breach", "sla_breach"]
        assert all(m.complaint_id == c.id for m in sent)


def test_a_timely_warning_still_reaches_handler_and_complainant() -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        svc = _sla_service(storage, clock)
        c = svc.receive(FORM, actor="web")
        svc.acknowledge(c.id, actor="bob")
        clock.set(START + timedelta(days=51))  # 90 % of 8 weeks, before the deadline
        svc.tick()
        svc.dispatch()
        assert svc.dispatcher is not None
        sent = svc.dispatcher.notifier.sent  # type: ignore[attr-defined]
        warned = [(m.template, m.recipient) for m in sent if m.template != "acknowledgement"]
        # The three final-response thresholds passed together: only the 90 % one is told.
        assert sorted(warned) == [("holding_response", "complainant"), ("sla_warning", "handler")]
        assert all("90" in m.body for m in sent if m.template == "sla_warning")


def test_messages_of_one_instant_are_claimed_in_event_order() -> None:
    clock = FakeClock(START)
    with open_repository("memory://") as storage:
        svc = ComplaintsHandling(storage, clock=clock, notifier=RecordingNotifier())
        c = svc.receive(FORM, actor="web")
        svc.acknowledge(c.id, actor="bob")
        for n in range(8):
            svc.add_note(c.id, actor="bob", text=f"n{n}")
        svc.assess(c.id, actor="bob", impact=1, breadth="single")
        svc.start_investigation(c.id, actor="bob")
        svc.decide(c.id, actor="bob", outcome=Outcome.UPHELD, reasons="Refunded.")
        svc.communicate_decision(c.id, actor="bob", external_options_given=True)
        svc.dispatch()
        assert svc.dispatcher is not None
        sent = svc.dispatcher.notifier.sent  # type: ignore[attr-defined]
        assert [m.template for m in sent] == ["acknowledgement", "decision"]
