"""Forwarding statements to an LRS: a small aiohttp LRS on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from server.config import ConfigError
from server.integrations.lrs import LrsConfig, LrsForwarder, backoff_delay
from srichan_world.protocol.messages import QuizAnswer, QuizOpen
from srichan_world.world.xapi import statement_id
from tests.server.learning_fixtures import Q_GATE_1, Walker, open_street, visitor

AUTH = "Basic " + base64.b64encode("city:สวัสดี".encode()).decode()


@dataclass
class StubLrs:
    """Answers the first ``failures`` POSTs with ``fail_status`` (the first one with a
    Retry-After), then stores statements by id like an LRS."""

    endpoint: str = ""
    failures: int = 0
    fail_status: int = 503
    hold: asyncio.Event | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def post(self, request: web.Request) -> web.Response:
        batch = await request.json()
        self.requests.append({"headers": dict(request.headers), "ids": [s["id"] for s in batch]})
        if self.hold is not None:
            await self.hold.wait()
        if self.failures > 0:
            self.failures -= 1
            headers = {"Retry-After": "0"} if len(self.requests) == 1 else {}
            return web.Response(status=self.fail_status, text="try later", headers=headers)
        for statement in batch:
            self.stored[statement["id"]] = statement
        self.arrived.set()
        return web.json_response([s["id"] for s in batch])


@pytest.fixture
async def lrs() -> AsyncIterator[StubLrs]:
    stub = StubLrs()
    app = web.Application()
    app.router.add_post("/xapi/statements", stub.post)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    stub.endpoint = f"http://{host}:{port}/xapi/"
    try:
        yield stub
    finally:
        if stub.hold is not None:
            stub.hold.set()
        await runner.cleanup()


def config(stub: StubLrs, **overrides: Any) -> LrsConfig:
    fast = {"backoff_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 2.0, "shutdown_grace_s": 0.5}
    return LrsConfig(stub.endpoint, AUTH, **(fast | overrides))


def statements(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"id": statement_id(f"k{i}"), "verb": {"id": "v"}} for i in range(start, start + n)]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_failures_are_retried_until_the_lrs_takes_every_statement(lrs: StubLrs) -> None:
    lrs.failures = 3
    forwarder = LrsForwarder(config(lrs))
    forwarder.start()
    sent = statements(5)
    assert all(forwarder.offer(s) for s in sent)
    await until(lambda: len(lrs.stored) == 5)
    await forwarder.close()
    assert forwarder.counts.sent == 5 and forwarder.counts.retries == 3
    assert forwarder.counts.dropped == forwarder.counts.rejected == 0
    assert len(lrs.requests) == 4 and lrs.requests[0]["ids"] == lrs.requests[-1]["ids"]
    headers = lrs.requests[-1]["headers"]
    assert headers["Authorization"] == AUTH and headers["X-Experience-API-Version"] == "1.0.3"
    assert list(lrs.stored) == [s["id"] for s in sent], "in order, one copy each"


async def test_a_refused_batch_is_dropped_and_later_ones_still_go(lrs: StubLrs) -> None:
    lrs.failures, lrs.fail_status = 1, 400
    forwarder = LrsForwarder(config(lrs))
    forwarder.start()
    forwarder.offer(statements(1)[0])
    await until(lambda: forwarder.counts.rejected == 1)
    forwarder.offer(statements(1, start=1)[0])
    await until(lambda: len(lrs.stored) == 1)
    await forwarder.close()
    assert forwarder.counts.retries == 0 and forwarder.counts.sent == 1


async def test_an_lrs_that_already_has_the_statements_counts_as_done(lrs: StubLrs) -> None:
    lrs.failures, lrs.fail_status = 1, 409
    forwarder = LrsForwarder(config(lrs))
    forwarder.start()
    forwarder.offer(statements(1)[0])
    await until(lambda: forwarder.counts.conflicts == 1)
    await forwarder.close()
    assert forwarder.counts.retries == 0 and forwarder.counts.rejected == 0


async def test_the_queue_is_bounded_and_play_never_waits(lrs: StubLrs) -> None:
    lrs.hold = asyncio.Event()  # the LRS hangs
    counted: list[tuple[str, int]] = []
    forwarder = LrsForwarder(
        config(lrs, queue_size=2, batch_size=1), lambda o, n: counted.append((o, n))
    )
    forwarder.start()
    offered = [forwarder.offer(s) for s in statements(5)]  # no await: the task has not run yet
    assert offered == [True, True, False, False, False]
    await until(lambda: len(lrs.requests) == 1)  # one in flight, one waiting
    assert forwarder.offer(statements(1, start=9)[0])
    await forwarder.close()  # the grace period runs out with the LRS still hanging
    assert forwarder.counts.sent == 0 and forwarder.counts.dropped == 6
    assert ("dropped", 1) in counted and sum(n for o, n in counted if o == "dropped") == 6
    assert not forwarder.offer(statements(1, start=10)[0]), "closed: nothing more is taken"


def test_backoff_grows_exponentially_up_to_the_cap_with_jitter() -> None:
    highs = [backoff_delay(a, 0.5, 60.0, rand=lambda: 1.0) for a in range(1, 10)]
    assert highs == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    lows = [backoff_delay(a, 0.5, 60.0, rand=lambda: 0.0) for a in (1, 8, 500)]
    assert lows == [0.25, 30.0, 30.0]


def test_configuration_comes_from_the_environment_and_is_checked() -> None:
    assert LrsConfig.from_env({}) is None and LrsConfig.from_env({"SRICHAN_LRS_URL": " "}) is None
    cfg = LrsConfig.from_env(
        {"SRICHAN_LRS_URL": "https://lrs.example/xapi", "SRICHAN_LRS_AUTH": AUTH}
    )
    assert cfg is not None and cfg.statements_url == "https://lrs.example/xapi/statements"
    assert cfg.auth == AUTH
    for env in (
        {"SRICHAN_LRS_URL": "ftp://lrs.example/"},
        {"SRICHAN_LRS_URL": "lrs.example"},
        {"SRICHAN_LRS_URL": "https://lrs.example/", "SRICHAN_LRS_AUTH": "Basic a\nX-Evil: 1"},
    ):
        with pytest.raises(ConfigError) as caught:
            LrsConfig.from_env(env)
        assert caught.value.problems[0].startswith("SRICHAN_LRS_")


async def test_answers_on_the_street_reach_the_lrs(tmp_path: Path, lrs: StubLrs) -> None:
    lrs.failures = 2
    async with open_street(tmp_path, lrs=config(lrs)) as street:
        vid, secret = visitor(31)
        me = await Walker.join(street.url, "ผู้เรียน", vid, secret)
        await me.walk(Q_GATE_1)
        await me.ask(QuizOpen("q-gate-1"))
        await me.ask(QuizAnswer("q-gate-1", 0))
        await until(lambda: len(lrs.stored) == 1)
        await me.close()
        forwarder = street.learning.forwarder
        assert forwarder is not None and forwarder.counts.retries == 2
    (statement,) = lrs.stored.values()
    assert statement["actor"]["account"]["name"] == vid
    assert statement["object"]["definition"]["name"]["th-TH"].startswith("เมืองขอนแก่น")
    assert statement["result"]["success"] is True
    async with open_street(tmp_path / "again") as street:
        assert street.learning.forwarder is None, "no LRS configured: no forwarder"


def test_a_bad_lrs_url_stops_the_server_from_starting(tmp_path: Path) -> None:
    from server.app import create_app
    from server.config import Settings
    from tests.server.learning_fixtures import compile_scene

    settings = Settings(scene_dir=compile_scene(tmp_path / "build"))
    with pytest.raises(ConfigError, match="SRICHAN_LRS_URL"):
        create_app(settings, environ={"SRICHAN_LRS_URL": "not a url"})
    assert create_app(settings, environ={}) is not None
