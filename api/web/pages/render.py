"""Rendering a page: one Jinja environment per language, and the headers every page sends.

Jinja2 autoescapes everything, translations included: a message is text, never markup, so
a catalog cannot put HTML into a page. Pages send a strict Content-Security-Policy (no
scripts at all) and ``Referrer-Policy: no-referrer``, so a share link's token never leaves
in a Referer header.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from . import filters
from .i18n import LANG_COOKIE, LANGS, TRANSLATIONS, choose_lang
from .visitor import Visitor

HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _as_text(translate: Callable[..., str]) -> Callable[..., Markup]:
    """A translation function whose messages are escaped like any other value (Jinja's
    i18n extension would otherwise take a catalog's text as markup)."""
    return lambda *args: escape(translate(*args))


def environment(lang: str) -> Environment:
    """The templates with ``_()`` and ``{% trans %}`` in ``lang``, and the filters."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      extensions=["jinja2.ext.i18n"])
    env.policies["ext.i18n.trimmed"] = True  # babel.cfg extracts with trimmed = true too
    catalog = TRANSLATIONS[lang]
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _as_text(catalog.gettext), _as_text(catalog.ngettext), newstyle=True,
        pgettext=_as_text(catalog.pgettext), npgettext=_as_text(catalog.npgettext))
    filters.install(env, catalog.gettext)
    return env


ENVIRONMENTS = {lang: environment(lang) for lang in LANGS}


def render(request: Request, name: str, status: int = 200, *, who: Visitor | None = None,
           **context: Any) -> HTMLResponse:
    """The page ``name`` in the visitor's language (remembered when ``?lang=`` chose it)."""
    lang, asked = choose_lang(request)
    other = "en" if lang == "zh" else "zh"
    switch = f"{request.url.path}?lang={other}"
    html = ENVIRONMENTS[lang].get_template(name).render(
        lang=lang, other_lang=other, switch_url=switch, who=who or Visitor(), **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if asked:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


def message(request: Request, status: int, title: str, text: str, *,
            who: Visitor | None = None, state: str | None = None) -> HTMLResponse:
    """A page that only says something: ``title`` and ``text`` are messages (msgids)."""
    extra = {} if state is None else {"state": state}
    return render(request, "message.html", status, who=who, title=title, message=text,
                  **extra)


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)
