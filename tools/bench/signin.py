"""Benchmark of sign-in's costs on the server: the read every redeem now makes (is this
identity linked to an account?), sealing and opening a link's secret, and checking an ID token
(RS256, the provider's usual). Prints a table and writes ``bench-results/signin.json``.

Usage: python -m tools.bench.signin [--n 2000] [--dir DIR]

The redeem read runs on SQLite with ``--n`` links among ``2 × --n`` visitors; the ID token
check is what each callback costs in CPU (the provider's round trips are not counted: they are
the provider's). Medians and 95th percentiles of one run, milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from server.store.sqlite.store import SQLiteStore
from srichan_world.world.signin.flow import Sealer, open_secret, seal_secret
from srichan_world.world.signin.idtoken import check_id_token
from srichan_world.world.signin.links import AccountLink

ISSUER = "https://access.line.me"


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 4),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 4),
    }


def _timed(fn: Any, times: list[float]) -> Any:
    t0 = time.perf_counter()
    out = fn()
    times.append(time.perf_counter() - t0)
    return out


async def run(n: int, folder: Path) -> dict[str, Any]:
    sealer = Sealer(os.urandom(32), "link")
    seal_t: list[float] = []
    open_t: list[float] = []
    store = await SQLiteStore.open(folder / "signin.db")
    try:
        for i in range(n):
            sealed = _timed(
                lambda i=i: seal_secret(sealer, f"v{i}", "s" * 43, ISSUER, f"U{i}"), seal_t
            )
            _timed(lambda i=i, s=sealed: open_secret(sealer, s, f"v{i}", ISSUER, f"U{i}"), open_t)
            await store.link_account(AccountLink(ISSUER, f"U{i}", f"v{i}", "line", sealed, 0.0))
        read_t = []
        for i in range(2 * n):
            t0 = time.perf_counter()
            await store.account_link(f"v{i}")
            read_t.append(time.perf_counter() - t0)
    finally:
        await store.close()
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    jwks = {"keys": [key.as_dict(private=False)]}
    now = time.time()
    claims = {"iss": ISSUER, "aud": "c", "sub": "U1", "nonce": "n", "exp": now + 300, "iat": now}
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
    check_t: list[float] = []
    for _ in range(n):
        _timed(
            lambda: check_id_token(
                token, jwks, issuer=ISSUER, client_id="c", nonce="n", now=now, algorithms=["RS256"]
            ),
            check_t,
        )
    return {
        "n": n,
        "redeem_read_sqlite": _ms(read_t),
        "seal_secret": _ms(seal_t),
        "open_secret": _ms(open_t),
        "check_id_token_rs256": _ms(check_t),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.n, args.dir or Path(tmp)))
    print(f"{'what':<40}{'median ms':>12}{'p95 ms':>10}")
    for name in ("redeem_read_sqlite", "seal_secret", "open_secret", "check_id_token_rs256"):
        row = result[name]
        print(f"{name:<40}{row['median_ms']:>12}{row['p95_ms']:>10}")
    print(f"{'load average (1 min)':<40}{result['load_average']:>12}")
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / "signin.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
