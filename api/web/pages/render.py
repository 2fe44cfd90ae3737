"""Rendering a page: one Jinja environment per language, and the headers every page sends.

Jinja2 autoescapes everything, translations included: a message is text, never markup, so
a catalog cannot put HTML into a page. Pages send a strict Content-Security-Policy (scripts
and styles only from the service's own static files, never inline; nothing from anywhere
else) and ``Referrer-Policy: no-referrer``, so a share link's token never leaves in a
Referer header. Every page works without its scripts; they add dropping a file, scanning a
QR code with the camera, the share form's presets and preview.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.types import Scope

from . import filters
from .i18n import LANG_COOKIE, LANGS, N_, TRANSLATIONS, choose_lang
from .visitor import Visitor

HERE = Path(__file__).resolve().parents[1]
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
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
    filters.install(env, catalog.gettext, lang)
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
            who: Visitor | None = None, state: str | None = None,
            params: dict[str, Any] | None = None) -> HTMLResponse:
    """A page that only says something: ``title`` and ``text`` are messages (msgids);
    ``text`` may name ``params`` (``%(seconds)s``)."""
    extra = {} if state is None else {"state": state}
    return render(request, "message.html", status, who=who, title=title, message=text,
                  params=params or {}, **extra)


# What an error page says for a refusal made before a page's handler ran (a body over the
# size limit, too many requests, a form that could not be read).
ERROR_PAGES = {
    413: (N_("Too large"), N_("What you sent is too large: a credential file is at most "
                              "1 MiB.")),
    429: (N_("Too many requests"), N_("Too many requests from your address; try again in "
                                      "%(seconds)s seconds.")),
    404: (N_("Not found"), N_("There is no such page.")),
}
FALLBACK_ERROR = (N_("Something went wrong"), N_("The request could not be handled; go back "
                                                  "and try again."))


def error_page(scope: Scope, status: int, detail: str,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """The error page for a page route (api.web.limits, the app's error handlers)."""
    title, text = ERROR_PAGES.get(status, FALLBACK_ERROR)
    seconds = (headers or {}).get("Retry-After", "60")
    response = message(Request(scope), status, title, text, state=f"error-{status}",
                       params={"seconds": seconds})
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)
