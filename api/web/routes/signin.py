"""Citizens sign in with the city's single sign-on (一网通办) by OpenID Connect: a redirect
to the provider, and the callback it sends the browser back to, which opens or finds the
learning account and starts the usual learner session (docs/api.md, "Learner sign-in").

The sign-in's ``state`` also goes into a short-lived HttpOnly cookie of the browser that
started it; the callback refuses a state that this browser did not start.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from api.service import oidc
from api.service.oidc_client import RelyingParty
from api.service.settings import OIDC_CALLBACK_PATH
from api.web.auth import ServiceDep, city_sign_in, set_session_cookie
from api.web.schemas import answers

PREFIX = "/v1/learner/oidc"
assert OIDC_CALLBACK_PATH == f"{PREFIX}/callback"
STATE_COOKIE = "credbank_oidc_state"
AFTER_SIGN_IN = "/account"

router = APIRouter(prefix=PREFIX, tags=["learner"])
Provider = Annotated[RelyingParty, Depends(city_sign_in)]


def _redirect(url: str) -> RedirectResponse:
    # no-store: a redirect that carries a session cookie or a fresh state is never cached
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store",
                                                           "Referrer-Policy": "no-referrer"})


@router.get(
    "/start", status_code=303, response_class=RedirectResponse,
    summary="Sign in with the city's single sign-on (redirects to the provider)",
    responses={303: {"description": "to the provider's sign-in page (Location)"},
               **answers(e404="this service has no city sign-in",
                         e503="the provider cannot be reached or is misconfigured")})
def start(request: Request, svc: ServiceDep, provider: Provider) -> RedirectResponse:
    started = oidc.start(svc, provider)
    response = _redirect(started.url)
    response.set_cookie(STATE_COOKIE, started.state, max_age=oidc.STATE_MINUTES * 60,
                        path=PREFIX, httponly=True, samesite="lax",
                        secure=svc.settings.public_url.startswith("https://"))
    return response


@router.get(
    "/callback", status_code=303, response_class=RedirectResponse,
    summary="Where the provider sends the citizen back: signs in, opening the learning "
            "account at the first sign-in",
    responses={303: {"description": "signed in: to the learning account, with the session "
                                    "cookie"},
               **answers(e403="refused: a state this browser did not start, the provider's "
                              "refusal, an ID token that fails a check, no identity number",
                         e404="this service has no city sign-in",
                         e409="the identity number no longer matches the linked account",
                         e410="the sign-in was already used or has expired",
                         e422="no state or no code",
                         e503="the provider cannot be reached or answers nonsense")})
def callback(request: Request, svc: ServiceDep, provider: Provider,
             code: Annotated[str | None, Query(max_length=2048)] = None,
             state: Annotated[str | None, Query(max_length=128)] = None,
             error: Annotated[str | None, Query(max_length=128)] = None,
             iss: Annotated[str | None, Query(max_length=500)] = None) -> RedirectResponse:
    signed_in = oidc.finish(svc, provider, state=state, code=code, error=error, issuer=iss,
                            browser_state=request.cookies.get(STATE_COOKIE))
    response = _redirect(AFTER_SIGN_IN)
    set_session_cookie(response, svc, signed_in.token)
    response.delete_cookie(STATE_COOKIE, path=PREFIX, httponly=True, samesite="lax")
    return response
