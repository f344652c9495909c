"""The sign-in providers over HTTP: discovery, their keys (JWKS), and the code exchange.

Each provider's ``/.well-known/openid-configuration`` is fetched on first use and kept for an
hour (:data:`CACHE_S`); its ``issuer`` must be the configured issuer exactly (OIDC Discovery
§4.3), and every endpoint must be https (http only on loopback, for the tests' provider). The
JWKS is kept for as long, and fetched again at most once a minute when a token names a key we
do not hold (key rotation). Every request has a 10 s deadline and answers are read up to
64 KiB. Failures of the provider are ``SIGN_IN_UNAVAILABLE``; what the answers mean is decided
in srichan_world/world/signin/.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.providers import Provider, issuer_problem

log = logging.getLogger(__name__)

CACHE_S = 3600.0
JWKS_REFRESH_S = 60.0
TIMEOUT_S = 10.0
ANSWER_MAX = 64 * 1024
USER_AGENT = "srichan-world-signin/1"


def _unavailable(why: str) -> Refused:
    return Refused(ErrorCode.SIGN_IN_UNAVAILABLE, f"the sign-in provider: {why}")


@dataclass
class Discovered:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: list[str]
    auth_methods: list[str]
    fetched_at: float
    jwks: dict[str, Any] = field(default_factory=dict)
    jwks_at: float = 0.0


class OidcClient:
    """Talks to the configured providers; one per app, closed at cleanup."""

    def __init__(self) -> None:
        self._http: aiohttp.ClientSession | None = None
        self._found: dict[str, Discovered] = {}

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
        return self._http

    async def _json(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        try:
            async with self._session().request(method, url, allow_redirects=False, **kwargs) as r:
                raw = await r.content.read(ANSWER_MAX + 1)
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _unavailable(f"{type(exc).__name__} from {url}") from None
        if len(raw) > ANSWER_MAX:
            raise _unavailable(f"an answer over {ANSWER_MAX} bytes from {url}")
        try:
            return status, json.loads(raw)
        except ValueError:
            raise _unavailable(f"not JSON from {url} (status {status})") from None

    async def discover(self, provider: Provider) -> Discovered:
        now = time.monotonic()
        found = self._found.get(provider.id)
        if found is not None and now - found.fetched_at < CACHE_S:
            return found
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        status, doc = await self._json("GET", url)
        if status != 200 or not isinstance(doc, dict):
            raise _unavailable(f"discovery answered {status}")
        if doc.get("issuer") != provider.issuer:
            raise _unavailable("discovery names another issuer")
        endpoints = [doc.get(k) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
        if not all(isinstance(u, str) and issuer_problem(u) is None for u in endpoints):
            raise _unavailable("discovery lacks an https endpoint")
        auth_methods = doc.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        found = Discovered(
            provider.issuer,
            str(endpoints[0]),
            str(endpoints[1]),
            str(endpoints[2]),
            doc.get("id_token_signing_alg_values_supported", ["RS256"]),
            auth_methods if isinstance(auth_methods, list) else [],
            now,
        )
        self._found[provider.id] = found
        return found

    async def jwks(self, found: Discovered, *, refresh: bool = False) -> dict[str, Any]:
        now = time.monotonic()
        stale = now - found.jwks_at >= CACHE_S
        if found.jwks and not stale and not (refresh and now - found.jwks_at >= JWKS_REFRESH_S):
            return found.jwks
        status, doc = await self._json("GET", found.jwks_uri)
        if status != 200 or not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise _unavailable(f"the JWKS answered {status}")
        found.jwks, found.jwks_at = doc, now
        return doc

    async def exchange(
        self, provider: Provider, found: Discovered, code: str, verifier: str, redirect_uri: str
    ) -> str:
        """The ID token the provider gives for this code (with the PKCE verifier)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        kwargs: dict[str, Any] = {}
        method = provider.token_auth or (
            "client_secret_basic"
            if "client_secret_basic" in found.auth_methods
            else "client_secret_post"
        )
        if method == "client_secret_basic":
            # RFC 6749 §2.3.1: each part form-encoded before Basic
            basic = aiohttp.encode_basic_auth(
                quote(provider.client_id, safe=""), quote(provider.client_secret, safe="")
            )
            kwargs["headers"] = {"Authorization": basic}
        else:  # LINE takes the client in the form
            form |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
        status, doc = await self._json("POST", found.token_endpoint, data=form, **kwargs)
        if status != 200 or not isinstance(doc, dict):
            error = doc.get("error") if isinstance(doc, dict) else None
            log.info(
                "sign-in: %s token endpoint refused the code: %s %s", provider.id, status, error
            )
            raise Refused(ErrorCode.SIGN_IN_FAILED, f"the provider refused the code ({error})")
        token = doc.get("id_token")
        if not isinstance(token, str):
            raise Refused(ErrorCode.SIGN_IN_FAILED, "the provider gave no ID token")
        return token
