"""A new identity's proof of work at the street's door: the challenge it is sent, and the
checks its proof must pass (the work, then its address's allowance) before it is registered.
Pure: :class:`~srichan_world.street.learning.LearningDesk` asks and runs the registration."""

from __future__ import annotations

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.work import WorkChallenge, WorkProof
from srichan_world.world.admission import NewIdentities
from srichan_world.world.work import WorkGate


def challenge(work: WorkGate, visitor_id: str, now: float) -> WorkChallenge:
    issued = work.issue(visitor_id, now)
    return WorkChallenge(issued.text, issued.bits, issued.expires)


def check_proof(
    work: WorkGate | None,
    identities: NewIdentities | None,
    visitor_id: str | None,
    address: str | None,
    proof: WorkProof,
    now: float,
) -> None:
    """Return when the proof holds and the address may register one more identity (it is
    counted); else ``Refused`` (``work_invalid``, ``work_expired``, ``identity_limit`` …)."""
    if work is None:
        raise Refused(ErrorCode.UNSUPPORTED, "no proof of work is asked here")
    if not visitor_id:
        raise Refused(ErrorCode.NO_IDENTITY, "say hello with your identity first")
    work.verify(visitor_id, proof.challenge, proof.nonce, now)
    denial = None if identities is None or address is None else identities.take(address, now)
    if denial is not None:
        raise Refused(
            ErrorCode.IDENTITY_LIMIT,
            "too many new identities from your network just now",
            retry_at=now + denial.retry_after_s,
        )
