"""The city's badge issuer: signs credentials with the current key and serves the public
documents (issuer profile, JWKS, status list). The rules decide *that* a badge is owed
(:mod:`srichan_world.street.badges`); this service is the I/O around the pure builders of
:mod:`srichan_world.world.badges` and the store.

Keys live in the store (every process and ``srichan badge rotate-key`` see the same list);
the last key signs, and the JWKS lists them all so a badge signed before a rotation still
verifies. The keys are read again for each badge and each status list (both rare next to a
street's traffic), so a rotation takes effect everywhere at once without a restart.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from server.store.base import BadgeRecords
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.badges import jose
from srichan_world.world.badges.achievements import Achievement
from srichan_world.world.badges.credential import Issuer, credential, jwt_claims
from srichan_world.world.badges.records import Grant, IssuedBadge
from srichan_world.world.badges.status import status_list_credential

STATUS_MAX_AGE_S = 60
"""How long a fetched status list may be cached (its ``Cache-Control``)."""


async def rotate_key(store: BadgeRecords, issuer: Issuer, now: float) -> jose.SigningKey:
    """Make a new signing key the current one; the old ones stay published."""
    key = jose.new_key(issuer.key_url, now)
    await store.add_signing_key(key)
    return key


class BadgeIssuer:
    def __init__(self, issuer: Issuer, achievements: dict[str, Achievement]) -> None:
        self.issuer = issuer
        self.achievements = achievements
        self._status: tuple[tuple[tuple[int, ...], str], str, float] | None = None
        self._store: BadgeRecords | None = None

    @property
    def store(self) -> BadgeRecords:
        if self._store is None:
            raise RuntimeError("the badge issuer has not started")
        return self._store

    async def start(self, store: BadgeRecords) -> None:
        """Use ``store``; make the first signing key if it has none."""
        self._store = store
        if not await store.signing_keys():
            await rotate_key(store, self.issuer, time.time())

    async def _signing_key(self) -> jose.SigningKey:
        keys = await self.store.signing_keys()
        if not keys:
            keys = (await rotate_key(self.store, self.issuer, time.time()),)
        return keys[-1]

    async def issue(self, grant: Grant) -> IssuedBadge:
        """The visitor's badge for the grant's achievement: signed and kept now, or the one
        they already held (asked twice, by two tabs or two processes: still one badge)."""
        achievement = self.achievements.get(grant.achievement_id)
        if achievement is None:
            raise Refused(ErrorCode.UNKNOWN_BADGE, f"no achievement {grant.achievement_id!r}")
        held = [
            b
            for b in await self.store.badges_of(grant.visitor_id)
            if b.achievement_id == achievement.id
        ]
        if held:
            return held[0]
        index = await self.store.next_status_index()
        credential_id, subject_id = uuid.uuid4().hex, uuid.uuid4().hex
        document = credential(self.issuer, achievement, credential_id, subject_id, grant.now, index)
        token = jose.sign(jwt_claims(document), await self._signing_key())
        badge = IssuedBadge(
            credential_id,
            grant.visitor_id,
            achievement.id,
            achievement.kind,
            grant.now,
            index,
            token,
        )
        return await self.store.issue_badge(badge)

    async def jwks(self) -> dict[str, Any]:
        return jose.jwks(await self.store.signing_keys())

    async def status_token(self, now: float) -> str:
        """The revocation list as a signed credential; signed again only when it or the key
        changed (or every :data:`STATUS_MAX_AGE_S`, so its ``validFrom`` stays recent)."""
        revoked = await self.store.revoked_indexes()
        key = await self._signing_key()
        seen = (revoked, key.kid)
        cached = self._status
        if cached is not None and cached[0] == seen and now - cached[2] < STATUS_MAX_AGE_S:
            return cached[1]
        document = status_list_credential(self.issuer, revoked, now)
        token = jose.sign(jwt_claims(document), key)
        self._status = (seen, token, now)
        return token
