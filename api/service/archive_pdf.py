"""A learning archive as an A4 PDF in Chinese or English that carries the archive itself.

The pages list each credential the archive holds (issuer, achievement, type, credits with
their unit, issue date), the totals by unit and sector and the recognition decisions, with
a QR code of the service's verification page. The archive JSON is embedded byte for byte
as ``credential.json``, the attachment ``credbank-verify`` reads, exactly as a
certificate's credential is (certificate.py): the printed text is for reading, the
attachment is what is checked.
"""

from __future__ import annotations

import json
from typing import Any

from fpdf.enums import Align, TableBordersLayout, VAlign

from verifier import timefmt
from verifier.credit import Sector, Unit, value_of, value_text

from .certificate import (
    ACCENT,
    ATTACHMENT,
    MUTED,
    QR_SIZE,
    Page,
    check_language,
    draw_qr,
    read_facts,
)
from .fonts import fonts

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "终身学习档案",
        "holder": "档案持有人", "hidden": "（姓名未公开）",
        "issued_by": "签发：{bank}，{day}",
        "held": "档案所含凭证（{n} 份）",
        "col_issuer": "发证机构", "col_name": "学习成果", "col_credits": "学分/学时/积分",
        "col_day": "签发日期",
        "totals": "合计（不同单位分别合计，从不相加）",
        "recognised": "经认定转换计入学分银行",
        "untyped": "未注明单位的学分（不计入合计）：{n} 项",
        "none": "无",
        "check": "如何核验",
        "scan": "扫描二维码打开核验页面，上传此 PDF 文件即可核验档案及其中每份凭证：",
        "offline": "离线核验：对此文件运行下面的命令。它取出附带的档案，检查学分银行的签名，"
                   "并逐一核验档案中的每份凭证。",
        "attachment": "附件 credential.json：本档案（{size} 字节）。本页文字仅供阅读。",
    },
    "en": {
        "title": "Lifelong Learning Archive",
        "holder": "Holder", "hidden": "(name not disclosed)",
        "issued_by": "Issued by {bank}, {day}",
        "held": "Credentials in this archive ({n})",
        "col_issuer": "Issuer", "col_name": "Achievement", "col_credits": "Credits",
        "col_day": "Issued",
        "totals": "Totals (each unit on its own, never added together)",
        "recognised": "Recognised into the credit bank",
        "untyped": "Credits without a unit (in no total): {n}",
        "none": "none",
        "check": "How to check this archive",
        "scan": "Scan the QR code to open the verification page and upload this PDF: it "
                "checks the archive and every credential in it.",
        "offline": "Offline: run the command below on this PDF file. It takes the embedded "
                   "archive, checks the credit bank's signature and then every credential "
                   "the archive holds.",
        "attachment": "Attached file credential.json: this archive ({size} bytes). The "
                      "printed text is for reading only.",
    },
}


def _figure(credential: dict[str, Any], lang: str) -> str:
    subject = credential.get("credentialSubject", {})
    value = subject.get("creditsEarned")
    if value is None:
        return "—"
    unit = subject.get("achievement", {}).get("creditUnit")
    if unit in Unit.__members__.values():
        return f"{value_text(value_of(str(value)))} {getattr(Unit(unit), lang)}"
    return str(value)


def _total_line(item: dict[str, str], lang: str) -> str:
    text = f"{item['value']} {getattr(Unit(item['unit']), lang)}"
    if "sector" in item:
        text = f"{getattr(Sector(item['sector']), lang)}: {text}"
    return text


def render(document: bytes, lang: str, *, verify_url: str, file_name: str) -> bytes:
    """The PDF of the archive whose JSON is ``document`` (embedded as it is)."""
    check_language(lang)
    archive: dict[str, Any] = json.loads(document)
    words = WORDS[lang]
    subject = archive["credentialSubject"]
    bank = archive["issuer"]["name"]
    pdf = Page(fonts(), lang)
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_title(f"{words['title']} — {bank}")
    pdf.set_subject(archive["id"])
    pdf.set_author(bank)
    pdf.set_creator("credbank")
    pdf.add_page()
    pdf.ln(2)
    pdf.line_of(bank, 14, bold=True, color=ACCENT, after=4)
    pdf.line_of(words["title"], 24 if lang == "zh" else 20, bold=True, color=ACCENT, after=6)
    name = next((i.get("identityHash") for i in subject.get("identifier") or []
                 if i.get("identityType") == "name"), None)
    pdf.line_of(f"{words['holder']}: {name or words['hidden']}", 13, bold=bool(name), after=2)
    day = timefmt.parse(archive["validFrom"], "validFrom").astimezone(timefmt.CHINA)
    pdf.line_of(words["issued_by"].format(bank=bank, day=f"{day:%Y-%m-%d}"), 9.5,
                color=MUTED, after=6)

    held = subject["verifiableCredential"]
    pdf.line_of(words["held"].format(n=len(held)), 11, bold=True, color=ACCENT,
                align=Align.L, after=2)
    pdf.set_font("cjk", "", 9)
    with pdf.table(col_widths=(45, 71, 27, 23), width=166,
                   borders_layout=TableBordersLayout.HORIZONTAL_LINES,
                   text_align=(Align.L, Align.L, Align.L, Align.L), v_align=VAlign.T,
                   line_height=5, padding=(0.8, 1), wrapmode=pdf.wrapmode) as table:
        head = table.row()
        for key in ("col_issuer", "col_name", "col_credits", "col_day"):
            head.cell(words[key])
        for credential in held:
            facts = read_facts(credential, lang)
            row = table.row()
            row.cell(facts.issuer_name)
            row.cell(f"{facts.achievement_name}\n{facts.achievement_type}")
            row.cell(_figure(credential, lang))
            row.cell((facts.issued or "")[:10])
    pdf.ln(4)

    totals = subject.get("credbankTotals", {})
    pdf.line_of(words["totals"], 11, bold=True, color=ACCENT, align=Align.L, after=1.5)
    earned = totals.get("earned", {})
    lines = [_total_line(i, lang) for i in earned.get("byUnit", [])]
    lines += ["  " + _total_line(i, lang) for i in earned.get("byUnitAndSector", [])]
    pdf.line_of("\n".join(lines) or words["none"], 9.5, align=Align.L, after=1.5)
    if totals.get("untyped"):
        pdf.line_of(words["untyped"].format(n=len(totals["untyped"])), 9, color=MUTED,
                    align=Align.L, after=1.5)
    if totals.get("recognised"):
        pdf.line_of(words["recognised"], 10, bold=True, align=Align.L, after=1)
        pdf.line_of("\n".join(_total_line(i, lang) for i in totals["recognised"]["byUnit"]),
                    9.5, align=Align.L, after=1.5)
    pdf.ln(3)

    if pdf.get_y() + QR_SIZE + 12 > pdf.h - 22:
        pdf.add_page()
    pdf.line_of(words["check"], 11, bold=True, color=ACCENT, align=Align.L, after=2)
    top = pdf.get_y()
    draw_qr(pdf, verify_url, 20, top, QR_SIZE)
    left = 20 + QR_SIZE + 4
    pdf.set_left_margin(left)
    pdf.set_x(left)
    pdf.line_of(words["scan"], 9.5, align=Align.L, after=1)
    pdf.line_of(verify_url, 8.5, color=ACCENT, align=Align.L, after=1.5)
    pdf.line_of(words["offline"], 9.5, align=Align.L, after=1)
    pdf.line_of(f"credbank-verify {file_name}", 9.5, bold=True, align=Align.L, after=1.5)
    pdf.set_left_margin(22)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 2)
    pdf.line_of(words["attachment"].format(size=len(document)), 8.5, color=MUTED,
                align=Align.L)
    pdf.embed_file(bytes=document, basename=ATTACHMENT, mime_type="application/json",
                   desc=words["attachment"].format(size=len(document)), compress=True)
    return bytes(pdf.output())
