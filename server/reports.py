"""The monthly report drawn twice from one :class:`~srichan_world.world.report.Report`: a
printable HTML page and a PDF (fpdf2, with HarfBuzz text shaping so Thai vowels and tone marks
sit where they belong, in a Thai TrueType font found on the machine).

Everything in the HTML is escaped; the page carries the console's security headers.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from srichan_world.world.report import Heading, Report

FONTS = (
    (
        Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf"),
        Path("/usr/share/fonts/truetype/tlwg/Garuda-Bold.ttf"),
    ),
    (
        Path("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf"),
        Path("/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf"),
    ),
)
"""Thai fonts tried in turn (Debian fonts-thai-tlwg, fonts-noto-core), regular and bold."""


class NoThaiFont(RuntimeError):
    """No Thai font is installed: the PDF cannot be drawn (tools/setup.sh installs one)."""


def thai_font() -> tuple[Path, Path]:
    for regular, bold in FONTS:
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise NoThaiFont("install fonts-thai-tlwg (Garuda) or Noto Sans Thai")


def _title(report: Report) -> tuple[str, str]:
    return (
        f"รายงานประจำเดือน {report.month} ถนนศรีจันทร์แห่งการเรียนรู้",
        f"Monthly report {report.month}, Sri Chan learning street",
    )


# -- HTML ----------------------------------------------------------------------------------------

_STYLE = """
body{font-family:"Noto Sans Thai",Garuda,Tahoma,sans-serif;margin:2rem auto;max-width:60rem;
color:#1d1b1a;line-height:1.6;font-size:1.0625rem;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1.05rem}
.en{color:#555049}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border-bottom:1px solid #d9d2c7;padding:.3rem .5rem;text-align:left;vertical-align:top}
.no{color:#555049}@media print{body{margin:0;max-width:none}h2{break-before:auto}}
"""


def _both(th: str, en: str) -> str:
    return f'{escape(th)} <span class="en" lang="en">{escape(en)}</span>'


def _html_table(report: Report, name: str) -> str:
    th, en, table = report.tables[name]
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.head)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    empty = "" if table.rows else "<p>ยังไม่มีข้อมูล <span lang='en'>No figures yet</span></p>"
    return (
        f"<h3>{_both(th, en)}</h3><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>{empty}"
    )


def _html_heading(h: Heading) -> str:
    mark = "✓" if h.speaks else "—"
    cls = "" if h.speaks else ' class="no"'
    note = _both(h.note_th, h.note_en)
    return f"<li{cls}><strong>{mark} {_both(h.th, h.en)}</strong><br>{note}</li>"


def html(report: Report) -> str:
    th, en = _title(report)
    summary = "".join(
        f"<tr><th scope='row'>{_both(a, b)}</th><td>{escape(v)}</td></tr>"
        for a, b, v in report.summary
    )
    return f"""<!doctype html>
<html lang="th"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(th)} · {escape(en)}</title><style>{_STYLE}</style></head>
<body><main>
<h1>{_both(th, en)}</h1>
<p>{_both("ช่วงวันที่", "Days")}: {escape(report.first)} – {escape(report.last)}.
{
        _both(
            "ตัวเลขรวมเท่านั้น กลุ่มที่มีน้อยกว่า 5 คนแสดงเป็น —",
            "Totals only; a group of fewer than 5 shows as —.",
        )
    }</p>
<table><tbody>{summary}</tbody></table>
{"".join(_html_table(report, name) for name in report.tables)}
<h2>{_both("ภาคผนวก: กรอบเมืองแห่งการเรียนรู้ของยูเนสโก (GNLC)", "Annex: UNESCO GNLC key features")}</h2>
<h3>{_both("องค์ประกอบหลักหกประการ", "Six building blocks")}</h3>
<ul>{"".join(_html_heading(h) for h in report.blocks)}</ul>
<h3>{_both("ประโยชน์ในวงกว้างสามด้าน", "Three wider benefits")}</h3>
<ul>{"".join(_html_heading(h) for h in report.benefits)}</ul>
</main></body></html>
"""


# -- PDF -----------------------------------------------------------------------------------------


def pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4). Raises :class:`NoThaiFont` without a Thai font."""
    regular, bold = thai_font()
    doc = FPDF(format="A4")
    doc.set_title(" · ".join(_title(report)))
    doc.set_author("Sri Chan World")
    doc.add_font("thai", "", str(regular))
    doc.add_font("thai", "B", str(bold))
    doc.set_text_shaping(True)
    doc.set_margins(15, 15, 15)
    doc.add_page()
    th, en = _title(report)
    doc.set_font("thai", "B", 16)
    doc.multi_cell(0, 9, th, new_x="LMARGIN", new_y="NEXT", align="L")
    doc.set_font("thai", "", 12)
    doc.multi_cell(0, 7, en, new_x="LMARGIN", new_y="NEXT", align="L")
    doc.multi_cell(
        0,
        7,
        f"ช่วงวันที่ Days: {report.first} – {report.last}. ตัวเลขรวมเท่านั้น กลุ่มที่มีน้อยกว่า 5 "
        "คนแสดงเป็น — (Totals only; a group of fewer than 5 shows as —.)",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(2)
    doc.set_font("thai", "", 10)
    with doc.table(col_widths=(3, 1), first_row_as_headings=False) as table:
        for a, b, v in report.summary:
            row = table.row()
            row.cell(f"{a} · {b}")
            row.cell(v)
    for t_th, t_en, data in report.tables.values():
        doc.ln(4)
        doc.set_font("thai", "B", 13)
        doc.multi_cell(0, 8, f"{t_th} · {t_en}", new_x="LMARGIN", new_y="NEXT", align="L")
        doc.set_font("thai", "", 9)
        if not data.rows:
            doc.multi_cell(
                0, 6, "ยังไม่มีข้อมูล · No figures yet", new_x="LMARGIN", new_y="NEXT", align="L"
            )
            continue
        with doc.table(headings_style=FontFace(emphasis="B")) as table:
            table.row(data.head)
            for cells in data.rows:
                table.row(cells)
    doc.add_page()
    doc.set_font("thai", "B", 14)
    doc.multi_cell(
        0,
        8,
        "ภาคผนวก: กรอบเมืองแห่งการเรียนรู้ของยูเนสโก (GNLC)",
        new_x="LMARGIN",
        new_y="NEXT",
        align="L",
    )
    doc.set_font("thai", "", 11)
    doc.multi_cell(
        0, 7, "Annex: UNESCO GNLC key features", new_x="LMARGIN", new_y="NEXT", align="L"
    )
    for title, headings in (
        ("องค์ประกอบหลักหกประการ · Six building blocks", report.blocks),
        ("ประโยชน์ในวงกว้างสามด้าน · Three wider benefits", report.benefits),
    ):
        doc.ln(3)
        doc.set_font("thai", "B", 12)
        doc.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT", align="L")
        for h in headings:
            doc.set_font("thai", "B", 10)
            mark = "ข้อมูลของถนนตอบได้ (data speaks)" if h.speaks else "ตอบไม่ได้ (no data)"
            doc.multi_cell(
                0, 6, f"{h.th} · {h.en} — {mark}", new_x="LMARGIN", new_y="NEXT", align="L"
            )
            doc.set_font("thai", "", 10)
            doc.multi_cell(
                0, 6, f"{h.note_th} {h.note_en}", new_x="LMARGIN", new_y="NEXT", align="L"
            )
    return bytes(doc.output())
