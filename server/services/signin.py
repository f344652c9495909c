"""Sign-in as the app holds it: the providers, the sealers under the sign-in key, the HTTP
client, and the states already used (per process).

Built once by server/app.py from ``--signin-config`` (a TOML file: docs/deploy.md); with no
file, :meth:`SignInService.none` has no providers and every sign-in route says so.
"""

from __future__ import annotations

import os
import tomllib
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from server.config import ConfigError
from server.integrations.oidc import OidcClient
from srichan_world.world.signin.flow import START_TTL_S, Sealer, read_key
from srichan_world.world.signin.providers import SignInConfig, parse_config

USED_STATES_MAX = 100_000
"""States remembered as used (each for its ten minutes): a replayed callback is refused even
with its start cookie; past this many at once the oldest are forgotten first."""


class SignInService:
    def __init__(self, config: SignInConfig, key: bytes) -> None:
        self.config = config
        self.start = Sealer(key, "start")
        self.result = Sealer(key, "result")
        self.links = Sealer(key, "link")
        self.client = OidcClient()
        self._used: OrderedDict[str, float] = OrderedDict()

    @classmethod
    def none(cls) -> SignInService:
        return cls(SignInConfig((), Path()), os.urandom(32))

    @classmethod
    def load(cls, path: Path, environ: Mapping[str, str]) -> SignInService:
        """From the operator's TOML file; ``ConfigError`` naming every problem."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError([f"signin_config: {path}: {exc}"]) from None
        config, problems = parse_config(data, environ)
        key = b""
        if not problems:
            key_file = (
                config.key_file if config.key_file.is_absolute() else path.parent / config.key_file
            )
            try:
                key = read_key(key_file.read_text(encoding="ascii"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                problems.append(f"signin_config: key_file {key_file}: {exc}")
        if problems:
            raise ConfigError([f"signin_config: {p}" for p in problems])
        return cls(config, key)

    def use_state(self, state: str, now: float) -> bool:
        """Mark ``state`` used; ``False`` if it was already (a replayed callback)."""
        while self._used and next(iter(self._used.values())) <= now:
            self._used.popitem(last=False)
        if state in self._used:
            return False
        if len(self._used) >= USED_STATES_MAX:
            self._used.popitem(last=False)
        self._used[state] = now + START_TTL_S
        return True

    async def close(self) -> None:
        await self.client.close()
