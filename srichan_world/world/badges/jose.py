"""Signing and checking compact JWS with Ed25519 (``alg`` ``EdDSA``), through joserfc.

A :class:`SigningKey` is an Ed25519 private JWK and its ``kid``: the URL of its public JWK
under the issuer (OB 3.0 §8.2.1: a ``kid`` MUST dereference to the public key), ending in the
key's RFC 7638 thumbprint. The JOSE header carries exactly ``alg``, ``kid`` and ``typ``
(``JWT``, as OB 3.0 requires; VC-JOSE-COSE's ``vc+jwt`` is refused by OB 3.0 verifiers).

joserfc warns that RFC 9864 deprecates the name ``EdDSA`` in favour of ``Ed25519``; OB 3.0
and VC-JOSE-COSE verifiers know ``EdDSA``, so we keep it and silence that one warning here.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet, OKPKey

ALG = "EdDSA"
TYP = "JWT"


class BadSignature(Exception):
    """The JWS is malformed, names an unknown key, or its signature does not verify."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_jwk: str
    """The private key as JWK JSON (has ``d``): kept by the store, never published."""
    created_at: float

    def public_jwk(self) -> dict[str, Any]:
        key = OKPKey.import_key(json.loads(self.private_jwk))
        public = key.as_dict(private=False)
        return {**public, "kid": self.kid, "alg": ALG, "use": "sig"}


def new_key(kid_for: Any, now: float) -> SigningKey:
    """A fresh Ed25519 key; ``kid_for(thumbprint)`` gives its ``kid`` URL."""
    key = OKPKey.generate_key("Ed25519")
    return SigningKey(str(kid_for(key.thumbprint())), json.dumps(key.as_dict(private=True)), now)


def jwks(keys: Sequence[SigningKey]) -> dict[str, Any]:
    """The public JWKS: every key ever used, so old badges still verify after a rotation."""
    return {"keys": [k.public_jwk() for k in keys]}


@contextmanager
def _eddsa() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        yield


def sign(claims: Mapping[str, Any], key: SigningKey) -> str:
    private = OKPKey.import_key(json.loads(key.private_jwk))
    header = {"alg": ALG, "kid": key.kid, "typ": TYP}
    with _eddsa():
        return jwt.encode(header, dict(claims), private, algorithms=[ALG])


def header(token: str) -> dict[str, Any]:
    """The JOSE header, unverified (to find the key); ``BadSignature`` if it cannot be read."""
    try:
        obj = jws.extract_compact(token.encode("ascii"))
    except (JoseError, ValueError, UnicodeError) as exc:
        raise BadSignature(f"not a compact JWS: {exc}") from None
    return dict(obj.protected)


def verify(token: str, public_keys: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of ``token`` once its signature checks against the JWKS ``public_keys``.

    Only ``EdDSA`` with the key the header's ``kid`` names is accepted (no ``jwk`` in the
    header, no other algorithm: a verifier must never trust a key the token brings).
    """
    head = header(token)
    if head.get("alg") != ALG:
        raise BadSignature(f"algorithm {head.get('alg')!r} is not {ALG}")
    kid = head.get("kid")
    found = [k for k in public_keys.get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
    if not found:
        raise BadSignature(f"no published key has kid {kid!r}")
    try:
        key = OKPKey.import_key({k: v for k, v in found[0].items() if k != "d"})
        keyset = KeySet([key])
        with _eddsa():
            obj = jws.deserialize_compact(token, keyset, algorithms=[ALG])
    except (JoseError, ValueError) as exc:
        raise BadSignature(f"signature does not verify: {exc}") from None
    try:
        payload = json.loads(obj.payload)
    except ValueError:
        raise BadSignature("the payload is not JSON") from None
    if not isinstance(payload, dict):
        raise BadSignature("the payload is not a JSON object")
    return payload
