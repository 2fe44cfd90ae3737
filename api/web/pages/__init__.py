"""Server-rendered pages in Chinese and English: the learning account, share links, the
public share page and the public verify page.

One room per concern: languages and catalogs (``i18n``), who is looking and the CSRF tokens
of their forms (``visitor``), rendering and the headers every page sends (``render``), how
values are shown (``filters``), what a page says about a credential (``outcome``), and the
handlers: the learner's pages (``account``, ``credit``: recognition and the archive,
``points``: learning points, ``code``: the learning code, card and scans, ``presenting``:
answering an employer's request and the presentations made), the staff's (``staff``,
signed in by ``staff_session``), venue operators' (``venue``, signed in by
``venue_session``), employers' (``employer``: requests and their results, ``hr``: bulk
checks) and the public ones (``public``).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import account, code, credit, employer, hr, points, presenting, public, staff, venue
from .account import refusal_page
from .render import STATIC, TEMPLATES, error_page

router = APIRouter(include_in_schema=False)
router.include_router(account.router)
router.include_router(credit.router)
router.include_router(points.router)
router.include_router(staff.router)
router.include_router(code.router)
router.include_router(venue.router)
router.include_router(presenting.router)
router.include_router(employer.router)
router.include_router(hr.router)
router.include_router(public.router)

__all__ = ["STATIC", "TEMPLATES", "error_page", "refusal_page", "router"]
