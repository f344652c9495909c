"""The inclusion figures' rules: values checked, each visitor counted once a day, shares with
small groups (and the groups that would give them away) suppressed."""

from __future__ import annotations

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.figures import UsageTotal, day_of
from srichan_world.world.inclusion import (
    COLUMNS,
    SETTING,
    VISITORS,
    SeenToday,
    inclusion,
    settings_of,
)

NOON = 1_779_940_800.0  # 2026-05-28 12:00 Bangkok
DAY = day_of(NOON)


def test_values_outside_the_protocol_are_refused_by_name() -> None:
    assert settings_of(True, "th", False, True, "tablet") == (
        ("lang", "th"),
        ("device", "tablet"),
        ("list_mode", "on"),
        ("narration", "on"),
    )
    bad = (("TH", "phone", "lang"), ("th", "", "device"), ("th", "tv", "device"))
    for lang, device, field in bad:
        with pytest.raises(Refused) as refused:
            settings_of(False, lang, False, False, device)
        assert refused.value.refusal.code == ErrorCode.BAD_USAGE
        assert refused.value.refusal.detail.startswith(f"{field} must be one of")


def test_a_visitor_counts_once_a_day_and_each_setting_once() -> None:
    seen = SeenToday()
    pairs = settings_of(True, "th", False, False, "phone")
    first = seen.count("v1", pairs, NOON)
    assert [(u.kind, u.subject, u.detail) for u in first] == [
        (VISITORS, "", ""),
        (SETTING, "lang", "th"),
        (SETTING, "device", "phone"),
        (SETTING, "list_mode", "on"),
    ]
    assert seen.count("v1", pairs, NOON + 60) == []
    switched = seen.count("v1", settings_of(True, "en", False, False, "phone"), NOON + 120)
    assert [(u.subject, u.detail) for u in switched] == [("lang", "en")]
    assert len(seen.count("v1", pairs, NOON + 86_400)) == 4, "a new day counts again"


def test_the_days_memory_is_bounded() -> None:
    seen = SeenToday(limit=5)
    pairs = settings_of(False, "th", False, False, "phone")
    assert len(seen.count("v1", pairs, NOON)) == 3
    assert len(seen.count("v2", pairs, NOON)) == 2, "full: the rest is not counted"
    assert seen.count("v3", pairs, NOON) == []


def _rows(visitors: int, **counts: int) -> list[tuple[str, UsageTotal]]:
    rows = [(DAY, UsageTotal(VISITORS, "", "", visitors, visitors))]
    for key, n in counts.items():
        setting, value = key.rsplit("_", 1)
        rows.append((DAY, UsageTotal(SETTING, setting, value, n, n)))
    return rows


def test_shares_hide_small_groups_their_complements_and_what_subtraction_would_show() -> None:
    body = inclusion(
        _rows(
            100,
            list_mode_on=97,
            larger_text_on=30,
            lang_th=60,
            lang_en=40,
            device_phone=80,
            device_tablet=3,
            device_desktop=17,
        ),
        DAY,
        DAY,
    )
    shares = dict(zip(COLUMNS, body["days"][0]["shares"], strict=True))
    assert shares[("list_mode", "on")] is None, "97 of 100 would show the 3 others"
    assert shares[("larger_text", "on")] == 0.3
    assert shares[("narration", "on")] is None
    assert (shares[("lang", "th")], shares[("lang", "en")]) == (0.6, 0.4)
    assert shares[("device", "tablet")] is None
    assert shares[("device", "desktop")] is None, "the smallest shown goes too"
    assert shares[("device", "phone")] == 0.8
    assert inclusion(_rows(4, lang_th=4), DAY, DAY)["days"][0] == {
        "day": DAY,
        "visitors": None,
        "shares": [None] * len(COLUMNS),
    }
