"""Passing an accepted connection to a sibling worker: how ``GET /ws?zone=k`` reaches worker k.

With ``srichan serve --workers N`` every worker listens on the one public port with
``SO_REUSEPORT`` and the kernel gives each new connection to a worker at random. Zoned workers
(worker k serves the k-th stretch of the street) need a visitor's WebSocket on one named
worker, and no header or address lets the kernel choose. So the worker that happened to
accept the connection, once the gate has read its request head (server/connection_gate.py),
passes the connection itself to worker k: the TCP socket's file descriptor goes over a Unix
socket (``SCM_RIGHTS``) together with the head bytes already read, and worker k serves it
through its own gate exactly as if it had accepted it and read that head: admission control,
the trusted-proxy rule (the peer address comes from the socket) and the picows/aiohttp choice
all apply there. The sender then drops its transport without writing anything: closing its
descriptor does not end the TCP connection while another descriptor (in flight, or in the
sibling) still refers to it, and neither asyncio's nor uvloop's ``close``/``abort`` calls
``shutdown`` or sets ``SO_LINGER`` (tests/server/test_handoff.py proves both loops).

The sibling link is ``SOCK_SEQPACKET``: one ``sendmsg`` is one record (the head) with its
descriptor attached, delivered whole or not at all. A stream socket would need a length
prefix, partial reads and a rule for which bytes a descriptor belongs to; a datagram socket
has no connection, so a dead sibling would not show. With a connected, non-blocking
sequenced-packet socket a sibling that is gone fails ``connect`` or ``send`` at once, and a
sibling that is not reading fails with ``EAGAIN``: in every such case the caller keeps the
connection and serves it locally (nothing is lost, nothing loops: a connection that arrived
over the link is never passed again, see :class:`~server.connection_gate.Gate`).

Each worker i listens on ``<directory>/<i>``; the directory is made by the parent with mode
0700 (``tempfile.mkdtemp``), so only the server's own user can connect (docs/security.md). A
worker restarted by the parent removes the stale socket file and listens on the same path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

RECORD_MAX = 64 * 1024
"""Largest head passed (the gate's ``HEAD_MAX``); a longer one is served where it arrived."""
_RECV = RECORD_MAX + 1
"""A received record longer than ``RECORD_MAX`` shows as longer (or truncated): refused."""
BACKLOG = 64
_STREAMS = (socket.AF_INET, socket.AF_INET6)

Receive = Callable[[socket.socket, bytes], None]
"""Serves a passed connection (its socket and the head already read from it)."""


class Siblings:
    """Worker ``index`` of ``count``: passes connections to its siblings and takes theirs."""

    def __init__(self, directory: Path, index: int, count: int) -> None:
        if not 0 <= index < count:
            raise ValueError(f"worker index {index} is not in 0..{count - 1}")
        self.directory = directory
        self.index = index
        self.count = count
        self._links: dict[int, socket.socket] = {}
        self._listener: socket.socket | None = None
        self._peers: set[socket.socket] = set()
        self._receive: Receive | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.refused = 0
        """Records from a sibling that were not one head with one TCP socket (dropped)."""

    def path(self, k: int) -> Path:
        return self.directory / str(k)

    # -- receiving ------------------------------------------------------------------------

    def open(self, receive: Receive) -> None:
        """Listen on this worker's path (a stale file from a previous run is replaced) and
        give every passed connection to ``receive``; call on the running loop."""
        path = self.path(self.index)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(str(path))
            listener.listen(BACKLOG)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener, self._receive = listener, receive
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(listener.fileno(), self._accept)

    def close(self) -> None:
        """Stop listening and drop the links (connections queued for us are closed by the
        kernel with the socket: their clients reconnect)."""
        loop = self._loop
        if self._listener is not None:
            if loop is not None:
                loop.remove_reader(self._listener.fileno())
            self._listener.close()
            self._listener = None
            with contextlib.suppress(FileNotFoundError):
                self.path(self.index).unlink()
        for peer in self._peers:
            if loop is not None:
                loop.remove_reader(peer.fileno())
            peer.close()
        self._peers.clear()
        for link in self._links.values():
            link.close()
        self._links.clear()

    def _accept(self) -> None:
        assert self._listener is not None and self._loop is not None
        while True:
            try:
                peer, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. out of descriptors: try again on the next wake-up
                log.warning("sibling link not accepted: %s", exc)
                return
            peer.setblocking(False)
            self._peers.add(peer)
            self._loop.add_reader(peer.fileno(), self._read, peer)

    def _read(self, peer: socket.socket) -> None:
        while True:
            try:
                head, fds, flags, _ = socket.recv_fds(
                    peer, _RECV, 1, socket.MSG_CMSG_CLOEXEC | socket.MSG_DONTWAIT
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                head, fds, flags = b"", [], 0
            if not head and not fds:  # the sibling closed its link (or it broke)
                assert self._loop is not None
                self._loop.remove_reader(peer.fileno())
                self._peers.discard(peer)
                peer.close()
                return
            self._take(head, fds, flags)

    def _take(self, head: bytes, fds: list[int], flags: int) -> None:
        """One record: a whole head of at most ``RECORD_MAX`` bytes and one TCP socket."""
        sock = None
        whole = not flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC)
        if whole and len(fds) == 1 and 0 < len(head) <= RECORD_MAX:
            try:
                sock = socket.socket(fileno=fds.pop())
            except OSError:
                sock = None
            if sock is not None and (
                sock.family not in _STREAMS or sock.type != socket.SOCK_STREAM
            ):
                sock.close()
                sock = None
        for fd in fds:
            os.close(fd)
        if sock is None or self._receive is None:
            if sock is not None:
                sock.close()
            self.refused += 1
            return
        sock.setblocking(False)
        self._receive(sock, head)

    # -- passing --------------------------------------------------------------------------

    def pass_to(self, k: int, fd: int, head: bytes) -> bool:
        """Send the TCP socket ``fd`` and its ``head`` to worker ``k``. True: sent (the caller
        drops its transport without writing). False: not sent (no such sibling, it is gone,
        or its link is full; the caller serves the connection itself)."""
        if k == self.index or not 0 <= k < self.count or not 0 < len(head) <= RECORD_MAX:
            return False
        for fresh in (False, True):
            link = self._links.get(k) if not fresh else None
            if link is None:
                link = self._connect(k)
                if link is None:
                    return False
            try:
                socket.send_fds(link, [head], [fd], socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
            except (BlockingIOError, InterruptedError):
                return False  # the sibling is not keeping up: this one is served here
            except OSError:  # the sibling went away (maybe restarted): a new link, once
                self._drop(k)
                continue
            return True
        return False

    def _connect(self, k: int) -> socket.socket | None:
        link = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        link.setblocking(False)
        try:
            link.connect(str(self.path(k)))
        except OSError:  # no file, nobody listening, or its backlog full
            link.close()
            return None
        self._links[k] = link
        return link

    def _drop(self, k: int) -> None:
        link = self._links.pop(k, None)
        if link is not None:
            link.close()
