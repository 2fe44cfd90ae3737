"""The learning code (申学码), venues and activities, and check-in (学习打卡).

Audiences: the authority registers and retires venues; a venue's operators (API keys of
role ``operator``) make and cancel activities at their venue, show an activity's rotating
code and scan learners' codes, live or from the offline queue; the authority may act on any
venue's activities but does not scan. Learners get their rotating code, manage their
printed card and scan a venue's code. Another venue's activity answers 404.
"""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from api.service import checkins, learning_code, venues
from api.service.context import Service
from api.service.models import Activity, CheckIn, Venue
from api.web.auth import Caller, Governor, LearnerCaller, Operator, ServiceDep, caller
from api.web.schemas import answers
from verifier import timefmt

admin_router = APIRouter(prefix="/v1/admin/venues", tags=["authority"])
venue_router = APIRouter(prefix="/v1/venue", tags=["venue"])
learner_router = APIRouter(prefix="/v1/learner", tags=["learner"])

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                        max_length=learning_code.MAX_TOKEN)]
ActivityId = Annotated[str, Path(max_length=36)]
_REFUSED = ("refused: the code expired, was used, the venue is not registered, the "
            "activity is cancelled or outside its window, a duplicate")


async def _venue_staff(who: Annotated[Caller, Depends(caller)]) -> Caller:
    if who.role not in ("operator", "governor"):
        raise HTTPException(403, "this needs a venue operator's or the authority's API key")
    return who


VenueStaff = Annotated[Caller, Depends(_venue_staff)]


# ---- venues (the authority) -------------------------------------------------------------

class NewVenue(BaseModel):
    slug: Slug
    name: Name
    kind: Literal[venues.VENUE_KINDS]  # type: ignore[valid-type]
    district: Annotated[str, StringConstraints(max_length=64)] = ""
    address: Annotated[str, StringConstraints(max_length=300)] = ""


class VenueOut(BaseModel):
    slug: str
    name: str
    kind: str
    district: str
    address: str
    createdAt: str
    retiredAt: str | None


def _venue(venue: Venue) -> VenueOut:
    return VenueOut(slug=venue.slug, name=venue.name, kind=venue.kind, district=venue.district,
                    address=venue.address, createdAt=timefmt.format(venue.created_at),
                    retiredAt=timefmt.format(venue.retired_at) if venue.retired_at else None)


@admin_router.post("", status_code=201, response_model=VenueOut,
                   summary="Register a learning venue",
                   responses=answers(e409="a venue with this slug exists"))
def register_venue(body: NewVenue, who: Governor, svc: ServiceDep) -> VenueOut:
    return _venue(venues.register_venue(svc, body.slug, body.name, body.kind, body.district,
                                        body.address))


@admin_router.get("", response_model=list[VenueOut], summary="List the venues")
def list_venues(who: Governor, svc: ServiceDep) -> list[VenueOut]:
    return [_venue(v) for v in venues.list_venues(svc)]


@admin_router.post("/{slug}/retire", response_model=VenueOut,
                   summary="Retire a venue: nothing is checked in there any more")
def retire_venue(slug: Annotated[str, Path(max_length=64)], who: Governor,
                 svc: ServiceDep) -> VenueOut:
    return _venue(venues.retire_venue(svc, slug))


# ---- activities (the venue's operators, or the authority) -----------------------------------

class NewActivity(BaseModel):
    venue: Slug | None = Field(None, description="the venue; an operator's own by default")
    kind: Literal[venues.ACTIVITY_KINDS]  # type: ignore[valid-type]
    title: Name
    sector: Literal["degree", "vocational", "non_degree", "community_elderly", "venue"]
    hours: float = Field(gt=0, le=1000)
    startsAt: AwareDatetime
    endsAt: AwareDatetime
    needsCheckout: bool = False


class ActivityOut(BaseModel):
    id: str
    venue: str
    venueName: str
    kind: str
    title: str
    sector: str
    hours: float
    startsAt: str
    endsAt: str
    needsCheckout: bool
    cancelledAt: str | None
    points: str | None = Field(description="what a check-in earns under the points rules in "
                               "force on the activity's day (no daily cap); null: no rate")


def _activity(svc: Service, activity: Activity, venue: Venue) -> ActivityOut:
    return ActivityOut(
        id=activity.id, venue=venue.slug, venueName=venue.name, kind=activity.kind,
        title=activity.title, sector=activity.sector, hours=activity.hours,
        startsAt=timefmt.format(activity.starts_at), endsAt=timefmt.format(activity.ends_at),
        needsCheckout=activity.needs_checkout,
        cancelledAt=timefmt.format(activity.cancelled_at) if activity.cancelled_at else None,
        points=venues.points_value(svc, activity))


@venue_router.post("/activities", status_code=201, response_model=ActivityOut,
                   summary="Create an activity at a venue",
                   responses=answers(e404="no such venue of yours",
                                     e409="the venue is retired"))
def create_activity(body: NewActivity, who: VenueStaff, svc: ServiceDep) -> ActivityOut:
    slug = body.venue or _operator_venue_slug(svc, who)
    activity, venue = venues.create_activity(svc, slug, who.venue_id, venues.NewActivity(
        kind=body.kind, title=body.title, sector=body.sector, hours=body.hours,
        starts_at=body.startsAt, ends_at=body.endsAt, needs_checkout=body.needsCheckout))
    return _activity(svc, activity, venue)


def _operator_venue_slug(svc: ServiceDep, who: Caller) -> str:
    if who.role != "operator" or who.venue_id is None:
        raise HTTPException(422, "venue: the authority names the venue")
    with svc.db.session() as session:
        return session.get(Venue, who.venue_id).slug


@venue_router.get("/activities", response_model=list[ActivityOut],
                  summary="List activities (an operator: its venue's)",
                  responses=answers(e404="no such venue of yours"))
def list_activities(who: VenueStaff, svc: ServiceDep,
                    venue: Annotated[str | None, Query(max_length=64)] = None
                    ) -> list[ActivityOut]:
    return [_activity(svc, a, v) for a, v in venues.list_activities(svc, who.venue_id, venue)]


@venue_router.get("/activities/{activity_id}", response_model=ActivityOut,
                  summary="One activity")
def get_activity(activity_id: ActivityId, who: VenueStaff, svc: ServiceDep) -> ActivityOut:
    return _activity(svc, *venues.get_activity(svc, activity_id, who.venue_id))


@venue_router.post("/activities/{activity_id}/cancel", response_model=ActivityOut,
                   summary="Cancel an activity: no more check-ins")
def cancel_activity(activity_id: ActivityId, who: VenueStaff, svc: ServiceDep
                    ) -> ActivityOut:
    return _activity(svc, *venues.cancel_activity(svc, activity_id, who.venue_id))


class CodeOut(BaseModel):
    code: str = Field(description="show it as a QR code; it expires at expiresAt")
    expiresAt: str


@venue_router.get("/activities/{activity_id}/code", response_model=CodeOut,
                  summary="The activity's rotating check-in code, for the venue's screen")
def activity_code(activity_id: ActivityId, who: VenueStaff, svc: ServiceDep,
                  response: Response) -> CodeOut:
    venues.get_activity(svc, activity_id, who.venue_id)
    code, expires = learning_code.issue_venue_code(svc, activity_id)
    response.headers["Cache-Control"] = "no-store"
    return CodeOut(code=code, expiresAt=timefmt.format(expires))


# ---- check-ins --------------------------------------------------------------------------

class CheckInOut(BaseModel):
    id: str
    activity: str
    activityTitle: str
    venue: str
    venueName: str
    sector: str
    hours: float
    method: str
    day: str = Field(description="the venue's calendar day, in the service's time zone")
    checkedInAt: str
    checkedOutAt: str | None
    minutes: int | None = Field(description="between check-in and check-out")


def _checkin(row: CheckIn, activity: Activity, venue: Venue) -> CheckInOut:
    return CheckInOut(
        id=row.id, activity=activity.id, activityTitle=activity.title, venue=venue.slug,
        venueName=venue.name, sector=activity.sector, hours=activity.hours, method=row.method,
        day=row.day, checkedInAt=timefmt.format(row.checked_in_at),
        checkedOutAt=timefmt.format(row.checked_out_at) if row.checked_out_at else None,
        minutes=checkins.minutes(row))


class Scan(BaseModel):
    code: Code
    action: Literal["in", "out"] = "in"


@venue_router.post("/activities/{activity_id}/scans", status_code=201,
                   response_model=CheckInOut,
                   summary="Check a learner in (or out) by their code or card",
                   responses=answers(e409=_REFUSED, e410="the code expired or the card "
                                     "was revoked"))
def operator_scan(activity_id: ActivityId, body: Scan, who: Operator, svc: ServiceDep
                  ) -> CheckInOut:
    done = checkins.operator_scan(svc, who.api_key_id, who.venue_id, activity_id, body.code,
                                  body.action)
    return _checkin(done.checkin, done.activity, done.venue)


class VenueCheckIn(BaseModel):
    id: str
    learner: str = Field(description="the learner's name, masked")
    method: str
    day: str
    checkedInAt: str
    checkedOutAt: str | None
    minutes: int | None
    queued: bool


@venue_router.get("/activities/{activity_id}/checkins", response_model=list[VenueCheckIn],
                  summary="An activity's check-ins")
def activity_checkins(activity_id: ActivityId, who: VenueStaff, svc: ServiceDep
                      ) -> list[VenueCheckIn]:
    return [VenueCheckIn(
        id=row.id, learner=name, method=row.method, day=row.day,
        checkedInAt=timefmt.format(row.checked_in_at),
        checkedOutAt=timefmt.format(row.checked_out_at) if row.checked_out_at else None,
        minutes=checkins.minutes(row), queued=row.queued_signature is not None)
        for row, name in checkins.activity_checkins(svc, activity_id, who.venue_id)]


class DeviceOut(BaseModel):
    deviceId: str
    key: str = Field(description="base64 HMAC-SHA256 key signing queued scans; shown once")
    expiresAt: str


@venue_router.post("/devices", status_code=201, response_model=DeviceOut,
                   summary="A device key for signing queued (offline) scans")
def new_device(who: Operator, svc: ServiceDep) -> DeviceOut:
    device_id, key, expires = checkins.issue_device(svc, who.api_key_id)
    return DeviceOut(deviceId=device_id, key=base64.b64encode(key).decode(),
                     expiresAt=timefmt.format(expires))


class QueuedScan(BaseModel):
    activity: Annotated[str, StringConstraints(max_length=36)]
    code: Code
    action: Literal["in", "out"] = "in"
    scannedAt: int = Field(ge=0, le=2**53, description="Unix time in milliseconds, on the "
                           "device")
    deviceId: Annotated[str, StringConstraints(max_length=80)]
    signature: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]


class Batch(BaseModel):
    scans: list[QueuedScan] = Field(min_length=1, max_length=checkins.MAX_BATCH)


class ScanResult(BaseModel):
    index: int
    accepted: bool
    repeat: bool = Field(False, description="this signed scan had been accepted before")
    checkin: CheckInOut | None = None
    refused: str | None = None


class BatchOut(BaseModel):
    accepted: int
    refused: int
    results: list[ScanResult]


def batch_answer(outcomes: list[checkins.ScanOutcome]) -> BatchOut:
    results = [ScanResult(index=o.index, accepted=True, repeat=o.recorded.repeat,
                          checkin=_checkin(o.recorded.checkin, o.recorded.activity,
                                           o.recorded.venue))
               if o.recorded else ScanResult(index=o.index, accepted=False, refused=o.refused)
               for o in outcomes]
    accepted = sum(r.accepted for r in results)
    return BatchOut(accepted=accepted, refused=len(results) - accepted, results=results)


def queued(scans: list[QueuedScan]) -> list[checkins.QueuedScan]:
    return [checkins.QueuedScan(activity_id=s.activity, code=s.code, action=s.action,
                                scanned_at_ms=s.scannedAt, device_id=s.deviceId,
                                signature=s.signature) for s in scans]


@venue_router.post("/scans/batch", response_model=BatchOut,
                   summary="Send queued scans: each accepted or refused with its reason")
def scan_batch(body: Batch, who: Operator, svc: ServiceDep) -> BatchOut:
    return batch_answer(checkins.queued_scans(svc, who.api_key_id, who.venue_id,
                                              queued(body.scans)))


# ---- the learner ------------------------------------------------------------------------

@learner_router.get("/code", response_model=CodeOut,
                    summary="A fresh rotating code to show at a venue (single use)")
def learner_code(who: LearnerCaller, svc: ServiceDep, response: Response) -> CodeOut:
    code, expires = learning_code.issue_learner_code(svc, who.learner_id)
    response.headers["Cache-Control"] = "no-store"
    return CodeOut(code=code, expiresAt=timefmt.format(expires))


class CardState(BaseModel):
    active: bool
    createdAt: str | None


class NewCard(BaseModel):
    card: str = Field(description="the card's token (put in its QR code); shown once")
    text: str = Field(description="the same, typable: XXXX-XXXX-XXXX-XXXX")
    createdAt: str


@learner_router.get("/card", response_model=CardState, summary="Whether a card is active")
def card_state(who: LearnerCaller, svc: ServiceDep) -> CardState:
    card = learning_code.current_card(svc, who.learner_id)
    return CardState(active=card is not None,
                     createdAt=timefmt.format(card.created_at) if card else None)


@learner_router.post("/card", status_code=201, response_model=NewCard,
                     summary="A new printed card; the old one stops working at once")
def replace_card(who: LearnerCaller, svc: ServiceDep, response: Response) -> NewCard:
    token, created = learning_code.replace_card(svc, who.learner_id)
    response.headers["Cache-Control"] = "no-store"
    return NewCard(card=token, text=learning_code.card_text(token),
                   createdAt=timefmt.format(created))


@learner_router.delete("/card", status_code=204, summary="Revoke the printed card",
                       responses=answers(e404="there is no card to revoke"))
def revoke_card(who: LearnerCaller, svc: ServiceDep) -> Response:
    learning_code.revoke_card(svc, who.learner_id)
    return Response(status_code=204)


@learner_router.post("/checkins", status_code=201, response_model=CheckInOut,
                     summary="Check in (or out) by scanning the venue's code",
                     responses=answers(e409=_REFUSED, e410="the venue's code expired"))
def learner_scan(body: Scan, who: LearnerCaller, svc: ServiceDep) -> CheckInOut:
    done = checkins.learner_scan(svc, who.learner_id, body.code, body.action)
    return _checkin(done.checkin, done.activity, done.venue)


@learner_router.get("/checkins", response_model=list[CheckInOut],
                    summary="The learner's check-ins, newest first")
def my_checkins(who: LearnerCaller, svc: ServiceDep) -> list[CheckInOut]:
    return [_checkin(*row) for row in checkins.learner_checkins(svc, who.learner_id)]
