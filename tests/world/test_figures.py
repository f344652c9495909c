"""The figures' rules: suppression under five, quiz statistics, quest funnels, day ranges."""

from __future__ import annotations

import pytest

from srichan_world.scene.geometry import InterestGrid
from srichan_world.street import booths
from srichan_world.street.booths import BoothCounter
from srichan_world.world import figures
from srichan_world.world.figures import Usage, UsageTotal, day_of, day_range, days, shown


def row(kind: str, subject: str, detail: str, count: int, total: int | None = None) -> UsageTotal:
    return UsageTotal(kind, subject, detail, count, count if total is None else total)


@pytest.mark.parametrize(("count", "expected"), [(0, None), (1, None), (4, None), (5, 5), (90, 90)])
def test_a_group_under_five_is_suppressed(count: int, expected: int | None) -> None:
    assert shown(count) == expected


def test_quiz_figures_add_days_and_suppress_small_groups() -> None:
    rows = [
        row(figures.QUIZ_OPEN, "q1", "", 6),
        row(figures.QUIZ_OPEN, "q1", "", 6),
        row(figures.OPENERS, "q1", "", 3),
        row(figures.OPENERS, "q1", "", 2),
        row(figures.QUIZ_FIRST, "q1", "right", 3),
        row(figures.QUIZ_FIRST, "q1", "right", 3),
        row(figures.QUIZ_FIRST, "q1", "wrong", 4),
        row(figures.QUIZ_SOLVED, "q1", "", 8, 14),
        row(figures.QUIZ_OPEN, "q2", "", 4),
        row(figures.OPENERS, "q2", "", 4),
        row(figures.QUIZ_FIRST, "q2", "right", 4),
        row(figures.QUIZ_SOLVED, "q2", "", 4, 4),
        row(figures.QUIZ_OPEN, "q3", "", 30),
        row(figures.OPENERS, "q3", "", 1),
    ]
    q1, q2, q3 = figures.quiz_figures(rows)
    assert q1 == {
        "quiz": "q1",
        "opens": 12,
        "answered": 10,
        "first_try_right": 0.6,
        "difficulty": 0.4,
        "average_attempts": 1.75,
    }
    assert q2 == {
        "quiz": "q2",
        "opens": None,
        "answered": None,
        "first_try_right": None,
        "difficulty": None,
        "average_attempts": None,
    }
    assert q3["opens"] is None, "30 opens by one visitor: one person's activity"


def test_a_share_of_a_small_group_is_not_shown_even_when_the_opens_are() -> None:
    rows = [
        row(figures.QUIZ_OPEN, "q", "", 50),
        row(figures.OPENERS, "q", "", 20),
        row(figures.QUIZ_FIRST, "q", "wrong", 1),
    ]
    (q,) = figures.quiz_figures(rows)
    assert q["opens"] == 50 and q["first_try_right"] is None and q["difficulty"] is None


def test_a_funnel_drops_off_per_step_and_hides_small_steps() -> None:
    rows = [
        row(figures.QUEST_STEP, "walk", "1", 20),
        row(figures.QUEST_STEP, "walk", "2", 15),
        row(figures.QUEST_STEP, "walk", "3", 3),
        row(figures.QUEST_STEP, "walk", "4", 6),
        row(figures.QUEST_STEP, "walk", "x", 99),
    ]
    (funnel,) = figures.quest_funnels(rows)
    assert funnel == {
        "quest": "walk",
        "steps": [
            {"step": 1, "visitors": 20, "drop_off": None},
            {"step": 2, "visitors": 15, "drop_off": 0.25},
            {"step": 3, "visitors": None, "drop_off": None},
            {"step": 4, "visitors": 6, "drop_off": None},
        ],
    }, "a drop-off next to a suppressed step would reveal it"


def test_days_are_bangkok_days() -> None:
    assert day_of(1_778_259_599.0) == "2026-05-08"  # 23:59:59 in Bangkok, 16:59:59 UTC
    assert day_of(1_778_259_600.0) == "2026-05-09"
    assert days("2026-02-27", "2026-03-01") == ["2026-02-27", "2026-02-28", "2026-03-01"]


@pytest.mark.parametrize(
    ("first", "last", "why"),
    [
        ("2026-05-10", "2026-05-09", "before"),
        ("2026-5-9", "2026-05-09", "YYYY-MM-DD"),
        ("yesterday", "2026-05-09", "YYYY-MM-DD"),
        ("2025-01-01", "2026-05-09", "at most"),
    ],
)
def test_a_bad_day_range_says_why(first: str, last: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        day_range(first, last)
    assert day_range("2026-05-09", "2026-05-09") == ("2026-05-09", "2026-05-09")


def people(kind: str, group: str, n: int) -> UsageTotal:
    return UsageTotal(figures.PEOPLE + kind, group, "", n, n)


def test_economy_per_day_and_booth_hides_groups_of_under_five_visitors() -> None:
    earned, issued, used = figures.TOKENS_EARNED, figures.COUPON_ISSUED, figures.COUPON_USED
    daily = [
        ("2026-05-09", UsageTotal(earned, "", "", 6, 90)),
        ("2026-05-09", people(earned, "", 5)),
        ("2026-05-09", UsageTotal(issued, "B01", "p1", 3, 60)),
        ("2026-05-09", UsageTotal(issued, "B02", "p9", 2, 20)),
        ("2026-05-09", people(issued, "", 5)),
        ("2026-05-09", people(issued, "B01", 3)),
        ("2026-05-09", people(issued, "B02", 2)),
        ("2026-05-10", UsageTotal(earned, "", "", 9, 40)),
        ("2026-05-10", people(earned, "", 1)),
        ("2026-05-10", UsageTotal(issued, "B01", "p1", 6, 120)),
        ("2026-05-10", people(issued, "", 1)),
        ("2026-05-10", people(issued, "B01", 1)),
        ("2026-05-11", UsageTotal(earned, "", "", 4, 40)),
        ("2026-05-11", people(earned, "", 4)),
    ]
    totals = [
        UsageTotal(issued, "B01", "p1", 9, 180),
        UsageTotal(used, "B01", "", 6, 6),
        UsageTotal(issued, "B02", "p9", 2, 20),
        UsageTotal(used, "B02", "", 2, 2),
        people(issued, "B01", 4),
        people(used, "B01", 1),
        people(issued, "B02", 2),
        people(used, "B02", 2),
        people(figures.QUIZ_OPEN, "B01", 40),  # another kind's group of the same name
        UsageTotal(figures.BUYERS, "B01", "x", 40, 40),  # not a group economy() knows
    ]
    got = figures.economy(daily, totals, "2026-05-09", "2026-05-11")
    assert got["days"] == [
        {"day": "2026-05-09", "earned": 90, "redeemed": 80},
        {"day": "2026-05-10", "earned": None, "redeemed": None},
        {"day": "2026-05-11", "earned": None, "redeemed": None},
    ], "5 buyers over two booths make a group of 5; 9 payments and 6 coupons by one do not"
    assert got["booths"] == [
        {"slot": "B01", "coupons_issued": None, "tokens_redeemed": None, "coupons_used": None},
        {"slot": "B02", "coupons_issued": None, "tokens_redeemed": None, "coupons_used": None},
    ], "9 coupons bought and 6 used at B01, by 4 visitor-days and 1: under five people"
    assert got["totals"]["earned"] == 90 and got["totals"]["coupons_issued"] == 0
    more = [*totals, people(issued, "B01", 1), people(used, "B01", 4)]
    (b01, _) = figures.economy(daily, more, "2026-05-09", "2026-05-11")["booths"]
    assert b01 == {"slot": "B01", "coupons_issued": 9, "tokens_redeemed": 180, "coupons_used": 6}


def test_people_are_counted_once_a_day_per_group() -> None:
    today = figures.PeopleToday()
    t = 1_778_300_000.0  # 9 May 2026, 11:13 in Bangkok
    paid = Usage(figures.TOKENS_EARNED, "", "", 10)
    bought = Usage(figures.COUPON_ISSUED, "B01", "p1", 30)
    assert today.count("v1", [paid, Usage(figures.QUIZ_OPEN, "q1")], t) == [
        Usage(figures.EARNERS, ""),
        Usage(figures.OPENERS, "q1"),
    ]
    assert today.count("v1", [paid] * 5, t + 60) == [], "five more payments, the same person"
    assert today.count("v1", [bought, Usage(figures.QUIZ_FIRST, "q1", "right")], t + 61) == [
        Usage(figures.BUYERS, ""),
        Usage(figures.BUYERS, "B01"),
    ], "a first answer is once per visitor already: no group of people for it"
    assert today.count("v1", [Usage(figures.COUPON_ISSUED, "B02", "p2", 30)], t + 62) == [
        Usage(figures.BUYERS, "B02")
    ]
    assert today.count("v2", [paid], t + 63) == [Usage(figures.EARNERS, "")]
    assert today.count(None, [paid], t + 64) == [], "nobody to count"
    assert today.count("v1", [paid], t + 86_400) == [Usage(figures.EARNERS, "")], "a new day"
    bounded = figures.PeopleToday(limit=2)
    assert len(bounded.count("v1", [paid, bought], t)) == 2
    assert bounded.count("v2", [paid], t) == [], "the day's memory is bounded"


def test_a_visitor_near_a_booth_counts_once_a_day_per_booth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counter = BoothCounter({"B01": (0.0, 0.0), "B02": (100.0, 0.0)})
    t = 1_778_300_000.0  # 9 May 2026, 11:13 in Bangkok
    assert counter.nearby("v1", (1.0, 0.0), t) == [Usage(figures.BOOTH_NEAR, "B01")]
    assert counter.nearby("v1", (0.5, 0.0), t + 60) == [], "once a day"
    assert counter.nearby("v1", (50.0, 0.0), t + 70) == [], "out of reach of both"
    assert counter.nearby("v2", (99.0, 0.0), t + 80) == [Usage(figures.BOOTH_NEAR, "B02")]
    assert counter.nearby("v1", (1.0, 0.0), t + 86_400) == [Usage(figures.BOOTH_NEAR, "B01")]
    monkeypatch.setattr(booths, "NEAR_MAX", 2)
    counter.nearby("v3", (0.0, 0.0), t + 86_400)
    assert counter.nearby("v4", (0.0, 0.0), t + 86_400) == [], "the day's memory is bounded"


def test_an_owners_booth_figures_hide_small_days_and_other_booths() -> None:
    daily = [
        ("2026-05-09", UsageTotal(figures.BOOTH_NEAR, "B01", "", 12, 12)),
        ("2026-05-09", UsageTotal(figures.BOOTH_NEAR, "B02", "", 40, 40)),
        ("2026-05-09", UsageTotal(figures.COUPON_ISSUED, "B01", "p1", 2, 60)),
        ("2026-05-10", UsageTotal(figures.BOOTH_NEAR, "B01", "", 3, 3)),
        ("2026-05-10", UsageTotal(figures.COUPON_ISSUED, "B01", "p2", 1, 10)),
        ("2026-05-10", UsageTotal(figures.COUPON_ISSUED, "B02", "p9", 9, 90)),
    ]
    assert figures.booth(daily, "B01", "2026-05-09", "2026-05-10") == {
        "min_group": 5,
        "days": ["2026-05-09", "2026-05-10"],
        "near": [12, None],
        "promotions": [
            {"promotion": "p1", "coupons": [2, 0]},
            {"promotion": "p2", "coupons": [0, 1]},
        ],
    }


def test_now_bins_positions_and_hides_small_cells() -> None:
    grid = InterestGrid(origin=(0.0, 0.0), cell=10.0, cols=4, rows=2)
    crowd = [(1.0, 1.0)] * 5 + [(15.0, 12.0)] * 4 + [(99.0, 99.0)] * 6  # the last: clamped
    got = figures.now([figures.now_counts("a:1", crowd, grid)], grid)
    assert got["visitors"] == 15 and got["cell_m"] == 10.0
    assert got["processes"] == [{"process": "a:1", "visitors": 15, "age_s": 0.0}]
    assert got["cells"] == [
        {"x": 5.0, "z": 5.0, "visitors": 5},
        {"x": 35.0, "z": 15.0, "visitors": 6},
    ]
    assert figures.now([figures.now_counts("a:1", [(1.0, 1.0)] * 4, grid)], grid) == {
        "min_group": 5,
        "visitors": None,
        "processes": [{"process": "a:1", "visitors": None, "age_s": 0.0}],
        "cell_m": 10.0,
        "bounds": [0.0, 0.0, 40.0, 20.0],
        "cells": [],
    }


def test_now_adds_the_processes_up_before_hiding_small_groups() -> None:
    grid = InterestGrid(origin=(0.0, 0.0), cell=10.0, cols=4, rows=2)
    a = figures.now_counts("a:1", [(1.0, 1.0)] * 3 + [(25.0, 5.0)] * 2, grid)
    b = figures.ProcessNow.from_json(
        figures.now_counts("b:2", [(2.0, 2.0)] * 3, grid).to_json(), age_s=1.26
    )
    got = figures.now([b, a], grid)
    assert got["visitors"] == 8, "5 + 3: the whole is shown, each process's own is not"
    assert got["processes"] == [
        {"process": "a:1", "visitors": 5, "age_s": 0.0},
        {"process": "b:2", "visitors": None, "age_s": 1.3},
    ]
    assert got["cells"] == [{"x": 5.0, "z": 5.0, "visitors": 6}], "3 + 3 in one cell"


def test_now_counts_a_visitor_with_several_tabs_once() -> None:
    grid = InterestGrid(origin=(0.0, 0.0), cell=10.0, cols=4, rows=2)
    tabs = [("visitor-0001", (1.0, 1.0))] * 5 + [("visitor-0001", (25.0, 5.0))]
    crowd = [*tabs, (None, (2.0, 2.0)), (None, (3.0, 3.0)), ("visitor-0002", (4.0, 4.0))]
    places = figures.one_per_visitor(crowd)
    assert places == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)]
    got = figures.now([figures.now_counts("a:1", places, grid)], grid)
    assert got["visitors"] is None and got["cells"] == [], "six tabs and three others: four"
