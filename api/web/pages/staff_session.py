"""The staff's session on the pages: a registrar (an institution's API key) or the authority
(a governor's key) signs in with the API key once; the key itself is never put in a cookie.

The cookie carries ``role.key-row-id.expiry.mac``, the mac an HMAC-SHA256 under the
service's server secret over the role, the key's row id and the expiry. Every request
checks the mac, the expiry, and that the key still exists, is not revoked and still has
that role: revoking the key ends its page sessions at once. The cookie is HttpOnly,
SameSite=Strict and limited to ``/staff``; every POST form carries a CSRF token, an HMAC
of the cookie under the server secret (like the learner's pages).
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
from api.service.models import ApiKey, Issuer

STAFF_COOKIE = "credbank_staff"
STAFF_LOGIN_COOKIE = "credbank_staff_login_csrf"
STAFF_PATH = "/staff"
STAFF_SESSION_SECONDS = 8 * 3600
ROLES = ("institution", "governor")


@dataclass(frozen=True)
class Staff:
    """A signed-in registrar or the authority; ``issuer_id`` None for the authority."""

    role: str
    key_id: int
    issuer_id: int | None
    issuer_name: str
    csrf: str

    @property
    def authority(self) -> bool:
        return self.role == "governor"


def _mac(svc: Service, payload: str) -> str:
    return hmac.new(svc.secret, b"credbank-staff\0" + payload.encode(),
                    hashlib.sha256).hexdigest()


def cookie_value(svc: Service, role: str, key_id: int, expires: int) -> str:
    payload = f"{role}.{key_id}.{expires}"
    return f"{payload}.{_mac(svc, payload)}"


def staff_csrf(svc: Service, cookie: str) -> str:
    return hmac.new(svc.secret, b"credbank-staff-csrf\0" + cookie.encode(),
                    hashlib.sha256).hexdigest()


def key_of(svc: Service, token: str) -> ApiKey | None:
    """The live API key a staff member typed in, else None."""
    parts = security.split_api_key(token.strip())
    if parts is None:
        return None
    with svc.db.session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.key_id == parts[0])).first()
        if key is None or not security.same_hash(parts[1], key.secret_hash) \
                or key.revoked_at is not None or key.role not in ROLES:
            return None
        session.expunge(key)
        return key


def staff_of(request: Request, svc: Service, now: float | None = None) -> Staff | None:
    """The staff member of the request's cookie, if it is genuine, unexpired and its key
    still live."""
    cookie = request.cookies.get(STAFF_COOKIE, "")
    parts = cookie.split(".")
    if len(parts) != 4 or parts[0] not in ROLES:
        return None
    role, key_text, expiry_text, mac = parts
    if not hmac.compare_digest(mac.encode(), _mac(svc, f"{role}.{key_text}.{expiry_text}")
                               .encode()):
        return None
    try:
        key_id, expires = int(key_text), int(expiry_text)
    except ValueError:
        return None
    if expires <= (time.time() if now is None else now):
        return None
    with svc.db.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None or key.role != role:
            return None
        issuer = session.get(Issuer, key.issuer_id) if key.issuer_id is not None else None
        name = issuer.name if issuer is not None else ""
        return Staff(role, key.id, key.issuer_id, name, staff_csrf(svc, cookie))


def set_staff_cookie(response: Response, svc: Service, key: ApiKey) -> None:
    expires = int(time.time()) + STAFF_SESSION_SECONDS
    response.set_cookie(STAFF_COOKIE, cookie_value(svc, key.role, key.id, expires),
                        max_age=STAFF_SESSION_SECONDS, path=STAFF_PATH, httponly=True,
                        samesite="strict",
                        secure=svc.settings.public_url.startswith("https://"))


def clear_staff_cookie(response: Response) -> None:
    response.delete_cookie(STAFF_COOKIE, path=STAFF_PATH, httponly=True, samesite="strict")


def staff_csrf_ok(staff: Staff, sent: str) -> bool:
    return bool(staff.csrf) and hmac.compare_digest(staff.csrf.encode(), sent.encode())
