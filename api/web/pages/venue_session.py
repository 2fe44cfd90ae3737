"""A venue operator's session on the pages, mirroring the staff's (``staff_session``): the
operator signs in once with the operator API key, which is never put in a cookie.

The cookie carries ``operator.key-row-id.expiry.mac``, an HMAC-SHA256 under the server
secret (with its own label, so a staff cookie never passes here nor this one there). Every
request checks the mac, the expiry, and that the key still exists, is not revoked and is an
operator's: revoking the key ends its page sessions at once, and the device keys the
scanning page signs queued scans with (api.service.checkins). The cookie is HttpOnly,
SameSite=Strict and limited to ``/venue``; every POST carries a CSRF token, an HMAC of the
cookie under the server secret, in the form or in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy import select

from api.service import security
from api.service.context import Service
from api.service.models import ApiKey, Venue

OPERATOR_COOKIE = "credbank_operator"
OPERATOR_LOGIN_COOKIE = "credbank_operator_login_csrf"
VENUE_PATH = "/venue"
OPERATOR_SESSION_SECONDS = 12 * 3600  # a venue's opening day


@dataclass(frozen=True)
class OperatorVisit:
    """A signed-in operator of a venue."""

    key_id: int
    venue_id: int
    venue_slug: str
    venue_name: str
    retired: bool
    csrf: str


def _mac(svc: Service, payload: str) -> str:
    return hmac.new(svc.secret, b"credbank-operator\0" + payload.encode(),
                    hashlib.sha256).hexdigest()


def _csrf(svc: Service, cookie: str) -> str:
    return hmac.new(svc.secret, b"credbank-operator-csrf\0" + cookie.encode(),
                    hashlib.sha256).hexdigest()


def key_of(svc: Service, token: str) -> ApiKey | None:
    """The live operator API key typed in, else None."""
    parts = security.split_api_key(token.strip())
    if parts is None:
        return None
    with svc.db.session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.key_id == parts[0])).first()
        if key is None or not security.same_hash(parts[1], key.secret_hash) \
                or key.revoked_at is not None or key.role != "operator" or key.venue_id is None:
            return None
        session.expunge(key)
        return key


def operator_of(request: Request, svc: Service) -> OperatorVisit | None:
    cookie = request.cookies.get(OPERATOR_COOKIE, "")
    parts = cookie.split(".")
    if len(parts) != 4 or parts[0] != "operator":
        return None
    role, key_text, expiry_text, mac = parts
    if not hmac.compare_digest(mac.encode(),
                               _mac(svc, f"{role}.{key_text}.{expiry_text}").encode()):
        return None
    try:
        key_id, expires = int(key_text), int(expiry_text)
    except ValueError:
        return None
    if expires <= time.time():
        return None
    with svc.db.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None or key.role != "operator" \
                or key.venue_id is None:
            return None
        venue = session.get(Venue, key.venue_id)
        return OperatorVisit(key.id, venue.id, venue.slug, venue.name,
                             venue.retired_at is not None, _csrf(svc, cookie))


def set_operator_cookie(response: Response, svc: Service, key: ApiKey) -> None:
    expires = int(time.time()) + OPERATOR_SESSION_SECONDS
    payload = f"operator.{key.id}.{expires}"
    response.set_cookie(OPERATOR_COOKIE, f"{payload}.{_mac(svc, payload)}",
                        max_age=OPERATOR_SESSION_SECONDS, path=VENUE_PATH, httponly=True,
                        samesite="strict",
                        secure=svc.settings.public_url.startswith("https://"))


def clear_operator_cookie(response: Response) -> None:
    response.delete_cookie(OPERATOR_COOKIE, path=VENUE_PATH, httponly=True, samesite="strict")


def csrf_ok(visit: OperatorVisit, sent: str) -> bool:
    return bool(visit.csrf) and hmac.compare_digest(visit.csrf.encode(), sent.encode())
