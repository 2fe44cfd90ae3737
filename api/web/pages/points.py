"""The learner's points page (积分): the total, points and hours by sector, and every
ledger entry with its source and the rules it was computed under; reversals shown as
such (api.service.points)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.service import points
from api.web.auth import ServiceDep

from .render import redirect, render
from .visitor import visitor

router = APIRouter(include_in_schema=False)


@router.get("/account/points")
def points_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return render(request, "points.html", who=who,
                  ledger=points.learner_ledger(svc, who.learner.id))
