"""Sign-in providers as the operator configures them (a TOML file, docs/deploy.md).

No provider configured means no sign-in at all: no button, no routes that do anything, and
nothing changes for any visitor. A provider is an OpenID Connect issuer (discovered at
``<issuer>/.well-known/openid-configuration``), a client id and secret, and the name on its
button. The signing key file seals visitor secrets in account links and the sign-in cookies
(docs/security.md says why a key outside the store).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROVIDER_ID = re.compile(r"[a-z][a-z0-9_-]{0,23}")
PROVIDERS_MAX = 8
NAME_MAX = 40
KNOWN = {
    "line": "https://access.line.me",
    "google": "https://accounts.google.com",
}
"""The issuers Thai visitors have (docs/deploy.md): LINE Login and Google."""


@dataclass(frozen=True)
class Provider:
    id: str
    issuer: str
    client_id: str
    client_secret: str
    name_th: str
    name_en: str
    scope: str = "openid"
    token_auth: str = ""
    """How the client authenticates at the token endpoint: ``client_secret_basic`` or
    ``client_secret_post``; empty: basic if the provider's discovery lists it (LINE's
    documentation asks for the secret in the form, so ``line`` defaults to post)."""

    def button(self) -> dict[str, str]:
        """What the browser may know: never the secret."""
        return {"id": self.id, "th": self.name_th, "en": self.name_en}


@dataclass(frozen=True)
class SignInConfig:
    providers: tuple[Provider, ...]
    key_file: Path

    def provider(self, provider_id: object) -> Provider | None:
        return next((p for p in self.providers if p.id == provider_id), None)


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def issuer_problem(issuer: str) -> str | None:
    """Why this is not an issuer URL we accept (https, or http on loopback for tests)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        ok = True
    else:
        ok = parts.scheme == "http" and loopback(issuer)
    if not ok or parts.query or parts.fragment:
        return f"{issuer!r} must be an https:// URL (http:// only on loopback)"
    return None


def parse_config(data: Mapping[str, Any], env: Mapping[str, str]) -> tuple[SignInConfig, list[str]]:
    """The configuration in ``data`` (a TOML document) and every problem found in it.

    ``client_secret_env`` names an environment variable holding the secret (kept out of the
    file); ``client_secret`` may hold it directly."""
    problems: list[str] = []
    key_file = data.get("key_file")
    if not isinstance(key_file, str) or not key_file:
        problems.append("key_file: the path of the sign-in key file is required")
        key_file = ""
    raw = data.get("provider", [])
    if not isinstance(raw, list) or len(raw) > PROVIDERS_MAX:
        problems.append(f"provider: a list of at most {PROVIDERS_MAX} [[provider]] tables")
        raw = []
    out: list[Provider] = []
    for i, item in enumerate(raw):
        path = f"provider[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{path}: must be a table")
            continue
        pid = item.get("id")
        if not isinstance(pid, str) or not PROVIDER_ID.fullmatch(pid):
            problems.append(f"{path}.id: 1-24 of a-z 0-9 _ - starting with a letter")
            continue
        if any(p.id == pid for p in out):
            problems.append(f"{path}.id: {pid!r} is repeated")
        issuer = item.get("issuer", KNOWN.get(pid, ""))
        why = issuer_problem(issuer) if isinstance(issuer, str) else "must be text"
        if why is not None:
            problems.append(f"{path}.issuer: {why}")
            continue
        client_id = item.get("client_id")
        secret = item.get("client_secret")
        if isinstance(item.get("client_secret_env"), str):
            secret = env.get(item["client_secret_env"])
        if not isinstance(client_id, str) or not client_id:
            problems.append(f"{path}.client_id: required")
            continue
        if not isinstance(secret, str) or not secret:
            problems.append(f"{path}.client_secret: required (or client_secret_env, set)")
            continue
        name_en = item.get("name_en", pid.upper() if pid == "line" else pid.title())
        name_th = item.get("name_th", name_en)
        if not (
            isinstance(name_th, str)
            and isinstance(name_en, str)
            and 0 < len(name_th) <= NAME_MAX
            and 0 < len(name_en) <= NAME_MAX
        ):
            problems.append(f"{path}.name_th/name_en: 1-{NAME_MAX} characters")
            continue
        token_auth = item.get("token_auth", "client_secret_post" if pid == "line" else "")
        if token_auth not in ("", "client_secret_basic", "client_secret_post"):
            problems.append(f"{path}.token_auth: client_secret_basic or client_secret_post")
            continue
        out.append(
            Provider(pid, issuer, client_id, secret, name_th, name_en, token_auth=token_auth)
        )
    return SignInConfig(tuple(out), Path(key_file)), problems
