"""Checking a badge the way any verifier should (OB 3.0 §8.2.4 and the status list spec).

:func:`check` takes what the I/O fetched (the token, the issuer's JWKS, the status list
credential as a token) and decides, in order: the signature against the published key the
``kid`` names; the registered claims against the credential (``iss``/``jti``/``sub``/
``nbf``/``exp``); the expected issuer; the dates against ``now``; the revocation bit, read
from a status list that must itself verify with the same keys. The first failure decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from srichan_world.world.badges import jose, status
from srichan_world.world.badges.credential import parse_iso


class Verdict(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID = "invalid"
    """Bad signature, unknown key, wrong issuer, claims that do not match: never trust it."""


EXIT_CODES = {
    Verdict.VALID: 0,
    Verdict.REVOKED: 3,
    Verdict.EXPIRED: 4,
    Verdict.NOT_YET_VALID: 4,
    Verdict.INVALID: 2,
}
"""``srichan badge verify``'s exit status per verdict (1: could not check at all)."""


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    reason: str
    """English, for people and logs."""
    credential: dict[str, Any] | None = None


def status_entry(document: Mapping[str, Any]) -> tuple[str, int] | None:
    """The status list URL and index of a revocation entry, if the credential has one."""
    entry = document.get("credentialStatus")
    entries = entry if isinstance(entry, list) else [entry]
    for e in entries:
        if isinstance(e, dict) and e.get("statusPurpose") == "revocation":
            url, index = e.get("statusListCredential"), e.get("statusListIndex")
            if isinstance(url, str) and isinstance(index, str) and index.isdigit():
                return url, int(index)
    return None


def check(
    token: str,
    jwks: Mapping[str, Any],
    now: float,
    *,
    issuer_id: str | None = None,
    status_token: str | None = None,
) -> Result:
    """The verdict on ``token``. ``issuer_id``: the issuer expected (``None``: whoever the
    credential names, as long as the keys are theirs); ``status_token``: the signed status
    list the credential points to (``None``: the credential must have no status entry)."""
    try:
        claims = jose.verify(token, jwks)
    except jose.BadSignature as exc:
        return Result(Verdict.INVALID, str(exc))
    problem = _claims_problem(claims, issuer_id)
    if problem:
        return Result(Verdict.INVALID, problem, claims)
    valid_from = parse_iso(claims.get("validFrom"))
    assert valid_from is not None  # _claims_problem checked it
    if now < valid_from:
        return Result(Verdict.NOT_YET_VALID, f"valid from {claims['validFrom']}", claims)
    if "validUntil" in claims:
        until = parse_iso(claims["validUntil"])
        if until is None or now >= until:
            return Result(Verdict.EXPIRED, f"expired at {claims['validUntil']}", claims)
    entry = status_entry(claims)
    if entry is None:
        return Result(Verdict.VALID, "signature, issuer and dates check out", claims)
    if status_token is None:
        return Result(Verdict.INVALID, "the revocation list could not be read", claims)
    revoked = _revoked(status_token, jwks, entry, claims)
    if isinstance(revoked, str):
        return Result(Verdict.INVALID, revoked, claims)
    if revoked:
        return Result(Verdict.REVOKED, "the issuer revoked this credential", claims)
    return Result(Verdict.VALID, "signature, issuer, dates and status check out", claims)


def _claims_problem(claims: Mapping[str, Any], issuer_id: str | None) -> str | None:
    issuer = claims.get("issuer")
    named = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(named, str) or claims.get("iss") != named:
        return "iss does not match issuer.id"
    if issuer_id is not None and named != issuer_id:
        return f"issued by {named}, not by {issuer_id}"
    if claims.get("jti") != claims.get("id"):
        return "jti does not match id"
    subject = claims.get("credentialSubject")
    if isinstance(subject, dict) and "id" in subject and claims.get("sub") != subject["id"]:
        return "sub does not match credentialSubject.id"
    valid_from = parse_iso(claims.get("validFrom"))
    if valid_from is None or claims.get("nbf") != int(valid_from):
        return "nbf does not match validFrom"
    if "validUntil" in claims:
        until = parse_iso(claims["validUntil"])
        if until is None or claims.get("exp") != int(until):
            return "exp does not match validUntil"
    types = claims.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return "not a VerifiableCredential"
    return None


def _revoked(
    status_token: str, jwks: Mapping[str, Any], entry: tuple[str, int], claims: Mapping[str, Any]
) -> bool | str:
    url, index = entry
    try:
        listed = jose.verify(status_token, jwks)
    except jose.BadSignature as exc:
        return f"the revocation list does not verify: {exc}"
    if listed.get("id") != url or listed.get("iss") != claims.get("iss"):
        return "the revocation list is not the one the credential names"
    subject = listed.get("credentialSubject")
    encoded = subject.get("encodedList") if isinstance(subject, dict) else None
    if not isinstance(encoded, str):
        return "the revocation list has no encodedList"
    try:
        return status.is_set(encoded, index)
    except ValueError as exc:
        return f"the revocation list is broken: {exc}"
