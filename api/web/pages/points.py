"""Learning points pages (api.service.points): the learner's points (the total, points and
hours by sector, every ledger entry with its source and the rules it was computed under;
reversals shown as such) and the authority's read-only view of the points rules and
thresholds (managing them stays in the API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.service import points, points_rules, thresholds
from api.web.auth import ServiceDep

from .account import ERROR
from .i18n import N_
from .render import message, redirect, render
from .staff_session import staff_of
from .visitor import Visitor, visitor

router = APIRouter(include_in_schema=False)

ONLY_AUTHORITY = N_("Only the authority sees the points rules and thresholds here.")


@router.get("/account/points")
def points_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return render(request, "points.html", who=who,
                  ledger=points.learner_ledger(svc, who.learner.id))


@router.get("/staff/points")
def staff_points_page(request: Request, svc: ServiceDep) -> Response:
    staff = staff_of(request, svc)
    if staff is None:
        return redirect("/staff/login")
    if not staff.authority:
        return message(request, 403, ERROR, ONLY_AUTHORITY, who=Visitor(staff=staff))
    return render(request, "staff_points.html", who=Visitor(staff=staff),
                  rules=points_rules.all_rules(svc), thresholds=thresholds.thresholds(svc))
