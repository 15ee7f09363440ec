"""The ``iso10002`` command (also ``python -m iso10002``).

Exit codes: ``0`` done; ``1`` done, but some rows were rejected (``import``); ``2`` bad usage;
``3`` invalid input or configuration; ``4`` storage failed; ``5`` not found. ``--json`` prints one
JSON object on standard output; messages go to standard error. A progress bar with rate and ETA
is shown on a terminal when :mod:`rich` is installed (the ``cli`` extra), never when piped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import attrs

from iso10002.errors import (
    ComplaintNotFound,
    Iso10002Error,
    NotFoundError,
    StorageError,
    ValidationError,
)

__all__ = ["EXIT_CODES", "main"]

EXIT_CODES = {
    "ok": 0,
    "rejected": 1,
    "usage": 2,
    "invalid": 3,
    "storage": 4,
    "not_found": 5,
}
"""What each exit status means."""

DEFAULT_DB = "sqlite:///iso10002.db"
"""``--db`` when neither the option nor ``ISO10002_DB`` is given: a file in the current
directory."""


class _Fail(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an ISO 8601 date-time with offset") from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError("naive date-time refused: give a UTC offset")
    return value


@contextlib.contextmanager
def _progress(label: str, total: int | None, quiet: bool) -> Iterator[Callable[[int], None]]:
    """A callback taking the count done: a rich progress bar on a terminal, else nothing."""
    if quiet or not sys.stderr.isatty():
        yield lambda done: None
        return
    try:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
    except ImportError:  # the cli extra is not installed: no bar
        yield lambda done: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _count_lines(path: Path) -> int | None:
    if path.stat().st_size > 2_000_000_000:
        return None
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def _open(args: argparse.Namespace) -> Any:
    from iso10002.backends import open_repository

    return open_repository(args.db)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(data, sort_keys=True, default=str))
    else:
        print(text)


# --- commands ---------------------------------------------------------------------------------


def _mapping(args: argparse.Namespace) -> Any:
    from iso10002.io import ImportMapping, preset

    if args.mapping is not None:
        text = Path(args.mapping).read_text(encoding="utf-8")
        mapping = (
            ImportMapping.from_json(text)
            if args.mapping.endswith(".json")
            else ImportMapping.from_toml(text)
        )
        if args.date_format or args.timezone:
            mapping = mapping.with_dates(format=args.date_format, timezone=args.timezone)
        return mapping
    return preset(
        args.preset or "generic",
        date_format=args.date_format,
        timezone=args.timezone,
        source=args.source,
    )


def _cmd_import(args: argparse.Namespace) -> int:
    from iso10002.io import Importer, read_csv, read_jsonl, restore

    path = Path(args.file)
    if not path.is_file():
        raise _Fail(EXIT_CODES["not_found"], f"no such file: {path}")
    fmt = args.format or ("jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv")
    rejects_path = Path(args.rejects) if args.rejects else path.with_suffix(".rejects.csv")
    if fmt != "export":
        _mapping(args)  # a bad mapping fails before anything is opened
    total = _count_lines(path) if fmt == "csv" and not args.quiet else None
    with (
        _open(args) as storage,
        path.open("rb") as source,
        rejects_path.open("w", encoding="utf-8", newline="") as rejects,
        _progress(f"importing {path.name}", total, args.quiet) as progress,
    ):
        if fmt == "export":
            report = restore(storage, source, rejects=rejects, progress=progress)
        else:
            importer = Importer(storage, _mapping(args), as_of=args.as_of, actor=args.actor)
            rows = (
                read_jsonl(source, encoding=args.encoding)
                if fmt == "jsonl"
                else read_csv(source, encoding=args.encoding, delimiter=args.delimiter)
            )
            report = importer.run(rows, rejects=rejects, progress=progress)
    if report.rejected == 0:
        rejects_path.unlink()
    data = {k: v for k, v in attrs.asdict(report).items() if k != "rejects"}
    data["rejects_file"] = str(rejects_path) if report.rejected else None
    text = (
        f"{report.rows} rows: {report.imported} imported, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected} rejected"
    )
    if report.rejected:
        text += f" (see {rejects_path})"
    _emit(args, data, text)
    return EXIT_CODES["rejected"] if report.rejected else EXIT_CODES["ok"]


def _cmd_export(args: argparse.Namespace) -> int:
    from iso10002.io import export_csv, export_jsonl

    def run(out: IO[str], progress: Callable[[int], None]) -> int:
        with _open(args) as storage:
            if args.format == "csv":
                columns = args.columns.split(",") if args.columns else None
                options = {} if columns is None else {"columns": columns}
                return export_csv(storage, out, progress=progress, **options)
            return export_jsonl(storage, out, personal_data=args.personal_data, progress=progress)

    quiet = args.quiet or args.file == "-"
    with _progress("exporting", None, quiet) as progress:
        if args.file == "-":
            count = run(sys.stdout, progress)
            return EXIT_CODES["ok"]
        with open(args.file, "w", encoding="utf-8", newline="") as out:
            count = run(out, progress)
    _emit(args, {"exported": count, "file": args.file}, f"{count} complaints exported")
    return EXIT_CODES["ok"]


def _service(storage: Any, *, notifier: Any = None) -> Any:
    from iso10002.service import ComplaintsHandling

    return ComplaintsHandling(storage, notifier=notifier)


def _cmd_tick(args: argparse.Namespace) -> int:
    with _open(args) as storage:
        report = _service(storage).tick(args.now or datetime.now(timezone.utc))
    data = attrs.asdict(report)
    _emit(
        args,
        data,
        f"examined {report.examined}: {report.warnings} warnings, "
        f"{report.breaches} breaches recorded",
    )
    return EXIT_CODES["ok"]


def _cmd_dispatch(args: argparse.Namespace) -> int:
    from iso10002.notify import LoggingNotifier

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    with _open(args) as storage:
        report = _service(storage, notifier=LoggingNotifier()).dispatch()
    _emit(
        args,
        attrs.asdict(report),
        f"{report.collected} collected, {report.delivered} delivered, {report.retried} to retry, "
        f"{report.dead} dead",
    )
    return EXIT_CODES["ok"]


def _cmd_sla_due(args: argparse.Namespace) -> int:
    from iso10002.sla import BusinessCalendar
    from iso10002.sla.presets import preset

    if args.calendar:
        calendar = BusinessCalendar.from_dict(
            json.loads(Path(args.calendar).read_text(encoding="utf-8"))
        )
    else:
        calendar = BusinessCalendar.from_dict(
            {
                "timezone": args.timezone,
                "week": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            }
        )
    found = preset(args.preset)
    due = found.deadlines(calendar, receipt=args.received, acknowledgement=args.acknowledged)
    zone = calendar.tz
    data = {name: at.isoformat() for name, at in due.items()}
    text = "\n".join(
        f"{name}: {at.astimezone(zone).strftime('%a %d %b %Y %H:%M %Z')}"
        for name, at in due.items()
    )
    _emit(args, {"preset": args.preset, "due": data}, text or "no milestone anchored")
    return EXIT_CODES["ok"]


def _workflow(args: argparse.Namespace) -> Any:
    from iso10002.workflow import WorkflowDefinition, iso10002_workflow

    if args.file is None:
        return iso10002_workflow()
    return WorkflowDefinition.from_file(args.file)


def _cmd_workflow_validate(args: argparse.Namespace) -> int:
    definition = _workflow(args)
    _emit(
        args,
        {"valid": True, "name": definition.name, "states": len(definition.state_names)},
        f"workflow {definition.name!r} is valid: {len(definition.state_names)} states, "
        f"{len(definition.transition_names)} transitions",
    )
    return EXIT_CODES["ok"]


def _cmd_workflow_diagram(args: argparse.Namespace) -> int:
    from iso10002.workflow.diagram import to_dot, to_mermaid

    definition = _workflow(args)
    print(to_dot(definition) if args.format == "dot" else to_mermaid(definition))
    return EXIT_CODES["ok"]


def _cmd_erase(args: argparse.Namespace) -> int:
    with _open(args) as storage:
        changed = _service(storage).erase_personal_data(args.complainant_id, actor=args.actor)
    _emit(
        args,
        {"complainant_id": args.complainant_id, "complaints": changed},
        f"personal data erased; {changed} complaint(s) recorded the erasure",
    )
    return EXIT_CODES["ok"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._demo import simulate

    with _open(args) as storage:
        summary = simulate(storage, complaints=args.complaints, seed=args.seed)
    lines = [f"{k.replace('_', ' ')}: {v}" for k, v in summary.items()]
    _emit(args, summary, "\n".join(lines))
    return EXIT_CODES["ok"]


# --- the parser -------------------------------------------------------------------------------


def _common(*, defaults: bool) -> argparse.ArgumentParser:
    """The options every command takes; a subcommand's copy has no defaults, so an option
    given before the command is not reset by the command's parser."""
    common = argparse.ArgumentParser(add_help=False)
    db = os.environ.get("ISO10002_DB", DEFAULT_DB)
    common.add_argument(
        "--db",
        default=db if defaults else argparse.SUPPRESS,
        help=f"storage URL (default: $ISO10002_DB or {DEFAULT_DB}, a file in this directory)",
    )
    flag: Any = False if defaults else argparse.SUPPRESS
    common.add_argument("--json", action="store_true", default=flag, help="print one JSON object")
    common.add_argument("--quiet", action="store_true", default=flag, help="no progress bar")
    return common


def _parser() -> argparse.ArgumentParser:
    top = _common(defaults=True)
    common = _common(defaults=False)
    parser = argparse.ArgumentParser(
        prog="iso10002",
        description="Complaints handling after ISO 10002: import, export, SLA sweeps, "
        "notifications, workflows.",
        epilog="exit codes: 0 ok, 1 rows rejected, 2 bad usage, 3 invalid input or "
        "configuration, 4 storage failed, 5 not found",
        parents=[top],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("import", parents=[common], help="import a CSV, JSON Lines or export")
    p.add_argument("file")
    p.add_argument("--preset", choices=["cfpb", "generic", "nyc311"], help="bundled mapping")
    p.add_argument("--mapping", help="a mapping file (.toml or .json)")
    p.add_argument("--format", choices=["csv", "jsonl", "export"], help="default: by extension")
    p.add_argument("--source", help="the source system's name (default: the preset's)")
    p.add_argument("--date-format", help="strptime format of every date column")
    p.add_argument("--timezone", help="IANA time zone of every date column")
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--delimiter", default=",")
    p.add_argument("--rejects", help="rejects file (default: FILE.rejects.csv)")
    p.add_argument("--as-of", type=_when, help="record facts up to this instant (default: now)")
    p.add_argument("--actor", default="import")
    p.set_defaults(run=_cmd_import)

    p = commands.add_parser("export", parents=[common], help="export complaints")
    p.add_argument("file", help="output file, or - for standard output")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--columns", help="CSV columns, comma-separated")
    p.add_argument("--personal-data", action="store_true", help="include complainant records")
    p.set_defaults(run=_cmd_export)

    p = commands.add_parser("tick", parents=[common], help="record due SLA warnings and breaches")
    p.add_argument("--now", type=_when, help="the sweep instant (default: now)")
    p.set_defaults(run=_cmd_tick)

    p = commands.add_parser("dispatch", parents=[common], help="derive and log notifications")
    p.set_defaults(run=_cmd_dispatch)

    sla = commands.add_parser("sla", parents=[common], help="SLA deadlines")
    sla_commands = sla.add_subparsers(dest="sla_command", required=True, metavar="COMMAND")
    p = sla_commands.add_parser("due", parents=[common], help="when is it due under a preset")
    p.add_argument("--preset", required=True, help="a regulatory preset, e.g. uk_fca")
    p.add_argument("--received", type=_when, required=True)
    p.add_argument("--acknowledged", type=_when)
    p.add_argument("--calendar", help="a calendar JSON file (default: Mon-Fri 09:00-17:00)")
    p.add_argument("--timezone", default="UTC", help="the default calendar's time zone")
    p.set_defaults(run=_cmd_sla_due)

    workflow = commands.add_parser("workflow", parents=[common], help="workflow definitions")
    wf_commands = workflow.add_subparsers(dest="workflow_command", required=True, metavar="COMMAND")
    p = wf_commands.add_parser("validate", parents=[common], help="load and check a definition")
    p.add_argument("file", nargs="?", help="JSON or TOML (default: the ISO 10002 workflow)")
    p.set_defaults(run=_cmd_workflow_validate)
    p = wf_commands.add_parser("diagram", parents=[common], help="Mermaid or DOT diagram")
    p.add_argument("file", nargs="?", help="JSON or TOML (default: the ISO 10002 workflow)")
    p.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")
    p.set_defaults(run=_cmd_workflow_diagram)

    p = commands.add_parser("erase", parents=[common], help="erase a complainant's personal data")
    p.add_argument("complainant_id")
    p.add_argument("--actor", default="cli")
    p.set_defaults(run=_cmd_erase)

    p = commands.add_parser("demo", parents=[common], help="simulate a period of complaints")
    p.add_argument("--complaints", type=int, default=200)
    p.add_argument("--seed", type=int, default=10002)
    p.set_defaults(run=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line *argv* (default: ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the exit flush quiet
        return EXIT_CODES["ok"]
    except _Fail as exc:
        print(f"iso10002: {exc}", file=sys.stderr)
        return exc.code
    except (ComplaintNotFound, NotFoundError) as exc:
        print(f"iso10002: {exc}", file=sys.stderr)
        return EXIT_CODES["not_found"]
    except StorageError as exc:
        print(f"iso10002: storage failed: {exc}", file=sys.stderr)
        return EXIT_CODES["storage"]
    except (Iso10002Error, ValidationError) as exc:
        print(f"iso10002: {exc}", file=sys.stderr)
        return EXIT_CODES["invalid"]
    except (OSError, UnicodeDecodeError, LookupError) as exc:
        print(f"iso10002: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_CODES["invalid"]
    return code
