"""Proof of work for a new identity: the gate's rules (pure, clock passed in) and the street's
flow around it (a new id is challenged, a known one is not, requests wait for the proof)."""

from __future__ import annotations

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import PROTOCOL_VERSION, ErrorCode
from srichan_world.protocol.messages import Error, Hello, Wallet, WalletGet
from srichan_world.protocol.work import WorkChallenge, WorkProof
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, answers, public_manifest
from srichan_world.street.booths import BoothCounter
from srichan_world.street.learning import LearningDesk
from srichan_world.street.steps import AuthenticateVisitor, ReadQuestProgress, RegisterVisitor
from srichan_world.street.street import HELD_WHILE_PROVING, Street
from srichan_world.world.admission import AdmissionLimits, NewIdentities
from srichan_world.world.learning import LearningContent
from srichan_world.world.presence import PresenceWorld
from srichan_world.world.work import WorkGate, leading_zero_bits, solve, work_digest
from tests.world.test_street import SECRET, VISITOR, WALL, Harness, Visitor

KEY = b"test-work-key-0123456789"
NOW = 1_800_000_000.0
BITS = 8


def refused(
    code: ErrorCode, gate: WorkGate, visitor_id: str, text: str, nonce: str, now: float
) -> Refused:
    with pytest.raises(Refused) as caught:
        gate.verify(visitor_id, text, nonce, now)
    assert caught.value.code == code
    return caught.value


def test_a_solved_challenge_verifies_for_its_visitor_until_it_expires() -> None:
    gate = WorkGate(KEY, BITS, ttl_s=120)
    issued = gate.issue(VISITOR, NOW)
    nonce = solve(issued.text, BITS)
    assert leading_zero_bits(work_digest(issued.text, nonce)) >= BITS
    gate.verify(VISITOR, issued.text, nonce, NOW + 120)
    refused(ErrorCode.WORK_EXPIRED, gate, VISITOR, issued.text, nonce, NOW + 121)


def test_a_proof_for_another_id_a_forged_or_lowered_challenge_or_no_work_is_refused() -> None:
    gate = WorkGate(KEY, BITS)
    issued = gate.issue(VISITOR, NOW)
    nonce = solve(issued.text, BITS)
    refused(ErrorCode.WORK_INVALID, gate, "another-visitor-01", issued.text, nonce, NOW)
    other_key = WorkGate(b"another-key-0123456789", BITS)
    refused(ErrorCode.WORK_INVALID, other_key, VISITOR, issued.text, nonce, NOW)
    easy = issued.text.replace(f".{BITS}.", ".1.")  # a cheaper difficulty, same signature
    refused(ErrorCode.WORK_INVALID, gate, VISITOR, easy, solve(easy, 1), NOW)
    later = issued.text.replace(f".{int(issued.expires)}.", f".{int(issued.expires) + 999}.")
    refused(ErrorCode.WORK_INVALID, gate, VISITOR, later, solve(later, BITS), NOW)
    bad = next(
        str(n) for n in range(10**6) if leading_zero_bits(work_digest(issued.text, str(n))) < BITS
    )
    refused(ErrorCode.WORK_INVALID, gate, VISITOR, issued.text, bad, NOW)
    for text, guess in (
        (issued.text, ""),
        (issued.text, "12a"),
        (issued.text, "1" * 21),
        ("w1.x", "1"),
    ):
        refused(ErrorCode.WORK_INVALID, gate, VISITOR, text, guess, NOW)


def test_a_gate_needs_a_real_key_and_a_sane_difficulty() -> None:
    for key, bits in ((b"short", 8), (KEY, 0), (KEY, 29)):
        with pytest.raises(ValueError):
            WorkGate(key, bits)


@pytest.fixture
def proving(small_scene_text: str) -> Harness:
    scene = load_scene_text(small_scene_text)
    manifest = Manifest.parse(public_manifest(scene))
    content = LearningContent.from_compiled(manifest, answers(scene))
    slots = {b.id: b.position for b in manifest.booth_slots}
    desk = LearningDesk(content, work=WorkGate(KEY, BITS))
    return Harness(Street(PresenceWorld(manifest), desk, BoothCounter(slots)))


def challenged(h: Harness) -> WorkChallenge:
    h.join(1)
    assert isinstance(h.steps[0][1], AuthenticateVisitor), "a hello creates nothing by itself"
    h.answer(Refused(ErrorCode.BAD_IDENTITY, "unknown visitor or wrong secret"))
    (challenge,) = h.replies(1, WorkChallenge)
    assert challenge.cid == 7 and challenge.bits == BITS and h.replies(1, Wallet) == []
    return challenge


def test_a_known_visitor_enters_without_work(proving: Harness) -> None:
    proving.join(1)
    for result in (Visitor(VISITOR), {}, 5, ()):
        proving.answer(result)
    assert proving.replies(1, WorkChallenge) == []
    assert proving.replies(1, Wallet) == [Wallet(5, (), cid=7)]


def test_a_new_visitor_is_registered_after_the_proof_and_requests_wait_for_it(
    proving: Harness,
) -> None:
    challenge = challenged(proving)
    proving.send(1, WalletGet(cid=8))
    assert proving.steps == [], "the wallet waits for the proof"
    proving.send(1, WorkProof(challenge.challenge, solve(challenge.challenge, BITS), cid=7))
    step = proving.answer(Visitor(VISITOR))
    assert step == RegisterVisitor(VISITOR, SECRET, WALL)
    assert isinstance(proving.steps[0][1], ReadQuestProgress)
    for result in ({}, 0, (), 0, ()):
        proving.answer(result)
    assert proving.replies(1, Wallet) == [Wallet(0, (), cid=7), Wallet(0, (), cid=8)]


def test_a_bad_proof_registers_nothing_and_the_held_requests_are_answered(
    proving: Harness,
) -> None:
    challenge = challenged(proving)
    proving.send(1, WalletGet(cid=8))
    proving.send(1, WorkProof(challenge.challenge, "x", cid=7))
    codes = [(e.code, e.cid) for e in proving.replies(1, Error)]
    assert codes == [(ErrorCode.WORK_INVALID, 7), (ErrorCode.NO_IDENTITY, 8)]
    assert proving.steps == []


def test_more_requests_than_may_wait_for_the_proof_are_refused_at_once(proving: Harness) -> None:
    challenged(proving)
    for cid in range(100, 100 + HELD_WHILE_PROVING + 3):
        proving.send(1, WalletGet(cid=cid))
    refused_now = [e.cid for e in proving.replies(1, Error)]
    assert len(refused_now) == 3 and all(
        e.code == ErrorCode.NO_IDENTITY for e in proving.replies(1, Error)
    )


def test_an_expired_proof_comes_back_with_a_fresh_challenge(proving: Harness) -> None:
    challenge = challenged(proving)
    nonce = solve(challenge.challenge, BITS)
    late = WorkProof(challenge.challenge, nonce, cid=7)
    proving.take(proving.street.receive(1, encode(late), 0.0, challenge.expires + 1))
    (error,) = proving.replies(1, Error)
    assert error.code == ErrorCode.WORK_EXPIRED
    assert len(proving.replies(1, WorkChallenge)) == 2 and proving.steps == []


def test_a_proof_beyond_the_addresss_new_identity_allowance_is_refused(
    small_scene_text: str,
) -> None:
    scene = load_scene_text(small_scene_text)
    manifest = Manifest.parse(public_manifest(scene))
    content = LearningContent.from_compiled(manifest, answers(scene))
    identities = NewIdentities(AdmissionLimits(identity_burst=1, identities_per_hour=1))
    desk = LearningDesk(content, work=WorkGate(KEY, BITS), identities=identities)
    h = Harness(Street(PresenceWorld(manifest), desk, BoothCounter({})))
    assert identities.take("192.0.2.1", WALL) is None  # the address spent its one already
    h.take(h.street.connect(1, 0.0, "192.0.2.1"))
    h.send(1, Hello(PROTOCOL_VERSION, "แก่น", (1, 2, 3), None, VISITOR, SECRET, cid=7))
    h.answer(Refused(ErrorCode.BAD_IDENTITY, "unknown visitor or wrong secret"))
    (challenge,) = h.replies(1, WorkChallenge)
    h.send(1, WorkProof(challenge.challenge, solve(challenge.challenge, BITS), cid=7))
    (error,) = h.replies(1, Error)
    assert error.code == ErrorCode.IDENTITY_LIMIT and "retry in" in error.message
    assert h.steps == [], "nothing registered"
