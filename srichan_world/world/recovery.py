"""Recovery codes: the anonymous identity itself, written so a person can type or scan it.

A recovery code is the visitor id (16 bytes) and the visitor secret (32 bytes), the pair the
browser already keeps in local storage and sends in every ``hello``, as Crockford base32 in
groups of four plus two check characters. It needs no server state: the server learns nothing
it did not already see, there is no recovery record to steal, and restoring on another device
is proving the same secret again. The check is the value mod 1021 (a prime just under 32²), so
any one mistyped character and any swap of two neighbours is caught before the server is asked.
Guessing a code is guessing a 256-bit secret; asking the server about codes is rate-limited per
address anyway (``RECOVERY_RESTORE_PER_MIN``).
"""

from __future__ import annotations

import base64
import re

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O, U, so a written code is not misread."""
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.·]+")
ID_BYTES, SECRET_BYTES = 16, 32
PAYLOAD_CHARS = 77
"""384 bits of payload in 5-bit characters."""
CHECK_MOD = 1021
CHECK_CHARS = 2
CODE_CHARS = PAYLOAD_CHARS + CHECK_CHARS
GROUP = 4
INPUT_MAX_CHARS = 200
"""Longest input read at all (spaces and dashes included), before any parsing."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str, size: int) -> bytes | None:
    """The bytes of a canonical unpadded base64url string of exactly ``size`` bytes."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return raw if len(raw) == size and _b64(raw) == text else None


def _check(value: int) -> str:
    c = value % CHECK_MOD
    return ALPHABET[c // 32] + ALPHABET[c % 32]


def encode(visitor_id: str, visitor_secret: str) -> str | None:
    """The code for this identity, in groups of four; ``None`` for an identity not in the form
    browsers make (16-byte id, 32-byte secret, both base64url), which has no code."""
    raw_id, raw_secret = _unb64(visitor_id, ID_BYTES), _unb64(visitor_secret, SECRET_BYTES)
    if raw_id is None or raw_secret is None:
        return None
    value = int.from_bytes(raw_id + raw_secret, "big")
    chars = [ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(PAYLOAD_CHARS))]
    code = "".join(chars) + _check(value)
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(text: str) -> str:
    """What the visitor typed, without separators, upper case, with Crockford's look-alikes."""
    return _SEPARATORS.sub("", text).upper().translate(_ALIASES)


def decode(text: object) -> tuple[str, str]:
    """``(visitor_id, visitor_secret)`` from a typed or scanned code; ``Refused``
    (``RECOVERY_CODE_INVALID``) naming what is wrong: too long, wrong length, a character
    that is not in the alphabet, or a check that does not match (a typing mistake)."""
    if not isinstance(text, str) or len(text) > INPUT_MAX_CHARS:
        raise Refused(ErrorCode.RECOVERY_CODE_INVALID, "the code must be text of 79 characters")
    code = normalize(text)
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise Refused(ErrorCode.RECOVERY_CODE_INVALID, f"not in a code: {''.join(bad)[:8]!r}")
    if len(code) != CODE_CHARS:
        raise Refused(
            ErrorCode.RECOVERY_CODE_INVALID, f"a code has {CODE_CHARS} characters, not {len(code)}"
        )
    value = 0
    for c in code[:PAYLOAD_CHARS]:
        value = value * 32 + _VALUE[c]
    if value >> (8 * (ID_BYTES + SECRET_BYTES)) or _check(value) != code[PAYLOAD_CHARS:]:
        raise Refused(ErrorCode.RECOVERY_CODE_INVALID, "the check does not match: a typing mistake")
    raw = value.to_bytes(ID_BYTES + SECRET_BYTES, "big")
    return _b64(raw[:ID_BYTES]), _b64(raw[ID_BYTES:])
