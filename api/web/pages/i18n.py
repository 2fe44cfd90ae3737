r"""The pages' languages: which one a visitor gets, and every message in each.

Language: ``?lang=zh|en`` (remembered in a cookie), else the cookie, else Accept-Language,
else Chinese (docs/api.md, "Verify page").

Messages are gettext catalogs, ``api/web/locale/<locale>/LC_MESSAGES/messages.po``, one per
language; a message's msgid is its English text. Templates mark messages with ``_()`` and
``{% trans %}``; Python code marks the ones it chooses between with :func:`N_` and has them
translated where they are shown. The catalogs are read with Babel and compiled in memory
when this module is imported, so a fresh clone needs no build step and a broken catalog
stops the service at start, not at a visitor's request.

After adding or changing a message (docs/operations.md, "Translations")::

    pybabel extract -F babel.cfg --no-location -o /tmp/messages.pot api/web
    pybabel update -i /tmp/messages.pot -d api/web/locale --ignore-obsolete \
        --no-fuzzy-matching

then translate the new entries in both catalogs (the English one repeats the msgid);
tests/service/test_translations.py fails while any message is missing or untranslated.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

LANGS = ("zh", "en")
LOCALES = {"zh": "zh_CN", "en": "en"}  # the catalogs' directories under LOCALE_DIR
LANG_COOKIE = "credbank_lang"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a message for the catalogs; it is translated where it is shown."""
    return message


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str) -> Translations:
    """The language's catalog, compiled from its .po file in memory."""
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=LOCALES[lang], domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


TRANSLATIONS: dict[str, Translations] = {lang: load(lang) for lang in LANGS}


def choose_lang(request: Request) -> tuple[str, bool]:
    """The page language, and whether it came from ``?lang=`` (then it is remembered)."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGS:
        return remembered, False
    return accepted_lang(request.headers.get("accept-language", "")), False


def accepted_lang(header: str) -> str:
    """The first of zh or en in an Accept-Language header by quality, else zh."""
    ranked: list[tuple[float, int, str]] = []
    for order, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        match = re.search(r"q=([0-9.]+)", params)
        if match:
            try:
                quality = float(match.group(1))
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGS and quality > 0:
            ranked.append((-quality, order, primary))
    return min(ranked)[2] if ranked else "zh"
