"""Real data in and out: historical import with mappings and presets, and export.

* :class:`ImportMapping` says which source column fills which field (a dict, TOML or JSON);
  :func:`preset` gives the bundled ones (``cfpb``, ``nyc311``, ``generic``).
* :func:`read_csv` and :func:`read_jsonl` read source rows with their line numbers;
  :class:`Importer` imports them as complaints that already happened (:class:`HistoryBuilder`),
  idempotently by external reference, rejecting bad rows with every problem.
* :func:`export_jsonl` (lossless, read back by :func:`restore`) and :func:`export_csv` stream
  complaints out.
"""

from __future__ import annotations

from .export import CSV_COLUMNS, complaints, export_csv, export_jsonl, restore
from .historical import DEFAULT_STATES, HistoryBuilder, complaint_id_for
from .importer import Importer, ImportReport, Reject
from .mapping import FIELDS, FieldMapping, ImportMapping, Record, normalise_header
from .presets import PRESETS, preset, preset_names
from .readers import SourceRow, read_csv, read_jsonl
from .records import RecordReader

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_STATES",
    "FIELDS",
    "PRESETS",
    "FieldMapping",
    "HistoryBuilder",
    "ImportMapping",
    "ImportReport",
    "Importer",
    "Record",
    "RecordReader",
    "Reject",
    "SourceRow",
    "complaint_id_for",
    "complaints",
    "export_csv",
    "export_jsonl",
    "normalise_header",
    "preset",
    "preset_names",
    "read_csv",
    "read_jsonl",
    "restore",
]
