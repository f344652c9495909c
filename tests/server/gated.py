"""A test server whose connections come in through the connection gate, as `srichan serve`'s
do, with ``/ws`` on the WebSocket transport a test asks for (picows or aiohttp)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from server.connection_gate import Gate, listen
from server.keys import ADMISSION, METRICS, SETTINGS, WEBSOCKET
from server.runner import gate_of
from srichan_world.world.admission import Admission, AdmissionLimits


class GatedServer(TestServer):
    def __init__(self, app: web.Application, transport: str = "picows") -> None:
        super().__init__(app, host="127.0.0.1")
        self.transport = transport
        self.listener: Any = None

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        if self.runner:
            return
        self.runner = await self._make_runner(handler_cancellation=True, **kwargs)
        await self.runner.setup()
        self.listener = await listen(self.runner, self.host, 0, self._gate())
        self.port = self.listener.sockets[0].getsockname()[1]
        self.scheme = "http"
        self._root = URL(f"http://{self.host}:{self.port}")

    def _gate(self) -> Gate:
        app = self.app
        if SETTINGS in app:  # the whole street: the settings say which transport
            assert (WEBSOCKET in app) == (self.transport == "picows")
            return gate_of(app, app[SETTINGS])
        door = app.get(WEBSOCKET) if self.transport == "picows" else None
        admission = app[ADMISSION] if ADMISSION in app else Admission(AdmissionLimits())
        websocket = door.protocol if door is not None else None
        return Gate(admission, app[METRICS], websocket=websocket)

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
        await super().close()
