"""credbank-verify on certificate PDFs: the embedded credential.json, read with bounds.

The PDFs here are made with pypdf (a page and attachments), so the verifier is tested on
its own; tests/service/test_certificate.py checks the service's real certificates.
"""

from __future__ import annotations

import io
import json
import sys
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject

from tests.credentials import issue, make_issuer
from verifier import jsonio
from verifier import pdf as certificate_pdf
from verifier.cli import main
from verifier.errors import CredentialFormatError


def make_pdf(*attachments: tuple[str, bytes]) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    for name, data in attachments:
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def credential_json(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    issuer = make_issuer(tmp_path_factory.mktemp("issuer"))
    return json.dumps(issue(issuer), ensure_ascii=False).encode("utf-8")


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_pdf_verifies_like_its_json(credential_json: bytes, tmp_path: Path, capsys):
    as_json = tmp_path / "credential.json"
    as_json.write_bytes(credential_json)
    as_pdf = tmp_path / "Certificate.PDF"
    as_pdf.write_bytes(make_pdf(("notes.txt", b"not this one"),
                                ("credential.json", credential_json)))
    assert certificate_pdf.extract(as_pdf.read_bytes()) == credential_json
    json_run = run([as_json], capsys)
    pdf_run = run([as_pdf], capsys)
    assert json_run[0] == pdf_run[0] == 0
    assert pdf_run[1] == json_run[1].replace(str(as_json), str(as_pdf))
    for flag in ([], ["--json"]):
        code, out, _ = run([as_json, *flag], capsys)
        code_pdf, out_pdf, _ = run([as_pdf, *flag], capsys)
        assert (code_pdf, out_pdf) == (code, out.replace(str(as_json), str(as_pdf)))


def test_a_pdf_on_stdin(credential_json: bytes, capsys, monkeypatch: pytest.MonkeyPatch):
    stdin = io.TextIOWrapper(io.BytesIO(make_pdf(("credential.json", credential_json))))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = run(["-", "--json"], capsys)
    assert code == 0 and json.loads(out)["verified"] is True


@pytest.mark.parametrize(("data", "reason"), [
    (b'{"not": "a pdf"}', "not a PDF"),
    (make_pdf(), "the PDF has no credential.json attachment (not a credbank certificate)"),
    (make_pdf(("other.json", b"{}")), "the PDF has no credential.json attachment"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ngarbage", "not a readable PDF ("),
])
def test_unreadable_pdfs_are_one_line_errors_exit_2(data: bytes, reason: str, tmp_path: Path,
                                                    capsys):
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    with pytest.raises(CredentialFormatError) as raised:
        certificate_pdf.load_path(path)
    assert str(raised.value).startswith(reason) and "\n" not in str(raised.value)
    code, out, err = run([path], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"credbank-verify: {path}: {reason}") and err.count("\n") == 1
    code, out, _ = run([path, "--json"], capsys)
    report = json.loads(out)
    assert code == 2 and report["checks"] == [
        {"id": "format", "status": "error", "detail": str(raised.value)}]


def test_two_attachments_of_that_name_are_refused(credential_json: bytes):
    twice = make_pdf(("credential.json", credential_json), ("credential.json", b"{}"))
    with pytest.raises(CredentialFormatError, match="2 credential.json attachments"):
        certificate_pdf.extract(twice)


def test_a_missing_file_is_unreadable(tmp_path: Path, capsys):
    code, _, err = run([tmp_path / "absent.pdf"], capsys)
    assert code == 2 and "cannot read" in err and err.count("\n") == 1


def test_an_oversize_pdf_is_refused_before_it_is_read(tmp_path: Path):
    path = tmp_path / "huge.pdf"
    with path.open("wb") as out:
        out.truncate(certificate_pdf.MAX_PDF_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(CredentialFormatError, match="larger than"):
        certificate_pdf.load_path(path)
    with pytest.raises(CredentialFormatError, match="larger than"):
        certificate_pdf.extract(b"%PDF-" + bytes(certificate_pdf.MAX_PDF_BYTES))


def test_an_oversize_attachment_is_refused(tmp_path: Path):
    big = b" " * (2 * jsonio.MAX_CREDENTIAL_BYTES)  # compresses to a few kilobytes
    declared = make_pdf(("credential.json", big))
    with pytest.raises(CredentialFormatError, match=f"is {len(big)} bytes, larger than"):
        certificate_pdf.extract(declared)
    # compressed, without a declared size: decompression stops at the limit
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    entry = writer.add_attachment("credential.json", b"{}")
    stream = entry.pdf_object["/EF"].get_object()["/F"].get_object()
    stream.set_data(zlib.compress(big))
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    if "/Params" in stream:
        del stream[NameObject("/Params")]
    out = io.BytesIO()
    writer.write(out)
    assert len(out.getvalue()) < 100_000
    with pytest.raises(CredentialFormatError, match="larger than .* decompressed"):
        certificate_pdf.extract(out.getvalue())
