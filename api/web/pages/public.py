"""The public pages: a share link's page, and the verify page that checks an uploaded file
(JSON, or a PDF certificate with the credential embedded), pasted JSON or a pasted share link
of this service (docs/api.md, "Share links" and "Verify page")."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.service import sharing
from api.service.errors import Gone, ServiceError
from api.web.auth import ServiceDep
from api.web.errors import status_of
from verifier import CredentialError, jsonio, pdf

from .i18n import N_
from .outcome import outcome
from .render import message, render

router = APIRouter(include_in_schema=False)

# Why a link no longer opens, by sharing.link_state().
GONE = {
    "expired": N_("This share link has expired."),
    "revoked": N_("This share link was revoked by its owner."),
    "used_up": N_("This share link has been opened as many times as its owner allowed."),
}
NOT_A_LINK = N_("That is not a share link of this service.")


# ---- the public share page ---------------------------------------------------------------

def _gone_page(request: Request, exc: ServiceError) -> HTMLResponse:
    status = status_of(exc)
    title = N_("Link no longer available") if status == 410 else N_("Something went wrong")
    if isinstance(exc, Gone):
        return message(request, status, title, GONE[exc.state], state=exc.state)
    return message(request, status, title, N_("No such share link."), state="not_found")


@router.get("/s/{token}")
def share_page(token: str, request: Request, svc: ServiceDep) -> Response:
    """The public page of a share link: each load counts as a view."""
    try:
        opened = sharing.open_shared(svc, token)
    except ServiceError as exc:
        return _gone_page(request, exc)
    return render(request, "share.html", outcome=outcome(svc, opened.copy, opened.credential),
                  json_path=f"/s/{token}.json", pdf_url=f"/s/{token}/certificate.pdf")


# ---- the public verify page --------------------------------------------------------------

_LINK = re.compile(r"/s/([A-Za-z0-9_-]{20,128})(?:\.json)?/?$")


TOO_LARGE = N_("The file is too large: a credential is at most 1 MiB.")
NOT_IN_PDF = N_("This PDF holds no credential to check: upload the credential's JSON file, "
                "or paste its share link.")


def _page(request: Request, status: int = 200, *, outcome: Any = None, error: str = "",
          link: str = "", pasted: str = "") -> Response:
    return render(request, "verify.html", status, outcome=outcome, error=error, link=link,
                  pasted=pasted)


def _is_pdf(filename: str, raw: bytes) -> bool:
    return pdf.is_pdf(raw) or filename.lower().endswith(".pdf")


def _checked(request: Request, svc: Any, raw: bytes, **keep: str) -> Response:
    try:
        credential: Any = jsonio.loads(raw)
    except Exception:  # the verifier reports the format failure itself
        credential = None
    return _page(request, outcome=outcome(svc, credential, raw=raw), **keep)


@router.get("/verify")
def verify_page(request: Request) -> Response:
    return _page(request)


@router.post("/verify")
async def verify_submit(request: Request, svc: ServiceDep,
                        file: Annotated[UploadFile | None, File()] = None,
                        pasted: Annotated[str, Form()] = "",
                        link: Annotated[str, Form()] = "") -> Response:
    link = link.strip()[:2000]
    if file is not None and file.filename:
        raw = await file.read(jsonio.MAX_CREDENTIAL_BYTES * 8 + 1)
        if _is_pdf(file.filename, raw):
            try:
                raw = pdf.extract(raw)
            except CredentialError:  # not a readable PDF, or none embedded in it
                return _page(request, 422, error=NOT_IN_PDF)
        if len(raw) > jsonio.MAX_CREDENTIAL_BYTES:
            return _page(request, 413, error=TOO_LARGE)
        return _checked(request, svc, raw)
    if pasted.strip():
        raw = pasted.strip().encode()
        if len(raw) > jsonio.MAX_CREDENTIAL_BYTES:
            return _page(request, 413, error=TOO_LARGE, pasted=pasted[:2000])
        return _checked(request, svc, raw, pasted=pasted)
    if link:
        match = _LINK.search(urlsplit(link).path if "://" in link else link)
        if match is None:
            return _page(request, 422, error=NOT_A_LINK, link=link)
        try:
            opened = sharing.open_shared(svc, match.group(1))
        except ServiceError as exc:
            error = GONE[exc.state] if isinstance(exc, Gone) else NOT_A_LINK
            return _page(request, status_of(exc), error=error, link=link)
        return _page(request, outcome=outcome(svc, opened.copy, opened.credential), link=link)
    return _page(request, 422, error=N_("Choose a file, paste a credential or a share link."))
