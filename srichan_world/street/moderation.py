"""The street's moderation desk: visitors' reports in, moderators' sanctions out. Sans-I/O.

A ``report`` names an avatar (or one line it said) or a booth, with a reason; the desk checks
it against what this process sees, adds the context (the chat lines said near the avatar or
the booth, from the presence world's :class:`~srichan_world.world.moderation.ChatLog`) and
files it with one store step. A sanction (from the console, on this process or heard on the
bus) is kept in the guard's table and applied to every session of the visitor here: a
``notice`` saying why, and for a kick or a ban the socket closed (4003) with the avatar gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from srichan_world.errors import Refused
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import ErrorCode, MsgType, NoticeKind, ReportReason, ReportTarget
from srichan_world.protocol.messages import Error, Notice, Report, Reported
from srichan_world.scene.model import Text
from srichan_world.street.steps import FileReport, Outcome, Program
from srichan_world.world import privacy
from srichan_world.world.moderation import Guard, ReportRecord, Sanction
from srichan_world.world.presence import Effect, PresenceWorld, Send


class ModerationDesk:
    """Reports and sanctions for one process's street."""

    def __init__(
        self,
        world: PresenceWorld,
        guard: Guard,
        booths: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.world = world
        self.guard = guard
        self.booths = dict(booths or {})
        """Booth slot -> its position, for a booth report's context."""

    def report(
        self, reporter: str | None, msg: Report, now: float, wall: float
    ) -> Program[Outcome]:
        """File ``msg`` (``now``: the presence clock, for context; ``wall``: as recorded)."""
        try:
            record = self._record(reporter, msg, now, wall)
        except Refused as exc:
            return Outcome([Error(exc.code, exc.refusal.detail)])
        seq = yield FileReport(record)
        return Outcome([Reported(seq)])

    def _record(self, reporter: str | None, msg: Report, now: float, wall: float) -> ReportRecord:
        """The report as filed, or ``Refused`` (``BAD_REPORT``, ``UNKNOWN_AVATAR``)."""
        if msg.reason not in set(ReportReason) or msg.target not in set(ReportTarget):
            raise Refused(ErrorCode.BAD_REPORT, "unknown target kind or reason")
        base = ReportRecord(msg.target, msg.reason, reporter, wall, note=msg.note)
        if msg.target == ReportTarget.BOOTH:
            place = self.booths.get(msg.slot or "")
            if place is None:
                raise Refused(ErrorCode.BAD_REPORT, "a booth report names a slot of this street")
            context = tuple(self.guard.log.near(place[0], place[1], now))
            return replace(base, slot=msg.slot, context=context)
        if msg.avatar is None or (msg.target == ReportTarget.CHAT) != (msg.said is not None):
            raise Refused(ErrorCode.BAD_REPORT, "name the avatar, and for a chat line what it said")
        avatar = self.world.avatars.get(msg.avatar)
        if avatar is None:
            raise Refused(ErrorCode.UNKNOWN_AVATAR, f"no avatar {msg.avatar} on the street now")
        hello = avatar.session.hello if avatar.session is not None else None
        return replace(
            base,
            avatar_id=avatar.id,
            visitor_id=None if hello is None else hello.visitor_id,
            name=avatar.name,
            said=msg.said,
            context=tuple(self.guard.log.near(avatar.x, avatar.z, now)),
        )

    def sanction(self, sanction: Sanction, now: float, wall: float) -> list[Effect]:
        """Keep ``sanction`` and apply it to the visitor's sessions here (none for a ban by
        address: it refuses new sockets; a ban of a visitor also ends their sessions)."""
        self.guard.sanctions.apply(sanction, now, wall)
        told = sanction.notice()
        if sanction.by_address or told is None:
            return []
        kind, text = told
        left = None if sanction.until is None else max(0, round(sanction.until - wall))
        data = encode(Notice(int(kind), text, left if sanction.action == "mute" else None))
        effects: list[Effect] = []
        for session in self.world.sessions_of(sanction.target):
            effects.append(Send(session, data, MsgType.NOTICE))
            if sanction.action in ("kick", "ban"):
                effects += self.world.send_off(session, f"{sanction.action} by a moderator")
        return effects

    def erased(self, visitor_id: str) -> list[Effect]:
        """The visitor's data was erased (srichan_world/world/privacy.py): each of their
        sessions here is told so, Thai first, and closed (4003) like a kick."""
        text = Text(privacy.ERASED_NOTICE_TH, privacy.ERASED_NOTICE_EN)
        data = encode(Notice(int(NoticeKind.KICK), text, None))
        effects: list[Effect] = []
        for session in self.world.sessions_of(visitor_id):
            effects.append(Send(session, data, MsgType.NOTICE))
            effects += self.world.send_off(session, "data erased on request")
        return effects

    def enforce_bans(self, now: float) -> list[Effect]:
        """Close the sessions of every visitor banned now (after sanctions were replayed)."""
        effects: list[Effect] = []
        for visitor_id in list(self.guard.sanctions.banned):
            if self.guard.sanctions.is_banned(visitor_id, now):
                for session in self.world.sessions_of(visitor_id):
                    effects += self.world.send_off(session, "banned by a moderator")
        return effects
