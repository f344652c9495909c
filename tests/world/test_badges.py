"""The Open Badges rules with no I/O: the revocation list, baking, the verdicts a verifier
reaches (each way a badge can be wrong), and the desk that asks for badges."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BadgeEarned, Badges, Error
from srichan_world.scene.model import Text
from srichan_world.street.badges import BadgeDesk
from srichan_world.street.steps import IssueBadge, ReadBadges, ReadQuestProgress, StoreUnavailable
from srichan_world.world.badges import jose, status
from srichan_world.world.badges.achievements import achievements_of, quest_achievement
from srichan_world.world.badges.baking import badge_svg, bake, unbake
from srichan_world.world.badges.credential import Issuer, credential, iso, jwt_claims
from srichan_world.world.badges.records import IssuedBadge
from srichan_world.world.badges.verify import Verdict, check
from srichan_world.world.quests import QuestBook, QuestState, QuestUpdate
from tests.world.learning_fixtures import quest

T0 = 1_778_300_000.0
CITY = Issuer("https://srichan.example")
WALK = quest_achievement(quest())


def new_key() -> jose.SigningKey:
    return jose.new_key(CITY.key_url, T0)


KEY = new_key()
JWKS = jose.jwks([KEY])


def signed(change: dict[str, Any] | None = None, key: jose.SigningKey = KEY, index: int = 5) -> str:
    document = credential(CITY, WALK, uuid.uuid4().hex, uuid.uuid4().hex, T0, index)
    claims = jwt_claims(document) | (change or {})
    return jose.sign(claims, key)


def status_token(revoked: tuple[int, ...] = (), key: jose.SigningKey = KEY, **change: Any) -> str:
    document = status.status_list_credential(CITY, revoked, T0) | change
    return jose.sign(jwt_claims(document), key)


def test_the_status_list_sets_exactly_the_revoked_bits() -> None:
    encoded = status.encode_list([0, 7, 8, 131_071])
    assert [i for i in (0, 1, 7, 8, 9, 131_071) if status.is_set(encoded, i)] == [0, 7, 8, 131_071]
    with pytest.raises(ValueError, match="outside"):
        status.encode_list([131_072])
    with pytest.raises(ValueError, match="outside"):
        status.is_set(encoded, 131_072)
    for broken in ("zAAAA", "u!!!", "uAAAA"):
        with pytest.raises(ValueError):
            status.is_set(broken, 0)


def test_baking_puts_one_credential_in_the_image_and_reads_it_back() -> None:
    token = signed()
    svg = bake(badge_svg(WALK), token)
    assert svg.count("<openbadges:credential") == 1 and unbake(svg) == token
    again = bake(svg, signed())
    assert again.count("<openbadges:credential") == 1 and unbake(again) != token
    assert unbake(badge_svg(WALK)) is None
    hostile = '<!DOCTYPE x [<!ENTITY a "aaaa">]><svg><openbadges:credential verify="&a;"/></svg>'
    assert unbake(hostile) is None, "never expands entities or takes a non-JWS"
    with pytest.raises(ValueError):
        bake(badge_svg(WALK), 'x" onload="alert(1)')


def test_a_good_badge_is_valid_and_every_wrong_one_is_not() -> None:
    clean = status_token()
    assert check(signed(), JWKS, T0 + 1, issuer_id=CITY.id, status_token=clean).verdict == "valid"
    cases = {
        "another key under our kid": (
            signed(key=jose.SigningKey(KEY.kid, new_key().private_jwk, T0)),
            Verdict.INVALID,
        ),
        "an unpublished key": (signed(key=new_key()), Verdict.INVALID),
        "jti is not the id": (signed({"jti": "urn:uuid:0"}), Verdict.INVALID),
        "iss is not the issuer": (signed({"iss": "https://evil.example/i"}), Verdict.INVALID),
        "nbf is not validFrom": (signed({"nbf": int(T0) - 5}), Verdict.INVALID),
        "sub is not the subject": (signed({"sub": "urn:uuid:1"}), Verdict.INVALID),
        "not yet valid": (
            signed({"validFrom": iso(T0 + 100), "nbf": int(T0 + 100)}),
            Verdict.NOT_YET_VALID,
        ),
        "expired": (signed({"validUntil": iso(T0 - 1), "exp": int(T0 - 1)}), Verdict.EXPIRED),
        "revoked": (signed(index=3), Verdict.REVOKED),
    }
    revoked = status_token((3,))
    for name, (token, verdict) in cases.items():
        got = check(token, JWKS, T0 + 1, issuer_id=CITY.id, status_token=revoked)
        assert got.verdict == verdict, (name, got.reason)
    other = Issuer("https://other.example")
    assert (
        check(signed(), JWKS, T0 + 1, issuer_id=other.id, status_token=clean).verdict == "invalid"
    )


def test_the_revocation_list_must_verify_and_be_the_one_named() -> None:
    token = signed(index=3)
    for bad in (
        status_token(key=new_key()),
        status_token(id="https://srichan.example/badges/status/other"),
        "not.a.jws",
        None,
    ):
        assert check(token, JWKS, T0 + 1, status_token=bad).verdict == Verdict.INVALID


def test_achievements_are_named_thai_first_with_stable_ids() -> None:
    found = achievements_of([quest()])
    assert list(found) == [f"quest-{quest().id}"]
    assert WALK.criteria.th.startswith("ทำภารกิจ") and WALK.criteria.en.startswith("Complete")
    assert CITY.achievement(WALK)["name"].startswith(WALK.name.th)
    with pytest.raises(ValueError):
        Issuer("https://srichan.example/path")


def update(quest_id: str, just_completed: bool) -> QuestUpdate:
    return QuestUpdate(quest_id, Text("ก", "a"), (0,), 1, just_completed, just_completed, 0, False)


def badge(achievement_id: str) -> IssuedBadge:
    return IssuedBadge(uuid.uuid4().hex, "v-00000001", achievement_id, "quest", T0, 1, "a.b.c")


def test_a_completed_quest_asks_for_its_badge_and_an_outage_loses_nothing() -> None:
    q = quest()
    desk = BadgeDesk(achievements_of([q]), QuestBook([q]))
    kept: list[dict[str, Any]] = []
    program = desk.earned("v-00000001", [update(q.id, False), update(q.id, True)], T0, kept)
    step = program.send(None)
    assert isinstance(step, IssueBadge) and step.grant.achievement_id == f"quest-{q.id}"
    assert step.statement["verb"]["id"] == "http://id.tincanapi.com/verb/earned"
    assert step.statement["object"]["definition"]["name"]["th-TH"] == "เดินเรียนรู้"
    with pytest.raises(StopIteration) as done:
        program.send(badge(step.grant.achievement_id))
    assert [type(m) for m in done.value.value] == [BadgeEarned]
    assert kept == [step.statement], "a fresh badge's statement goes to the LRS"

    program = desk.earned("v-00000001", [update(q.id, True)], T0, kept)
    program.send(None)
    with pytest.raises(StopIteration) as done:
        program.throw(StoreUnavailable("down"))
    assert done.value.value == [], "the quest stands; the badge waits for badges_get"

    # badges_get issues what a completed quest is owed, then lists.
    program = desk.badges("v-00000001", T0)
    assert isinstance(program.send(None), ReadBadges)
    assert isinstance(program.send(()), ReadQuestProgress)
    key = next(iter(QuestBook([q]))).key
    step = program.send({key: QuestState(frozenset({0}), completed_at=T0)})
    assert isinstance(step, IssueBadge)
    assert isinstance(program.send(badge(f"quest-{q.id}")), ReadBadges)
    with pytest.raises(StopIteration) as done:
        program.send((badge(f"quest-{q.id}"),))
    listed = done.value.value.replies[0]
    assert isinstance(listed, Badges) and listed.badges[0].achievement == f"quest-{q.id}"
    assert [s["verb"]["display"]["en-US"] for s in done.value.value.statements] == ["earned"]

    # A full revocation list is refused, with its code; nothing else breaks.
    program = desk.badges("v-00000001", T0)
    program.send(None)
    program.send(())
    program.send({key: QuestState(frozenset({0}), completed_at=T0)})
    with pytest.raises(StopIteration) as done:
        program.throw(Refused(ErrorCode.STATUS_LIST_FULL, "full"))
    refusal = done.value.value.replies[0]
    assert isinstance(refusal, Error) and refusal.code == ErrorCode.STATUS_LIST_FULL
