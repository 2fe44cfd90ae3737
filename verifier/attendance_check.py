"""Checking a learner's attendance record (docs/format.md, "Attendance records"): read it
strictly, then the named checks ``attendance.form``, ``attendance.holder``,
``attendance.inclusion``, ``attendance.venue_registered``, ``attendance.day_anchored`` and
``attendance.totals``. The chain facts come from chain evidence (a trust bundle, embedded
in the record or given, or online); without it the two chain checks are skipped, and the
verdict fails closed. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import attendance as fmt
from . import merkle, timefmt
from .errors import CredentialFormatError
from .evidence.bundle import ChainEvidence, RejectedEvidence
from .evidence.errors import EvidenceError
from .model import CheckResult, Status
from .registry_layout import DocumentFact, DocumentKind

_RECORD = {"type", "version", "learner", "issuedAt", "chain", "entries", "days", "registers",
           "venues", "totals", "pending", "evidence"}
_RECORD_NEEDED = _RECORD - {"pending", "evidence", "chain"}
_ENTRY = {"type", "checkIn", "venue", "day", "activity", "checkedInAt", "checkedOutAt",
          "method", "learner"}
_ACTIVITY = {"id", "kind", "title", "sector", "hours", "needsCheckOut"}
_DAY = {"type", "version", "venue", "day", "part", "count", "root", "register", "closedAt"}
_VENUE = {"slug", "name", "kind", "since", "retired"}
_HELD = {"entry", "salt", "path", "dayHash"}

Evidence = ChainEvidence | RejectedEvidence | None


@dataclass(frozen=True)
class Held:
    """One entry as the record holds it: the leaf data, its salt, path and day."""

    entry: dict[str, Any]
    salt: bytes
    path: tuple[bytes, ...]
    day_hash: str


@dataclass(frozen=True)
class Record:
    learner_key: str
    learner_name: str | None
    chain_id: int
    registry: str
    entries: tuple[Held, ...]
    days: dict[str, dict[str, Any]]  # by their computed hash
    registers: dict[str, dict[str, Any]]  # by their computed hash
    # (register hash, venue slug) -> the venue's register item and its path
    venues: dict[tuple[str, str], tuple[dict[str, Any], tuple[bytes, ...]]]
    totals: Any
    evidence: dict[str, Any] | None


def is_record(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == fmt.RECORD_TYPE


def _members(value: Any, allowed: set[str], needed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CredentialFormatError(f"{where} must be an object")
    for unknown in sorted(set(value) - allowed)[:1]:
        raise CredentialFormatError(f"{where} has unknown member {unknown!r}")
    for missing in sorted(needed - set(value))[:1]:
        raise CredentialFormatError(f"{where} needs {missing!r}")
    return value


def _string(value: Any, where: str, pattern: Any = None, limit: int = 200) -> str:
    ok = isinstance(value, str) and 0 < len(value) <= limit
    if not ok or (pattern is not None and not pattern.fullmatch(value)):
        raise CredentialFormatError(f"{where} is not a valid value")
    return value


def _hex32(value: Any, where: str) -> bytes:
    return bytes.fromhex(_string(value, where, fmt.HEX32)[2:])


def _entry(value: Any, where: str) -> dict[str, Any]:
    data = _members(value, _ENTRY, _ENTRY - {"checkedOutAt"}, where)
    _require_eq(data["type"], fmt.ENTRY_TYPE, f"{where}.type")
    _string(data["checkIn"], f"{where}.checkIn", limit=64)
    _string(data["venue"], f"{where}.venue", fmt.SLUG)
    _string(data["day"], f"{where}.day", fmt.DAY)
    _string(data["method"], f"{where}.method", limit=32)
    _hex32(data["learner"], f"{where}.learner")
    for moment in ("checkedInAt", "checkedOutAt"):
        if moment in data:
            timefmt.parse(data[moment], f"{where}.{moment}")
    activity = _members(data["activity"], _ACTIVITY, _ACTIVITY, f"{where}.activity")
    for name in ("id", "kind", "title", "sector"):
        _string(activity[name], f"{where}.activity.{name}")
    _string(activity["hours"], f"{where}.activity.hours", fmt.HOURS)
    if not isinstance(activity["needsCheckOut"], bool):
        raise CredentialFormatError(f"{where}.activity.needsCheckOut must be true or false")
    return data


def _require_eq(value: Any, wanted: Any, where: str) -> None:
    if value != wanted:
        raise CredentialFormatError(f"{where} must be {wanted!r}")


def _day(value: Any, where: str) -> dict[str, Any]:
    data = _members(value, _DAY, _DAY, where)
    _require_eq(data["type"], fmt.DAY_TYPE, f"{where}.type")
    _require_eq(data["version"], fmt.VERSION, f"{where}.version")
    _string(data["venue"], f"{where}.venue", fmt.SLUG)
    _string(data["day"], f"{where}.day", fmt.DAY)
    for name in ("part", "count"):
        if type(data[name]) is not int or not 0 < data[name] <= 1_000_000:
            raise CredentialFormatError(f"{where}.{name} must be a positive integer")
    _hex32(data["root"], f"{where}.root")
    _hex32(data["register"], f"{where}.register")
    timefmt.parse(data["closedAt"], f"{where}.closedAt")
    return data


def _register(value: Any, where: str) -> dict[str, Any]:
    needed = {"type", "version", "count", "root"}
    data = _members(value, needed, needed, where)
    _require_eq(data["type"], fmt.REGISTER_TYPE, f"{where}.type")
    _require_eq(data["version"], fmt.VERSION, f"{where}.version")
    if type(data["count"]) is not int or not 0 < data["count"] <= 1_000_000:
        raise CredentialFormatError(f"{where}.count must be a positive integer")
    _hex32(data["root"], f"{where}.root")
    return data


def _venue_proof(value: Any, where: str) -> tuple[str, dict[str, Any], tuple[bytes, ...]]:
    """``{"register", "venue", "path"}``: a register item and its path to the root."""
    data = _members(value, {"register", "venue", "path"}, {"register", "venue", "path"}, where)
    register = _string(data["register"], f"{where}.register", fmt.HEX32)
    venue = _members(data["venue"], _VENUE, _VENUE - {"retired"}, f"{where}.venue")
    _string(venue["slug"], f"{where}.venue.slug", fmt.SLUG)
    _string(venue["name"], f"{where}.venue.name")
    _string(venue["kind"], f"{where}.venue.kind", limit=32)
    _string(venue["since"], f"{where}.venue.since", fmt.DAY)
    if "retired" in venue:
        _string(venue["retired"], f"{where}.venue.retired", fmt.DAY)
    path = data["path"]
    if not isinstance(path, list) or len(path) > 64:
        raise CredentialFormatError(f"{where}.path must be a list of at most 64 hashes")
    return register, venue, tuple(_hex32(h, f"{where}.path") for h in path)


def _keyed(items: Any, read: Callable[[Any, str], dict[str, Any]], where: str
           ) -> dict[str, dict[str, Any]]:
    if not isinstance(items, list) or not 0 < len(items) <= fmt.MAX_ENTRIES:
        raise CredentialFormatError(f"{where} must be a list of 1 to {fmt.MAX_ENTRIES}")
    out = {}
    for i, item in enumerate(items):
        read(item, f"{where}[{i}]")
        digest = fmt.document_hash(item)
        if digest in out:
            raise CredentialFormatError(f"{where}[{i}] is listed twice")
        out[digest] = item
    return out


def parse(raw: Any) -> Record:
    """Read a record's shape; raises CredentialFormatError naming what is wrong."""
    if not is_record(raw):
        raise CredentialFormatError(f"not a {fmt.RECORD_TYPE}")
    _members(raw, _RECORD, _RECORD_NEEDED, "the record")
    _require_eq(raw["version"], fmt.VERSION, "version")
    learner = _members(raw["learner"], {"key", "name"}, {"key"}, "learner")
    _string(learner["key"], "learner.key", limit=128)
    timefmt.parse(raw["issuedAt"], "issuedAt")
    held = raw["entries"]
    if not isinstance(held, list) or not 0 < len(held) <= fmt.MAX_ENTRIES:
        raise CredentialFormatError(f"entries must hold 1 to {fmt.MAX_ENTRIES} anchored "
                                    "check-ins (pending ones prove nothing)")
    entries = []
    for i, item in enumerate(held):
        where = f"entries[{i}]"
        _members(item, _HELD, _HELD, where)
        path = item["path"]
        if not isinstance(path, list) or len(path) > 64:
            raise CredentialFormatError(f"{where}.path must be a list of at most 64 hashes")
        entries.append(Held(_entry(item["entry"], f"{where}.entry"),
                            _hex32(item["salt"], f"{where}.salt"),
                            tuple(_hex32(h, f"{where}.path") for h in path),
                            _string(item["dayHash"], f"{where}.dayHash", fmt.HEX32)))
    # a record without anchored entries has no chain to name (the service leaves it out)
    chain = _members(raw.get("chain"), {"chainId", "registry"}, {"chainId", "registry"},
                     "chain")
    if type(chain["chainId"]) is not int or chain["chainId"] <= 0:
        raise CredentialFormatError("chain.chainId must be a positive integer")
    _string(chain["registry"], "chain.registry", limit=42)
    ids = [e.entry["checkIn"] for e in entries]
    if len(set(ids)) != len(ids):
        raise CredentialFormatError("entries hold a check-in twice")
    evidence = raw.get("evidence")
    if evidence is not None and not isinstance(evidence, dict):
        raise CredentialFormatError("evidence must be a trust bundle object")
    listed = raw["venues"]
    if not isinstance(listed, list) or not 0 < len(listed) <= fmt.MAX_ENTRIES:
        raise CredentialFormatError(f"venues must be a list of 1 to {fmt.MAX_ENTRIES}")
    venues: dict[tuple[str, str], tuple[dict[str, Any], tuple[bytes, ...]]] = {}
    for i, proof in enumerate(listed):
        register, venue, path = _venue_proof(proof, f"venues[{i}]")
        if (register, venue["slug"]) in venues:
            raise CredentialFormatError(f"venues[{i}] is listed twice")
        venues[(register, venue["slug"])] = (venue, path)
    return Record(learner["key"], learner.get("name"), chain["chainId"], chain["registry"],
                  tuple(entries), _keyed(raw["days"], _day, "days"),
                  _keyed(raw["registers"], _register, "registers"), venues, raw["totals"],
                  evidence)


# ---- the checks ------------------------------------------------------------------------------


def _check(check_id: str, failures: list[str], passed: str, of: int) -> CheckResult:
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return CheckResult(check_id, Status.FAILED,
                           f"{len(failures)} of {of}: {failures[0]}{more}")
    return CheckResult(check_id, Status.PASSED, passed)


def holder(record: Record) -> CheckResult:
    failures = [f"check-in {h.entry['checkIn']}: the entry names another learner"
                for h in record.entries
                if fmt.commitment(record.learner_key, h.salt) != h.entry["learner"]]
    return _check("attendance.holder", failures,
                  f"every entry names learner {record.learner_key[:12]}…",
                  len(record.entries))


def inclusion(record: Record) -> CheckResult:
    failures = []
    for held in record.entries:
        name = f"check-in {held.entry['checkIn']}"
        day = record.days.get(held.day_hash)
        if day is None:
            failures.append(f"{name}: its day {held.day_hash} is not in the record")
        elif (day["venue"], day["day"]) != (held.entry["venue"], held.entry["day"]):
            failures.append(f"{name}: the entry's venue and day are not its manifest's")
        elif not merkle.verify_path(fmt.leaf(held.entry), held.path,
                                    bytes.fromhex(day["root"][2:])):
            failures.append(f"{name}: not included in {day['venue']} {day['day']}'s root "
                            "(the entry was altered)")
    return _check("attendance.inclusion", failures,
                  f"all {len(record.entries)} entries are in their venue-day's Merkle root",
                  len(record.entries))


def _chain_problem(record: Record, evidence: Evidence) -> CheckResult | None:
    if evidence is None:
        return CheckResult("", Status.SKIPPED, "no chain evidence (embedded, --trust or "
                           "--online)")
    if isinstance(evidence, RejectedEvidence):
        return CheckResult("", Status.ERROR, f"chain evidence rejected: {evidence.reason}")
    if not evidence.covers(record.chain_id, record.registry):
        return CheckResult("", Status.FAILED, f"the record names chain {record.chain_id} "
                           f"registry {record.registry}; the evidence is for "
                           f"{evidence.caip10}")
    return None


def _authority_document(evidence: ChainEvidence, digest: str, kind: DocumentKind,
                        what: str) -> tuple[DocumentFact | None, str | None]:
    try:
        fact = evidence.document(digest)
    except EvidenceError as exc:
        return None, f"{what}: {exc}"
    if not fact.published:
        return None, f"{what} {digest} is not published on chain ({evidence.as_of})"
    if fact.kind != kind or fact.owner_issuer_number != 0:
        return None, f"{what} {digest} is published, but not by the authority as kind " \
                     f"{int(kind)}"
    return fact, None


def day_anchored(record: Record, evidence: Evidence) -> CheckResult:
    problem = _chain_problem(record, evidence)
    if problem is not None:
        return CheckResult("attendance.day_anchored", problem.status, problem.detail)
    assert isinstance(evidence, ChainEvidence)
    failures = []
    for digest, day in record.days.items():
        fact, why = _authority_document(evidence, digest, DocumentKind.ATTENDANCE_DAY,
                                        f"{day['venue']} {day['day']}")
        if why is not None:
            failures.append(why)
        elif fact is not None and fact.withdrawn:
            failures.append(f"{day['venue']} {day['day']} was withdrawn by the authority")
    return _check("attendance.day_anchored", failures,
                  f"all {len(record.days)} venue-days published by the authority "
                  f"({evidence.as_of})", len(record.days))


def venue_registered(record: Record, evidence: Evidence) -> CheckResult:
    """The cited register lists the venue as registered on the day; on chain, the register
    was published by the authority and in force when the day was published."""
    failures = []
    for day in record.days.values():
        register = record.registers.get(day["register"])
        where = f"{day['venue']} {day['day']}"
        if register is None:
            failures.append(f"{where}: the register it cites is not in the record")
            continue
        shown = record.venues.get((day["register"], day["venue"]))
        if shown is None:
            failures.append(f"{where}: {day['venue']} is not shown to be in the venue "
                            "register the day cites")
        elif not merkle.verify_path(fmt.leaf(shown[0]), shown[1],
                                    bytes.fromhex(register["root"][2:])):
            failures.append(f"{where}: {day['venue']}'s entry is not in the register's root "
                            "(it was altered)")
        elif not fmt.registered_on(shown[0], day["day"]):
            failures.append(f"{where}: {day['venue']} was not registered on {day['day']}")
    if failures:
        return _check("attendance.venue_registered", failures, "", len(record.days))
    problem = _chain_problem(record, evidence)
    if problem is not None:
        return CheckResult("attendance.venue_registered", problem.status,
                           "the venues are in the registers the days cite; "
                           f"its publication not checked: {problem.detail}")
    assert isinstance(evidence, ChainEvidence)
    for digest, day in record.days.items():
        fact, why = _authority_document(evidence, day["register"],
                                        DocumentKind.VENUE_REGISTER, "the venue register")
        if why is not None:
            failures.append(why)
            continue
        assert fact is not None
        try:
            published = evidence.document(digest)
        except EvidenceError:
            published = None  # attendance.day_anchored names it
        when = published.timestamp if published is not None and published.published \
            else evidence.block_time
        if not fact.in_force_at(when):
            failures.append(f"{day['venue']} {day['day']}: the register it cites was not in "
                            "force when the day was published")
    return _check("attendance.venue_registered", failures,
                  f"every venue registered on its day, in a register the authority published "
                  f"({evidence.as_of})", len(record.days))


def totals_check(record: Record) -> CheckResult:
    recomputed = fmt.totals(h.entry for h in record.entries)
    if record.totals != recomputed:
        return CheckResult("attendance.totals", Status.FAILED,
                           f"the stated totals are not the entries' ({recomputed['hours']} "
                           "hours recomputed)")
    by_sector = ", ".join(f"{s} {h}" for s, h in recomputed["hoursBySector"].items())
    return CheckResult("attendance.totals", Status.PASSED,
                       f"{recomputed['entries']} check-ins, {recomputed['hours']} hours "
                       f"({by_sector}), recomputed from the entries")


@dataclass(frozen=True)
class AttendanceReport:
    checks: tuple[CheckResult, ...]
    totals: dict[str, Any] | None
    pinned: bool

    @property
    def verified(self) -> bool:
        """Every check passed: fail closed (a skipped chain check is not a pass)."""
        return bool(self.checks) and all(c.status is Status.PASSED for c in self.checks)

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    def to_json(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if file is None else {"file": file}
        out["verified"] = self.verified
        out["checks"] = [c.to_json() for c in self.checks]
        if self.totals is not None:
            out["totals"] = self.totals
        return out


def check(raw: Any, evidence: Evidence = None) -> AttendanceReport:
    """Check an attendance record with the chain evidence given (the caller verifies an
    embedded bundle first: ``evidence`` is what it came to)."""
    try:
        record = parse(raw)
    except CredentialFormatError as exc:
        return AttendanceReport((CheckResult("attendance.form", Status.FAILED, str(exc)),),
                                None, False)
    form = CheckResult("attendance.form", Status.PASSED,
                       f"{len(record.entries)} anchored check-ins over {len(record.days)} "
                       "venue-day(s)")
    checks = (form, holder(record), inclusion(record), venue_registered(record, evidence),
              day_anchored(record, evidence), totals_check(record))
    return AttendanceReport(checks, fmt.totals(h.entry for h in record.entries),
                            isinstance(evidence, ChainEvidence) and evidence.pinned)


def embedded_evidence(raw: Mapping[str, Any]) -> Any:
    """The trust bundle a record carries, or None."""
    return raw.get("evidence") if isinstance(raw, Mapping) else None
