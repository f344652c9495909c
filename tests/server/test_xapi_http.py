"""``GET /api/xapi/statements`` over real HTTP: admin only, pages that chain, clear 400s."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from server.http.xapi import parse_since
from srichan_world.protocol.messages import QuizAnswer, QuizOpen
from tests.server.learning_fixtures import ADMIN_TOKEN, Q_GATE_1, Walker, open_street, visitor

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_statements_are_exported_to_the_admin_page_by_page(tmp_path: Path) -> None:
    async with open_street(tmp_path) as street, aiohttp.ClientSession(street.http) as http:
        vid, secret = visitor(21)
        me = await Walker.join(street.url, "นักสถิติ", vid, secret)
        await me.walk(Q_GATE_1)
        for choice in (2, 1, 0):
            await me.ask(QuizOpen("q-gate-1"))
            await me.ask(QuizAnswer("q-gate-1", choice))
        await me.close()

        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}):
            async with http.get("/api/xapi/statements", headers=headers) as reply:
                assert reply.status == 401 and reply.headers["WWW-Authenticate"].startswith(
                    "Bearer"
                )
                assert (await reply.json())["error"] == "admin_only"

        async with http.get("/api/xapi/statements", headers=AUTH) as reply:
            assert reply.status == 200 and reply.headers["X-Experience-API-Version"] == "1.0.3"
            assert reply.headers["Cache-Control"] == "no-store"
            body = await reply.json()
        assert body["more"] == ""
        statements = body["statements"]
        assert [s["result"]["success"] for s in statements] == [False, False, True]
        assert {s["actor"]["account"]["name"] for s in statements} == {vid}
        assert statements[0]["object"]["definition"]["name"]["th-TH"].startswith("เมืองขอนแก่น")
        assert len({s["id"] for s in statements}) == 3

        paged, url = [], "/api/xapi/statements?limit=1&since=2000-01-01T00:00:00Z"
        while url:
            async with http.get(url, headers=AUTH) as reply:
                assert reply.status == 200
                page = await reply.json()
            assert len(page["statements"]) == 1
            paged += page["statements"]
            url = page["more"]
        assert paged == statements

        async with http.get("/api/xapi/statements?since=4000000000", headers=AUTH) as reply:
            assert (await reply.json()) == {"statements": [], "more": ""}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "neither Unix seconds nor an ISO 8601 time"),
        ("since=2026-05-09T00:00:00", "give the time zone"),
        ("since=nan", "finite"),
        ("limit=0", "limit: must be 1..1000"),
        ("limit=ten", "not a whole number"),
        ("after=not-a-cursor", "after:"),
    ],
)
async def test_bad_queries_are_refused_clearly(tmp_path: Path, query: str, message: str) -> None:
    async with open_street(tmp_path) as street, aiohttp.ClientSession(street.http) as http:
        async with http.get(f"/api/xapi/statements?{query}", headers=AUTH) as reply:
            assert reply.status == 400
            body = await reply.json()
        assert body["error"] == "bad_query" and message in body["message"]


async def test_without_an_admin_token_the_export_is_off(tmp_path: Path) -> None:
    async with (
        open_street(tmp_path, admin_token="") as street,
        aiohttp.ClientSession(street.http) as http,
        http.get("/api/xapi/statements", headers={"Authorization": "Bearer "}) as reply,
    ):
        assert reply.status == 404
        body = await reply.json()
        assert body["error"] == "xapi_export_disabled" and "SRICHAN_ADMIN_TOKEN" in body["message"]


def test_since_takes_seconds_or_a_zoned_iso_time() -> None:
    assert parse_since(None) == parse_since("") == 0.0
    assert parse_since("1778300000.5") == 1778300000.5
    assert parse_since("2026-05-09T07:00:00+07:00") == parse_since("2026-05-09T00:00:00Z")
    assert parse_since("2026-05-09T00:00:00Z") == 1778284800.0
