"""docs/deploy.md's nginx block, run for real in front of the real server on loopback ports.

The block is read from the document itself (so the document cannot drift from what is tested),
with only its ports, certificate paths and upstream substituted; TLS uses a self-signed
certificate made here with openssl. Through it go an HTTPS request and a WebSocket, from
127.0.0.2, and the server must have counted that address (from ``X-Forwarded-For``), not
nginx's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
import websockets

from server.config import Settings
from server.keys import ADMISSION
from server.ws.client import PresenceClient
from tests.server.test_connection_gate import Served, served

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(
    NGINX is None or OPENSSL is None,
    reason="nginx or openssl is not installed (tools/setup.sh installs both from Debian)",
)


def nginx_block() -> str:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```nginx\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "docs/deploy.md should hold exactly one nginx block"
    return blocks[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_documented_limits_are_the_servers_defaults() -> None:
    block, defaults = nginx_block(), Settings()
    assert f"client_header_timeout {defaults.header_timeout_s:g}s;" in block
    assert f"client_body_timeout {defaults.body_timeout_s:g}s;" in block
    assert f"keepalive_timeout {defaults.keepalive_timeout_s:g}s;" in block
    assert f"rate={defaults.hellos_per_minute:g}r/m;" in block
    assert f"burst={defaults.hello_burst} nodelay;" in block


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [OPENSSL or "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_conf(folder: Path, upstream: int, https: int, http: int, cert: Path, key: Path) -> Path:
    block = nginx_block()
    swaps = [
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{upstream};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("/etc/letsencrypt/live/srichan.example/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/srichan.example/privkey.pem", str(key)),
    ]
    for old, new in swaps:
        assert block.count(old) == 1, old
        block = block.replace(old, new)
    (folder / "srichan.conf").write_text(block)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/srichan.conf;
}}
"""
    )
    return conf


@pytest.fixture
def nginx_ports() -> tuple[int, int]:
    return free_port(), free_port()


@pytest.fixture
async def behind_nginx(
    settings: Settings, tmp_path: Path, certificate: tuple[Path, Path], nginx_ports: tuple[int, int]
) -> AsyncIterator[Served]:
    trusting = replace(settings, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    async with served(trusting) as server:
        with run_nginx(tmp_path / "nginx", server.port, *nginx_ports, *certificate):
            yield server


@pytest.fixture
def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


class run_nginx:
    """nginx in the foreground on the given ports; stopped (SIGQUIT, then SIGKILL) after."""

    def __init__(self, folder: Path, upstream: int, https: int, http: int, cert: Path, key: Path):
        folder.mkdir()
        self.conf = nginx_conf(folder, upstream, https, http, cert, key)
        self.folder, self.https = folder, https
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "stderr.log"

    def __enter__(self) -> run_nginx:
        with self.log.open("wb") as log:  # nginx keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    NGINX or "nginx",
                    "-p",
                    str(self.folder),
                    "-c",
                    str(self.conf),
                    "-g",
                    "daemon off;",
                ],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.https), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen within 10 s")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


async def test_https_and_a_websocket_pass_through_nginx_with_the_clients_address(
    behind_nginx: Served, nginx_ports: tuple[int, int], client_tls: ssl.SSLContext
) -> None:
    https, http = nginx_ports
    connector = aiohttp.TCPConnector(ssl=client_tls, local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(f"https://127.0.0.1:{https}/healthz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
        async with session.get(f"http://127.0.0.1:{http}/", allow_redirects=False) as response:
            assert response.status == 301
            assert response.headers["Location"].startswith("https://")

    ws = await websockets.connect(
        f"wss://127.0.0.1:{https}/ws",
        ssl=client_tls,
        local_addr=("127.0.0.2", 0),
        compression=None,
        ping_interval=None,
    )
    visitor = PresenceClient(ws)
    welcome = await visitor.hello("ผ่านพร็อกซี")
    assert welcome.avatar_id > 0
    assert (await visitor.ping()).t == 0.0
    admission = behind_nginx.app[ADMISSION]
    assert admission.holding("127.0.0.2") == (1, 0)  # the client's address, from nginx
    assert admission.holding("127.0.0.1") == (0, 0)  # not nginx's own
    await asyncio.sleep(6)  # a server ping round trip through nginx: the socket stays up
    assert visitor.closure is None
    await visitor.close()
