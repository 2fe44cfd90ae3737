"""A credential as a printable certificate: an A4 PDF in Chinese or English that carries
the credential itself.

The page shows the issuer, the learner's name (or says plainly that this copy hides it),
the achievement, its type, credits, level, dates and the credential id; a QR code of the
share link when there is one; and how to check it. The credential JSON the page was made
from is embedded, byte for byte, as the attachment ``credential.json``
(``application/json``), so ``credbank-verify CERT.pdf`` checks the very copy the page
shows (docs/api.md, "Certificates"). What is printed is for reading; the proof is the
attachment, or the share page the QR code opens.

The PDF is written by fpdf2 (pure Python; it embeds fonts as subsets, and embeds files),
with the CJK font :mod:`api.service.fonts` finds on the machine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, VAlign, WrapMode, XPos, YPos

from verifier import CredentialError, timefmt

from . import sharing
from .context import Service
from .errors import InvalidInput, Unavailable
from .fonts import Fonts, fonts

LANGUAGES = ("zh", "en")
ATTACHMENT = "credential.json"  # the name credbank-verify looks for (verifier/pdf.py)
MEDIA_TYPE = "application/pdf"


# ---- what a credential says ---------------------------------------------------------------

# Open Badges 3.0 achievement types (ledger.issuance.inputs.ACHIEVEMENT_TYPES) in words.
ACHIEVEMENT_TYPES: dict[str, tuple[str, str]] = {
    "Achievement": ("成就", "Achievement"),
    "ApprenticeshipCertificate": ("学徒证书", "Apprenticeship Certificate"),
    "Assessment": ("考核", "Assessment"),
    "Assignment": ("作业", "Assignment"),
    "AssociateDegree": ("副学士学位", "Associate Degree"),
    "Award": ("奖项", "Award"),
    "Badge": ("徽章", "Badge"),
    "BachelorDegree": ("学士学位", "Bachelor's Degree"),
    "Certificate": ("证书", "Certificate"),
    "CertificateOfCompletion": ("结业证书", "Certificate of Completion"),
    "Certification": ("资格认证", "Certification"),
    "CommunityService": ("社区服务", "Community Service"),
    "Competency": ("能力", "Competency"),
    "Course": ("课程", "Course"),
    "CoCurricular": ("课外活动", "Co-curricular Activity"),
    "Degree": ("学位", "Degree"),
    "Diploma": ("文凭", "Diploma"),
    "DoctoralDegree": ("博士学位", "Doctoral Degree"),
    "Fieldwork": ("实地实践", "Fieldwork"),
    "GeneralEducationDevelopment": ("普通教育发展证书", "General Education Development"),
    "JourneymanCertificate": ("熟练工证书", "Journeyman Certificate"),
    "LearningProgram": ("学习项目", "Learning Programme"),
    "License": ("执照", "Licence"),
    "Membership": ("会员资格", "Membership"),
    "ProfessionalDoctorate": ("专业博士学位", "Professional Doctorate"),
    "QualityAssuranceCredential": ("质量保证证书", "Quality Assurance Credential"),
    "MasterCertificate": ("技师证书", "Master Certificate"),
    "MasterDegree": ("硕士学位", "Master's Degree"),
    "MicroCredential": ("微证书", "Micro-credential"),
    "ResearchDoctorate": ("研究型博士学位", "Research Doctorate"),
    "SecondarySchoolDiploma": ("高中毕业证书", "Secondary School Diploma"),
}


def achievement_type(code: str, lang: str) -> str:
    """The type in words; an extension type (``ext:Name``) or an unknown one as its name."""
    words = ACHIEVEMENT_TYPES.get(code)
    if words:
        return words[0] if lang == "zh" else words[1]
    return code.removeprefix("ext:")


SHANGHAI = timefmt.CHINA


def local_time(value: Any) -> str | None:
    """A dateTime as ``2026-09-01 16:00 (UTC+08:00)``, in Asia/Shanghai; None if unreadable."""
    try:
        moment = timefmt.parse(value, "time").astimezone(SHANGHAI)
    except CredentialError:
        return None
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _day(value: Any) -> str | None:
    """The date of a date-valued claim (activity dates are midnight UTC of that day)."""
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None


# What a page shows of one value: the whole of it is in the attachment. A table row must
# fit on one page (fpdf2 does not split a row), so long values are cut, visibly.
MAX_SHOWN = 300
MAX_HEADING = 160


def clip(text: str | None, limit: int = MAX_SHOWN) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit - 1].rstrip() + "…"


def _member(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return None


@dataclass(frozen=True)
class Facts:
    """What the certificate prints, read from the copy (absent claims are None)."""

    credential_id: str
    issuer_name: str
    issuer_id: str | None
    learner_name: str | None
    name_hidden: bool  # a derived copy that does not disclose the name
    achievement_name: str
    achievement_type: str
    field_of_study: str | None
    credits: str | None
    level: str | None
    results: str | None
    period: str | None
    issued: str | None
    valid_from: str | None
    valid_until: str | None
    derived: bool


def _is_derived(credential: dict[str, Any]) -> bool:
    proofs = credential.get("proof")
    return any(isinstance(p, dict) and isinstance(p.get("disclosure"), dict)
               for p in (proofs if isinstance(proofs, list) else [proofs]))


def _achievement_name(achievement: Any, lang: str) -> str:
    """The name in the page's language: English where the credential has it in English;
    Chinese otherwise (Chinese pages: the Chinese name, whichever is primary)."""
    name = _text(_member(achievement, "name")) or "—"
    primary = _text(_member(achievement, "inLanguage")) or "zh-CN"
    if primary.lower().startswith(lang):
        return name
    code = "en" if lang == "en" else "zh-CN"
    return _text(_member(achievement, "translations", code, "name")) or name


def _learner_name(subject: Any) -> str | None:
    for identifier in _member(subject, "identifier") or []:
        if (isinstance(identifier, dict) and identifier.get("identityType") == "name"
                and identifier.get("hashed") is False):
            return _text(identifier.get("identityHash"))
    return None


def _results(subject: Any, achievement: Any, lang: str) -> str | None:
    names = {}
    for description in _member(achievement, "resultDescription") or []:
        if isinstance(description, dict) and isinstance(description.get("id"), str):
            names[description["id"]] = _text(description.get("name"))
    shown = []
    for result in _member(subject, "result") or []:
        value = _text(_member(result, "value"))
        if value is None:
            continue
        name = names.get(_member(result, "resultDescription"))
        shown.append(f"{name} {value}" if name else value)
    return ("；" if lang == "zh" else "; ").join(shown) or None


def _issued(credential: dict[str, Any]) -> str | None:
    proofs = credential.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        created = local_time(_member(proof, "created"))
        if created:
            return created
    return local_time(credential.get("validFrom"))


def read_facts(credential: dict[str, Any], lang: str) -> Facts:
    subject = credential.get("credentialSubject")
    achievement = _member(subject, "achievement")
    issuer = credential.get("issuer")
    start = _day(_member(subject, "activityStartDate"))
    end = _day(_member(subject, "activityEndDate"))
    period = f"{start or '…'} – {end or '…'}" if start or end else None
    name = _learner_name(subject)
    derived = _is_derived(credential)
    return Facts(
        credential_id=clip(_text(credential.get("id"))) or "—",
        issuer_name=clip(_text(_member(issuer, "name")) or _text(_member(issuer, "id"))
                         or _text(issuer), MAX_HEADING) or "—",
        issuer_id=clip(_text(_member(issuer, "id")) or _text(issuer)),
        learner_name=clip(name, MAX_HEADING),
        name_hidden=name is None and derived,
        achievement_name=clip(_achievement_name(achievement, lang), MAX_HEADING) or "—",
        achievement_type=clip(achievement_type(
            _text(_member(achievement, "achievementType")) or "Achievement", lang)) or "—",
        field_of_study=clip(_text(_member(achievement, "fieldOfStudy"))),
        credits=clip(_text(_member(subject, "creditsEarned"))),
        level=clip(_text(_member(achievement, "level"))),
        results=clip(_results(subject, achievement, lang)),
        period=period,
        issued=_issued(credential),
        valid_from=local_time(credential.get("validFrom")),
        valid_until=local_time(credential.get("validUntil")),
        derived=derived,
    )


# ---- words --------------------------------------------------------------------------------

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "学习成果证书",
        "certifies": "兹证明",
        "awarded": "已取得以下学习成果",
        "name_hidden": "姓名未公开：此分享副本隐藏了学习者姓名",
        "name_absent": "凭证未载明学习者姓名",
        "type": "类型", "field": "专业领域", "credits": "学分", "level": "层次",
        "results": "成绩", "period": "学习期间", "issued": "签发时间",
        "valid_from": "生效时间", "valid_until": "有效期至", "no_expiry": "长期有效",
        "credential_id": "凭证编号", "issuer_id": "发证机构标识",
        "check": "如何核验",
        "scan": "扫描二维码打开分享页面，在线核验此凭证：",
        "no_link": "此文件没有分享链接，没有二维码；请用下述方法离线核验。",
        # no Latin word inside: Chinese lines break between any two characters
        "offline": "离线核验：对此文件运行下面的命令。它取出文件附带的凭证，检查签发机构"
                   "的签名、内容是否被改动、上链锚定以及是否已被撤销。",
        "compare": "本页文字仅供阅读，核验的对象是附带的凭证或分享页面：请将核验结果与本页"
                   "内容对照。",
        "derived": "此为选择性披露副本：只包含持有人选择公开的信息。",
        "attachment": "附件 credential.json：本证书所依据的凭证（{size} 字节）。",
    },
    "en": {
        "title": "Certificate of Learning Achievement",
        "certifies": "This is to certify that",
        "awarded": "has been awarded",
        "name_hidden": "Name not disclosed: this shared copy hides the learner's name",
        "name_absent": "The credential does not state the learner's name",
        "type": "Type", "field": "Field of study", "credits": "Credits", "level": "Level",
        "results": "Results", "period": "Period of study", "issued": "Issued",
        "valid_from": "Valid from", "valid_until": "Valid until", "no_expiry": "no expiry",
        "credential_id": "Credential ID", "issuer_id": "Issuer ID",
        "check": "How to check this certificate",
        "scan": "Scan the QR code to open the share page and check the credential online:",
        "no_link": "This file has no share link and so no QR code; check it offline as "
                   "follows.",
        "offline": "Offline: run the command below on this PDF file. It takes the "
                   "credential embedded in the file (credential.json) and checks the issuer's "
                   "signature, that nothing was altered, its anchoring on the ledger and "
                   "whether it was revoked.",
        "compare": "The printed text is for reading; what is checked is the embedded "
                   "credential or the share page. Compare the result with this page.",
        "derived": "This is a selectively disclosed copy: it holds only what its holder "
                   "chose to reveal.",
        "attachment": "Attached file credential.json: the credential this certificate was "
                      "made from ({size} bytes).",
    },
}


# ---- drawing ------------------------------------------------------------------------------

INK = (33, 37, 41)
ACCENT = (22, 58, 110)
MUTED = (96, 104, 112)
MARGIN = 22.0  # mm, inside the frame
QR_SIZE = 40.0  # mm, quiet zone included


class Page(FPDF):
    def __init__(self, fonts: Fonts, lang: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        # Chinese breaks between any two characters; English between words
        self.wrapmode = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        for style, face in (("", fonts.regular), ("B", fonts.bold)):
            try:
                self.add_font("cjk", style, str(face.path), collection_font_number=face.index)
            except Exception as exc:  # a damaged or unusual font file: the setup is at fault
                raise Unavailable(f"the font {face.path} cannot be used for certificates "
                                  f"({type(exc).__name__})") from None
        self.set_text_color(*INK)

    def header(self) -> None:  # a double frame on every page
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.8)
        self.rect(10, 10, self.w - 20, self.h - 20)
        self.set_line_width(0.25)
        self.rect(13, 13, self.w - 26, self.h - 26)

    def line_of(self, text: str, size: float, *, bold: bool = False,
                color: tuple[int, int, int] = INK, align: Align = Align.C,
                after: float = 0) -> None:
        self.set_font("cjk", "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                        wrapmode=self.wrapmode)
        self.set_text_color(*INK)
        if after:
            self.ln(after)


def draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The share link's QR code as filled rectangles (sharp at any print resolution), with
    its four-module quiet zone, as the service's QR images draw it (sharing.qr_png)."""
    code = segno.make(url, error="m", micro=False)
    rows = code.matrix
    module = size / (len(rows) + 8)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # a hair taller than a module, so no seam shows between rows
            pdf.rect(x + (start + 4) * module, y + (r + 4) * module, (c - start) * module,
                     module + 0.02, style="F")
    pdf.link(x, y, size, size, url)


def render(document: bytes, lang: str = "zh", *, share_url: str | None = None,
           file_name: str = "certificate.pdf") -> bytes:
    """The certificate of the credential whose JSON is ``document`` (exactly the bytes
    embedded as credential.json), in ``lang`` (zh or en), with a QR code of ``share_url``
    when given; ``file_name`` is the name the check command on the page uses. Raises
    Unavailable when no CJK font is installed, InvalidInput for an unknown language or a
    document that is not a JSON object."""
    check_language(lang)
    try:
        credential = json.loads(document)
    except ValueError:
        raise InvalidInput("the credential is not JSON") from None
    if not isinstance(credential, dict):
        raise InvalidInput("the credential is not a JSON object")
    facts = read_facts(credential, lang)
    words = WORDS[lang]
    pdf = Page(fonts(), lang)
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_title(f"{facts.achievement_name} — {facts.issuer_name}")
    pdf.set_subject(facts.credential_id)
    pdf.set_author(facts.issuer_name)
    pdf.set_creator("credbank")
    pdf.add_page()

    pdf.ln(4)
    pdf.line_of(facts.issuer_name, 15, bold=True, color=ACCENT, after=6)
    pdf.line_of(words["title"], 26 if lang == "zh" else 22, bold=True, color=ACCENT, after=10)
    pdf.line_of(words["certifies"], 11, color=MUTED, after=3)
    if facts.learner_name:
        pdf.line_of(facts.learner_name, 22, bold=True, after=4)
    else:
        pdf.line_of(words["name_hidden"] if facts.name_hidden else words["name_absent"], 13,
                    color=MUTED, after=4)
    pdf.line_of(words["awarded"], 11, color=MUTED, after=3)
    pdf.line_of(facts.achievement_name, 20, bold=True, after=2)
    pdf.line_of(facts.achievement_type, 12, color=MUTED, after=10)

    rows = [
        (words["type"], facts.achievement_type),
        (words["field"], facts.field_of_study),
        (words["credits"], facts.credits),
        (words["level"], facts.level),
        (words["results"], facts.results),
        (words["period"], facts.period),
        (words["issued"], facts.issued),
        (words["valid_from"], facts.valid_from),
        (words["valid_until"], facts.valid_until or words["no_expiry"]),
        (words["credential_id"], facts.credential_id),
        (words["issuer_id"], facts.issuer_id),
    ]
    pdf.set_font("cjk", "", 10)
    with pdf.table(col_widths=(38, 128), width=166, borders_layout=TableBordersLayout.NONE,
                   first_row_as_headings=False, text_align=(Align.L, Align.L),
                   v_align=VAlign.T, line_height=5.6, padding=(0.8, 1),
                   wrapmode=pdf.wrapmode) as table:
        for label, value in rows:
            if value:
                row = table.row()
                row.cell(label)
                row.cell(value)
    pdf.ln(6)

    _how_to_check(pdf, words, share_url, file_name)
    if facts.derived:
        pdf.line_of(words["derived"], 8.5, color=MUTED, align=Align.L, after=1)
    pdf.line_of(words["attachment"].format(size=len(document)), 8.5, color=MUTED,
                align=Align.L)

    pdf.embed_file(bytes=document, basename=ATTACHMENT, mime_type="application/json",
                   desc=words["attachment"].format(size=len(document)), compress=True)
    return bytes(pdf.output())


def _how_to_check(pdf: Page, words: dict[str, str], share_url: str | None,
                  file_name: str) -> None:
    block = QR_SIZE + 8 if share_url else 40
    if pdf.get_y() + block > pdf.h - MARGIN:
        pdf.add_page()
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.ln(3)
    pdf.line_of(words["check"], 11, bold=True, color=ACCENT, align=Align.L, after=2)
    top = pdf.get_y()
    if share_url:
        draw_qr(pdf, share_url, MARGIN - 2, top, QR_SIZE)
        left = MARGIN + QR_SIZE + 2
        pdf.set_left_margin(left)
        pdf.set_x(left)
        pdf.line_of(words["scan"], 9.5, align=Align.L, after=1)
        pdf.set_font("cjk", "", 8.5)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(0, 4.6, share_url, align=Align.L, link=share_url,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
        pdf.ln(2)
    else:
        pdf.line_of(words["no_link"], 9.5, align=Align.L, after=1)
    pdf.line_of(words["offline"], 9.5, align=Align.L, after=1)
    pdf.line_of(f"credbank-verify {file_name}", 9.5, bold=True, align=Align.L, after=1.5)
    pdf.line_of(words["compare"], 9.5, color=MUTED, align=Align.L, after=1)
    pdf.set_left_margin(MARGIN)
    pdf.set_y(max(pdf.get_y(), top + (QR_SIZE if share_url else 0)) + 3)


def check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}")


# ---- the two downloads --------------------------------------------------------------------

@dataclass(frozen=True)
class Certificate:
    pdf: bytes
    filename: str


def filename(credential_id: str, lang: str) -> str:
    stem = credential_id.rsplit(":", 1)[-1]
    safe = "".join(c for c in stem if c.isalnum() or c == "-")[:64] or "credential"
    return f"certificate-{safe}-{lang}.pdf"


def own_certificate(svc: Service, learner_id: int | None, credential_id: str,
                    lang: str) -> Certificate:
    """The certificate of a learner's own credential: the full copy, no QR code (a share
    link's token is shown once and never stored)."""
    check_language(lang)
    fonts()  # Unavailable before anything is read
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        row = sharing.own_credential(session, learner, credential_id)
        document, row_id = row.document, row.id
    name = filename(row_id, lang)
    return Certificate(render(document.encode("utf-8"), lang, file_name=name), name)


def shared_certificate(svc: Service, token: str, lang: str) -> Certificate:
    """The certificate of a share link: the copy the link discloses, exactly the bytes its
    JSON download serves (sharing.shared_json), with a QR code of the link. Opening it
    counts one view, as the JSON does; Gone, NotFound as sharing.open_shared raises. The
    font is looked up first, so a machine without one counts no view."""
    check_language(lang)
    fonts()
    opened = sharing.open_shared(svc, token)
    document = sharing.shared_json(opened.copy)
    name = filename(opened.credential.id, lang)
    return Certificate(render(document, lang, share_url=sharing.link_url(svc, token),
                              file_name=name), name)
