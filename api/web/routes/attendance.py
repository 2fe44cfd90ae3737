"""Anchored attendance: the authority's venue-days (list, anchor one now) and the learner's
attendance record, which ``credbank-verify`` checks offline (docs/format.md, "Attendance
records"). A learner sees only their own check-ins; another learner's is not found."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.service import attendance
from api.web.auth import Governor, LearnerCaller, ServiceDep
from api.web.schemas import answers

admin_router = APIRouter(prefix="/v1/admin/attendance", tags=["authority"])
learner_router = APIRouter(prefix="/v1/learner/attendance", tags=["learner"])

VenueSlug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
                                description="the venue's slug")]
Day = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$",
                          description="the calendar day (China time), YYYY-MM-DD")]
_CHAIN_503 = "no chain, no usable governor key, or the chain unreachable"


class VenueDay(BaseModel):
    id: int
    venue: str
    day: str
    part: int = Field(description="1 for the day; later parts hold check-ins that arrived "
                                  "after it was anchored")
    count: int
    root: str
    manifestHash: str = Field(description="the hash published on chain (document kind 6)")
    state: Literal["pending", "anchored"]
    closedAt: str
    transactionHash: str | None
    blockNumber: int | None
    anchoredAt: str | None


class ToAnchor(BaseModel):
    venue: str
    day: str
    checkIns: int


class VenueDays(BaseModel):
    days: list[VenueDay]
    toAnchor: list[ToAnchor] = Field(description="venue-days with check-ins not yet closed")


class Anchored(BaseModel):
    venue: str
    day: str
    parts: list[VenueDay]


@admin_router.get("", response_model=VenueDays, summary="Venue-days closed and anchored, "
                  "newest first, and those with check-ins still to anchor",
                  responses=answers(e404="no venue with this slug"))
def list_days(_: Governor, svc: ServiceDep,
              venue: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] = None,
              day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
              state: Literal["pending", "anchored"] | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> VenueDays:
    return VenueDays(**attendance.list_days(svc, venue=venue, day=day, state=state,
                                            limit=limit))


@admin_router.post("/{venue}/{day}/anchor", response_model=Anchored,
                   summary="Close a venue-day's check-ins into a Merkle tree and publish its "
                           "manifest on chain now (nothing new: the day as it stands)",
                   responses=answers(e404="no venue with this slug",
                                     e409="no check-ins that day, or the day is not over "
                                          "(give force=true), or the registry refused",
                                     e422="not a calendar day", e503=_CHAIN_503))
def anchor_day(venue: VenueSlug, day: Day, _: Governor, svc: ServiceDep,
               force: Annotated[bool, Query(description="anchor a day that is not over "
                                                        "yet")] = False) -> Anchored:
    return Anchored(**attendance.anchor_day(svc, venue, day, force=force))


_RECORD = ("a CredbankAttendanceRecord: each anchored check-in's entry, salt and Merkle "
           "path, the venue-day manifests and venue registers they cite, the totals, a "
           "trust bundle proving the manifests on chain; check-ins not yet anchored are "
           "listed under pending")


@learner_router.get("", response_model=dict[str, Any],
                    summary="The learner's attendance record, all anchored check-ins",
                    description=_RECORD, responses=answers(e503=_CHAIN_503))
def my_attendance(who: LearnerCaller, svc: ServiceDep) -> dict[str, Any]:
    return attendance.record(svc, who.learner_id)


@learner_router.get("/{checkin_id}", response_model=dict[str, Any],
                    summary="The learner's attendance record of one check-in",
                    description=_RECORD,
                    responses=answers(e404="no such check-in of this learner",
                                      e503=_CHAIN_503))
def one_attendance(checkin_id: Annotated[str, Path(max_length=36)], who: LearnerCaller,
                   svc: ServiceDep) -> dict[str, Any]:
    return attendance.record(svc, who.learner_id, checkin_id)
