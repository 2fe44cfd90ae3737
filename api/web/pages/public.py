"""The public pages: a share link's page, and the verify page that checks an uploaded file
or a pasted share link of this service (docs/api.md, "Share links" and "Verify page")."""

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
from verifier import jsonio

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
                  json_path=f"/s/{token}.json")


# ---- the public verify page --------------------------------------------------------------

_LINK = re.compile(r"/s/([A-Za-z0-9_-]{20,128})(?:\.json)?/?$")


@router.get("/verify")
def verify_page(request: Request) -> Response:
    return render(request, "verify.html", outcome=None, error="", link="")


@router.post("/verify")
async def verify_submit(request: Request, svc: ServiceDep,
                        file: Annotated[UploadFile | None, File()] = None,
                        link: Annotated[str, Form(max_length=2000)] = "") -> Response:
    link = link.strip()
    if file is not None and file.filename:
        raw = await file.read(jsonio.MAX_CREDENTIAL_BYTES + 1)
        if len(raw) > jsonio.MAX_CREDENTIAL_BYTES:
            return render(request, "verify.html", 413, outcome=None,
                          error=N_("The file is too large."), link="")
        try:
            credential: Any = jsonio.loads(raw)
        except Exception:  # the verifier reports the format failure itself
            credential = None
        return render(request, "verify.html", outcome=outcome(svc, credential, raw=raw),
                      error="", link="")
    if link:
        match = _LINK.search(urlsplit(link).path if "://" in link else link)
        if match is None:
            return render(request, "verify.html", 422, outcome=None, error=NOT_A_LINK,
                          link=link)
        try:
            opened = sharing.open_shared(svc, match.group(1))
        except ServiceError as exc:
            error = GONE[exc.state] if isinstance(exc, Gone) else NOT_A_LINK
            return render(request, "verify.html", status_of(exc), outcome=None, error=error,
                          link=link)
        return render(request, "verify.html",
                      outcome=outcome(svc, opened.copy, opened.credential), error="", link=link)
    return render(request, "verify.html", 422, outcome=None,
                  error=N_("Choose a file or paste a share link."), link="")
