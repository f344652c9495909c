"""The monthly report and its GNLC annex, as plain data that the HTML page and the PDF both
draw (server/reports.py), so the two can never disagree.

The annex follows UNESCO's *Key Features of Learning Cities*: six building blocks and three
wider benefits. The street's figures speak to some of them only; the others are listed as
such, with the reason, rather than stretched to fit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
DASH = "—"


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Heading:
    """One GNLC building block or benefit, and what the street's figures say to it."""

    th: str
    en: str
    speaks: bool
    note_th: str
    note_en: str
    tables: tuple[str, ...] = ()
    """Which of the report's tables (``quizzes``, ``quests``, ``tokens``, ``booths``) bear on
    it."""


@dataclass(frozen=True)
class Report:
    month: str
    first: str
    last: str
    summary: tuple[tuple[str, str, str], ...]
    """``(Thai label, English label, value)``."""
    tables: dict[str, tuple[str, str, Table]]
    """Name → (Thai title, English title, table)."""
    blocks: tuple[Heading, ...]
    benefits: tuple[Heading, ...]


def month_range(month: str) -> tuple[str, str]:
    """The first and last day of ``YYYY-MM``, or ``ValueError``."""
    if not isinstance(month, str) or not _MONTH.match(month):
        raise ValueError("month must be written YYYY-MM")
    year, number = int(month[:4]), int(month[5:])
    last = calendar.monthrange(year, number)[1]
    return dt.date(year, number, 1).isoformat(), dt.date(year, number, last).isoformat()


def _n(value: Any, percent: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value * 100:.1f}%" if percent else str(value)


BLOCKS: tuple[Heading, ...] = (
    Heading(
        "การเรียนรู้อย่างทั่วถึงในระบบการศึกษา",
        "Inclusive learning in the education system",
        False,
        "ถนนไม่ได้เก็บข้อมูลโรงเรียนหรือผู้เรียนในระบบ",
        "The street keeps no school or enrolment data.",
    ),
    Heading(
        "การฟื้นฟูการเรียนรู้ในครอบครัวและชุมชน",
        "Revitalized learning in families and communities",
        True,
        "ภารกิจเดินเรียนรู้บนถนนศรีจันทร์: ผู้ที่ไปถึงแต่ละขั้น",
        "Learning walks on Sri Chan Road: visitors reaching each step.",
        ("quests",),
    ),
    Heading(
        "การเรียนรู้อย่างมีประสิทธิผลเพื่อการทำงานและในที่ทำงาน",
        "Effective learning for and in the workplace",
        False,
        "ไม่มีข้อมูลการทำงานหรือการฝึกอาชีพ",
        "No workplace or training data is kept.",
    ),
    Heading(
        "การขยายการใช้เทคโนโลยีการเรียนรู้สมัยใหม่",
        "Extended use of modern learning technologies",
        True,
        "การใช้ถนนเสมือนจริง: คำถามที่เปิดและผู้ตอบ",
        "Use of the virtual street: quizzes opened and answered.",
        ("quizzes",),
    ),
    Heading(
        "การยกระดับคุณภาพการเรียนรู้",
        "Enhanced quality in learning",
        True,
        "ตอบถูกในครั้งแรก ความยากของข้อคำถาม และจำนวนครั้งเฉลี่ย",
        "Right on the first try, item difficulty and average attempts.",
        ("quizzes",),
    ),
    Heading(
        "วัฒนธรรมการเรียนรู้ตลอดชีวิตที่มีชีวิตชีวา",
        "A vibrant culture of learning throughout life",
        True,
        "ผู้ที่เรียนต่อจนจบภารกิจ (การหลุดออกในแต่ละขั้น)",
        "Visitors who carry on to the end of a quest (drop-off per step).",
        ("quests",),
    ),
)
BENEFITS: tuple[Heading, ...] = (
    Heading(
        "การเสริมพลังบุคคลและความเป็นปึกแผ่นของสังคม",
        "Individual empowerment and social cohesion",
        True,
        "จำนวนผู้เรียนและผลการเรียนรู้บนถนน",
        "How many learn on the street, and how well.",
        ("quizzes", "quests"),
    ),
    Heading(
        "การพัฒนาเศรษฐกิจและความรุ่งเรืองทางวัฒนธรรม",
        "Economic development and cultural prosperity",
        True,
        "เหรียญที่ได้จากการเรียนรู้และที่แลกเป็นคูปองของร้านค้าท้องถิ่นบนถนน คูปองที่ออกและที่ใช้แต่ละร้าน",
        "Tokens earned by learning and redeemed for local shops' coupons on the street; coupons "
        "issued and used per booth.",
        ("tokens", "booths"),
    ),
    Heading(
        "การพัฒนาอย่างยั่งยืน",
        "Sustainable development",
        False,
        "ถนนไม่มีข้อมูลสิ่งแวดล้อมหรือการพัฒนาอย่างยั่งยืน",
        "The street has no environmental or sustainability data.",
    ),
)


def _economy_tables(economy: dict[str, Any]) -> dict[str, tuple[str, str, Table]]:
    """Tokens per day (the days with a figure shown) and coupons per booth, as the console
    shows them (:func:`srichan_world.world.figures.economy`)."""
    days = Table(
        ("วันที่ Day", "เหรียญที่ได้รับ Tokens earned", "เหรียญที่แลก Tokens redeemed"),
        tuple(
            (d["day"], _n(d["earned"]), _n(d["redeemed"]))
            for d in economy["days"]
            if d["earned"] is not None or d["redeemed"] is not None
        ),
    )
    booths = Table(
        (
            "ซุ้ม Booth",
            "คูปองที่ออก Coupons issued",
            "เหรียญที่แลก Tokens redeemed",
            "คูปองที่ใช้ Coupons used",
        ),
        tuple(
            (
                b["slot"],
                _n(b["coupons_issued"]),
                _n(b["tokens_redeemed"]),
                _n(b["coupons_used"]),
            )
            for b in economy["booths"]
        ),
    )
    return {
        "tokens": (
            "เหรียญรายวัน (เฉพาะวันที่มีตัวเลขแสดง)",
            "Tokens per day (days with a figure shown)",
            days,
        ),
        "booths": ("คูปองแต่ละร้าน", "Coupons per booth", booths),
    }


def _economy_summary(economy: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    t = economy["totals"]
    return (
        ("เหรียญที่ได้รับ (วันที่แสดง)", "Tokens earned (days shown)", str(t["earned"])),
        ("เหรียญที่แลกคูปอง (วันที่แสดง)", "Tokens redeemed for coupons (days shown)", str(t["redeemed"])),
        (
            "เหรียญคงค้างเปลี่ยนไป (ได้ − แลก)",
            "Change in tokens held",
            str(t["net"]),
        ),
        ("คูปองที่ออก (ร้านที่แสดง)", "Coupons issued (booths shown)", str(t["coupons_issued"])),
        ("คูปองที่ใช้แล้ว (ร้านที่แสดง)", "Coupons used (booths shown)", str(t["coupons_used"])),
        (
            "เหรียญคงค้างทั้งหมด ณ วันที่ทำรายงาน",
            "Tokens held by visitors, as of today",
            _n(t["outstanding"]),
        ),
    )


def monthly(month: str, learning: dict[str, Any], economy: dict[str, Any]) -> Report:
    """The report for ``month`` from the learning and the economy figures of its days
    (:func:`srichan_world.world.figures.learning` and
    :func:`~srichan_world.world.figures.economy`, groups under five already suppressed)."""
    first, last = month_range(month)
    quizzes = learning["quizzes"]
    quests = learning["quests"]
    # shown groups only: a total with the suppressed ones in would reveal them by difference
    opens = sum(q["opens"] or 0 for q in quizzes)
    answered = sum(q["answered"] or 0 for q in quizzes)
    quiz_table = Table(
        (
            "สถานที่ Landmark",
            "คำถาม Quiz",
            "เปิด Opens",
            "ผู้ตอบ Answered",
            "ถูกครั้งแรก Right 1st",
            "ความยาก Difficulty",
            "ครั้งเฉลี่ย Attempts",
        ),
        tuple(
            (
                q.get("landmark") or "",
                q["quiz"],
                _n(q["opens"]),
                _n(q["answered"]),
                _n(q["first_try_right"], True),
                _n(q["difficulty"], True),
                _n(q["average_attempts"]),
            )
            for q in quizzes
        ),
    )
    quest_table = Table(
        ("ภารกิจ Quest", "ขั้น Step", "ผู้เยี่ยมชม Visitors", "หลุดออก Drop-off"),
        tuple(
            (
                (f["title"] or {}).get("th", f["quest"]) if f.get("title") else f["quest"],
                str(s["step"]),
                _n(s["visitors"]),
                _n(s["drop_off"], True),
            )
            for f in quests
            for s in f["steps"]
        ),
    )
    return Report(
        month=month,
        first=first,
        last=last,
        summary=(
            ("เปิดคำถาม (ครั้ง, เฉพาะข้อที่แสดง)", "Quizzes opened (in the quizzes shown)", str(opens)),
            (
                "ผู้ตอบ (คน-ข้อ, เฉพาะข้อที่แสดง)",
                "Answers by visitors (in the quizzes shown)",
                str(answered),
            ),
            ("คำถามที่มีตัวเลข", "Quizzes with figures", str(len(quizzes))),
            ("ภารกิจที่มีผู้เริ่ม", "Quests started", str(len(quests))),
            (
                "กลุ่มที่เล็กกว่านี้ไม่แสดง",
                "Groups smaller than this are not shown",
                str(learning["min_group"]),
            ),
            *_economy_summary(economy),
        ),
        tables={
            "quizzes": ("คำถามแต่ละข้อ", "Each quiz", quiz_table),
            "quests": ("ภารกิจ: ผู้ที่ไปถึงแต่ละขั้น", "Quests: visitors reaching each step", quest_table),
            **_economy_tables(economy),
        },
        blocks=BLOCKS,
        benefits=BENEFITS,
    )
