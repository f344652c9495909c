"""Tokens survive ``kill -9``: the real server in its own process, SIGKILLed right after paying,
then the ledger audit and a restarted server on the same SQLite file."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from server.store import open_store
from srichan_world.protocol.messages import (
    QuestProgress,
    QuizAnswer,
    QuizOpen,
    QuizResult,
    SetNickname,
)
from srichan_world.world.leaderboard import Board
from srichan_world.world.ledger import visitor_account
from tests.server.learning_fixtures import (
    MAX_SPEED,
    Q_GATE_1,
    Q_GATE_2,
    Walker,
    compile_scene,
    visitor,
)

BIN = Path(sys.executable).parent
OPEN = re.compile(r"open: (http://[\d.]+:\d+)/")


@asynccontextmanager
async def server(command: list[str], args: list[str], log: Path) -> AsyncIterator[tuple[str, int]]:
    """The server as a child process; yields its ws URL and pid, kills it at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRICHAN_")}
    with log.open("ab") as stderr:
        proc = await asyncio.create_subprocess_exec(
            *command, "serve", *args, stdout=subprocess.PIPE, stderr=stderr, env=env
        )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            line = (await proc.stdout.readline()).decode()
        match = OPEN.search(line)
        assert match, f"no URL in {line!r}; log: {log.read_text(errors='replace')[-2000:]}"
        yield match.group(1).replace("http://", "ws://") + "/ws", proc.pid
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def test_awards_survive_sigkill_and_a_restart(tmp_path: Path) -> None:
    scene_dir = compile_scene(tmp_path / "build")
    db = tmp_path / "street.db"
    store_url = f"sqlite:///{db}"
    args = ["--port", "0", "--scene-dir", str(scene_dir), "--store", store_url]
    args += ["--max-speed", str(MAX_SPEED)]
    command = [str(BIN / "srichan")]
    vid, secret = visitor(41)
    nick = "ทนทาน"

    async with server(command, args, tmp_path / "server.log") as (url, pid):
        me = await Walker.join(url, "แก่น", vid, secret)
        await me.walk(Q_GATE_1)
        await me.ask(QuizOpen("q-gate-1"))
        first = await me.ask(QuizAnswer("q-gate-1", 0))
        await me.ask(SetNickname(nick))
        await me.walk((20.0, 0.0), Q_GATE_2)
        await me.ask(QuizOpen("q-gate-2"))
        second = await me.ask(QuizAnswer("q-gate-2", 0))
        assert isinstance(first, QuizResult) and isinstance(second, QuizResult)
        assert (first.reward, second.reward, second.balance) == (10, 5, 15)
        os.kill(pid, signal.SIGKILL)  # the moment the last reply is read
        await me.client.closed()
        await me.close()

    audit = subprocess.run(
        [str(BIN / "srichan"), "ledger", "audit", "--store", store_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.rstrip().endswith("OK")
    assert re.search(r"^visitor\s+1\s+15$", audit.stdout, re.MULTILINE), audit.stdout

    store = await open_store(store_url)
    try:
        entries = await store.entries(visitor_account(vid))
        kept = (await store.statements_since(0.0)).statements
    finally:
        await store.close()
    assert sorted((e.transfer.reason.split("@")[0], e.transfer.amount) for e in entries) == [
        ("quiz q-gate-1", 10),
        ("quiz q-gate-2", 5),
    ]
    assert [s["result"]["success"] for s in kept] == [True, True]

    async with server(command, args, tmp_path / "server.log") as (url, _pid):
        back = await Walker.join(url, "แก่น", vid, secret)
        assert (await back.wallet()).balance == 15
        walk = await back.client.next(QuestProgress)
        assert (walk.quest_id, walk.steps) == ("walk", (0,)), "the gate visit was kept too"
        await back.walk(Q_GATE_1)
        await back.ask(QuizOpen("q-gate-1"))
        again = await back.ask(QuizAnswer("q-gate-1", 0))
        assert isinstance(again, QuizResult) and again.reward == 0 and again.already_awarded
        await back.close()

    store = await open_store(store_url)
    try:
        assert len(await store.entries(visitor_account(vid))) == 2
        (top,) = await store.leaderboard(Board.ALL, 0.0)
        assert (top.name, top.tokens) == (nick, 15)
    finally:
        await store.close()
