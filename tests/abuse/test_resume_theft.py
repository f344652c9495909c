"""A stolen resume token against a real ``srichan serve``: measured on main, whoever held a
token (30 s after a drop) took over that avatar's place and name, and one parked avatar served
every identity of a farm. A token now resumes only for the identity that earned it."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from server.ws.client import PresenceClient
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Error
from tests.abuse.conftest import ATTACKER, HONEST, Street
from tests.scale.conftest import visitor

pytestmark = pytest.mark.slow


async def client(street: Street, source: str) -> PresenceClient:
    ws = await websockets.connect(
        street.ws, local_addr=(source, 0), compression=None, ping_interval=None
    )
    return PresenceClient(ws)


async def test_a_stolen_resume_token_buys_a_fresh_avatar_not_the_victims(street: Street) -> None:
    alice_id, alice_secret = visitor(1)
    mallory_id, mallory_secret = visitor(2)
    alice = await client(street, HONEST)
    first = await alice.hello("อลิซ", visitor_id=alice_id, visitor_secret=alice_secret)
    token, aid = first.resume_token, first.avatar_id
    alice.ws.transport.abort()  # Alice's phone drops; the token leaks
    await asyncio.sleep(0.3)

    mallory = await client(street, ATTACKER)
    taken = await mallory.hello(
        "มัลลอรี", resume=token, visitor_id=mallory_id, visitor_secret=mallory_secret
    )
    assert not taken.resumed and taken.avatar_id != aid and taken.name == "มัลลอรี"
    posing = await client(street, ATTACKER)  # Alice's id without her secret
    posed = await posing.hello("อลิซ", resume=token, visitor_id=alice_id, visitor_secret="x" * 40)
    assert not posed.resumed and posed.avatar_id != aid
    refusal = await posing.next(Error)
    assert refusal.code == ErrorCode.BAD_IDENTITY

    back = await client(street, HONEST)
    resumed = await back.hello(
        "อลิซ", resume=token, visitor_id=alice_id, visitor_secret=alice_secret
    )
    assert resumed.resumed and resumed.avatar_id == aid, "Alice's avatar waited for her"
    print(f"\nstolen token: 2 thieves got fresh avatars; Alice resumed avatar {aid}")
    for c in (mallory, posing, back):
        await c.close()
