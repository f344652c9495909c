"""Checking an ID token (OpenID Connect Core §3.1.3.7), signature by joserfc.

The signature must verify under a key of the provider's JWKS with an asymmetric algorithm the
provider advertises (never ``none``, never an HMAC keyed by the client secret); then ``iss`` is
the discovered issuer exactly, ``aud`` holds our client id (and ``azp`` is ours when there are
several audiences), ``exp`` is in the future and ``iat`` not far in it (clock skew
:data:`LEEWAY_S`), ``nonce`` is the one sealed in this browser's start cookie, ``sub`` is there.
Any failure is one refusal, ``SIGN_IN_FAILED``; the reason is for the log.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
"""Asymmetric only: whoever knows the client secret cannot make an ID token we accept."""
LEEWAY_S = 60
SUBJECT_MAX = 255
TOKEN_MAX = 16_384


@dataclass(frozen=True)
class Verified:
    issuer: str
    subject: str


def _fail(why: str) -> Refused:
    return Refused(ErrorCode.SIGN_IN_FAILED, f"ID token refused: {why}")


def allowed_algorithms(advertised: object) -> list[str]:
    """The provider's advertised ID token algorithms that we accept (RS256 if it names none:
    the OIDC default)."""
    if not isinstance(advertised, list):
        advertised = ["RS256"]
    return [a for a in advertised if a in ALGORITHMS]


def check_id_token(
    token: object,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
    algorithms: Iterable[str],
) -> Verified:
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX:
        raise _fail("missing or too long")
    algs = [a for a in algorithms if a in ALGORITHMS]
    if not algs:
        raise _fail("the provider advertises no algorithm we accept")
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        claims = jwt.decode(token, keys, algorithms=algs).claims
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _fail(f"signature: {type(exc).__name__}") from None
    if claims.get("iss") != issuer:
        raise _fail("iss is not the provider's issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise _fail("aud does not name this client")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise _fail("azp does not name this client")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or now >= exp + LEEWAY_S:
        raise _fail("expired")
    if iat is not None and (not isinstance(iat, (int, float)) or iat > now + LEEWAY_S):
        raise _fail("issued in the future")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got, nonce):
        raise _fail("nonce does not match this sign-in")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= SUBJECT_MAX:
        raise _fail("no subject")
    return Verified(issuer, sub)
