"""The learner's credit-bank pages: recognition (choose credentials, a published rule set
and a destination; the dry run; the application), the list of applications (state, the
decision credential, a revoked source marked; withdrawing one), and the learning archive
download (api.service.archives).

Every POST is checked for its CSRF token before anything is done (account._signed_in_form).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from api.service import archives, recognition, rule_sets, sharing
from api.service.context import Service
from api.service.errors import ServiceError
from api.web.auth import ServiceDep
from api.web.errors import status_of

from .account import ERROR, _signed_in_form
from .i18n import N_
from .render import message, redirect, render
from .visitor import Visitor, visitor

router = APIRouter(include_in_schema=False)

NO_APPLICATION = N_("No such application in this learning account.")


def _choices(svc: Service, who: Visitor) -> dict[str, Any]:
    assert who.learner is not None
    with svc.db.session() as session:
        rows = [(row, issuer) for row, issuer in sharing.own_credentials(session, who.learner)
                if row.status == "active"]
    sets = [{"key": f"{s['id']}|{s['version']}", "id": s["id"], "version": s["version"],
             "name": s["document"].get("programme", {}).get("name"),
             "programme": bool(s["document"].get("programme"))}
            for s in rule_sets.published_rule_sets(svc)]
    return {"rows": rows, "sets": sets}


def _recognition_page(request: Request, svc: Service, who: Visitor, status: int = 200, *,
                      chosen: list[str] | None = None, rule_set: str = "",
                      destination: str = "bank", dry: dict[str, Any] | None = None,
                      error: str = "") -> Response:
    names = {}
    choices = _choices(svc, who)
    for row, _issuer in choices["rows"]:
        names[row.id] = row
    return render(request, "recognition.html", status, who=who, **choices,
                  chosen=set(chosen or []), rule_set=rule_set, destination=destination,
                  dry=dry, names=names, error=error)


def _request(rule_set: str, destination: str, credential: list[str] | None
             ) -> recognition.Request:
    set_id, _, version = rule_set.partition("|")
    return recognition.Request(set_id, version, destination, list(credential or []))


@router.get("/account/recognition")
def recognition_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return _recognition_page(request, svc, who)


Chosen = Annotated[list[str] | None, Form()]
Text = Annotated[str, Form(max_length=500)]


@router.post("/account/recognition")
def recognition_submit(request: Request, svc: ServiceDep, credential: Chosen = None,
                       rule_set: Text = "", destination: Text = "bank", action: Text = "dry-run",
                       note: Text = "", csrf: Text = "") -> Response:
    """``action=dry-run`` shows what could convert; ``action=apply`` submits."""
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    ask = _request(rule_set, destination, credential)
    again = {"chosen": ask.credentials, "rule_set": rule_set, "destination": destination}
    try:
        if action == "apply":
            applied = recognition.submit(svc, who.learner.id, recognition.Request(
                ask.set_id, ask.version, ask.destination, ask.credentials, note.strip()))
            return redirect(f"/account/applications/{applied['id']}")
        dry = recognition.dry_run(svc, who.learner.id, ask)
    except ServiceError as exc:
        return _recognition_page(request, svc, who, status_of(exc), error=str(exc), **again)
    return _recognition_page(request, svc, who, dry=dry, **again)


@router.get("/account/applications")
def applications_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return render(request, "applications.html", who=who,
                  applications=recognition.learner_applications(svc, who.learner.id))


@router.get("/account/applications/{application_id}")
def application_page(application_id: str, request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    try:
        application = recognition.learner_application(svc, who.learner.id, application_id)
    except ServiceError as exc:
        return message(request, status_of(exc), ERROR, NO_APPLICATION, who=who)
    return render(request, "application.html", who=who, application=application,
                  staff_view=False)


@router.post("/account/applications/{application_id}/withdraw")
def withdraw(application_id: str, request: Request, svc: ServiceDep,
             csrf: Text = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    try:
        recognition.withdraw(svc, who.learner.id, application_id)
    except ServiceError as exc:
        return message(request, status_of(exc), ERROR,
                       NO_APPLICATION if status_of(exc) == 404
                       else N_("Only an application awaiting a decision can be withdrawn."),
                       who=who)
    return redirect(f"/account/applications/{application_id}")


# ---- the learning archive ----------------------------------------------------------------

@router.get("/account/archive")
def archive_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return render(request, "archive.html", who=who, rows=_choices(svc, who)["rows"],
                  error="")


@router.post("/account/archive")
def archive_download(request: Request, svc: ServiceDep, credential: Chosen = None,
                     form: Text = "json", language: Text = "zh", reveal_name: Text = "",
                     csrf: Text = "") -> Response:
    who = _signed_in_form(request, svc, csrf)
    if isinstance(who, Response):
        return who
    ids, reveal = list(credential or []), reveal_name == "yes"
    try:
        if form == "pdf":
            pdf, name = archives.export_pdf(svc, who.learner.id, ids, language,
                                            reveal_name=reveal)
            return Response(pdf, media_type="application/pdf", headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store"})
        made = archives.export(svc, who.learner.id, ids, reveal_name=reveal)
    except ServiceError as exc:
        return render(request, "archive.html", status_of(exc), who=who,
                      rows=_choices(svc, who)["rows"], error=str(exc))
    return Response(made.text, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{made.filename_stem}.json"',
        "Cache-Control": "no-store"})
