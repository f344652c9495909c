"""Operators and moderation in Redis (sequencer slot ``srichan:{g}``).

Keys: ``ops`` (operator id -> account), ``oplinks`` / ``opsessions`` (hash -> operator and
expiry), ``reports`` (seq -> report), ``repseq``, ``sanctions`` (a list, in order), ``words``
(a hash of words). A change and its audit line go out in one street commit (one script, atomic). A
link is used once because ``HDEL`` removes it for exactly one caller; expired links and
sessions are dropped at the next sign-in.
"""

from __future__ import annotations

import json
from typing import Any

from server.store.base import page
from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import G
from server.store.redis.street import Changes, Street
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import operators as rules
from srichan_world.world.moderation import ReportRecord, Sanction
from srichan_world.world.operators import Operator, OperatorSession, Role

OPERATORS = f"{G}:ops"
OP_LINKS = f"{G}:oplinks"
OP_SESSIONS = f"{G}:opsessions"
REPORTS = f"{G}:reports"
REPORT_SEQ = f"{G}:repseq"
SANCTIONS = f"{G}:sanctions"
WORDS = f"{G}:words"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class RedisConsole:
    """The console's records."""

    _conn: Connection
    _street: Street

    async def _get(self, key: str, name: str) -> dict[str, Any] | None:
        raw = await self._conn.redis.hget(key, name)
        return None if raw is None else dict(json.loads(raw))

    @guarded
    async def add_operator(self, operator_id: str, name: str, role: str, now: float) -> Operator:
        cleaned, parsed = rules.checked_operator(operator_id, name, role)
        held = await self._get(OPERATORS, operator_id)
        created = now if held is None else held["created_at"]
        record = {"name": cleaned, "role": parsed.value, "created_at": created, "revoked_at": None}
        changes = Changes()
        changes.hset(OPERATORS, operator_id, record)
        changes.note("admin", "operator_add", None, f"{operator_id} {parsed} {cleaned}", now)
        await self._street.commit("", changes)
        return Operator(operator_id, cleaned, parsed, created, None)

    @guarded
    async def issue_operator_link(
        self, operator_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        held = await self._get(OPERATORS, operator_id)
        rules.require_active(operator_id, held is not None and held["revoked_at"] is None)
        changes = Changes()
        changes.hset(OP_LINKS, link_hash, {"id": operator_id, "expires_at": expires_at})
        changes.note("admin", "operator_link", None, operator_id, now)
        await self._street.commit("", changes)

    @guarded
    async def operator_sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OperatorSession:
        link = await self._get(OP_LINKS, link_hash)
        held = None if link is None else await self._get(OPERATORS, link["id"])
        active = held is not None and held["revoked_at"] is None
        rules.require_link(None if link is None else link["expires_at"], active, now)
        assert link is not None and held is not None, "require_link refuses a missing link"
        if not await self._conn.redis.hdel(OP_LINKS, link_hash):  # another sign-in won
            rules.require_link(None, active, now)
        changes = Changes()
        for key in (OP_LINKS, OP_SESSIONS):
            for old_hash, raw in (await self._conn.redis.hgetall(key)).items():
                if json.loads(raw)["expires_at"] <= now:
                    changes.hdel(key, old_hash)
        changes.hset(OP_SESSIONS, session_hash, {"id": link["id"], "expires_at": expires_at})
        changes.note(f"operator:{link['id']}", "sign_in", None, "", now)
        await self._street.commit("", changes)
        return OperatorSession(link["id"], held["name"], Role(held["role"]), expires_at)

    @guarded
    async def operator_session(self, session_hash: str, now: float) -> OperatorSession:
        session = await self._get(OP_SESSIONS, session_hash)
        held = None if session is None else await self._get(OPERATORS, session["id"])
        active = held is not None and held["revoked_at"] is None
        until = rules.require_session(
            None if session is None else session["expires_at"], active, now
        )
        assert session is not None and held is not None
        return OperatorSession(session["id"], held["name"], Role(held["role"]), until)

    @guarded
    async def end_operator_session(self, session_hash: str) -> None:
        await self._conn.redis.hdel(OP_SESSIONS, session_hash)

    @guarded
    async def revoke_operator(self, operator_id: str, now: float) -> None:
        held = await self._get(OPERATORS, operator_id)
        if held is None:
            raise Refused(ErrorCode.UNKNOWN_OPERATOR, f"no operator {operator_id!r}")
        changes = Changes()
        for key in (OP_LINKS, OP_SESSIONS):
            for old_hash, raw in (await self._conn.redis.hgetall(key)).items():
                if json.loads(raw)["id"] == operator_id:
                    changes.hdel(key, old_hash)
        if held["revoked_at"] is None:
            changes.hset(OPERATORS, operator_id, held | {"revoked_at": now})
            changes.note("admin", "operator_revoke", None, operator_id, now)
        await self._street.commit("", changes)

    @guarded
    async def operators(self) -> tuple[Operator, ...]:
        held = await self._conn.redis.hgetall(OPERATORS)
        out = []
        for operator_id in sorted(held):
            o = json.loads(held[operator_id])
            out.append(
                Operator(operator_id, o["name"], Role(o["role"]), o["created_at"], o["revoked_at"])
            )
        return tuple(out)

    # -- moderation -----------------------------------------------------------------------------

    @guarded
    async def file_report(self, report: ReportRecord) -> int:
        seq = int(await self._conn.redis.incr(REPORT_SEQ))
        body = {"body": report.stored(), "status": "open"}
        await self._conn.redis.hset(REPORTS, str(seq), _dumps(body))
        return seq

    @guarded
    async def reports(
        self, *, status: str | None = "open", after: int = 0, limit: int = 100
    ) -> tuple[ReportRecord, ...]:
        limit = page(limit)
        held = await self._conn.redis.hgetall(REPORTS)
        out = []
        for seq in sorted(int(s) for s in held):
            if seq <= after:
                continue
            r = json.loads(held[str(seq)])
            if status is None or r["status"] == status:
                out.append(ReportRecord.from_stored(r["body"], seq, r["status"]))
                if len(out) == limit:
                    break
        return tuple(out)

    @guarded
    async def close_report(self, seq: int, actor: str, note_text: str, now: float) -> ReportRecord:
        held = await self._get(REPORTS, str(seq))
        if held is None:
            raise Refused(ErrorCode.UNKNOWN_REPORT, f"no report {seq}")
        if held["status"] != "closed":
            changes = Changes()
            changes.hset(REPORTS, str(seq), held | {"status": "closed"})
            changes.note(actor, "report_close", None, f"#{seq} {note_text}".strip(), now)
            await self._street.commit("", changes)
        return ReportRecord.from_stored(held["body"], seq, "closed")

    @guarded
    async def add_sanction(self, sanction: Sanction) -> None:
        changes = Changes()
        changes.note(sanction.actor, sanction.action, None, sanction.describe(), sanction.at)
        await self._conn.redis.rpush(SANCTIONS, _dumps(sanction.to_json()))
        await self._street.commit("", changes)

    @guarded
    async def sanctions(self) -> tuple[Sanction, ...]:
        rows = await self._conn.redis.lrange(SANCTIONS, 0, -1)
        return tuple(Sanction(**json.loads(r)) for r in rows)

    @guarded
    async def chat_words(self) -> tuple[str, ...]:
        return tuple(sorted(await self._conn.redis.hkeys(WORDS)))

    @guarded
    async def set_chat_words(self, words: tuple[str, ...], actor: str, now: float) -> None:
        changes = Changes()
        changes.delete(WORDS)
        for word in words:
            changes.hset(WORDS, word, "1")
        changes.note(actor, "chat_words", None, f"{len(words)} words", now)
        await self._street.commit("", changes)
