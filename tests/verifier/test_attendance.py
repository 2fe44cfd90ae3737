"""The attendance record and its checks (verifier.attendance, verifier.attendance_check).

The chain facts come from evidence whose storage words are given here (a ChainEvidence
that answers ``word`` from a table instead of walking trie proofs; bundles with real proofs
are the service tests'): the document words are encoded as the registry writes them.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier import attendance as fmt
from verifier import attendance_check as checking
from verifier import registry_layout
from verifier.cli import main as verify_main
from verifier.evidence.bundle import ChainEvidence, RejectedEvidence
from verifier.evidence.errors import NotCovered
from verifier.evidence.trie_proofs import NodePool
from verifier.model import Status
from verifier.registry_layout import DocumentKind

LEARNER = "a1" * 32
CHAIN_ID = 7
REGISTRY = "0x" + "12" * 20
PUBLISHED_AT = 1_764_950_400  # 2025-12-05T16:00:00Z, after both days


def document_word(kind: int, *, owner: int = 0, timestamp: int = PUBLISHED_AT,
                  withdrawn_at: int = 0) -> int:
    """A document word as DocumentRegistry packs it (docs/contracts.md §Storage layout)."""
    word = 1 | (kind << 8) | (owner << 16) | (50 << 48) | (timestamp << 112)
    if withdrawn_at:
        word |= 2 | (withdrawn_at << 176)
    return word


@dataclass
class GivenWords(ChainEvidence):
    """Evidence whose registry words are given: any other slot is not covered."""

    given: dict[int, int] = field(default_factory=dict)

    def word(self, slot: int) -> int:
        if slot not in self.given:
            raise NotCovered(f"no proof of slot {slot:#x}")
        return self.given[slot]


def evidence(documents: dict[str, int], *, pinned: bool = True) -> GivenWords:
    return GivenWords(chain_id=CHAIN_ID, registry=bytes.fromhex(REGISTRY[2:]),
                      signers=frozenset(), pinned=pinned, block_number=60,
                      block_hash=bytes(32), block_time=PUBLISHED_AT + 600, sealer=bytes(20),
                      storage_root=bytes(32), pool=NodePool(()),
                      given={registry_layout.document_slot(bytes.fromhex(h[2:])): w
                             for h, w in documents.items()})


def _activity(ident: str, sector: str, hours: str, needs_checkout: bool = False
              ) -> dict[str, Any]:
    return {"id": ident, "kind": "session", "title": f"课程 {ident}", "sector": sector,
            "hours": hours, "needsCheckOut": needs_checkout}


VENUES = [{"slug": "pudong-library", "name": "浦东图书馆", "kind": "library",
           "since": "2025-01-01"},
          {"slug": "elder-uni", "name": "老年大学", "kind": "elderly_university",
           "since": "2025-06-01", "retired": "2025-12-05"}]


@dataclass
class Built:
    record: dict[str, Any]
    words: dict[str, int]


def build(*, learner: str = LEARNER, venues: list[dict[str, Any]] | None = None,
          day_two_venue: str = "pudong-library") -> Built:
    """Three check-ins of LEARNER (and one of someone else) over two venue-days."""
    register = fmt.RegisterTree.of(VENUES if venues is None else venues)
    register_hash = fmt.document_hash(register.manifest())
    plan = [("pudong-library", "2025-12-04", [
                ("c1", _activity("a1", "community_elderly", "1.5"), "2025-12-04T02:00:00Z",
                 None, learner),
                ("c2", _activity("a2", "venue", "2", True), "2025-12-04T05:00:00Z",
                 "2025-12-04T07:00:00Z", learner),
                ("c9", _activity("a1", "community_elderly", "1.5"), "2025-12-04T02:01:00Z",
                 None, "b2" * 32)]),
            (day_two_venue, "2025-12-05", [
                ("c3", _activity("a3", "venue", "2", True), "2025-12-05T05:00:00Z", None,
                 learner)])]
    entries, days, words = [], [], {register_hash: document_word(DocumentKind.VENUE_REGISTER)}
    for venue, day, checkins in plan:
        made = []
        for checkin_id, activity, at, out, who in checkins:
            salt = bytes([len(made) + 1]) * 32
            data = fmt.entry(checkin_id=checkin_id, venue=venue, day=day, activity=activity,
                             checked_in_at=at, checked_out_at=out, method="learner_scan",
                             learner=fmt.commitment(who, salt))
            made.append((data, salt, who))
        tree = fmt.DayTree.of(d for d, _, _ in made)
        manifest = fmt.manifest(venue=venue, day=day, part=1, tree=tree,
                                register=register_hash, closed_at="2025-12-05T16:00:00Z")
        digest = fmt.document_hash(manifest)
        days.append(manifest)
        words[digest] = document_word(DocumentKind.ATTENDANCE_DAY)
        entries += [{"entry": d, "salt": "0x" + s.hex(), "path": tree.path(d),
                     "dayHash": digest} for d, s, who in made if who == LEARNER]
    record = {"type": fmt.RECORD_TYPE, "version": 1, "learner": {"key": LEARNER},
              "issuedAt": "2025-12-06T01:00:00Z",
              "chain": {"chainId": CHAIN_ID, "registry": REGISTRY},
              "entries": entries, "days": days, "registers": [register.manifest()],
              "venues": [register.proof(v) for v in sorted({d["venue"] for d in days})
                         if v in register.items],
              "totals": fmt.totals(e["entry"] for e in entries), "pending": []}
    return Built(record, words)


def statuses(report: checking.AttendanceReport) -> dict[str, str]:
    return {c.id: c.status.value for c in report.checks}


def test_a_record_verifies_with_its_days_and_register_on_chain():
    built = build()
    report = checking.check(built.record, evidence(built.words))
    assert statuses(report) == dict.fromkeys(
        ("attendance.form", "attendance.holder", "attendance.inclusion",
         "attendance.venue_registered", "attendance.day_anchored", "attendance.totals"),
        "passed")
    assert report.verified


def test_totals_are_recomputed_from_the_entries_not_read_from_the_file():
    built = build()
    report = checking.check(built.record, evidence(built.words))
    # c1 1.5 h community; c2 2 h venue, checked out; c3 needs a check-out it lacks: 0 h
    assert report.totals == {"entries": 3, "venueDays": 2, "hours": "3.5",
                             "hoursBySector": {"community_elderly": "1.5", "venue": "2"}}
    inflated = copy.deepcopy(built.record)
    inflated["totals"]["hours"] = "30"
    failed = checking.check(inflated, evidence(built.words))
    assert failed.check("attendance.totals").status is Status.FAILED
    assert "3.5 hours recomputed" in failed.check("attendance.totals").detail
    assert not failed.verified


@pytest.mark.parametrize("alter", [
    lambda e: e["activity"].__setitem__("hours", "15"),
    lambda e: e.__setitem__("checkedInAt", "2025-12-04T01:00:00Z"),
    lambda e: e["activity"].__setitem__("id", "a2"),
    lambda e: e["activity"].__setitem__("sector", "degree"),
], ids=["hours", "time", "activity", "sector"])
def test_one_altered_entry_fails_inclusion(alter):
    built = build()
    record = copy.deepcopy(built.record)
    alter(record["entries"][0]["entry"])
    record["totals"] = fmt.totals(e["entry"] for e in record["entries"])  # a careful forger
    report = checking.check(record, evidence(built.words))
    inclusion = report.check("attendance.inclusion")
    assert inclusion.status is Status.FAILED
    assert "check-in c1" in inclusion.detail and "altered" in inclusion.detail
    assert report.check("attendance.totals").status is Status.PASSED
    assert not report.verified


def test_an_entry_of_another_learner_fails_the_holder_check():
    built = build()
    record = copy.deepcopy(built.record)
    record["learner"]["key"] = "b2" * 32
    report = checking.check(record, evidence(built.words))
    assert report.check("attendance.holder").status is Status.FAILED


def test_a_venue_not_in_the_register_fails():
    built = build(day_two_venue="unknown-hall")
    report = checking.check(built.record, evidence(built.words))
    registered = report.check("attendance.venue_registered")
    assert registered.status is Status.FAILED
    assert "unknown-hall is not shown to be in the venue register" in registered.detail
    assert report.check("attendance.inclusion").status is Status.PASSED


def test_a_venue_retired_before_the_day_fails():
    built = build(day_two_venue="elder-uni")  # retired from 2025-12-05, the second day
    report = checking.check(built.record, evidence(built.words))
    registered = report.check("attendance.venue_registered")
    assert registered.status is Status.FAILED
    assert "was not registered on 2025-12-05" in registered.detail


def test_a_register_published_after_the_day_was_not_in_force():
    built = build()
    register_hash = fmt.document_hash(built.record["registers"][0])
    assert register_hash == built.record["days"][0]["register"]
    words = {**built.words, register_hash: document_word(DocumentKind.VENUE_REGISTER,
                                                         timestamp=PUBLISHED_AT + 1)}
    report = checking.check(built.record, evidence(words))
    assert report.check("attendance.venue_registered").status is Status.FAILED
    assert "not in force" in report.check("attendance.venue_registered").detail


def test_a_day_whose_hash_is_not_on_chain_fails_day_anchored():
    built = build()
    missing = fmt.document_hash(built.record["days"][1])
    words = {**built.words, missing: 0}
    report = checking.check(built.record, evidence(words))
    anchored = report.check("attendance.day_anchored")
    assert anchored.status is Status.FAILED and "not published" in anchored.detail
    uncovered = {h: w for h, w in built.words.items() if h != missing}
    assert checking.check(built.record, evidence(uncovered)).check(
        "attendance.day_anchored").status is Status.FAILED


def test_a_day_published_by_an_issuer_or_withdrawn_fails():
    built = build()
    day = fmt.document_hash(built.record["days"][0])
    by_issuer = {**built.words, day: document_word(DocumentKind.ATTENDANCE_DAY, owner=3)}
    assert "not by the authority" in checking.check(built.record, evidence(by_issuer)).check(
        "attendance.day_anchored").detail
    withdrawn = {**built.words, day: document_word(DocumentKind.ATTENDANCE_DAY,
                                                   withdrawn_at=PUBLISHED_AT + 5)}
    assert "withdrawn" in checking.check(built.record, evidence(withdrawn)).check(
        "attendance.day_anchored").detail


def test_without_chain_evidence_the_chain_checks_are_skipped_and_it_does_not_verify():
    built = build()
    report = checking.check(built.record, None)
    assert report.check("attendance.day_anchored").status is Status.SKIPPED
    assert report.check("attendance.venue_registered").status is Status.SKIPPED
    assert report.check("attendance.inclusion").status is Status.PASSED
    assert not report.verified
    rejected = checking.check(built.record, RejectedEvidence("bad seal"))
    assert rejected.check("attendance.day_anchored").status is Status.ERROR


def test_evidence_of_another_registry_fails():
    built = build()
    record = copy.deepcopy(built.record)
    record["chain"]["registry"] = "0x" + "34" * 20
    report = checking.check(record, evidence(built.words))
    assert report.check("attendance.day_anchored").status is Status.FAILED


@pytest.mark.parametrize("change, words", [
    (lambda r: r.__setitem__("entries", []), "entries must hold 1"),
    (lambda r: r["entries"][0]["entry"].__setitem__("extra", 1), "unknown member 'extra'"),
    (lambda r: r["entries"][0].__setitem__("salt", "0x12"), "salt"),
    (lambda r: r["days"].append(copy.deepcopy(r["days"][0])), "listed twice"),
])
def test_a_malformed_record_fails_form_with_a_reason(change, words):
    record = copy.deepcopy(build().record)
    change(record)
    report = checking.check(record, None)
    assert [c.id for c in report.checks] == ["attendance.form"]
    assert report.checks[0].status is Status.FAILED and words in report.checks[0].detail


# ---- credbank-verify ---------------------------------------------------------------------


def _write(tmp_path: Path, record: dict[str, Any]) -> str:
    path = tmp_path / "attendance.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_cli_names_the_failed_check_and_exits_1(tmp_path: Path, capsys):
    record = copy.deepcopy(build().record)
    record["entries"][1]["entry"]["activity"]["hours"] = "8"
    assert verify_main([_write(tmp_path, record), "--no-status"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NOT VERIFIED attendance: the record was altered")
    assert "✗ attendance.inclusion" in out


def test_cli_without_chain_evidence_is_not_verified_unless_accepted(tmp_path: Path, capsys):
    path = _write(tmp_path, build().record)
    assert verify_main([path]) == 1
    assert "the chain was not checked (no chain evidence" in capsys.readouterr().out
    assert verify_main([path, "--no-status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] is True and report["totals"]["hours"] == "3.5"
    assert {c["id"]: c["status"] for c in report["checks"]}["attendance.day_anchored"] == \
        "skipped"


def test_cli_says_pending_check_ins_prove_nothing(tmp_path: Path, capsys):
    record = copy.deepcopy(build().record)
    record["pending"] = [{"checkIn": "c7", "venue": "pudong-library", "day": "2025-12-06",
                          "activity": "讲座", "state": "pending"}]
    assert verify_main([_write(tmp_path, record), "--no-status"]) == 0
    out = capsys.readouterr().out
    assert "1 check-in(s) listed as pending: not anchored yet" in out
    assert "3 check-ins, 3.5 hours" in out  # the pending one is in no total


def test_a_venue_whose_register_item_was_altered_fails():
    built = build(day_two_venue="elder-uni")  # retired from the second day
    record = copy.deepcopy(built.record)
    shown = next(v for v in record["venues"] if v["venue"]["slug"] == "elder-uni")
    del shown["venue"]["retired"]  # a forger makes it look still registered
    report = checking.check(record, evidence(built.words))
    registered = report.check("attendance.venue_registered")
    assert registered.status is Status.FAILED and "altered" in registered.detail


_FIELDS = [("checkIn",), ("venue",), ("day",), ("checkedInAt",), ("method",), ("learner",),
           ("activity", "id"), ("activity", "kind"), ("activity", "title"),
           ("activity", "sector"), ("activity", "hours"), ("activity", "needsCheckOut")]


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, 2), where=st.sampled_from(_FIELDS), seed=st.integers(0, 99))
def test_any_one_field_changed_in_any_entry_fails_a_check(index, where, seed):
    built = build()
    record = copy.deepcopy(built.record)
    data = record["entries"][index]["entry"]
    *parents, name = where
    for parent in parents:
        data = data[parent]
    value = data[name]
    if isinstance(value, bool):
        data[name] = not value
    elif name in ("hours",):
        data[name] = str(int(float(value)) + 1 + seed)
    elif name in ("checkedInAt", "day"):
        data[name] = value.replace("2025", str(2026 + seed % 5), 1)
    elif name == "learner":
        data[name] = "0x" + f"{seed:02d}" * 32
    else:
        data[name] = f"{value}-{seed}"
    report = checking.check(record, evidence(built.words))
    assert not report.verified
    failed = {c.id for c in report.checks if c.status is Status.FAILED}
    assert failed & {"attendance.inclusion", "attendance.holder", "attendance.form"}
