"""A bulk check over 1,000 candidates on the embedded chain names the right reason for each.

The candidates are made in known ways (good credentials; a batch revoked on chain; one
revoked and one suspended by the issuer; copies with a byte changed; credentials of an
issuer the chain never accredited; share links that are not links, unknown, expired,
revoked or used up; files that are no credential; certificate PDFs), and every row of
the report is compared with the reason expected from how its candidate was made.
"""

# The chain fixture is imported, so a test parameter named after it shadows the import.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlalchemy import select

from api.service import credentials, jobs, sharing
from api.service.accounts import open_learner_account
from api.service.context import Service
from api.service.models import AnchorBatch, Credential, Issuer, Learner, ShareLink
from api.service.worker import Anchorer
from ledger.governance import status_registry
from ledger.issuance import IssuerIdentity, LearningRecord, issue_one
from ledger.issuance.signing import single_batch
from verifier import timefmt

from .chain_fixtures import ServiceChain, service_chain  # noqa: F401
from .conftest import Tenant, record
from .employer_fixtures import employer_key

LEARNERS = [("zhangwei", "310101199001011234", "张伟"), ("lisi", "310101198505054321", "李四"),
            ("wangfang", "310101197707077770", "王芳")]
GOOD, BATCH_REVOKED, ALTERED, UNACCREDITED, PDFS = 725, 100, 100, 50, 5


@dataclass
class Expected:
    candidate: str
    verdict: str
    reason: str
    status: str | None = None  # the row's status, where the making says it


def _issuer_id(service: Service, tenant: Tenant) -> int:
    with service.db.session() as session:
        return session.scalars(select(Issuer.id).where(Issuer.slug == tenant.slug)).one()


def _issue(service: Service, tenant: Tenant, count: int, start: int) -> list[str]:
    """``count`` credentials signed through a batch job and anchored; their ids."""
    issuer_id = _issuer_id(service, tenant)
    records = [LearningRecord.from_json(record(LEARNERS[(start + i) % 3][1],
                                               creditsEarned=1 + (start + i) % 5), "row")
               for i in range(count)]
    job = jobs.create_job(service, issuer_id, records)
    jobs.JobRunner(service).run_all()
    Anchorer(service).run_once(force=True)
    with service.db.session() as session:
        rows = session.execute(select(Credential.id, Credential.state)
                               .join(jobs.JobRecord, jobs.JobRecord.credential_id == Credential.id)
                               .where(jobs.JobRecord.job_id == job.id)
                               .order_by(jobs.JobRecord.row)).all()
    assert [state for _, state in rows] == ["anchored"] * count
    return [credential_id for credential_id, _ in rows]


SHOWN = ["/credentialSubject/creditsEarned", "/credentialSubject/achievement/creditUnit"]


def _links(service: Service, credential_ids: list[str], **options: object) -> list[str]:
    """A share link to each credential showing its credits, made by its owner; the
    tokens."""
    tokens = []
    expires = timefmt.now() + timedelta(days=7)
    with service.db.session() as session:
        learners = {row.learner_key: row for row in session.scalars(select(Learner))}
        for credential_id in credential_ids:
            held = session.get(Credential, credential_id)
            made = sharing.create_link(session, learners[held.learner_key], credential_id, SHOWN,
                                       expires_at=expires, **options)
            tokens.append(made.token)
    return tokens


def _document(service: Service, credential_id: str) -> dict[str, object]:
    with service.db.session() as session:
        return json.loads(session.get(Credential, credential_id).document)


def _altered(document: dict[str, object]) -> bytes:
    """The copy as its learner holds it, with one byte of the achievement's name changed."""
    text = json.dumps(document, ensure_ascii=False)
    assert '"数据结构"' in text
    return text.replace('"数据结构"', '"数据结枃"', 1).encode()


def _unaccredited(tmp_path: Path, service: Service, count: int) -> list[bytes]:
    """Credentials of an issuer the chain never accredited and the service does not know,
    pointing at the service's registry, each anchored as a batch of one (never on chain)."""
    rogue = IssuerIdentity.create(tmp_path / "rogue", "速成技能培训学校")
    with service.db.session() as session:
        directory = session.scalars(select(Issuer.directory)).first()
    registry = status_registry(IssuerIdentity.load(directory))
    made = []
    for i in range(count):
        document, root = issue_one(LearningRecord.from_json(record(LEARNERS[0][1]), "row"),
                                   rogue, status_index=i, status_registry=registry)
        made.append(json.dumps(single_batch(document, root), ensure_ascii=False).encode())
    return made


def _pdf_with(credential: bytes) -> bytes:
    """A PDF carrying the credential as its ``credential.json`` attachment, as a
    certificate does (drawing real certificates, fonts and all, takes seconds each)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("credential.json", credential)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_bulk_check_of_1000_candidates_names_the_reason_of_each(
    client: TestClient, service: Service, university: Tenant, college: Tenant,
    service_chain: ServiceChain, tmp_path: Path,
):
    service.settings.batch_age_seconds = 0
    for login, number, name in LEARNERS:
        open_learner_account(service, login, number, "correct horse battery", name)
    hr = employer_key(service)

    revoked_batch = _issue(service, university, BATCH_REVOKED, 0)
    with service.db.session() as session:
        batch_root = session.scalars(select(AnchorBatch.root).join(
            Credential, Credential.batch_id == AnchorBatch.id).where(
            Credential.id == revoked_batch[0])).one()
    credentials.revoke_batch(service, _issuer_id(service, university), batch_root, 3, "misconduct")
    good = _issue(service, university, GOOD // 2, 1) + _issue(service, college, GOOD - GOOD // 2, 2)
    singles = _issue(service, college, 4, 3)
    college_id = _issuer_id(service, college)
    credentials.change_status(service, college_id, singles[0], "revoke", 1, "issued in error")
    credentials.change_status(service, college_id, singles[1], "suspend", 7, "under review")

    rows: list[list[str]] = [["candidate", "link"]]
    expected: list[Expected] = []

    def link_row(name: str, link: str, verdict: str, reason: str, status: str | None = None):
        rows.append([name, link])
        expected.append(Expected(name, verdict, reason, status))

    base = service.settings.public_url
    for i, token in enumerate(_links(service, good)):
        link_row(f"候选人{i}", f"{base}/s/{token}", "verified", "verified", "active")
    for i, token in enumerate(_links(service, revoked_batch)):
        link_row(f"撤销{i}", f"{base}/s/{token}", "not_verified", "revoked", "revoked")
    revoked_one, suspended_one, expired, withdrawn = _links(service, singles)
    link_row("单独撤销", f"{base}/s/{revoked_one}", "not_verified", "revoked", "revoked")
    link_row("暂停", f"{base}/s/{suspended_one}.json", "not_verified", "suspended",
             "suspended")
    used_up = _links(service, good[:1], max_views=1)[0]
    client.get(f"/s/{used_up}.json")  # its one view, spent
    with service.db.session() as session:
        for token, change in ((expired, "expires_at"), (withdrawn, "revoked_at")):
            link = sharing.find_link(session, token)
            setattr(link, change, timefmt.now() - timedelta(minutes=1))
    link_row("过期", f"{base}/s/{expired}", "not_checked", "link_expired")
    link_row("撤回", f"/s/{withdrawn}", "not_checked", "link_revoked")
    link_row("用完", f"{base}/s/{used_up}", "not_checked", "link_used_up")
    for i, text in enumerate(["hello", "https://example.com/jobs/1", "", "s/", "/s/短"]):
        link_row(f"非链接{i}", text, "not_checked", "not_a_link")
    for i in range(5):
        link_row(f"未知{i}", f"{base}/s/{'A' * 30}{i}", "not_checked", "unknown_link")

    packed = io.BytesIO()
    uploads: list[tuple[str, bytes]] = []
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, credential_id in enumerate(good[:ALTERED]):
            archive.writestr(f"altered/{i}.json", _altered(_document(service, credential_id)))
            expected.append(Expected(f"altered/{i}.json", "not_verified", "altered"))
        for i, body in enumerate(_unaccredited(tmp_path, service, UNACCREDITED)):
            archive.writestr(f"rogue/{i}.json", body)
            expected.append(Expected(f"rogue/{i}.json", "not_verified", "not_accredited"))
        archive.writestr("notes.txt", "这不是凭证")
        expected.append(Expected("notes.txt", "not_verified", "unreadable"))
        archive.writestr("empty.json", "{}")
        expected.append(Expected("empty.json", "not_verified", "unreadable"))
        archive.writestr("inner.zip", b"PK\x03\x04rest")
        expected.append(Expected("inner.zip", "not_checked", "unsupported_file"))
        archive.writestr("__MACOSX/._junk", b"skipped")
    uploads.append(("candidates.zip", packed.getvalue()))
    for i, credential_id in enumerate(good[-PDFS:]):
        with service.db.session() as session:
            copy = sharing.derive(session.get(Credential, credential_id), [])
        uploads.append((f"cert{i}.pdf", _pdf_with(sharing.shared_json(copy))))
        expected.append(Expected(f"cert{i}.pdf", "verified", "verified", "active"))
    uploads.append(("scan.pdf", b"%PDF-1.4\nnot really a pdf"))
    expected.append(Expected("scan.pdf", "not_checked", "no_credential_in_pdf"))
    uploads.append(("broken.zip", b"PK\x03\x04" + b"\0" * 40))
    expected.append(Expected("broken.zip", "not_checked", "unsupported_file"))
    assert len(expected) == 1000

    table = io.StringIO()
    csv.writer(table).writerows(rows)
    answer = client.post("/v1/employer/bulk-checks", headers=hr, files=[
        ("links", ("links.csv", table.getvalue().encode("utf-8-sig"), "text/csv")),
        *[("files", (name, body, "application/octet-stream")) for name, body in uploads]])
    assert answer.status_code == 202, answer.text
    assert answer.json()["state"] == "running" and answer.json()["total"] == 1000
    # the test client returns once the check that runs after the answer is done
    report = client.get(answer.headers["location"], headers=hr).json()
    assert (report["state"], report["done"]) == ("done", 1000)
    got = report["rows"]
    assert [r["number"] for r in got] == list(range(1, 1001))
    wrong = [(n, e, (r["candidate"], r["verdict"], r["reason"], r["status"], r["detail"]))
             for n, (e, r) in enumerate(zip(expected, got, strict=True), start=1)
             if (r["candidate"], r["verdict"], r["reason"]) != (e.candidate, e.verdict,
                                                                 e.reason)
             or (e.status is not None and r["status"] != e.status)]
    assert wrong == [], wrong[:5]

    # what each kind of row says beyond its reason
    first = got[0]
    assert first["issuerName"].startswith("上海开放大学") and first["issuerDid"] == university.did
    assert first["issuerAccredited"] == "yes" and first["holder"] == "张伟"
    assert first["achievement"] == {"zh": "数据结构", "en": "Data Structures"}
    assert (first["credits"], first["creditUnit"]) == ("2", "credit")
    revoked_row = got[GOOD]
    assert revoked_row["failedCheck"] == "not_revoked"
    single = got[GOOD + BATCH_REVOKED]
    assert single["headline"]["en"].startswith("Revoked on ") and "issued in error" in \
        single["headline"]["en"]
    altered_row = next(r for r in got if r["reason"] == "altered")
    assert altered_row["failedCheck"] == "integrity" and altered_row["issuerName"] is None
    rogue_row = next(r for r in got if r["reason"] == "not_accredited")
    assert rogue_row["issuerAccredited"] == "no" and rogue_row["failedCheck"] == "issuer_trusted"

    counts = report["summary"]
    assert counts["total"] == 1000
    assert counts["byVerdict"] == {
        "verified": sum(e.verdict == "verified" for e in expected),
        "not_verified": sum(e.verdict == "not_verified" for e in expected),
        "not_checked": sum(e.verdict == "not_checked" for e in expected)}
    assert counts["byReason"]["revoked"] == BATCH_REVOKED + 1
    assert counts["byReason"]["altered"] == ALTERED

    # opening a link counts one view, as a visitor's does
    with service.db.session() as session:
        viewed = session.scalars(select(ShareLink.views).where(
            ShareLink.credential_id == good[1])).one()
    assert viewed == 1

    # the stored report, as CSV: UTF-8 with a BOM, a row per candidate in the same order
    stored = client.get(f"/v1/employer/bulk-checks/{report['id']}/report.csv?lang=zh",
                        headers=hr)
    assert stored.status_code == 200 and stored.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(stored.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["序号", "候选人", "来源"] and len(lines) == 1001
    assert [line[6] for line in lines[1:]] == [e.reason for e in expected]
