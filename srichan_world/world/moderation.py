"""Moderation rules: reports, sanctions and what a sanctioned visitor may still do. Sans-I/O.

Visitors report an avatar, a chat line or a booth; the report is filed with *context*: the
last chat lines said near the reported avatar on this process (:class:`ChatLog`, bounded in
memory, never stored beyond the report). Moderators act from the console; each action is a
:class:`Sanction`, stored (so a process that starts later knows it) and published on the bus
(so every running process applies it at once) and kept by each process in its
:class:`Sanctions` table:

* ``warn``: the visitor is told why, nothing else;
* ``mute`` for a time (and ``unmute``): their chat is refused (``muted``) until then;
* ``kick``: told why, then their sockets are closed (4003); they may come back;
* ``ban`` of a visitor identity (``unban`` lifts it): told why, closed, and every later
  hello with that identity is refused (``banned``) until it ends (``None``: until lifted);
* ``ban`` of an address prefix (an IPv4 or IPv6 network, e.g. ``203.0.113.0/24``): new
  WebSockets from it are refused with 403 before the upgrade (for abuse from many identities).

Times in a :class:`Sanction` are wall-clock Unix seconds as stored; the presence world runs on
a monotonic clock, so :meth:`Sanctions.apply` is given both and keeps its deadlines on the
presence clock.
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from srichan_world.protocol import limits as L
from srichan_world.protocol.codes import NoticeKind, ReportReason, ReportTarget
from srichan_world.scene.model import Text
from srichan_world.world.chatfilter import WordFilter

ACTIONS = ("warn", "mute", "unmute", "kick", "ban", "unban")
MUTE_MAX_S = 7 * 86_400
"""A mute lasts at most a week (a longer one is a ban)."""
CONTEXT_RADIUS_M = 30.0
CONTEXT_AGE_S = 600.0
CONTEXT_LINES = 20
"""A report carries at most 20 lines said within 30 m of the reported avatar in 10 minutes."""
CHAT_LOG_LINES = 2000
"""Chat lines one process remembers for context (about 200 bytes each: ~0.5 MB)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REASON_TEXT: dict[ReportReason, Text] = {
    ReportReason.SPAM: Text("ส่งข้อความซ้ำหรือโฆษณา", "spam or advertising"),
    ReportReason.HARASSMENT: Text("ก่อกวนหรือคุกคามผู้อื่น", "harassing or bullying others"),
    ReportReason.HATE: Text("ใช้ถ้อยคำแสดงความเกลียดชัง", "hateful words"),
    ReportReason.SEXUAL: Text("เนื้อหาทางเพศที่ไม่เหมาะสม", "sexual content"),
    ReportReason.SCAM: Text("หลอกลวงหรือฉ้อโกง", "a scam or fraud"),
    ReportReason.OTHER: Text("ไม่ปฏิบัติตามกติกาของถนน", "breaking the street's rules"),
}
_NOTICE: dict[NoticeKind, Text] = {
    NoticeKind.WARN: Text("คำเตือนจากผู้ดูแล", "A warning from the moderators"),
    NoticeKind.MUTE: Text("ผู้ดูแลปิดการแชทของคุณชั่วคราว", "The moderators muted your chat"),
    NoticeKind.KICK: Text("ผู้ดูแลนำคุณออกจากถนน", "The moderators removed you from the street"),
    NoticeKind.BAN: Text("คุณถูกห้ามเข้าถนนนี้", "You are banned from this street"),
    NoticeKind.UNMUTE: Text("คุณแชทได้อีกครั้งแล้ว", "You may chat again"),
}
_KIND: dict[str, NoticeKind] = {
    "warn": NoticeKind.WARN,
    "mute": NoticeKind.MUTE,
    "unmute": NoticeKind.UNMUTE,
    "kick": NoticeKind.KICK,
    "ban": NoticeKind.BAN,
}


def network(prefix: str) -> Network:
    """An address prefix as a network; ``ValueError`` naming it if it is not one, or if it is
    wider than a /16 (IPv4) or a /32 (IPv6): a ban must not shut out a whole country."""
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise ValueError(f"prefix {prefix!r} is not an address or network") from None
    widest = 16 if net.version == 4 else 32
    if net.prefixlen < widest:
        raise ValueError(f"prefix {prefix!r}: at most /{widest} wide")
    return net


@dataclass(frozen=True)
class Sanction:
    """One moderator's action, as stored and as published. ``until`` (Unix seconds) ends a
    mute or a ban (``None``: a ban until lifted); ``target`` is a visitor id or, for a ban or
    unban by address, a prefix."""

    action: str
    target: str
    reason: int
    actor: str
    at: float
    until: float | None = None
    by_address: bool = False

    @classmethod
    def checked(
        cls,
        action: str,
        target: str,
        reason: int,
        actor: str,
        at: float,
        minutes: float | None = None,
        by_address: bool = False,
    ) -> Sanction:
        """A sanction from a console form; ``ValueError`` naming the field that is wrong."""
        if action not in ACTIONS:
            raise ValueError(f"action: one of {', '.join(ACTIONS)}")
        if reason not in set(ReportReason):
            raise ValueError("reason: unknown")
        if by_address:
            if action not in ("ban", "unban"):
                raise ValueError("by_address: only a ban or an unban")
            target = str(network(target))
        elif not target or len(target) > L.ID_MAX_CHARS:
            raise ValueError("target: a visitor id")
        until = None
        if minutes is not None:
            if isinstance(minutes, bool) or not (
                isinstance(minutes, int | float) and 0 < minutes <= MUTE_MAX_S / 60
            ):
                raise ValueError(f"minutes: 1 to {MUTE_MAX_S // 60}")
            until = at + float(minutes) * 60
        if action == "mute" and until is None:
            raise ValueError("minutes: a mute needs a duration")
        return cls(action, target, int(reason), actor, at, until, by_address)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Sanction:
        """``ValueError`` (or ``KeyError``/``TypeError``) for anything that is not one."""
        s = cls(**{k: data[k] for k in cls.__dataclass_fields__})
        return cls.checked(
            s.action,
            s.target,
            s.reason,
            str(s.actor),
            float(s.at),
            None if s.until is None else (float(s.until) - float(s.at)) / 60,
            bool(s.by_address),
        )

    def describe(self) -> str:
        """How the audit log describes it: target, reason, until."""
        until = "" if self.until is None else f" until {self.until:.0f}"
        where = "address " if self.by_address else ""
        return f"{where}{self.target} reason={ReportReason(self.reason).name.lower()}{until}"

    def notice(self) -> tuple[NoticeKind, Text] | None:
        """What the visitor is told (Thai, English), or ``None`` (unban: they are not here)."""
        kind = _KIND.get(self.action)
        if kind is None:
            return None
        head, why = _NOTICE[kind], REASON_TEXT[ReportReason(self.reason)]
        if kind == NoticeKind.UNMUTE:
            return kind, head
        return kind, Text(f"{head.th}: {why.th}", f"{head.en}: {why.en}")


class Sanctions:
    """What this process holds against visitors and addresses, on the presence clock."""

    def __init__(self) -> None:
        self.muted: dict[str, float] = {}
        self.banned: dict[str, float] = {}
        """Visitor id -> until (``inf``: until lifted)."""
        self.prefixes: dict[Network, float] = {}

    def apply(self, s: Sanction, now: float, wall: float) -> None:
        """Keep ``s`` (stored at wall time ``s.at``); ``now``/``wall`` are the two clocks now."""
        until = math.inf if s.until is None else now + (s.until - wall)
        if s.by_address:
            net = network(s.target)
            if s.action == "ban":
                self.prefixes[net] = until
            else:
                self.prefixes.pop(net, None)
        elif s.action == "mute":
            self.muted[s.target] = until
        elif s.action == "unmute":
            self.muted.pop(s.target, None)
        elif s.action == "ban":
            self.banned[s.target] = until
        elif s.action == "unban":
            self.banned.pop(s.target, None)

    def muted_for(self, visitor_id: str | None, now: float) -> float:
        """Seconds the visitor stays muted (0: not muted)."""
        if visitor_id is None:
            return 0.0
        until = self.muted.get(visitor_id)
        if until is None or until <= now:
            self.muted.pop(visitor_id, None)
            return 0.0
        return until - now

    def is_banned(self, visitor_id: str | None, now: float) -> bool:
        until = self.banned.get(visitor_id or "")
        return until is not None and until > now

    def address_banned(self, address: str, now: float) -> bool:
        """Is ``address`` (an IP, as admission names clients) inside a banned prefix?"""
        if not self.prefixes:
            return False
        try:
            ip = ipaddress.ip_address(address.split("/")[0])
        except ValueError:
            return False
        return any(ip in net and until > now for net, until in self.prefixes.items())


@dataclass(frozen=True, slots=True)
class Line:
    """One chat line as said on this process (presence clock, metres)."""

    at: float
    avatar_id: int
    visitor_id: str | None
    name: str
    text: str
    x: float
    z: float


class ChatLog:
    """The last :data:`CHAT_LOG_LINES` chat lines said on this process, for report context."""

    def __init__(self, size: int = CHAT_LOG_LINES) -> None:
        self.lines: deque[Line] = deque(maxlen=size)

    def said(self, line: Line) -> None:
        self.lines.append(line)

    def near(self, x: float, z: float, now: float) -> list[dict[str, Any]]:
        """Lines said within :data:`CONTEXT_RADIUS_M` of ``(x, z)`` in the last
        :data:`CONTEXT_AGE_S`, oldest first, at most :data:`CONTEXT_LINES`."""
        picked: list[Line] = []
        for line in reversed(self.lines):
            if now - line.at > CONTEXT_AGE_S or len(picked) >= CONTEXT_LINES:
                break
            if math.hypot(line.x - x, line.z - z) <= CONTEXT_RADIUS_M:
                picked.append(line)
        return [
            {
                "ago_s": round(now - line.at),
                "avatar_id": line.avatar_id,
                "visitor_id": line.visitor_id,
                "name": line.name,
                "text": line.text,
            }
            for line in reversed(picked)
        ]


@dataclass(frozen=True)
class ReportRecord:
    """A filed report as the queue shows it; ``seq`` and ``status`` are the store's."""

    target: int
    reason: int
    reporter: str | None
    at: float
    avatar_id: int | None = None
    visitor_id: str | None = None
    """The reported visitor, when their avatar is on the reporter's process."""
    name: str | None = None
    slot: str | None = None
    said: str | None = None
    note: str | None = None
    context: tuple[dict[str, Any], ...] = ()
    seq: int = 0
    status: str = "open"
    """``open``, or ``closed`` once a moderator dealt with it."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = ReportTarget(self.target).name.lower()
        data["reason"] = ReportReason(self.reason).name.lower()
        data["context"] = list(self.context)
        return data

    def stored(self) -> dict[str, Any]:
        """The fields a store keeps (all but ``seq`` and ``status``), JSON-ready."""
        data = asdict(self)
        data["context"] = list(self.context)
        del data["seq"], data["status"]
        return data

    @classmethod
    def from_stored(cls, data: dict[str, Any], seq: int, status: str) -> ReportRecord:
        return cls(**{**data, "context": tuple(data["context"]), "seq": seq, "status": status})


class Guard:
    """What the presence world asks before a chat line goes out or a visitor comes in: the
    sanctions this process holds, the word filter, and the chat log for report context."""

    def __init__(self) -> None:
        self.sanctions = Sanctions()
        self.filter = WordFilter()
        self.log = ChatLog()
