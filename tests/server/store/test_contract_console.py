"""The operators and moderation part of the Store contract (SQLite, Redis, Redis Cluster)."""

from __future__ import annotations

import asyncio

import pytest

from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode, ReportReason, ReportTarget
from srichan_world.world.moderation import ReportRecord, Sanction
from srichan_world.world.operators import Role
from srichan_world.world.owners import link_hash, session_hash
from tests.server.store.conftest import T0

LINK = "L" * 43
SESSION = "S" * 43


async def refused(code: int, call) -> Refused:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def test_an_operator_signs_in_once_with_a_link(store: Store) -> None:
    op = await store.add_operator("noi", "  น้อย  ", "moderator", T0)
    assert (op.id, op.name, op.role, op.revoked_at) == ("noi", "น้อย", Role.MODERATOR, None)
    await store.issue_operator_link("noi", link_hash(LINK), T0 + 100, T0)
    session = await store.operator_sign_in(link_hash(LINK), session_hash(SESSION), T0 + 50, T0)
    assert (session.id, session.role, session.expires_at) == ("noi", Role.MODERATOR, T0 + 50)
    again = store.operator_sign_in(link_hash(LINK), session_hash("T" * 43), T0 + 50, T0)
    await refused(ErrorCode.OPERATOR_LINK_INVALID, again)
    assert (await store.operator_session(session_hash(SESSION), T0 + 1)).name == "น้อย"
    late = store.operator_session(session_hash(SESSION), T0 + 50)
    await refused(ErrorCode.OPERATOR_SESSION_INVALID, late)
    await store.end_operator_session(session_hash(SESSION))
    gone = store.operator_session(session_hash(SESSION), T0 + 1)
    await refused(ErrorCode.OPERATOR_SESSION_INVALID, gone)


async def test_two_sign_ins_with_one_link_at_once_open_one_session(store: Store) -> None:
    await store.add_operator("noi", "Noi", "admin", T0)
    await store.issue_operator_link("noi", link_hash(LINK), T0 + 100, T0)
    results = await asyncio.gather(
        *(
            store.operator_sign_in(link_hash(LINK), session_hash(c * 43), T0 + 50, T0)
            for c in "ABCD"
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(r.code == ErrorCode.OPERATOR_LINK_INVALID for r in results if isinstance(r, Refused))


async def test_revoking_an_operator_ends_sessions_and_links_at_once(store: Store) -> None:
    await store.add_operator("noi", "Noi", "admin", T0)
    await store.issue_operator_link("noi", link_hash(LINK), T0 + 100, T0)
    await store.operator_sign_in(link_hash(LINK), session_hash(SESSION), T0 + 50, T0)
    await store.issue_operator_link("noi", link_hash("M" * 43), T0 + 100, T0)
    await store.revoke_operator("noi", T0 + 1)
    await refused(
        ErrorCode.OPERATOR_SESSION_INVALID, store.operator_session(session_hash(SESSION), T0 + 2)
    )
    link = store.operator_sign_in(link_hash("M" * 43), session_hash("Z" * 43), T0 + 50, T0 + 2)
    await refused(ErrorCode.OPERATOR_LINK_INVALID, link)
    await refused(
        ErrorCode.UNKNOWN_OPERATOR, store.issue_operator_link("noi", link_hash("N" * 43), 9, 1)
    )
    await refused(ErrorCode.UNKNOWN_OPERATOR, store.revoke_operator("nobody", T0))
    (listed,) = await store.operators()
    assert listed.revoked_at == T0 + 1
    back = await store.add_operator("noi", "Noi", "analyst", T0 + 3)
    assert back.revoked_at is None and back.role == Role.ANALYST
    actions = [a.action for a in await store.owner_actions()]
    assert actions.count("operator_add") == 2 and "operator_revoke" in actions
    assert "sign_in" in actions


@pytest.mark.parametrize(
    ("operator_id", "name", "role"),
    [("No!", "a", "admin"), ("noi", "", "admin"), ("noi", "a", "root"), ("noi", "\x00", "admin")],
)
async def test_malformed_operators_are_refused_by_name(
    store: Store, operator_id: str, name: str, role: str
) -> None:
    with pytest.raises(ValueError):
        await store.add_operator(operator_id, name, role, T0)
    assert await store.operators() == ()


def _report(n: int) -> ReportRecord:
    return ReportRecord(
        target=ReportTarget.CHAT,
        reason=ReportReason.HARASSMENT,
        reporter="alice-0000001",
        at=T0 + n,
        avatar_id=7,
        visitor_id="bob-000000002",
        name="บ๊อบ",
        said=f"ข้อความที่ {n}",
        context=({"ago_s": 3, "avatar_id": 7, "visitor_id": "b", "name": "บ๊อบ", "text": "x"},),
    )


async def test_reports_queue_in_order_and_close_once(store: Store) -> None:
    seqs = [await store.file_report(_report(n)) for n in range(3)]
    assert seqs == [1, 2, 3]
    queue = await store.reports()
    assert [r.seq for r in queue] == [1, 2, 3] and queue[0] == _report(0).__class__(
        **{**_report(0).__dict__, "seq": 1}
    )
    closed = await store.close_report(2, "operator:noi", "warned", T0 + 9)
    assert closed.status == "closed" and closed.said == "ข้อความที่ 1"
    await store.close_report(2, "operator:noi", "again", T0 + 10)
    assert [r.seq for r in await store.reports()] == [1, 3]
    assert [r.seq for r in await store.reports(status=None, after=1, limit=1)] == [2]
    await refused(ErrorCode.UNKNOWN_REPORT, store.close_report(99, "operator:noi", "", T0))
    closes = [a for a in await store.owner_actions() if a.action == "report_close"]
    assert [(a.actor, a.detail) for a in closes] == [("operator:noi", "#2 warned")]


async def test_sanctions_and_the_word_list_are_kept_and_audited(store: Store) -> None:
    mute = Sanction.checked("mute", "bob-000000002", 1, "operator:noi", T0, minutes=10)
    ban = Sanction.checked("ban", "203.0.113.9/24", 0, "operator:noi", T0 + 1, by_address=True)
    await store.add_sanction(mute)
    await store.add_sanction(ban)
    assert await store.sanctions() == (mute, ban)
    assert ban.target == "203.0.113.0/24"
    assert await store.chat_words() == ()
    await store.set_chat_words(("ควาย", "เหี้ย"), "operator:noi", T0 + 2)
    await store.set_chat_words(("ควาย",), "operator:noi", T0 + 3)
    assert await store.chat_words() == ("ควาย",)
    lines = [(a.actor, a.action, a.detail) for a in await store.owner_actions()]
    assert lines[0] == (
        "operator:noi",
        "mute",
        f"bob-000000002 reason=harassment until {T0 + 600:.0f}",
    )
    assert lines[1] == ("operator:noi", "ban", "address 203.0.113.0/24 reason=spam")
    assert lines[3] == ("operator:noi", "chat_words", "1 words")
