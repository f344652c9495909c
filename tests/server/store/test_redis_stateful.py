"""The store state machine of test_stateful.py (answer / retry / redeem / wait / restart, with
the model, audit and award-once invariants after every step), run against a real Redis."""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings

from server.store import open_store
from tests.server.store.conftest import SECRET, T0
from tests.server.store.test_stateful import VISITORS, StoreMachine
from tools import redis_servers

pytestmark = pytest.mark.redis


class RedisStoreMachine(StoreMachine):
    server: ClassVar[redis_servers.RedisServer | None] = None

    def __init__(self) -> None:
        assert self.server is not None, "the fixture below sets the server"
        self.server.flush()
        super().__init__()  # an SQLite store in a temporary folder, swapped for Redis:
        self.run(self.store.close())
        self.url = self.server.url
        self.store = self.run(open_store(self.url))
        for v in VISITORS:
            self.run(self.store.register_visitor(v, SECRET, T0))


class TestRedisStoreMachine(RedisStoreMachine.TestCase):  # type: ignore[name-defined]
    settings = settings(
        max_examples=15,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    @pytest.fixture(autouse=True)
    def _on_redis(self, redis_standalone: redis_servers.RedisServer) -> None:
        RedisStoreMachine.server = redis_standalone
