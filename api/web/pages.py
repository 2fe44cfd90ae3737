"""Server-rendered pages in Chinese and English: the learning account, share links, the
public share page and the public verify page.

Language: ``?lang=zh|en`` (remembered in a cookie), else the cookie, else Accept-Language,
else Chinese. Jinja2 autoescapes everything. Pages send a strict Content-Security-Policy (no
scripts at all) and ``Referrer-Policy: no-referrer``, so a share link's token never leaves
in a Referer header.

Forms: the learner's pages are authenticated by the session cookie, so every POST carries
a CSRF token, an HMAC of the session token under the server secret, checked before
anything is done. The sign-in form, which has no session yet, uses a random token in a
cookie and the form (double submit), so no other site can sign a browser into an account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from api.service import checking, security, sharing
from api.service.context import Service
from api.service.errors import Gone, NotFound, ServiceError
from api.service.models import Credential, Learner, LearnerSession
from api.web.auth import SESSION_COOKIE, ServiceDep
from api.web.errors import status_of
from api.web.routes.learner import (
    authenticator,
    clear_session_cookie,
    end_session,
    set_session_cookie,
    sign_in,
)
from verifier import VerificationResult, jsonio, timefmt, verdict
from verifier.claims import is_mandatory

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LANGS = ("zh", "en")
LANG_COOKIE = "credbank_lang"
LOGIN_CSRF_COOKIE = "credbank_login_csrf"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


# ---- words -------------------------------------------------------------------------------

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "site": "学分银行", "account": "学习账户", "links": "分享链接", "verify": "验证证书",
        "sign_in": "登录", "sign_out": "退出", "login": "账号", "password": "密码",
        "bad_login": "账号或密码不正确。", "form_expired": "表单已过期，请刷新页面后重试。",
        "welcome": "您好，{name}", "credentials": "我的证书", "no_credentials": "暂无证书。",
        "issuer": "签发机构", "achievement": "名称", "type": "类型",
        "field_of_study": "学科领域", "credits": "学分", "issued_at": "签发时间",
        "state": "状态", "total_credits": "有效学分合计", "credits_by_field": "按学科领域的学分",
        "counts_by_type": "按类型的证书数", "summary_note":
            "只计入有效的证书；已撤销或暂停的证书不计学分。",
        "pending": "待上链", "anchored": "已上链", "active": "有效", "revoked": "已撤销",
        "suspended": "已暂停", "details": "详情", "download": "下载完整证书（JSON）",
        "share": "分享此证书", "share_intro":
            "选择要公开的内容。带 ✓ 的项目始终公开（证书的必要信息）。",
        "always_revealed": "始终公开的内容", "reveal": "公开", "expires_in_days": "有效天数",
        "max_views": "最多查看次数（可留空）", "label": "备注（可选）",
        "create_link": "生成分享链接",
        "link_created": "分享链接已生成", "link_once":
            "请立即复制或保存此链接：为安全起见，服务器只保存它的哈希，之后无法再次显示。",
        "qr_png": "二维码 PNG", "qr_svg": "二维码 SVG", "expires_at": "到期时间",
        "views": "查看次数", "last_opened": "最近打开", "opened_at": "打开记录",
        "never": "从未", "revoke": "撤销", "no_links": "还没有分享链接。",
        "link_active": "有效", "link_expired": "已过期", "link_revoked": "已撤销",
        "link_used_up": "次数已用完", "unlimited": "不限",
        "verified": "已验证", "not_verified": "未通过验证",
        "not_anchored": "已签名，尚未上链锚定", "not_anchored_note":
            "签发机构的签名有效，但证书还在等待上链锚定；稍后再打开此链接即可看到完整结果。",
        "status_revoked_note": "签发机构已撤销此证书。",
        "status_suspended_note": "签发机构已暂停此证书。",
        "shared_by_learner": "学习者选择公开的内容", "hidden_count": "另有 {n} 项内容未公开。",
        "checks": "验证项目", "download_copy": "下载此份证书（可离线验证）",
        "offline_hint": "用 credbank-verify 命令可离线核验下载的文件。",
        "gone_title": "链接已失效", "gone_expired": "此分享链接已过期。",
        "gone_revoked": "此分享链接已被持有人撤销。",
        "gone_used_up": "此分享链接的查看次数已用完。",
        "not_found": "找不到此分享链接。",
        "verify_intro": "上传证书文件，或粘贴分享链接（二维码扫出的就是这个链接）。",
        "file": "证书文件（JSON）", "or": "或", "share_link": "分享链接",
        "check": "验证", "verify_nothing": "请选择一个文件或粘贴一个分享链接。",
        "not_a_link": "这不是本服务的分享链接。", "too_large": "文件太大。",
        "valid_from": "生效时间", "valid_until": "有效期至", "credential_id": "证书编号",
        "revealed_fields": "公开内容", "back": "返回", "error": "出错了",
        "no_credential": "您的学习账户中没有这份证书。",
        "no_link": "您的学习账户中没有这个分享链接。",
        "c_format": "格式", "c_integrity": "完整性（未被篡改）", "c_disclosure": "选择性披露",
        "c_issuer_signature": "签发机构签名", "c_issuer_trusted": "签发机构受信任",
        "c_batch_inclusion": "包含在上链批次中", "c_anchored": "已上链锚定",
        "c_not_revoked": "未被撤销", "c_not_suspended": "未被暂停", "c_not_expired": "未过期",
        "s_passed": "通过", "s_failed": "未通过", "s_skipped": "跳过", "s_error": "出错",
        "f_name": "证书名称", "f_description": "描述", "f_learner_name": "姓名",
        "f_identity": "身份证号（加盐哈希，可供核对）", "f_identifier": "身份标识",
        "f_achievement_id": "成就编号", "f_achievement_description": "课程/项目描述",
        "f_criteria": "达成标准", "f_in_language": "语言", "f_field_of_study": "学科领域",
        "f_translations": "译名", "f_result_description": "成绩说明",
        "f_credits_earned": "获得学分", "f_result": "成绩", "f_schema": "数据模式",
        "f_credits_available": "可获学分", "f_valid_until": "有效期至",
        "f_image": "图片", "f_evidence": "佐证材料", "f_status_entry": "状态登记（撤销/暂停查询）",
        "plumbing_note": "另含 JSON-LD 技术字段（@context、type）。",
        "note": "备注", "view_limit": "查看次数上限",
    },
    "en": {
        "site": "Credit Bank", "account": "Learning account", "links": "Share links",
        "verify": "Verify a credential", "sign_in": "Sign in", "sign_out": "Sign out",
        "login": "Login", "password": "Password", "bad_login": "Wrong login or password.",
        "form_expired": "This form has expired; reload the page and try again.",
        "welcome": "Hello, {name}", "credentials": "My credentials",
        "no_credentials": "No credentials yet.", "issuer": "Issuer", "achievement": "Name",
        "type": "Type", "field_of_study": "Field of study", "credits": "Credits",
        "issued_at": "Issued", "state": "Status", "total_credits": "Active credits in total",
        "credits_by_field": "Credits by field of study", "counts_by_type": "Credentials by type",
        "summary_note": "Only active credentials count; revoked or suspended ones add no credits.",
        "pending": "awaiting anchoring", "anchored": "anchored", "active": "active",
        "revoked": "revoked", "suspended": "suspended", "details": "Details",
        "download": "Download the full credential (JSON)", "share": "Share this credential",
        "share_intro": "Choose what to reveal. Items marked ✓ are always revealed (a "
                       "credential's required facts).",
        "always_revealed": "Always revealed", "reveal": "Reveal",
        "expires_in_days": "Valid for (days)", "max_views": "Most views (optional)",
        "label": "Note (optional)", "create_link": "Create share link",
        "link_created": "Share link created",
        "link_once": "Copy or save this link now: the server keeps only its hash and cannot "
                     "show it again.",
        "qr_png": "QR code PNG", "qr_svg": "QR code SVG", "expires_at": "Expires",
        "views": "Views", "last_opened": "Last opened", "opened_at": "Opened at",
        "never": "never", "revoke": "Revoke", "no_links": "No share links yet.",
        "link_active": "active", "link_expired": "expired", "link_revoked": "revoked",
        "link_used_up": "no views left", "unlimited": "no limit",
        "verified": "Verified", "not_verified": "Not verified",
        "not_anchored": "Signed, not yet anchored",
        "not_anchored_note": "The issuer's signature is valid, but the credential is still "
                             "waiting to be anchored on the ledger; open the link again later "
                             "for the full result.",
        "status_revoked_note": "The issuer has revoked this credential.",
        "status_suspended_note": "The issuer has suspended this credential.",
        "shared_by_learner": "Revealed by the learner",
        "hidden_count": "{n} more items are not revealed.",
        "checks": "Checks", "download_copy": "Download this copy (checkable offline)",
        "offline_hint": "credbank-verify checks the downloaded file offline.",
        "gone_title": "Link no longer available", "gone_expired": "This share link has expired.",
        "gone_revoked": "This share link was revoked by its owner.",
        "gone_used_up": "This share link has been opened as many times as its owner allowed.",
        "not_found": "No such share link.",
        "verify_intro": "Upload a credential file, or paste a share link (a QR code holds "
                        "that link).",
        "file": "Credential file (JSON)", "or": "or", "share_link": "Share link",
        "check": "Verify", "verify_nothing": "Choose a file or paste a share link.",
        "not_a_link": "That is not a share link of this service.",
        "too_large": "The file is too large.",
        "valid_from": "Valid from", "valid_until": "Valid until", "credential_id": "Credential ID",
        "revealed_fields": "Revealed", "back": "Back", "error": "Something went wrong",
        "no_credential": "No such credential in this learning account.",
        "no_link": "No such share link in this learning account.",
        "c_format": "Format", "c_integrity": "Integrity (not altered)",
        "c_disclosure": "Selective disclosure", "c_issuer_signature": "Issuer signature",
        "c_issuer_trusted": "Issuer trusted", "c_batch_inclusion": "In an anchored batch",
        "c_anchored": "Anchored on the ledger", "c_not_revoked": "Not revoked",
        "c_not_suspended": "Not suspended", "c_not_expired": "Not expired",
        "s_passed": "passed", "s_failed": "failed", "s_skipped": "skipped", "s_error": "error",
        "f_name": "Credential name", "f_description": "Description",
        "f_learner_name": "Learner's name",
        "f_identity": "Identity number (salted hash, for matching)",
        "f_identifier": "Identifier", "f_achievement_id": "Achievement ID",
        "f_achievement_description": "Course or programme description",
        "f_criteria": "Criteria", "f_in_language": "Language",
        "f_field_of_study": "Field of study", "f_translations": "Translations",
        "f_result_description": "Result description", "f_credits_earned": "Credits earned",
        "f_result": "Result", "f_schema": "Schema", "f_credits_available": "Credits available",
        "f_valid_until": "Valid until", "f_image": "Image", "f_evidence": "Evidence",
        "f_status_entry": "Status entry (for revocation and suspension checks)",
        "plumbing_note": "Plus the JSON-LD technical fields (@context, type).",
        "note": "Note", "view_limit": "View limit",
    },
}

# The group pointers of sharing.fields() that have a name; others show their pointer.
FIELD_LABELS = {
    "/id": "credential_id", "/issuer": "issuer", "/validFrom": "valid_from",
    "/credentialStatus": "f_status_entry",
    "/credentialSubject/achievement/achievementType": "type",
    "/credentialSubject/achievement/name": "achievement",
    "/name": "f_name", "/description": "f_description", "/validUntil": "f_valid_until",
    "/image": "f_image", "/evidence": "f_evidence", "/credentialSchema": "f_schema",
    "/credentialSubject/creditsEarned": "f_credits_earned",
    "/credentialSubject/achievement/id": "f_achievement_id",
    "/credentialSubject/achievement/description": "f_achievement_description",
    "/credentialSubject/achievement/criteria": "f_criteria",
    "/credentialSubject/achievement/inLanguage": "f_in_language",
    "/credentialSubject/achievement/fieldOfStudy": "f_field_of_study",
    "/credentialSubject/achievement/translations": "f_translations",
    "/credentialSubject/achievement/creditsAvailable": "f_credits_available",
    "/credentialSubject/achievement/image": "f_image",
}
_INDEXED_LABELS = (
    (re.compile(r"^/credentialSchema/\d+$"), "f_schema"),
    (re.compile(r"^/credentialSubject/result/\d+$"), "f_result"),
    (re.compile(r"^/credentialSubject/achievement/resultDescription/\d+$"),
     "f_result_description"),
)


class Words:
    """``t("key", n=3)``: the message in the page's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.messages = MESSAGES[lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.messages.get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text


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


# ---- rendering ---------------------------------------------------------------------------

@dataclass
class Visitor:
    """Who is looking: a signed-in learner (with the CSRF token of their session) or not."""

    learner: Learner | None = None
    csrf: str = ""


def csrf_token(svc: Service, session_token: str) -> str:
    mac = hmac.new(svc.secret, b"credbank-csrf\0" + session_token.encode(), hashlib.sha256)
    return mac.hexdigest()


def visitor(request: Request, svc: Service) -> Visitor:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or token.startswith(security.API_KEY_PREFIX):
        return Visitor()
    with svc.db.session() as session:
        found = session.scalars(select(LearnerSession).where(
            LearnerSession.token_hash == security.token_hash(token))).first()
        if found is None or found.revoked_at is not None or found.expires_at <= timefmt.now():
            return Visitor()
        learner = session.get(Learner, found.learner_id)
    return Visitor(learner, csrf_token(svc, token)) if learner else Visitor()


def render(request: Request, name: str, status: int = 200, *, who: Visitor | None = None,
           **context: Any) -> HTMLResponse:
    lang, asked = choose_lang(request)
    t = Words(lang)
    other = "en" if lang == "zh" else "zh"
    switch = f"{request.url.path}?lang={other}"
    html = env.get_template(name).render(
        t=t, lang=lang, other_lang=other, switch_url=switch, who=who or Visitor(),
        label=lambda f: field_label(t, f), check_name=lambda c: t(f"c_{c}"),
        status_name=lambda s: t(f"s_{s}"), fmt_time=format_time, show=show_value, num=number,
        is_plumbing=is_plumbing,
        **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if asked:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


def field_label(t: Words, field: sharing.Field) -> str:
    pointer = field.pointer
    key = FIELD_LABELS.get(pointer)
    if key:
        return t(key)
    for pattern, indexed in _INDEXED_LABELS:
        if pattern.match(pointer):
            return t(indexed)
    if re.match(r"^/credentialSubject/identifier/\d+$", pointer):
        kinds = {"name": "f_learner_name", "nationalIdentityNumber": "f_identity"}
        for value in field.values:
            if value in kinds:
                return t(kinds[value])
        return t("f_identifier")
    return pointer


def format_time(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("T", " ").replace("Z", " UTC")
    return timefmt.format(value).replace("T", " ").replace("Z", " UTC")


def show_value(field: sharing.Field) -> str:
    """A field's values as one line: the meaningful leaves, not the JSON-LD types or flags."""
    shown = [v for v in field.values
             if not (isinstance(v, str) and v in _TYPE_WORDS) and not isinstance(v, bool)]
    return " · ".join("" if v is None else number(v) for v in (shown or field.values))


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_plumbing(field: sharing.Field) -> bool:
    """JSON-LD context and type entries: always revealed, and meaningless to a reader."""
    pointer = field.pointer
    return pointer.startswith("/@context") or bool(re.search(r"/type(/\d+)?$", pointer))


_TYPE_WORDS = {"IdentityObject", "Result", "ResultDescription", "Achievement", "Criteria",
               "name", "nationalIdentityNumber", "1EdTechJsonSchemaValidator2019", "Profile",
               "CredbankStatusEntry"}


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers=SECURITY_HEADERS)


def _forbidden(request: Request, who: Visitor | None = None) -> HTMLResponse:
    return render(request, "message.html", 403, who=who, title_key="error",
                  message_key="form_expired")


def _csrf_ok(who: Visitor, sent: str) -> bool:
    return bool(who.csrf) and hmac.compare_digest(who.csrf.encode(), sent.encode())


# ---- sign-in -----------------------------------------------------------------------------

def _login_form(request: Request, status: int = 200, error: str = "",
                login: str = "") -> HTMLResponse:
    token = security.new_token()
    response = render(request, "sign_in.html", status, csrf=token, error=error, login=login)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", httponly=True,
                        samesite="strict")
    return response


@router.get("/login")
def login_page(request: Request, svc: ServiceDep) -> Response:
    if visitor(request, svc).learner is not None:
        return redirect("/account")
    return _login_form(request)


@router.post("/login")
def login_submit(request: Request, svc: ServiceDep,
                 login: Annotated[str, Form(max_length=64)] = "",
                 password: Annotated[str, Form(max_length=200)] = "",
                 csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(request, 403, "form_expired", login)
    started = sign_in(svc, authenticator(request), login, password) if login and password \
        else None
    if started is None:
        return _login_form(request, 401, "bad_login", login)
    response = redirect("/account")
    set_session_cookie(response, svc, started[0])
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, svc: ServiceDep,
           csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    if not _csrf_ok(who, csrf):
        return _forbidden(request, who)
    end_session(svc, request.cookies.get(SESSION_COOKIE))
    response = redirect("/login")
    clear_session_cookie(response)
    return response


# ---- the learning account ----------------------------------------------------------------

@router.get("/account")
def account_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    with svc.db.session() as session:
        rows = sharing.own_credentials(session, who.learner)
    return render(request, "account.html", who=who, rows=rows,
                  summary=sharing.account_summary(rows))


def _credential_page(request: Request, svc: Service, who: Visitor, credential_id: str,
                     status: int = 200, error: str = "") -> Response:
    assert who.learner is not None
    with svc.db.session() as session:
        try:
            row = sharing.own_credential(session, who.learner, credential_id)
        except NotFound:
            return render(request, "message.html", 404, who=who, title_key="error",
                          message_key="no_credential")
        issuer = row.issuer
    fields = sharing.fields(sharing.full_copy(row))
    return render(request, "credential.html", status, who=who, row=row, issuer=issuer,
                  fields=fields, error=error)


@router.get("/account/credentials/{credential_id}")
def credential_page(credential_id: str, request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    return _credential_page(request, svc, who, credential_id)


@router.post("/account/links")
def create_link(request: Request, svc: ServiceDep,
                credential_id: Annotated[str, Form(max_length=64)] = "",
                reveal: Annotated[list[str] | None, Form()] = None,
                expires_in_days: Annotated[str, Form(max_length=8)] = "",
                max_views: Annotated[str, Form(max_length=8)] = "",
                label: Annotated[str, Form(max_length=200)] = "",
                csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    if not _csrf_ok(who, csrf):
        return _forbidden(request, who)
    try:
        days = int(expires_in_days or "30")
        views = int(max_views) if max_views.strip() else None
    except ValueError:
        return _credential_page(request, svc, who, credential_id, 422,
                                "expiresInDays and maxViews must be whole numbers")
    if not 1 <= days < sharing.MAX_LINK_DAYS:
        return _credential_page(request, svc, who, credential_id, 422,
                                f"a share link lasts 1 to {sharing.MAX_LINK_DAYS - 1} days")
    try:
        with svc.db.session() as session:
            learner = sharing.learner_of(session, who.learner.id)
            new = sharing.create_link(
                session, learner, credential_id, list(reveal or []),
                expires_at=timefmt.now() + timedelta(days=days), max_views=views,
                label=label.strip())
            achievement = session.get(Credential, credential_id).achievement_name  # type: ignore[union-attr]
    except ServiceError as exc:
        return _credential_page(request, svc, who, credential_id, status_of(exc), str(exc))
    url = sharing.link_url(svc, new.token)
    return render(request, "link_created.html", 201, who=who, url=url, link=new.link,
                  achievement=achievement, qr=sharing.qr_svg_inline(url),
                  qr_path=urlsplit(url).path)


@router.get("/account/links")
def links_page(request: Request, svc: ServiceDep) -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    with svc.db.session() as session:
        rows = []
        for link, credential, _last in sharing.own_links(session, who.learner):
            rows.append((link, credential, sharing.link_views(session, link),
                         sharing.link_state(link)))
    return render(request, "links.html", who=who, rows=rows)


@router.post("/account/links/{link_id}/revoke")
def revoke_link(link_id: int, request: Request, svc: ServiceDep,
                csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    who = visitor(request, svc)
    if who.learner is None:
        return redirect("/login")
    if not _csrf_ok(who, csrf):
        return _forbidden(request, who)
    try:
        with svc.db.session() as session:
            sharing.revoke_link(session, sharing.learner_of(session, who.learner.id), link_id)
    except NotFound:
        return render(request, "message.html", 404, who=who, title_key="error",
                      message_key="no_link")
    return redirect("/account/links")


# ---- verification results ----------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What a page says about one credential: its verdict, checks and what it shows."""

    verdict: str  # verified | not_anchored | revoked | suspended | not_verified
    result: VerificationResult
    credential: dict[str, Any] | None
    fields: list[sharing.Field]
    hidden: int
    download: str  # a data: URL of the exact copy checked, for offline checking


def outcome(svc: Service, credential: Any, row: Credential | None = None,
            raw: bytes | None = None) -> Outcome:
    checked = raw if raw is not None else credential
    result = checking.verify_copy(svc, checked, row)
    judged = verdict.verdict(result, credential, status=row.status if row is not None else None,
                             offline=lambda: checking.verify_offline(svc, checked))
    shown: list[sharing.Field] = []
    hidden = 0
    if isinstance(credential, dict) and verdict.unreadable(result) is None:
        shown = sharing.revealed_fields(credential)
        hidden = sum(len(p.get("disclosure", {}).get("hiddenDigests", []))
                     for p in credential.get("proof", []) if isinstance(p, dict))
    text = json.dumps(credential, ensure_ascii=False, indent=2).encode() if raw is None else raw
    download = "data:application/json;base64," + base64.b64encode(text).decode()
    return Outcome(judged, result, credential if isinstance(credential, dict) else None,
                   shown, hidden, download)


def facts(credential: dict[str, Any] | None) -> dict[str, Any]:
    """The headline of a credential from its (always disclosed) mandatory claims."""
    if not credential:
        return {}

    def member(value: Any, key: str) -> Any:
        return value.get(key) if isinstance(value, dict) else None

    achievement = member(member(credential, "credentialSubject"), "achievement")
    issuer = member(credential, "issuer")
    return {
        "name": member(achievement, "name"),
        "type": member(achievement, "achievementType"),
        "issuer": member(issuer, "name") or member(issuer, "id") or issuer,
        "valid_from": member(credential, "validFrom"),
        "valid_until": member(credential, "validUntil"),
        "id": member(credential, "id"),
    }


def optional_fields(fields: list[sharing.Field]) -> list[sharing.Field]:
    return [f for f in fields if not f.mandatory and not is_mandatory(f.pointer)]


env.globals.update(facts=facts, optional_fields=optional_fields)


# ---- the public share page ---------------------------------------------------------------

def _gone_page(request: Request, exc: ServiceError) -> HTMLResponse:
    key = f"gone_{exc.state}" if isinstance(exc, Gone) else "not_found"
    status = status_of(exc)
    return render(request, "message.html", status, title_key="gone_title"
                  if status == 410 else "error", message_key=key,
                  state=exc.state if isinstance(exc, Gone) else "not_found")


@router.get("/s/{token}")
def share_page(token: str, request: Request, svc: ServiceDep) -> Response:
    """The public page of a share link: each load counts as a view."""
    try:
        opened = sharing.open_shared(svc, token)
    except ServiceError as exc:
        return _gone_page(request, exc)
    return render(request, "share.html", outcome=outcome(svc, opened.copy, opened.credential),
                  json_path=f"/s/{token}.json")


# ---- the public verify page --------------------------------------------------------------

_LINK = re.compile(r"/s/([A-Za-z0-9_-]{20,128})(?:\.json)?/?$")


@router.get("/verify")
def verify_page(request: Request) -> Response:
    return render(request, "verify.html", outcome=None, error="", link="")


@router.post("/verify")
async def verify_submit(request: Request, svc: ServiceDep,
                        file: Annotated[UploadFile | None, File()] = None,
                        link: Annotated[str, Form(max_length=2000)] = "") -> Response:
    link = link.strip()
    if file is not None and file.filename:
        raw = await file.read(jsonio.MAX_CREDENTIAL_BYTES + 1)
        if len(raw) > jsonio.MAX_CREDENTIAL_BYTES:
            return render(request, "verify.html", 413, outcome=None, error="too_large", link="")
        try:
            credential: Any = jsonio.loads(raw)
        except Exception:  # the verifier reports the format failure itself
            credential = None
        return render(request, "verify.html", outcome=outcome(svc, credential, raw=raw),
                      error="", link="")
    if link:
        match = _LINK.search(urlsplit(link).path if "://" in link else link)
        if match is None:
            return render(request, "verify.html", 422, outcome=None, error="not_a_link",
                          link=link)
        try:
            opened = sharing.open_shared(svc, match.group(1))
        except ServiceError as exc:
            key = f"gone_{exc.state}" if isinstance(exc, Gone) else "not_a_link"
            return render(request, "verify.html", status_of(exc), outcome=None, error=key,
                          link=link)
        return render(request, "verify.html",
                      outcome=outcome(svc, opened.copy, opened.credential), error="", link=link)
    return render(request, "verify.html", 422, outcome=None, error="verify_nothing", link="")
