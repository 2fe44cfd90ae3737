"""Bulk checks: what they take and refuse (caps, zips, CSV encodings), who sees a report,
the CSV and PDF downloads, and the employer's pages. No chain here: the acceptance test
over 1,000 candidates on the chain is test_bulk_check.py."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import bulk_check, bulk_sources
from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.employer_models import BulkCheck
from api.service.errors import Conflict
from api.service.models import Employer
from verifier import timefmt

from .conftest import Tenant
from .employer_fixtures import employer_key

URL = "/v1/employer/bulk-checks"


def _csv(*rows: list[str], encoding: str = "utf-8") -> tuple[str, bytes, str]:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("links.csv", out.getvalue().encode(encoding), "text/csv")


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def _stored(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(BulkCheck)) or 0


def _check(client: TestClient, headers: dict[str, str], **files: object) -> dict[str, object]:
    sent = [(name, body) for name, value in files.items()
            for body in (value if isinstance(value, list) else [value])]
    answer = client.post(URL, headers=headers, files=sent)
    assert answer.status_code == 202, answer.text
    return client.get(answer.headers["location"], headers=headers).json()


def test_bad_rows_are_rows_with_their_reason_and_the_csv_may_be_gb18030(
        client: TestClient, service: Service):
    hr = employer_key(service)
    links = _csv(["姓名", "分享链接"], ["张三", "不是链接"],
                 ["=HYPERLINK(\"x\")", "/s/" + "B" * 24], [], ["/s/" + "C" * 24],
                 encoding="gb18030")
    report = _check(client, hr, links=links, files=("note.txt", b"plain text", "text/plain"))
    rows = [(r["candidate"], r["source"], r["verdict"], r["reason"]) for r in report["rows"]]
    assert rows == [("张三", "link", "not_checked", "not_a_link"),
                    ("=HYPERLINK(\"x\")", "link", "not_checked", "unknown_link"),
                    ("", "link", "not_checked", "unknown_link"),
                    ("note.txt", "file", "not_verified", "unreadable")]
    assert [r["origin"] for r in report["rows"][:3]] == [
        "links.csv row 2", "links.csv row 3", "links.csv row 5"]
    assert report["summary"]["byVerdict"] == {"verified": 0, "not_verified": 1,
                                              "not_checked": 3}
    assert report["summary"]["byReason"] == {"unknown_link": 2, "not_a_link": 1,
                                             "unreadable": 1}
    # a cell a spreadsheet would run as a formula is written as text
    body = client.get(f"{URL}/{report['id']}/report.csv?lang=en", headers=hr).content
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0][:2] == ["number", "candidate"] and lines[2][1] == "'=HYPERLINK(\"x\")"
    assert lines[1][7] == "Not a share link of this service"


def test_more_candidates_than_the_cap_is_413_and_stores_nothing(
        client: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch):
    hr = employer_key(service)
    monkeypatch.setattr(bulk_sources, "MAX_CANDIDATES", 3)
    answer = client.post(URL, headers=hr, files=[
        ("links", _csv(["a", "x"], ["b", "y"])),
        ("files", ("c.json", b"{}", "application/json")),
        ("files", ("d.json", b"{}", "application/json"))])
    assert answer.status_code == 413 and "at most 3 candidates" in answer.json()["detail"]
    assert client.post(URL, headers=hr).status_code == 422
    assert _stored(service) == 0


def test_zips_are_bounded_by_entries_size_and_what_they_unpack_to(
        client: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch):
    hr = employer_key(service)
    monkeypatch.setattr(bulk_sources, "MAX_ZIP_ENTRIES", 2)
    many = _zip({f"{i}.json": b"{}" for i in range(3)})
    answer = client.post(URL, headers=hr, files=[("files", ("many.zip", many))])
    assert answer.status_code == 413 and "at most 2 files" in answer.json()["detail"]
    # a zip bomb: a few kilobytes that unpack to more than the service reads in all
    monkeypatch.setattr(bulk_sources, "MAX_ZIP_UNCOMPRESSED", 150_000)
    bomb = _zip({"a.json": b"0" * 100_000, "b.json": b"0" * 100_000})
    assert len(bomb) < 2_000
    answer = client.post(URL, headers=hr, files=[("files", ("bomb.zip", bomb))])
    assert answer.status_code == 413 and "uncompressed" in answer.json()["detail"]
    assert _stored(service) == 0
    # one entry too large is a row; folders and archivers' own files are not candidates
    monkeypatch.setattr(bulk_sources, "MAX_FILE_BYTES", 50_000)
    mixed = _zip({"big.pdf": b"%PDF" + b"0" * 60_000, "dir/": b"", "__MACOSX/._a": b"x",
                  "dir/.DS_Store": b"x", "dir/ok.json": b"[]"})
    report = _check(client, hr, files=("mixed.zip", mixed))
    assert [(r["candidate"], r["origin"], r["reason"]) for r in report["rows"]] == [
        ("big.pdf", "mixed.zip: big.pdf", "file_too_large"),
        ("dir/ok.json", "mixed.zip: dir/ok.json", "unreadable")]


def test_an_employer_sees_only_its_own_reports(client: TestClient, service: Service,
                                               university: Tenant):
    mine, theirs = employer_key(service), employer_key(service, "other-hr")
    report = _check(client, mine, links=_csv(["a", "nope"]))
    path = f"{URL}/{report['id']}"
    for suffix in ("", "/report.csv", "/report.pdf"):
        answer = client.get(path + suffix, headers=theirs)
        assert answer.status_code == 404, suffix
    assert client.delete(path, headers=theirs).status_code == 404
    assert client.get(URL, headers=theirs).json() == []
    assert [r["id"] for r in client.get(URL, headers=mine).json()] == [report["id"]]
    assert client.get(path, headers=university.headers).status_code == 403
    assert client.get(f"{URL}/not-a-uuid", headers=mine).status_code == 404
    assert client.delete(path, headers=mine).status_code == 204
    assert client.get(path, headers=mine).status_code == 404


def test_the_pdf_report_has_the_summary_and_a_row_per_candidate(
        client: TestClient, service: Service):
    from pypdf import PdfReader

    hr = employer_key(service)
    report = _check(client, hr, links=_csv(*[[f"候选人{i}", f"link {i}"] for i in range(60)]))
    # one language: each drawing loads the CJK font, which takes seconds (the English
    # words are bulk_report_pdf.WORDS["en"], drawn by the same code)
    answer = client.get(f"{URL}/{report['id']}/report.pdf?lang=zh", headers=hr)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    # (the CJK font's text comes out with NULs between the characters)
    pages = [page.extract_text().replace("\x00", "")
             for page in PdfReader(io.BytesIO(answer.content)).pages]
    text = "".join(pages)
    assert len(pages) > 1 and "批量核验报告" in text and "候选人59" in text
    assert text.index("摘要") < text.index("候选人0")  # the summary first
    # the table's header is repeated on the pages it runs over to
    assert all("候选人" in page and "结论" in page for page in pages[1:])


def test_one_check_at_a_time_per_employer_and_a_cut_off_one_reads_failed(
        client: TestClient, service: Service):
    employer_key(service)
    with service.db.session() as session:
        employer_id = session.scalars(select(Employer.id)).one()
    links = bulk_sources.links_csv(b"a,nope\n")
    started = bulk_check.start(service, employer_id, links)
    with pytest.raises(Conflict):
        bulk_check.start(service, employer_id, links)
    with pytest.raises(Conflict):
        bulk_check.finished(service, employer_id, started.id)
    later = timefmt.now() + timedelta(minutes=bulk_check.STALE_MINUTES + 1)
    again = bulk_check.start(service, employer_id, links, now=lambda: later)
    cut_off = bulk_check.own(service, employer_id, started.id)
    assert cut_off.state == "failed" and "cut off" in (cut_off.error or "")
    bulk_check.finish(service, again.id, links)
    assert bulk_check.own(service, employer_id, again.id).rows[0]["reason"] == "not_a_link"


# ---- the employer's pages -------------------------------------------------------------------


def _sign_in(client: TestClient, key: str) -> int:
    page = client.get("/hr/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/hr/login", data={"api_key": key, "csrf": csrf},
                       follow_redirects=False).status_code


def test_the_bulk_page_signs_in_uploads_shows_the_table_and_downloads(
        client: TestClient, service: Service, university: Tenant):
    assert client.get("/hr", follow_redirects=False).headers["location"] == "/hr/login"
    with service.db.session() as session:
        session.add(Employer(slug="page-hr", name="页面人力", created_at=timefmt.now()))
    institution_key = create_api_key(service, "institution", university.slug)
    assert _sign_in(client, institution_key) == 401  # not an employer's key
    key = create_api_key(service, "employer", None, employer_slug="page-hr")
    assert _sign_in(client, key) == 303
    page = client.get("/hr?lang=zh")
    assert "批量核验" in page.text and "页面人力" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.get("/staff", follow_redirects=False).status_code == 303  # not staff
    refused = client.post("/hr/checks", data={"csrf": "forged"},
                          files=[("links", _csv(["a", "b"]))])
    assert refused.status_code == 403 and _stored(service) == 0
    answer = client.post("/hr/checks", data={"csrf": csrf}, follow_redirects=False,
                         files=[("links", _csv(["王五", "not a link"])),
                                ("files", ("x.json", b"{}", "application/json"))])
    assert answer.status_code == 303
    report = client.get(answer.headers["location"])
    assert report.status_code == 200
    assert "王五" in report.text and "不是本服务的分享链接" in report.text
    assert 'data-reason="unreadable"' in report.text
    english = client.get(answer.headers["location"] + "?lang=en")
    assert "Not a share link of this service" in english.text
    download = client.get(answer.headers["location"] + "/report.csv?lang=zh")
    assert download.content.startswith(b"\xef\xbb\xbf") and "王五" in download.content.decode()
    listing = client.get("/hr")
    assert answer.headers["location"] in listing.text
    # another employer's report is not found from this session
    other = employer_key(service, "other-hr")
    foreign = _check(client, other, links=_csv(["a", "b"]))
    assert client.get(f"/hr/checks/{foreign['id']}").status_code == 404
    # signing out ends the session
    assert client.post("/hr/logout", data={"csrf": csrf},
                       follow_redirects=False).status_code == 303
    assert client.get("/hr", follow_redirects=False).status_code == 303
