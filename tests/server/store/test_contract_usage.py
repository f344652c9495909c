"""The usage counters part of the Store contract (SQLite, Redis, Redis Cluster)."""

from __future__ import annotations

from server.store import Store
from srichan_world.world import figures, inclusion
from srichan_world.world.figures import Usage, UsageTotal
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from tests.server.store.conftest import StoreFactory


async def test_usage_adds_up_per_day_and_key(store: Store) -> None:
    first = [Usage(figures.QUIZ_OPEN, "q1")] * 3 + [Usage(figures.QUIZ_SOLVED, "q1", "", 2)]
    await store.count_usage("2026-05-09", first)
    await store.count_usage("2026-05-09", [Usage(figures.QUIZ_SOLVED, "ไทย", "", 3)])
    await store.count_usage("2026-05-10", [Usage(figures.QUIZ_SOLVED, "q1", "", 1)])
    await store.count_usage("2026-05-12", [Usage(figures.QUEST_STEP, "walk", "2")])
    await store.count_usage("2026-05-11", [])
    rows = await store.usage_totals("2026-05-09", "2026-05-11")
    assert rows == (
        UsageTotal(figures.QUIZ_OPEN, "q1", "", 3, 3),
        UsageTotal(figures.QUIZ_SOLVED, "q1", "", 2, 3),
        UsageTotal(figures.QUIZ_SOLVED, "ไทย", "", 1, 3),
    )
    assert await store.usage_totals("2026-05-10", "2026-05-10") == (
        UsageTotal(figures.QUIZ_SOLVED, "q1", "", 1, 1),
    )
    assert await store.usage_totals("2026-05-13", "2026-05-20") == ()
    assert await store.usage_totals("2026-05-08", "2026-05-12") == (
        UsageTotal(figures.QUEST_STEP, "walk", "2", 1, 1),
        *rows,
    )


async def test_usage_survives_reopening(store: Store, store_factory: StoreFactory) -> None:
    await store.count_usage("2026-05-09", [Usage(figures.QUIZ_OPEN, "q1")])
    await store.close()
    again = await store_factory()
    assert len(await again.usage_totals("2026-05-09", "2026-05-09")) == 1


async def test_usage_by_day_keeps_the_days_apart_for_the_kinds_asked(store: Store) -> None:
    earned = Usage(figures.TOKENS_EARNED, "", "", 10)
    await store.count_usage("2026-05-09", [earned, earned, Usage(figures.QUIZ_OPEN, "q1")])
    await store.count_usage("2026-05-11", [Usage(figures.COUPON_ISSUED, "B01", "p1", 30)])
    await store.count_usage("2026-05-12", [earned])
    kinds = (figures.TOKENS_EARNED, figures.COUPON_ISSUED)
    assert await store.usage_by_day("2026-05-08", "2026-05-11", kinds) == (
        ("2026-05-09", UsageTotal(figures.TOKENS_EARNED, "", "", 2, 20)),
        ("2026-05-11", UsageTotal(figures.COUPON_ISSUED, "B01", "p1", 1, 30)),
    )
    assert await store.usage_by_day("2026-05-08", "2026-05-11", ()) == ()


async def test_inclusion_counts_are_kept_per_day_like_every_figure(store: Store) -> None:
    seen = [Usage(inclusion.VISITORS, "")] * 2 + [Usage(inclusion.SETTING, "lang", "th")] * 2
    await store.count_usage("2026-05-09", [*seen, Usage(inclusion.SETTING, "device", "tablet")])
    await store.count_usage("2026-05-10", [Usage(inclusion.SETTING, "lang", "ไทย?")])
    await store.count_usage("2026-05-10", [Usage(figures.QUIZ_OPEN, "q1")])
    assert await store.usage_by_day("2026-05-09", "2026-05-10", inclusion.KINDS) == (
        ("2026-05-09", UsageTotal(inclusion.SETTING, "device", "tablet", 1, 1)),
        ("2026-05-09", UsageTotal(inclusion.SETTING, "lang", "th", 2, 2)),
        ("2026-05-09", UsageTotal(inclusion.VISITORS, "", "", 2, 2)),
        ("2026-05-10", UsageTotal(inclusion.SETTING, "lang", "ไทย?", 1, 1)),
    )


async def test_outstanding_tokens_are_what_visitors_hold(store: Store) -> None:
    assert await store.outstanding_tokens() == 0
    for n in (1, 2):
        await store.register_visitor(f"visitor-{n:04d}", f"secret-{n:04d}-Zk3_vq9-XbT0pLw8", 1.0)
    paid = [("a", "visitor-0001", 30), ("b", "visitor-0002", 20)]
    for key, who, amount in paid:
        await store.transfer(Transfer(key, CITY_POOL, visitor_account(who), amount, "gift", 1.0))
    spent = Transfer("c", visitor_account("visitor-0001"), shop_account("noodles"), 10, "buy", 2.0)
    await store.transfer(spent)
    assert await store.outstanding_tokens() == 40, "50 paid out, 10 of them spent at a shop"


async def test_the_people_behind_a_figure_are_counts_with_no_visitor_in_them(
    store: Store,
) -> None:
    """One visitor's six payments are one person on the 9th; with four more visitors on the
    10th, five. The store keeps numbers only, and the figures read them back the same."""
    people = figures.PeopleToday()
    t = 1_778_300_000.0  # 9 May 2026 in Bangkok
    paid = Usage(figures.TOKENS_EARNED, "", "", 10)
    for day, visitors, when in (
        ("2026-05-09", ["visitor-0001"] * 6, t),
        (
            "2026-05-10",
            ["visitor-0001", "visitor-0002", "visitor-0003", "visitor-0004", "visitor-0005"],
            t + 86_400,
        ),
    ):
        for who in visitors:
            await store.count_usage(day, [paid, *people.count(who, [paid], when)])
    daily = await store.usage_by_day("2026-05-09", "2026-05-10", figures.ECONOMY_DAILY)
    assert daily == (
        ("2026-05-09", UsageTotal(figures.EARNERS, "", "", 1, 1)),
        ("2026-05-09", UsageTotal(figures.TOKENS_EARNED, "", "", 6, 60)),
        ("2026-05-10", UsageTotal(figures.EARNERS, "", "", 5, 5)),
        ("2026-05-10", UsageTotal(figures.TOKENS_EARNED, "", "", 5, 50)),
    )
    assert "visitor-" not in repr(await store.usage_totals("2026-05-09", "2026-05-10"))
    got = figures.economy(daily, (), "2026-05-09", "2026-05-10")
    assert [d["earned"] for d in got["days"]] == [None, 50]
