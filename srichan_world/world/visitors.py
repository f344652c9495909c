"""Anonymous visitors: the form of their id and secret, how a secret is kept, their nickname.

A browser makes up a visitor id and a random secret once and keeps them in local storage; the
pair is the visitor's identity across reloads, reconnects and server restarts. The server keeps
only a hash of the secret. Secrets are long random tokens (not passwords people choose), so a
single SHA-256 is enough: there is nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.names import REASONS, Why, check_name

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
"""Visitor ids: URL-safe, 8–64 characters (a UUID or 22 base64url characters both fit)."""
SECRET = re.compile(r"^[\x21-\x7e]{22,128}$")
"""Secrets: 22–128 printable ASCII characters, i.e. at least 128 random bits as base64url."""
_SECRET_DOMAIN = b"srichan-world visitor secret\x00"


def check_credentials(visitor_id: str, secret: str) -> None:
    """Raise ``Refused(BAD_IDENTITY)`` unless both have the documented form."""
    if not isinstance(visitor_id, str) or not VISITOR_ID.match(visitor_id):
        raise Refused(ErrorCode.BAD_IDENTITY, "visitor id must be 8-64 of A-Z a-z 0-9 _ -")
    if not isinstance(secret, str) or not SECRET.match(secret):
        raise Refused(ErrorCode.BAD_IDENTITY, "secret must be 22-128 printable ASCII characters")


def hash_secret(secret: str) -> str:
    """The only form in which a secret is stored."""
    return hashlib.sha256(_SECRET_DOMAIN + secret.encode("ascii")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant-time comparison, so timing does not leak how much of a guess was right."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def require_owner(secret: str, stored_hash: str) -> None:
    """Registering an id that exists is a no-op for its owner; anyone else is refused."""
    if not secret_matches(secret, stored_hash):
        raise Refused(ErrorCode.BAD_IDENTITY, "this visitor id belongs to someone else")


def unknown_visitor() -> Refused:
    """The refusal of a request for a visitor the store has never registered."""
    return Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")


def require_secret(secret: str, stored_hash: str | None) -> None:
    """Refuse (``BAD_IDENTITY``) a visitor the store holds no secret hash for (``None``) or
    whose ``secret`` does not match it."""
    if stored_hash is None or not secret_matches(secret, stored_hash):
        raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor or wrong secret")


def normalize_nickname(raw: str) -> str:
    """Trim and NFC-normalise a nickname, or raise ``Refused(BAD_NAME)``.

    The same rules as display names (:func:`srichan_world.world.names.check_name`): 1–24 code
    points after trimming, Thai marks included, no control, format or invisible-only text.
    """
    name, why = check_name(raw) if isinstance(raw, str) else (None, Why.LENGTH)
    if name is None:
        raise Refused(ErrorCode.BAD_NAME, REASONS[why or Why.LENGTH])
    return name


_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def default_name(visitor_id: str) -> str:
    """The friendly name a new browser gives itself ("ผู้มาเยือน ๔๑๘๙"), derived from the
    visitor id so that a leaderboard shows the same name for a visitor whose nickname never
    reached the server. The browser computes it the same way (``defaultName`` in
    ``server/web/js/identity.js``): a 32-bit FNV-1a of the id's UTF-8 bytes, mixed with
    MurmurHash3's finaliser (FNV's low bits alone repeat across similar ids), mod 9000, + 1000."""
    h = 0x811C9DC5
    for byte in visitor_id.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return f"ผู้มาเยือน {1000 + h % 9000}".translate(_THAI_DIGITS)


def display_name(visitor_id: str, nickname: str | None) -> str:
    """What a leaderboard shows: the nickname, or the name the visitor's browser started with."""
    return nickname if nickname else default_name(visitor_id)
