"""The documents of Open Badges 3.0 as the city writes them: issuer profile, achievements,
credentials, and the JWT claims that secure a credential (OB 3.0 §8.2, VC-JOSE-COSE).

Every id is an absolute URL under the issuer's public base URL (:class:`Issuer`), so a badge
can be checked by anyone who has it: the issuer profile, each achievement, the keys and the
revocation list are public and hold nothing about visitors. A credential's own id is a
random ``urn:uuid`` (unguessable: it is also the key to download it), and its subject is a
second random ``urn:uuid`` made for that one credential, so two badges of one visitor cannot
be linked by what they carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from srichan_world.scene.model import Text
from srichan_world.world.badges.achievements import Achievement, both

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CREDENTIAL_ID = re.compile(r"^[0-9a-f]{32}$")
"""A credential's id in URLs: its UUID's 32 hex digits."""
CITY = Text(th="เทศบาลนครขอนแก่น", en="Khon Kaen Municipality")
CITY_DESCRIPTION = Text(
    th="เมืองแห่งการเรียนรู้ของยูเนสโก ผู้ออกเหรียญตราการเรียนรู้บนถนนศรีจันทร์เสมือน",
    en="A UNESCO learning city, issuing learning badges on the virtual Sri Chan Road.",
)


@dataclass(frozen=True)
class Issuer:
    """The city as issuer, and every public URL of its badges under ``base_url``."""

    base_url: str

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^/\s]+$", self.base_url):
            raise ValueError(f"public URL must be http(s)://host[:port], not {self.base_url!r}")

    @property
    def id(self) -> str:
        return f"{self.base_url}/badges/issuer.json"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/.well-known/jwks.json"

    @property
    def status_url(self) -> str:
        return f"{self.base_url}/badges/status/revocation"

    def key_url(self, thumbprint: str) -> str:
        return f"{self.base_url}/badges/keys/{thumbprint}"

    def achievement_url(self, achievement_id: str) -> str:
        return f"{self.base_url}/badges/achievements/{achievement_id}.json"

    def image_url(self, achievement_id: str) -> str:
        return f"{self.base_url}/badges/achievements/{achievement_id}.svg"

    def credential_url(self, credential_id: str) -> str:
        return f"{self.base_url}/badges/credentials/{credential_id}.jwt"

    def verify_url(self, credential_id: str) -> str:
        return f"{self.base_url}/badges/verify/{credential_id}"

    def profile(self) -> dict[str, Any]:
        """The OB ``Profile`` served at :attr:`id`."""
        return {
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": self.id,
            "type": ["Profile"],
            "name": both(CITY),
            "description": both(CITY_DESCRIPTION, "\n\n"),
            "url": self.base_url + "/",
            "official": "เทศบาลนครขอนแก่น (Khon Kaen Municipality)",
        }

    def achievement(self, achievement: Achievement) -> dict[str, Any]:
        """The OB ``Achievement`` served at :meth:`achievement_url`, and inside credentials."""
        return {
            "id": self.achievement_url(achievement.id),
            "type": ["Achievement"],
            "achievementType": "Achievement",
            "name": both(achievement.name),
            "description": both(achievement.description, "\n\n"),
            "criteria": {"narrative": both(achievement.criteria, "\n\n")},
            "image": {
                "id": self.image_url(achievement.id),
                "type": "Image",
                "caption": both(achievement.name),
            },
            "inLanguage": "th",
            "tag": [achievement.kind],
            "creator": {"id": self.id, "type": ["Profile"], "name": both(CITY)},
        }


def iso(t: float) -> str:
    """A Unix time as an XML Schema dateTime in UTC, whole seconds."""
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: object) -> float | None:
    """A dateTime string back to Unix seconds; ``None`` when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def credential(
    issuer: Issuer,
    achievement: Achievement,
    credential_id: str,
    subject_id: str,
    issued_at: float,
    status_index: int,
) -> dict[str, Any]:
    """The ``OpenBadgeCredential`` for one visitor's achievement (unsigned).

    ``credential_id`` and ``subject_id`` are 32 hex digits each (random UUIDs the issuer
    made); ``status_index`` is the credential's bit in the revocation list.
    """
    if not CREDENTIAL_ID.match(credential_id) or not CREDENTIAL_ID.match(subject_id):
        raise ValueError("credential and subject ids must be 32 lowercase hex digits")
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{_uuid(credential_id)}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": both(achievement.name),
        "description": both(achievement.description, "\n\n"),
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": both(CITY)},
        "validFrom": iso(issued_at),
        "awardedDate": iso(issued_at),
        "credentialSubject": {
            "id": f"urn:uuid:{_uuid(subject_id)}",
            "type": ["AchievementSubject"],
            "achievement": issuer.achievement(achievement),
        },
        "credentialStatus": {
            "id": f"{issuer.status_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": issuer.status_url,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def jwt_claims(document: dict[str, Any]) -> dict[str, Any]:
    """The JWT payload securing ``document``: the credential itself plus the registered
    claims OB 3.0 requires (``iss``, ``jti``, ``nbf``, ``sub``; ``exp`` for ``validUntil``)."""
    claims = dict(document)
    issuer = document["issuer"]
    claims["iss"] = issuer["id"] if isinstance(issuer, dict) else issuer
    claims["jti"] = document["id"]
    valid_from = parse_iso(document.get("validFrom"))
    if valid_from is None:
        raise ValueError("a credential needs validFrom")
    claims["nbf"] = int(valid_from)
    subject = document["credentialSubject"]
    if isinstance(subject, dict) and "id" in subject:
        claims["sub"] = subject["id"]
    valid_until = parse_iso(document.get("validUntil"))
    if valid_until is not None:
        claims["exp"] = int(valid_until)
    return claims


def credential_hex(credential_uri: str) -> str | None:
    """``urn:uuid:…`` back to the 32 hex digits used in URLs (``None`` for other ids)."""
    value = credential_uri.removeprefix("urn:uuid:").replace("-", "")
    return value if CREDENTIAL_ID.match(value) else None


def _uuid(hex32: str) -> str:
    h = hex32
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
