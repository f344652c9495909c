"""Proof of work for a new visitor identity: minting identities costs CPU, returning is free.

A visitor id the store does not know yet is registered only with a proof: the server hands
out a *challenge* that names the visitor id, an expiry and a difficulty, signed with an HMAC
key the process holds (nothing is remembered per challenge: stateless). The client finds a
``nonce`` (decimal digits) such that ``SHA-256(challenge ":" nonce)`` starts with ``bits``
zero bits, ``2**bits`` hashes on average. A proof is good for its visitor id only (the id is
inside the signed challenge) and until the expiry; replaying it for the same id registers
nothing new (registering an existing id needs its secret). See docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode

DEFAULT_BITS = 16
"""65,536 hashes on average: ~0.15 s in Python or desktop JS, well under 1 s on a phone
(docs/benchmarks.md), and 1,000 identities cost ~2 CPU-minutes."""
MAX_BITS = 28
CHALLENGE_TTL_S = 120.0
"""Long enough for a slow phone's unlucky draw (the hashes needed vary geometrically)."""
_VERSION = "w1"
_CHALLENGE = re.compile(r"^w1\.([A-Za-z0-9_-]{8,64})\.(\d{1,12})\.(\d{1,2})\.([A-Za-z0-9_-]{22})$")
NONCE = re.compile(r"^[0-9]{1,20}$")


def leading_zero_bits(digest: bytes) -> int:
    """How many zero bits ``digest`` starts with."""
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def work_digest(challenge: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{challenge}:{nonce}".encode("ascii")).digest()


def solve(challenge: str, bits: int) -> str:
    """The first nonce that meets ``bits`` (what a client does; tests and bots use it)."""
    for n in itertools.count():
        if leading_zero_bits(work_digest(challenge, str(n))) >= bits:
            return str(n)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Challenge:
    text: str
    bits: int
    expires: float
    """Unix seconds."""


class WorkGate:
    """Issues challenges and checks proofs with one HMAC key (a pure value: clock passed in)."""

    def __init__(self, key: bytes, bits: int = DEFAULT_BITS, ttl_s: float = CHALLENGE_TTL_S):
        if len(key) < 16:
            raise ValueError("the work key needs at least 16 bytes")
        if not 1 <= bits <= MAX_BITS:
            raise ValueError(f"bits must be 1..{MAX_BITS}")
        self._key = key
        self.bits = bits
        self.ttl_s = ttl_s

    def _mac(self, visitor_id: str, expires: int, bits: int) -> str:
        message = f"{_VERSION}|{visitor_id}|{expires}|{bits}".encode("ascii")
        mac = hmac.new(self._key, message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def issue(self, visitor_id: str, now: float) -> Challenge:
        """A challenge for ``visitor_id`` (already checked for form by the caller)."""
        expires = int(now + self.ttl_s)
        mac = self._mac(visitor_id, expires, self.bits)
        return Challenge(f"{_VERSION}.{visitor_id}.{expires}.{self.bits}.{mac}", self.bits, expires)

    def verify(self, visitor_id: str, challenge: str, nonce: str, now: float) -> None:
        """Return when the proof holds; else ``Refused(WORK_INVALID)`` (forged, another id's,
        too little work, malformed) or ``Refused(WORK_EXPIRED)``."""
        match = _CHALLENGE.match(challenge) if isinstance(challenge, str) else None
        if match is None or not isinstance(nonce, str) or not NONCE.match(nonce):
            raise Refused(ErrorCode.WORK_INVALID, "malformed challenge or nonce")
        cid, expires, bits, mac = match[1], int(match[2]), int(match[3]), match[4]
        if not hmac.compare_digest(mac, self._mac(cid, expires, bits)):
            raise Refused(ErrorCode.WORK_INVALID, "this challenge was not issued here")
        if cid != visitor_id:
            raise Refused(ErrorCode.WORK_INVALID, "this challenge is for another visitor id")
        if now > expires:
            raise Refused(ErrorCode.WORK_EXPIRED, "the challenge expired: ask for a new one")
        if bits < self.bits or leading_zero_bits(work_digest(challenge, nonce)) < bits:
            raise Refused(ErrorCode.WORK_INVALID, "the nonce does not meet the difficulty")
