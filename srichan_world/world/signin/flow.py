"""One sign-in, start to callback: state, nonce, PKCE, and what the browser carries sealed.

A sign-in is the authorization code flow with PKCE (S256), a ``state`` and a ``nonce``, each
32 random bytes. The server keeps nothing between the start and the callback: what it needs
(state, nonce, code verifier, provider, and the identity the browser proved it holds) rides in
a cookie sealed under the sign-in key (a JWE, ``dir`` + ``A256GCM``, through joserfc), so any
process behind the proxy can finish it, and nothing in it can be read or changed by the
browser. The cookie is bound to its purpose and expires (:data:`START_TTL_S`); the ``state``
in the callback must be the one sealed in this browser's cookie, so a callback started in
another browser (login CSRF) is refused. The same sealing keeps each account link's visitor
secret in the store (:func:`seal_secret`), bound to its visitor and account.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.providers import Provider

RETURN_TO = re.compile(r"/(?![/\\])[A-Za-z0-9._~!$'()*+,;=:@%/?&-]{0,200}")
"""Where the street page was (a path on this site, never another site: no ``//``)."""
START_TTL_S = 600
"""A sign-in must come back from the provider within ten minutes."""
RESULT_TTL_S = 120
"""The page picks up a finished sign-in's result within two minutes."""
KEY_BYTES = 32
ENC = {"alg": "dir", "enc": "A256GCM"}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def read_key(text: str) -> bytes:
    """The sign-in key from its file's text: 32 bytes, base64url or base64 (one line)."""
    raw = text.strip()
    try:
        key = base64.urlsafe_b64decode(
            raw.replace("+", "-").replace("/", "_") + "=" * (-len(raw) % 4)
        )
    except ValueError:
        raise ValueError("the sign-in key file must hold 32 bytes in base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError("the sign-in key file must hold 32 bytes in base64")
    return key


class Sealer:
    """Seals and opens small JSON documents for one purpose under a key derived from the
    sign-in key (HMAC-SHA256 of the purpose), so a cookie cannot be replayed as a link."""

    def __init__(self, master: bytes, purpose: str) -> None:
        derived = hmac.new(master, f"srichan signin {purpose} v1".encode(), hashlib.sha256)
        self._key = OctKey.import_key(derived.digest())
        self.purpose = purpose

    def seal(self, claims: Mapping[str, Any]) -> str:
        body = json.dumps({**claims, "purpose": self.purpose}, separators=(",", ":"))
        return jwe.encrypt_compact(
            ENC, body.encode("utf-8"), self._key, algorithms=["dir", "A256GCM"]
        )

    def open(self, sealed: object, now: float) -> dict[str, Any] | None:
        """The document, or ``None`` when it is not ours, not for this purpose, or expired."""
        if not isinstance(sealed, str) or len(sealed) > 8192:
            return None
        try:
            plain = jwe.decrypt_compact(sealed, self._key, algorithms=["dir", "A256GCM"]).plaintext
            doc = json.loads(plain or b"")
        except (JoseError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("purpose") != self.purpose:
            return None
        exp = doc.get("exp")
        if exp is not None and (not isinstance(exp, (int, float)) or now >= exp):
            return None
        return doc


@dataclass(frozen=True)
class Pending:
    """A started sign-in, as sealed in the start cookie."""

    provider: str
    state: str
    nonce: str
    verifier: str
    visitor_id: str | None
    visitor_secret: str | None
    expires_at: float
    return_to: str = "/"

    @classmethod
    def new(
        cls,
        provider: str,
        visitor: tuple[str, str] | None,
        now: float,
        return_to: object = "/",
        token: Callable[[int], bytes] = secrets.token_bytes,
    ) -> Pending:
        vid, secret = visitor if visitor is not None else (None, None)
        back = return_to if isinstance(return_to, str) and RETURN_TO.fullmatch(return_to) else "/"
        return cls(
            provider,
            b64url(token(32)),
            b64url(token(32)),
            b64url(token(32)),
            vid,
            secret,
            now + START_TTL_S,
            back,
        )

    def back(self, query: str) -> str:
        """Where the callback sends the browser: the page it left, with ``query`` added."""
        return self.return_to + ("&" if "?" in self.return_to else "?") + query

    @property
    def challenge(self) -> str:
        """The PKCE S256 code challenge of :attr:`verifier` (RFC 7636 §4.2)."""
        return b64url(hashlib.sha256(self.verifier.encode("ascii")).digest())

    def authorization_url(self, endpoint: str, provider: Provider, redirect_uri: str) -> str:
        query = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": provider.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        joiner = "&" if "?" in endpoint else "?"
        return endpoint + joiner + urlencode(query)

    def to_claims(self) -> dict[str, Any]:
        return {
            "pr": self.provider,
            "st": self.state,
            "n": self.nonce,
            "cv": self.verifier,
            "v": self.visitor_id,
            "s": self.visitor_secret,
            "exp": self.expires_at,
            "r": self.return_to,
        }

    @classmethod
    def from_claims(cls, doc: Mapping[str, Any]) -> Pending:
        return cls(
            doc["pr"],
            doc["st"],
            doc["n"],
            doc["cv"],
            doc["v"],
            doc["s"],
            doc["exp"],
            doc.get("r", "/"),
        )

    def check_callback(self, state: object) -> None:
        """The callback's ``state`` must be this browser's (constant-time compare)."""
        if not isinstance(state, str) or not hmac.compare_digest(state, self.state):
            raise Refused(ErrorCode.SIGN_IN_FAILED, "the sign-in state does not match")


def seal_secret(sealer: Sealer, visitor_id: str, secret: str, issuer: str, subject: str) -> str:
    """The visitor secret for an account link, bound to its visitor and account."""
    return sealer.seal({"v": visitor_id, "s": secret, "iss": issuer, "sub": subject})


def open_secret(sealer: Sealer, sealed: str, visitor_id: str, issuer: str, subject: str) -> str:
    """The secret sealed in a link, if the link is the one it was sealed for."""
    doc = sealer.open(sealed, 0.0)
    if doc is None or (doc.get("v"), doc.get("iss"), doc.get("sub")) != (
        visitor_id,
        issuer,
        subject,
    ):
        raise Refused(ErrorCode.SIGN_IN_FAILED, "the account link does not open under this key")
    secret = doc.get("s")
    if not isinstance(secret, str):
        raise Refused(ErrorCode.SIGN_IN_FAILED, "the account link holds no secret")
    return secret
