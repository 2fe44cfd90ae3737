"""Issuing: documents shaped as Open Badges 3.0, inputs refused with reasons, batches."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

from ledger.errors import InputError
from ledger.issuance import (
    IssuerError,
    IssuerIdentity,
    LearningRecord,
    issue_batch,
    read_records,
)
from ledger.issuance.batch import iter_credentials
from tests.credentials import (
    ISSUED_AT,
    LATER,
    RECORD,
    identity_number,
    issue,
    make_issuer,
    trust_doc,
)
from tests.vectors import vector_dir
from verifier import merkle, parse_trust_list, verdict, verify
from verifier.proofs.ledger_proof import unhex32

SCHEMA = vector_dir("openbadges3", "schema", "ob_v3p0_achievementcredential_schema.json")


def test_issued_credential_validates_against_the_open_badges_schema(tmp_path) -> None:
    credential = issue(make_issuer(tmp_path / "ou"))
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator(schema).validate(credential)
    subject = credential["credentialSubject"]
    assert subject["achievement"]["achievementType"] == "Course"
    assert subject["achievement"]["translations"] == {
        "en": {"name": "Data Structures", "description": "Lists, trees and graphs."}
    }
    assert subject["creditsEarned"] == 4


def test_learner_identity_is_only_a_salted_hash(tmp_path) -> None:
    credential = issue(make_issuer(tmp_path / "ou"))
    text = json.dumps(credential, ensure_ascii=False)
    assert "310101199001011234" not in text
    hashed = credential["credentialSubject"]["identifier"][0]
    assert hashed["hashed"] is True and hashed["identityHash"].startswith("sha256$")
    import hashlib

    assert (
        hashed["identityHash"]
        == "sha256$" + hashlib.sha256(("310101199001011234" + hashed["salt"]).encode()).hexdigest()
    )


def test_issuer_key_file_is_private_and_profile_has_no_secret(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "ou")
    key_files = list((tmp_path / "ou" / "keys").iterdir())
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    secret = key_files[0].read_text().strip()
    assert secret not in (tmp_path / "ou" / "issuer.json").read_text()
    assert secret not in repr(issuer.signing_key(ISSUED_AT))


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"achievement": {**RECORD["achievement"], "type": "Diplomaa"}}, "achievement.type"),
        ({"creditsEarned": "four"}, "creditsEarned"),
        ({"creditsEarned": -1}, "creditsEarned"),
        ({"learner": {}}, "missing field learner.id"),
        ({"surprise": 1}, "unknown field surprise"),
        ({"validFrom": "2026-01-01T00:00:00"}, "time zone"),
        ({"validFrom": "2027-01-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"}, "after"),
    ],
)
def test_bad_records_are_refused_with_a_reason(change, reason) -> None:
    with pytest.raises(InputError, match=reason):
        LearningRecord.from_json({**RECORD, **change})


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


ROW = {
    "learner_id": "310101199001011234",
    "learner_name": "张伟",
    "achievement_type": "Certificate",
    "achievement_name": "电工职业技能等级证书",
    "achievement_name_en": "Electrician Certificate",
    "description": "四级",
    "field_of_study": "电气工程",
    "credits": "6",
    "result": "合格",
    "activity_start": "2026-03-01",
    "valid_until": "2030-01-01T00:00:00+08:00",
}


def test_csv_batch_issues_under_one_root_with_sequential_status(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "vc")
    source = tmp_path / "in.csv"
    _write_csv(source, [{**ROW, "learner_id": identity_number(i)} for i in range(7)])
    result = issue_batch(read_records(source), issuer, tmp_path / "out", now=ISSUED_AT)
    assert result.count == 7
    trust = parse_trust_list(trust_doc(issuer))
    indices = []
    for path, credential in iter_credentials(tmp_path / "out"):
        checked = verify(credential, trust=trust, now=LATER)
        assert verdict.explain(checked, accept={"status"}).verified, path
        anchor = credential["proof"][1]["anchor"]
        assert unhex32(anchor["batchRoot"], "root") == result.batch_root
        indices.append(int(credential["credentialStatus"]["statusIndex"]))
    assert sorted(indices) == list(range(7))
    assert IssuerIdentity.load(tmp_path / "vc").trust_entry()  # profile still readable
    again = issue_batch(read_records(source), issuer, tmp_path / "out2", now=ISSUED_AT)
    assert again.first_status_index == 7


def test_bad_row_leaves_no_output_and_takes_no_status_index(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "vc")
    source = tmp_path / "in.csv"
    _write_csv(source, [ROW, ROW, {**ROW, "credits": "lots"}, ROW])
    with pytest.raises(InputError, match="row 4: credits must be a number"):
        issue_batch(read_records(source), issuer, tmp_path / "out", now=ISSUED_AT)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    profile = json.loads((tmp_path / "vc" / "issuer.json").read_text())
    assert profile["nextStatusIndex"] == 0


def test_csv_header_and_jsonl_errors_name_the_place(tmp_path) -> None:
    bad_header = tmp_path / "h.csv"
    bad_header.write_text("learner_id,colour\n1,red\n")
    with pytest.raises(InputError, match="unknown CSV column 'colour'"):
        list(read_records(bad_header))
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text(json.dumps(RECORD, ensure_ascii=False) + '\n{"a": 1, "a": 2}\n')
    with pytest.raises(InputError, match="line 2: duplicate JSON member name"):
        list(read_records(jsonl))
    with pytest.raises(InputError, match="must be .csv"):
        list(read_records(tmp_path / "x.txt"))


def test_refuses_to_write_into_a_non_empty_directory(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "vc")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        issue_batch([LearningRecord.from_json(RECORD)], issuer, tmp_path / "out")


def test_concurrent_batch_on_the_same_issuer_is_refused(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "vc")
    with issuer.reserve_status_indices():
        with pytest.raises(IssuerError, match="busy"):
            with IssuerIdentity.load(tmp_path / "vc").reserve_status_indices():
                pass


def test_batch_root_is_the_merkle_root_of_claims_roots(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "vc")
    records = [LearningRecord.from_json({**RECORD, "creditsEarned": i}) for i in range(5)]
    result = issue_batch(records, issuer, tmp_path / "out", now=ISSUED_AT)
    roots = [
        unhex32(c["proof"][1]["claimsRoot"], "r") for _, c in iter_credentials(tmp_path / "out")
    ]
    assert merkle.root(merkle.leaf_hash(r) for r in roots) == result.batch_root
    assert os.listdir(tmp_path / "out").count("batch.json") == 1


def test_batch_to_json_lines_and_verify_each_line(tmp_path, capsys) -> None:
    from verifier.cli import main as verify_main

    issuer = make_issuer(tmp_path / "vc")
    records = [LearningRecord.from_json({**RECORD, "creditsEarned": i}) for i in range(9)]
    result = issue_batch(records, issuer, tmp_path / "batch.jsonl", now=ISSUED_AT)
    assert result.count == 9
    assert json.loads((tmp_path / "batch.batch.json").read_text())["count"] == 9
    (tmp_path / "trust.json").write_text(json.dumps(trust_doc(issuer)))
    code = verify_main([str(tmp_path / "batch.jsonl"), "--trust", str(tmp_path / "trust.json"),
                        "--json", "--no-status", "--at", "2027-01-01T00:00:00Z"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 0 and len(lines) == 9 and all(x["verified"] for x in lines)
    assert lines[3]["file"] == f"{tmp_path / 'batch.jsonl'}:4"


@pytest.mark.slow
def test_hundred_thousand_records_issue_in_bounded_memory(tmp_path) -> None:
    """100,000 records stream through with peak memory far below what holding the
    credentials would take (~3 KB each, ~300 MB in all)."""
    import subprocess
    import sys

    script = f"""
import json, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
from pathlib import Path
from ledger.issuance import IssuerIdentity, issue_batch, read_records
from tests.credentials import identity_number
work = Path({str(tmp_path)!r})
record = json.loads({json.dumps(json.dumps(RECORD, ensure_ascii=False))})
with open(work / "in.jsonl", "w", encoding="utf-8") as fh:
    for i in range(100_000):
        record["learner"]["id"] = identity_number(i)
        fh.write(json.dumps(record, ensure_ascii=False) + "\\n")
issuer = IssuerIdentity.create(work / "issuer", "Batch College")
result = issue_batch(read_records(work / "in.jsonl"), issuer, work / "out.jsonl")
# VmHWM is this process's own peak; ru_maxrss would also carry the peak of the process
# that forked it (Linux keeps it across exec), here the whole test session's.
peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status")
                if line.startswith("VmHWM:"))
print(json.dumps({{"count": result.count, "peak_mib": peak_kib / 1024}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["count"] == 100_000
    assert report["peak_mib"] < 200, report
    with open(tmp_path / "out.jsonl", encoding="utf-8") as fh:
        first = json.loads(fh.readline())
    assert verdict.explain(verify(first, now=LATER), accept={"issuer", "status"}).verified


def test_csv_english_columns_are_kept_beside_the_main_text() -> None:
    record = LearningRecord.from_csv_row({**ROW, "achievement_name": "Electrician",
                                          "achievement_name_en": "Electrician (EN)"})
    assert record.achievement.name.zh == "Electrician"
    assert record.achievement.name.en == "Electrician (EN)"


def test_result_descriptions_are_referenced_by_id(tmp_path) -> None:
    credential = issue(make_issuer(tmp_path / "ou"))
    achievement = credential["credentialSubject"]["achievement"]
    described = {d["id"]: d["name"] for d in achievement["resultDescription"]}
    for result in credential["credentialSubject"]["result"]:
        assert described[result["resultDescription"]] in ("总评", "期末")


def test_anchor_text_is_the_json_of_the_anchor() -> None:
    from ledger.issuance.batch import _anchor_json

    root = "0x" + "ab" * 32
    for path in ([], [bytes(32)], [bytes(range(32)), b"\xff" * 32]):
        anchor = {"batchRoot": root, "merklePath": ["0x" + h.hex() for h in path]}
        assert _anchor_json(root, path) == json.dumps(anchor, separators=(",", ":"))


def test_typed_credits_and_a_cited_standard_validate_against_the_open_badges_schema(
        tmp_path) -> None:
    from datetime import UTC, datetime

    from ledger.issuance.documents import build_document
    from tests.verifier.credit.examples import STANDARDS
    from verifier.credit import parse_standards

    record = LearningRecord.from_json({**RECORD, "creditUnit": "credit", "sector": "degree",
                                       "standard": "6-31-01-03-4"})
    standard = parse_standards(STANDARDS).get("6-31-01-03-4", "2024")
    moment = datetime(2026, 7, 1, tzinfo=UTC)
    for cited in (standard, None):  # the service has the standard; an offline issuer not
        document = build_document(record, institution_did="did:web:ou.example",
                                  institution_name="OU", signing_did="did:key:z6Mk",
                                  status_index=0, issued_at=moment, standard=cited)
        jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text())).validate(document)
        achievement = document["credentialSubject"]["achievement"]
        assert (achievement["creditUnit"], achievement["sector"]) == ("credit", "degree")
        (alignment,) = achievement["alignment"]
        assert alignment["targetCode"] == "6-31-01-03-4"
    assert alignment["targetUrl"] == "urn:credbank:standard:6-31-01-03-4"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"creditUnit": "credit"}, "sector"),
    ({"creditUnit": "furlong", "sector": "degree"}, "creditUnit"),
    ({"creditsEarned": None, "creditUnit": "hour", "sector": "venue"}, "needs creditsEarned"),
])
def test_a_unit_needs_a_figure_and_a_sector(changes, reason) -> None:
    body = {**RECORD, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(InputError, match=reason):
        LearningRecord.from_json(body)


def test_csv_rows_carry_the_unit_sector_and_standard() -> None:
    row = {"learner_id": "310101199001011234", "achievement_type": "Course",
           "achievement_name": "数据结构", "description": "课程", "credits": "3",
           "credit_unit": "hour", "sector": "venue", "standard": "S-1"}
    record = LearningRecord.from_csv_row(row)
    assert (record.creditUnit, record.sector, record.standard) == ("hour", "venue", "S-1")
