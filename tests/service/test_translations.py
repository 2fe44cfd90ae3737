"""The pages' catalogs: every message the templates and the code use is translated in both
languages, and every code a page puts into words has a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from markupsafe import Markup

from api.service import sharing
from api.service.sharing import Field
from api.web.pages import filters, i18n, outcome, public, render
from verifier import Status, verdict
from verifier.checks import CHECK_IDS

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "api" / "web"


def used_messages() -> set[str]:
    """What `pybabel extract -F babel.cfg api/web` finds: msgids of templates and code."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            WEB, method_map, options_map):
        assert isinstance(message, str), f"a plural or context message: {message!r}"
        found.add(message)
    return found


def catalog(lang: str) -> Catalog:
    with i18n.catalog_path(lang).open("rb") as po:
        return read_po(po, locale=i18n.LOCALES[lang])


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_message_used_is_translated_and_none_is_left_over(lang: str):
    used = used_messages()
    assert len(used) > 100 and "Content intact" in used and "Hello, %(name)s" in used
    entries = {m.id: m for m in catalog(lang) if m.id}
    assert sorted(used - set(entries)) == [], "missing from the catalog"
    assert sorted(set(entries) - used) == [], "in the catalog, used nowhere"
    assert [m.id for m in entries.values() if not m.string] == [], "untranslated"
    assert [m.id for m in entries.values() if m.fuzzy] == [], "fuzzy (not used at run time)"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_translations_keep_their_placeholders(lang: str):
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog(lang).check()]
    assert problems == []


def test_the_english_catalog_says_its_msgids():
    assert all(m.string == m.id for m in catalog("en") if m.id)


def test_the_catalogs_are_what_the_pages_use():
    zh, en = i18n.TRANSLATIONS["zh"], i18n.TRANSLATIONS["en"]
    assert zh.gettext("Credit Bank") == "学分银行" and en.gettext("Credit Bank") == "Credit Bank"
    assert zh.gettext("Hello, %(name)s") % {"name": "张伟"} == "您好，张伟"


def test_a_translation_is_text_never_markup():
    env = render.ENVIRONMENTS["en"]
    page = env.from_string('{{ _("Learner\'s name") }}|{% trans name="<b>" %}Hello, '
                           '{{ name }}{% endtrans %}|{{ "x" | check_name }}').render()
    assert page == "Learner&#39;s name|Hello, &lt;b&gt;|x"
    escaped = render._as_text(lambda message: message + " <i>")("a")
    assert isinstance(escaped, Markup) and escaped == "a &lt;i&gt;"


def test_every_code_a_page_names_has_a_message():
    assert set(filters.CHECK_NAMES) == set(CHECK_IDS)
    # and "not_checked": a check that relies on content that cannot be trusted
    assert set(filters.CHECK_STATUSES) == {s.value for s in Status} | {"not_checked"}
    assert {state for _, state in verdict.explain(
        _unreadable()).shown} <= set(filters.CHECK_STATUSES)
    assert set(filters.LINK_STATES) == {"active", *sharing.GONE_REASONS}
    assert set(public.GONE) == set(sharing.GONE_REASONS)
    # a credential's status (active | revoked | suspended) and state (pending | anchored)
    assert set(filters.CREDENTIAL_WORDS) == {"active", *verdict.STATUS_CHECKS, "pending",
                                             "anchored"}
    # every reason a page can give has a headline, and a note where it needs one
    assert set(outcome.VERDICT_NOTES) <= set(verdict.HEADLINES)
    assert set(outcome.TONES) <= set(verdict.HEADLINES)
    assert set(filters.ACHIEVEMENT_TYPES) >= {"Course", "Certificate", "Degree",
                                               "BachelorDegree", "License"}


def _unreadable():
    from verifier import verify

    return verify(b"{not json")


@pytest.mark.parametrize("code, zh, en", [
    ("Course", "课程", "Course"), ("Certificate", "证书", "Certificate"),
    ("BachelorDegree", "学士学位", "Bachelor's degree"), ("ext:Workshop", "Workshop",
                                                         "Workshop"),
])
def test_achievement_types_are_words(code: str, zh: str, en: str):
    assert filters.type_name(i18n.TRANSLATIONS["zh"].gettext, code) == zh
    assert filters.type_name(i18n.TRANSLATIONS["en"].gettext, code) == en


@pytest.mark.parametrize("values, zh, en", [
    (("name", "张伟"), "姓名", "Learner's name"),
    (("nationalIdentityNumber", "abc"), "身份证号（加盐哈希）",
     "Identity number (salted hash)"),
    (("other",), "身份标识", "Identifier"),
])
def test_identifier_labels(values: tuple[str, ...], zh: str, en: str):
    field = Field("/credentialSubject/identifier/0", False, values)
    assert filters.field_label(i18n.TRANSLATIONS["zh"].gettext, field) == zh
    assert filters.field_label(i18n.TRANSLATIONS["en"].gettext, field) == en
    unnamed = Field("/credentialSubject/somethingNew", False, ())
    assert filters.field_label(i18n.TRANSLATIONS["zh"].gettext, unnamed) == unnamed.pointer
