"""Reading learning records: CSV, JSON and JSON Lines, from a file or from a request body.

- CSV: a header row naming the columns (docs/cli.md), then one record a row; rows whose
  cells are all blank are skipped. UTF-8, with or without a byte order mark.
- JSON Lines: one record object a line; blank lines are skipped.
- JSON: an array of record objects (a file may also hold a single object).

Every record is checked as it is read (:class:`LearningRecord`); an InputError names the
row (CSV, by its line), line (JSON Lines) or record (JSON, from 1) at fault.

Files (``credbank issue``) are read lazily, one record at a time, so 100,000 records and
more take little memory. A body (``POST /v1/jobs``) is read whole, at most
``max_records`` records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from verifier import jsonio
from verifier.errors import CredentialFormatError

from ..errors import InputError
from .inputs import LearningRecord, check_csv_header

MAX_RECORD_BYTES = 64 * 1024  # a line of a JSON Lines file
MAX_INPUT_BYTES = 2 * 1024**3  # a file
MAX_JSON_FILE_BYTES = 256 * 1024 * 1024  # a JSON file, parsed whole

CSV_SUFFIXES = frozenset({".csv"})
LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
JSON_SUFFIXES = frozenset({".json"})

JSON_TYPES = frozenset({"application/json"})
LINES_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonlines",
                         "application/json-lines"})
CSV_TYPES = frozenset({"text/csv"})


class TooManyRecords(InputError):
    """The body holds more records than a job may."""


class UnsupportedFormat(InputError):
    """The body's media type is none of JSON, JSON Lines or CSV."""


# ---- files -------------------------------------------------------------------------------


def read_records(path: str | Path) -> Iterator[LearningRecord]:
    """Learning records from .csv, .jsonl/.ndjson (one object a line) or .json (object
    or array). Raises InputError naming the row or line at fault."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | LINES_SUFFIXES | JSON_SUFFIXES:
        raise InputError(f"{path.name}: input must be .csv, .jsonl or .json")
    _check_size(path)
    if suffix in CSV_SUFFIXES:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            yield from _csv_records(fh, file_name=path.name)
    elif suffix in LINES_SUFFIXES:
        with open(path, "rb") as fh:
            yield from _lines_records(fh, max_line_bytes=MAX_RECORD_BYTES)
    else:
        try:
            raw = jsonio.load_path(path, max_bytes=MAX_JSON_FILE_BYTES)
        except CredentialFormatError as exc:
            raise InputError(str(exc)) from None
        yield from _json_records(raw if isinstance(raw, list) else [raw])


def count_records(path: str | Path) -> int | None:
    """Cheap count for a progress bar (None when the format makes it expensive)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in LINES_SUFFIXES:
            with open(path, "rb") as fh:
                return sum(1 for line in fh if line.strip())
        if suffix in CSV_SUFFIXES:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                return max(sum(1 for _ in csv.reader(fh)) - 1, 0)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_INPUT_BYTES:
        raise InputError(f"{path.name} is larger than {MAX_INPUT_BYTES} bytes")


# ---- bodies ------------------------------------------------------------------------------


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_records(body: bytes, content_type: str | None, *,
                  max_records: int | None = None) -> list[LearningRecord]:
    """Every record of a body of ``content_type``, each checked; InputError names the
    first bad one, TooManyRecords says there are more than ``max_records``."""
    media = media_type(content_type)
    if media in JSON_TYPES:
        records = list(_json_records(_json_array(body), max_records))
    elif media in LINES_TYPES:
        records = list(_lines_records(body.split(b"\n"), max_records=max_records))
    elif media in CSV_TYPES:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the CSV body is not UTF-8 text") from None
        records = list(_csv_records(io.StringIO(text, newline=""), max_records=max_records))
    else:
        raise UnsupportedFormat(
            f"send a JSON array (application/json), JSON Lines (application/x-ndjson) or "
            f"CSV (text/csv), not {media or 'an untyped body'}")
    if not records:
        raise InputError("no learning records in the body")
    return records


def _json_array(body: bytes) -> list[Any]:
    try:
        raw = jsonio.loads(body, max_bytes=len(body) + 1)
    except CredentialFormatError as exc:
        raise InputError(f"the body is not JSON: {exc}") from None
    if not isinstance(raw, list):
        raise InputError("a job's JSON body is an array of learning records")
    return raw


# ---- the formats -------------------------------------------------------------------------


def _too_many(max_records: int) -> TooManyRecords:
    return TooManyRecords(f"a job holds at most {max_records} records")


def _json_records(items: list[Any], max_records: int | None = None
                  ) -> Iterator[LearningRecord]:
    if max_records is not None and len(items) > max_records:
        raise _too_many(max_records)
    for i, item in enumerate(items, 1):
        yield LearningRecord.from_json(item, f"record {i}")


def _lines_records(lines: Iterable[bytes], *, max_records: int | None = None,
                   max_line_bytes: int | None = None) -> Iterator[LearningRecord]:
    count = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if count == max_records:
            raise _too_many(count)
        if max_line_bytes is not None and len(line) > max_line_bytes:
            raise InputError(f"line {number}: record larger than {max_line_bytes} bytes")
        try:
            raw = jsonio.loads(line)
        except CredentialFormatError as exc:
            raise InputError(f"line {number}: {exc}") from None
        count += 1
        yield LearningRecord.from_json(raw, f"line {number}")


def _csv_records(text: TextIO, *, file_name: str | None = None,
                 max_records: int | None = None) -> Iterator[LearningRecord]:
    """Records of CSV text; ``file_name`` names the file in the errors that are not a
    row's own (a body's are by line alone)."""
    reader = csv.DictReader(text)
    count = 0
    try:
        check_csv_header(list(reader.fieldnames) if reader.fieldnames else None)
        for row in reader:
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue
            if count == max_records:
                raise _too_many(count)
            count += 1
            yield LearningRecord.from_csv_row(row, f"row {reader.line_num}")
    except UnicodeDecodeError:
        raise InputError(f"{file_name} is not UTF-8 text") from None
    except csv.Error as exc:
        where = f"{file_name} line" if file_name else "line"
        raise InputError(f"{where} {reader.line_num}: {exc}") from None
