"""A bulk check's report as a printable PDF: A4 landscape, in Chinese or English.

The summary comes first (counts by verdict and by reason, with each reason in words),
then one table row per candidate in input order; the table runs over as many pages as it
needs and repeats its header on each. Drawn with fpdf2 and the CJK font
:mod:`api.service.fonts` finds, as certificates are (certificate.py); without that font it
is :class:`~api.service.errors.Unavailable` (503).
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, VAlign, WrapMode, XPos, YPos

from verifier import timefmt

from .bulk_check import REASONS, Report, cells, reason_sentence, word
from .certificate import ACCENT, INK, MUTED, check_language
from .errors import Unavailable
from .fonts import Fonts, fonts

MARGIN = 12.0  # mm
WORDS = {
    "zh": {"title": "批量核验报告", "made": "报告编号 {id}，生成于 {at}（北京时间）",
           "summary": "摘要", "total": "候选人共 {n} 名", "by_verdict": "按结论",
           "by_reason": "按原因", "rows": "逐一结果（按提交顺序）",
           "page": "第 {n} 页，共 {total} 页",
           "note": "“已验证”表示凭证的每项检查均已通过：签名、内容未被篡改、区块链登记、"
                   "签发机构获认可且在认可范围内、未被撤销或暂停、未过期。其余各行给出第一项"
                   "未通过的原因。"},
    "en": {"title": "Bulk verification report",
           "made": "Report {id}, made {at} (Beijing time)", "summary": "Summary",
           "total": "{n} candidates", "by_verdict": "By verdict", "by_reason": "By reason",
           "rows": "Each candidate (in the order given)", "page": "Page {n} of {total}",
           "note": "\"Verified\" means every check of the credential passed: its signature, "
                   "content unaltered, recorded on the chain, an issuer accredited and within "
                   "its scope, neither revoked nor suspended, not expired. Every other row "
                   "names the first thing that failed."},
}
# The table: (column of bulk_check.cells, width in mm); A4 landscape leaves 273 mm.
_TABLE = (("number", 10), ("candidate", 30), ("verdict", 17), ("reason_words", 56),
          ("issuer", 48), ("achievement", 40), ("level", 12), ("credits", 18),
          ("issued", 18), ("status", 15))
_HEADS = {
    "zh": {"number": "#", "candidate": "候选人", "verdict": "结论", "reason_words": "原因",
           "issuer": "签发机构", "achievement": "学习成果", "level": "层次",
           "credits": "学分", "issued": "签发日期", "status": "状态"},
    "en": {"number": "#", "candidate": "Candidate", "verdict": "Verdict",
           "reason_words": "Reason", "issuer": "Issuer", "achievement": "Achievement",
           "level": "Level", "credits": "Credits", "issued": "Issued", "status": "Status"},
}
_INDEX = {name: i for i, name in enumerate(("number", "candidate", "source", "origin",
                                            "holder", "verdict", "reason", "reason_words",
                                            "failed_check", "issuer", "issuer_did",
                                            "issuer_accredited", "achievement", "level",
                                            "credits", "unit", "issued", "status",
                                            "credential_id"))}
_LONGEST = 160  # characters of a cell the PDF prints (the CSV has all)


class _Sheet(FPDF):
    def __init__(self, faces: Fonts, lang: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.report_lang = lang
        self.wrapmode = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        for style, face in (("", faces.regular), ("B", faces.bold)):
            try:
                self.add_font("cjk", style, str(face.path), collection_font_number=face.index)
            except Exception as exc:  # a damaged or unusual font file: the setup is at fault
                raise Unavailable(f"the font {face.path} cannot be used for reports "
                                  f"({type(exc).__name__})") from None
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font("cjk", "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, WORDS[self.report_lang]["page"].format(n=self.page_no(), total="{nb}"),
                  align=Align.C)
        self.set_text_color(*INK)

    def line_of(self, text: str, size: float, *, bold: bool = False,
                color: tuple[int, int, int] = INK, after: float = 0) -> None:
        self.set_font("cjk", "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, align=Align.L, new_x=XPos.LMARGIN,
                        new_y=YPos.NEXT, wrapmode=self.wrapmode)
        self.set_text_color(*INK)
        if after:
            self.ln(after)


def _clip(text: str) -> str:
    return text if len(text) <= _LONGEST else text[:_LONGEST - 1] + "…"


def _short(did: str) -> str:
    """A DID as a reader compares it: its start and end (the CSV has it whole)."""
    return did if len(did) <= 32 else f"{did[:20]}…{did[-6:]}"


def _reason_words(reason: str, lang: str) -> str:
    words = REASONS.get(reason)
    return words["zh" if lang == "zh" else "en"] if words else reason


def _credits(values: list[str]) -> str:
    figure, unit = values[_INDEX["credits"]], values[_INDEX["unit"]]
    return f"{figure} {unit}".strip()


def render(report: Report, lang: str) -> bytes:
    """The PDF of ``report`` in ``lang`` (zh or en)."""
    check_language(lang)
    words, heads = WORDS[lang], _HEADS[lang]
    pdf = _Sheet(fonts(), lang)
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_title(words["title"])
    pdf.set_subject(report.id)
    pdf.set_creator("credbank")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.line_of(words["title"], 18, bold=True, color=ACCENT, after=1.5)
    made = report.created_at.astimezone(timefmt.CHINA)
    pdf.line_of(words["made"].format(id=report.id, at=f"{made:%Y-%m-%d %H:%M}"), 8.5,
                color=MUTED, after=4)

    summary = report.summary
    pdf.line_of(words["summary"], 12, bold=True, color=ACCENT, after=1)
    pdf.line_of(words["total"].format(n=summary["total"]), 10, bold=True, after=1)
    verdicts = "    ".join(f"{word(v, lang)}: {n}" for v, n in summary["byVerdict"].items())
    pdf.line_of(f"{words['by_verdict']}:  {verdicts}", 9.5, after=1.5)
    pdf.line_of(f"{words['by_reason']}:", 9.5, after=0.5)
    pdf.line_of("\n".join(f"    {_reason_words(r, lang)} ({r}): {n}"
                          for r, n in summary["byReason"].items()), 9, after=2)
    pdf.line_of(words["note"], 8, color=MUTED, after=4)

    pdf.line_of(words["rows"], 12, bold=True, color=ACCENT, after=1.5)
    pdf.set_font("cjk", "", 7.5)
    with pdf.table(col_widths=tuple(w for _, w in _TABLE),
                   width=sum(w for _, w in _TABLE),
                   borders_layout=TableBordersLayout.HORIZONTAL_LINES,
                   text_align=Align.L, v_align=VAlign.T, line_height=3.6,
                   padding=(0.6, 0.8), repeat_headings=1, wrapmode=pdf.wrapmode,
                   first_row_as_headings=True) as table:
        head = table.row()
        for name, _width in _TABLE:
            head.cell(heads[name])
        for row in report.rows:
            values = cells(row, lang)
            shown = {name: values[_INDEX[name]] for name, _ in _TABLE if name in _INDEX}
            shown["reason_words"] = reason_sentence(row, lang)
            shown["credits"] = _credits(values)
            did = values[_INDEX["issuer_did"]]
            shown["issuer"] = f"{shown['issuer']}\n{_short(did)}" if did else shown["issuer"]
            line = table.row()
            for name, _width in _TABLE:
                line.cell(_clip(shown[name]))
    return bytes(pdf.output())
