"""Certificates: a credential as an A4 PDF that embeds the very copy it shows.

Rendered for real (fpdf2 with the system's CJK font), read back with the verifier's own
PDF reader, checked with credbank-verify, the page read as text with poppler's pdftotext,
and its QR code decoded from the page rendered by pdftoppm with zxing-cpp.
"""

from __future__ import annotations

import io
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from api.service import certificate, fonts
from api.service.context import Service
from api.service.errors import InvalidInput
from api.service.models import ShareLink
from ledger.issuance.inputs import ACHIEVEMENT_TYPES
from tests.credentials import issue, make_issuer, trust_doc
from verifier import pdf as certificate_pdf
from verifier import timefmt, verify
from verifier.cli import main
from verifier.trust import parse as parse_trust_list
from verifier.verdict import explain

from .conftest import Tenant
from .test_learner import anchor, sign_in
from .test_learner import issue as issue_through_api
from .test_links import NAME, make_link, path_of

CREDITS = "/credentialSubject/creditsEarned"


def page_text(pdf: bytes) -> str:
    """The words on the pages, as poppler reads them, whitespace folded."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode("utf-8")
    return " ".join(out.split())


def attachments(pdf: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(pdf)).attachment_list)


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, Any]:
    """A credential issued with real keys (a batch of one) as the bytes a learner downloads,
    and a trust list naming its issuer."""
    issuer = make_issuer(tmp_path_factory.mktemp("issuer"))
    document = json.dumps(issue(issuer), ensure_ascii=False).encode("utf-8")
    return document, parse_trust_list(trust_doc(issuer))


# ---- rendering ----------------------------------------------------------------------------

EXPECTED = {
    "zh": ["上海开放大学 Shanghai Open University", "学习成果证书", "兹证明", "张伟",
           "数据结构", "课程", "专业领域 计算机科学与技术", "学分 4", "层次 本科 undergraduate",
           "签发时间 2026-09-01 16:00 (UTC+08:00)", "生效时间 2026-09-01 16:00 (UTC+08:00)",
           "有效期至 2031-09-01 08:00 (UTC+08:00)", "学习期间 2026-03-01 – 2026-07-10",
           "没有分享链接", "credbank-verify certificate.pdf"],
    "en": ["Certificate of Learning Achievement", "This is to certify that", "张伟",
           "Data Structures", "Type Course", "Credits 4", "Level 本科 undergraduate",
           "Issued 2026-09-01 16:00 (UTC+08:00)", "Valid until 2031-09-01 08:00 (UTC+08:00)",
           "has no share link", "credbank-verify certificate.pdf"],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_certificate_shows_the_credential_and_carries_it(issued, lang: str):
    document, trust = issued
    pdf = certificate.render(document, lang)
    assert pdf.startswith(b"%PDF-")
    # the embedded copy is the downloaded one, byte for byte, and it verifies
    assert certificate_pdf.extract(pdf) == document
    result = verify(certificate_pdf.loads(pdf), trust=trust)
    # offline with a trust list: no chain evidence, a gap accepted in words
    assert explain(result, accept={"status"}).verified, result.to_json("certificate")
    (entry,) = attachments(pdf)
    assert entry.name == "credential.json" and entry.subtype == "/application/json"
    text = page_text(pdf)
    credential_id = json.loads(document)["id"]
    for words in [*EXPECTED[lang], credential_id]:
        assert words in text, words
    # every font is embedded (as a subset), so Chinese prints anywhere
    embedded = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode().splitlines()[2:]
    assert embedded and all(" yes yes yes " in line for line in embedded), embedded


def test_without_fontconfig_the_known_font_files_are_used(issued,
                                                          monkeypatch: pytest.MonkeyPatch):
    document, _ = issued
    monkeypatch.setattr(fonts, "_found", None)
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    assert fonts._from_fontconfig() is None
    found = fonts.fonts()
    assert found.family in {family for family, _, _ in fonts.KNOWN_FILES}
    assert "数据结构" in page_text(certificate.render(document, "zh"))


def test_the_english_page_falls_back_to_the_chinese_name(issued):
    document, _ = issued
    credential = json.loads(document)
    del credential["credentialSubject"]["achievement"]["translations"]
    text = page_text(certificate.render(json.dumps(credential).encode(), "en"))
    assert "数据结构" in text and "Data Structures" not in text


def test_achievement_types_in_words():
    assert set(certificate.ACHIEVEMENT_TYPES) == ACHIEVEMENT_TYPES
    words = certificate.achievement_type
    assert [words(t, "zh") for t in ("Course", "Certificate", "Degree")] == ["课程", "证书",
                                                                           "学位"]
    assert words("BachelorDegree", "en") == "Bachelor's Degree"
    assert words("ext:Microcredential-Plus", "zh") == "Microcredential-Plus"


def test_times_are_shown_in_shanghai_with_the_offset():
    assert certificate.local_time("2026-09-01T08:00:00Z") == "2026-09-01 16:00 (UTC+08:00)"
    assert certificate.local_time("2026-12-31T20:30:00-05:00") == "2027-01-01 09:30 (UTC+08:00)"
    assert certificate.local_time("not a time") is None


def test_an_unknown_language_or_a_non_object_is_refused(issued):
    document, _ = issued
    with pytest.raises(InvalidInput):
        certificate.render(document, "fr")
    with pytest.raises(InvalidInput):
        certificate.render(b"[1, 2]", "zh")


def test_an_altered_attachment_fails_integrity_through_credbank_verify(issued, tmp_path: Path,
                                                                      capsys):
    document, _ = issued
    original = tmp_path / "certificate.pdf"
    original.write_bytes(certificate.render(document, "zh"))
    altered = json.loads(document)
    altered["credentialSubject"]["creditsEarned"] += 1
    writer = PdfWriter(clone_from=PdfReader(original))
    for entry in writer.attachment_list:
        if entry.name == "credential.json":
            entry.content = json.dumps(altered, ensure_ascii=False).encode("utf-8")
    forged = tmp_path / "forged.pdf"
    with forged.open("wb") as out:
        writer.write(out)
    assert certificate_pdf.load_path(forged)["credentialSubject"]["creditsEarned"] == 5

    gaps = ["--accept-unknown-issuer", "--no-status"]
    assert main([str(original), "--json", *gaps]) == 0
    assert json.loads(capsys.readouterr().out)["verified"] is True
    assert main([str(forged), "--json", *gaps]) == 1
    report = json.loads(capsys.readouterr().out)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert report["file"] == str(forged) and statuses["integrity"] == "failed"


# ---- the learner's own download -----------------------------------------------------------

def test_the_learners_own_certificate_embeds_the_full_copy(client: TestClient,
                                                           service: Service,
                                                           university: Tenant, learner):
    credential_id = issue_through_api(client, university)
    anchor(service, credential_id)
    headers = sign_in(client)
    full = client.get(f"/v1/learner/credentials/{credential_id}", headers=headers)
    stem = credential_id.rsplit(":", 1)[-1]
    route = f"/v1/learner/credentials/{credential_id}/certificate.pdf"
    for lang, title in (("zh", "学习成果证书"), ("en", "Certificate of Learning Achievement")):
        answer = client.get(route, params={"lang": lang}, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.headers["content-disposition"] == (
            f'attachment; filename="certificate-{stem}-{lang}.pdf"')
        assert answer.headers["cache-control"] == "no-store"
        assert certificate_pdf.extract(answer.content) == full.content
        text = page_text(answer.content)
        assert title in text and "张伟" in text and f"certificate-{stem}-{lang}.pdf" in text
    assert explain(verify(certificate_pdf.loads(answer.content)),
                   accept={"issuer", "status"}).verified
    # Chinese unless asked otherwise; other languages are refused
    assert "学习成果证书" in page_text(client.get(route, headers=headers).content)
    assert client.get(route, params={"lang": "fr"}, headers=headers).status_code == 422


# ---- a share link's certificate -----------------------------------------------------------

@pytest.fixture
def shared(client: TestClient, service: Service, university: Tenant, learner):
    credential_id = issue_through_api(client, university)
    anchor(service, credential_id)
    return credential_id, sign_in(client)


def _views(client: TestClient, headers: dict[str, str], link: dict[str, Any]) -> int:
    return client.get(f"/v1/learner/links/{link['id']}/views", headers=headers).json()["views"]


def test_a_share_links_certificate_is_its_copy_and_counts_a_view(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id, reveal=[NAME, CREDITS], maxViews=3)
    base = path_of(link["url"])
    answer = client.get(f"{base}/certificate.pdf", params={"lang": "en"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-disposition"].startswith('attachment; filename="certificate-')
    assert _views(client, headers, link) == 1
    # the same bytes as the link's JSON (which counts the second view)
    embedded = certificate_pdf.extract(answer.content)
    assert embedded == client.get(f"{base}.json").content
    assert _views(client, headers, link) == 2
    assert explain(verify(certificate_pdf.loads(answer.content)),
                   accept={"issuer", "status"}).verified
    text = page_text(answer.content)
    assert "张伟" in text and "Credits 4" in text and link["url"] in text
    assert "selectively disclosed copy" in text
    assert client.get(f"{base}/certificate.pdf").status_code == 200  # the third, last view
    used_up = client.get(f"{base}/certificate.pdf")
    assert used_up.status_code == 410 and used_up.headers["cache-control"] == "no-store"
    assert used_up.json() == {
        "detail": "this share link has been opened as many times as its owner allowed",
        "state": "used_up"}
    assert _views(client, headers, link) == 3


def test_a_hidden_name_is_said_to_be_hidden(client: TestClient, shared):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id, reveal=[CREDITS], revealName=False)
    base = path_of(link["url"])
    zh = page_text(client.get(f"{base}/certificate.pdf", params={"lang": "zh"}).content)
    assert "姓名未公开" in zh and "张伟" not in zh
    en = page_text(client.get(f"{base}/certificate.pdf", params={"lang": "en"}).content)
    assert "Name not disclosed" in en and "张伟" not in en


def test_a_revoked_expired_or_unknown_link_has_no_certificate(client: TestClient,
                                                             service: Service, shared):
    credential_id, headers = shared
    revoked = make_link(client, headers, credential_id)
    client.delete(f"/v1/learner/links/{revoked['id']}", headers=headers)
    answer = client.get(path_of(revoked["url"]) + "/certificate.pdf")
    assert answer.status_code == 410 and answer.json()["state"] == "revoked"
    assert answer.headers["cache-control"] == "no-store"
    expired = make_link(client, headers, credential_id)
    with service.db.session() as session:
        row = session.scalars(select(ShareLink).where(ShareLink.id == expired["id"])).one()
        row.expires_at = timefmt.now() - timedelta(seconds=1)
    answer = client.get(path_of(expired["url"]) + "/certificate.pdf")
    assert answer.status_code == 410 and answer.json() == {
        "detail": "this share link has expired", "state": "expired"}
    unknown = client.get(f"/s/{'A' * 43}/certificate.pdf")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no such share link"


def test_the_qr_code_on_the_page_opens_the_share_link(client: TestClient, shared,
                                                      tmp_path: Path):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(client.get(path_of(link["url"]) + "/certificate.pdf").content)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page.png") as page:
        codes = zxingcpp.read_barcodes(page)
    assert [(c.format, c.text) for c in codes] == [(zxingcpp.BarcodeFormat.QRCode, link["url"])]


def test_without_a_chinese_font_certificates_answer_503_and_count_no_view(
        client: TestClient, shared, monkeypatch: pytest.MonkeyPatch):
    credential_id, headers = shared
    link = make_link(client, headers, credential_id)
    # a machine with no CJK font: neither fontconfig nor Debian's paths find one
    monkeypatch.setattr(fonts, "_found", None)
    monkeypatch.setattr(fonts, "_from_fontconfig", lambda: None)
    monkeypatch.setattr(fonts, "_from_known_files", lambda: None)
    answer = client.get(path_of(link["url"]) + "/certificate.pdf")
    assert answer.status_code == 503 and answer.json() == {"detail": fonts.NO_FONT}
    assert _views(client, headers, link) == 0
    own = client.get(f"/v1/learner/credentials/{credential_id}/certificate.pdf",
                     headers=headers)
    assert own.status_code == 503 and own.json() == {"detail": fonts.NO_FONT}
