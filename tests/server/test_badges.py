"""Open Badges end to end: a scripted learner on the real server earns a badge, and the badge
is checked the way a stranger would, with libraries the server does not use (PyJWT, and the
1EdTech JSON Schema through jsonschema). Every refusal is attacked."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from server.ws.client import ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BadgeEarned, Badges, BadgesGet
from srichan_world.world.badges.baking import unbake
from tests.server.badge_fixtures import (
    CREDENTIAL_SCHEMA,
    PROFILE_SCHEMA,
    badge_street,
    complete_walk,
    get,
    independent_check,
    revoked_bit,
    srichan,
)
from tests.server.learning_fixtures import ADMIN_TOKEN, Walker, visitor
from tools import redis_servers


async def test_a_learner_earns_a_badge_that_verifies_until_it_is_revoked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with badge_street(tmp_path) as street, aiohttp.ClientSession() as http:
        base = street.http
        vid, secret = visitor(1)
        me = await Walker.join(street.url, "สมหญิง", vid, secret)
        other_tab = await Walker.join(street.url, "สมหญิง", vid, secret)
        earned = (await complete_walk(me)).badge
        told = await other_tab.client.next(BadgeEarned)
        assert told.badge == earned and told.cid is None, "every tab hears of it"
        await other_tab.close()
        assert (earned.achievement, earned.kind, earned.revoked) == ("quest-walk", "quest", False)
        assert earned.name.th == "เดินเรียนรู้" and earned.name.en == "Learning walk"
        listed = await me.ask(BadgesGet())
        assert isinstance(listed, Badges) and listed.badges == (earned,)
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with http.get(f"{base}/api/xapi/statements?since=0", headers=auth) as response:
            verbs = [s["verb"]["display"]["en-US"] for s in (await response.json())["statements"]]
        assert verbs.count("earned") == 1 and verbs[-1] == "earned", verbs

        status, token, headers = await get(
            http, f"{base}/badges/credentials/{earned.credential_id}.jwt"
        )
        assert status == 200 and headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
        claims = await independent_check(http, base, token)
        document = {k: v for k, v in claims.items() if k not in ("iss", "jti", "nbf", "sub")}
        errors = sorted(CREDENTIAL_SCHEMA.iter_errors(document), key=str)
        assert not errors, [e.message for e in errors]
        assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
        assert document["@context"][0] == "https://www.w3.org/ns/credentials/v2"
        assert document["id"] == f"urn:uuid:{_dashed(earned.credential_id)}"
        assert claims["jti"] == document["id"] and claims["sub"] != f"urn:uuid:{vid}"
        assert vid not in token and vid not in _payload(token), "pseudonymous subject only"
        assert "สมหญิง" not in _payload(token), "never the visitor's name"
        achievement = document["credentialSubject"]["achievement"]
        assert achievement["name"] == "เดินเรียนรู้ · Learning walk"

        # The public documents the credential points to are there, and valid.
        status, body, _ = await get(http, document["issuer"]["id"])
        profile = json.loads(body)
        assert status == 200 and not list(PROFILE_SCHEMA.iter_errors(profile))
        assert profile["name"].startswith("เทศบาลนครขอนแก่น")
        status, body, _ = await get(http, achievement["id"])
        assert status == 200 and json.loads(body)["criteria"]["narrative"].startswith("ทำภารกิจ")
        status, body, headers = await get(http, achievement["image"]["id"])
        assert (
            status == 200 and headers["Content-Type"].startswith("image/svg+xml") and "<svg" in body
        )

        # The baked image carries the same credential.
        status, svg, _ = await get(http, f"{base}/badges/credentials/{earned.credential_id}.svg")
        assert status == 200 and 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg
        assert unbake(svg) == token
        baked = tmp_path / "badge.svg"
        baked.write_text(svg, encoding="utf-8")

        # Valid: the status bit is clear, the page says so, `srichan badge verify` agrees.
        assert await revoked_bit(http, base, claims) is False
        page = f"{base}/badges/verify/{earned.credential_id}"
        status, html, headers = await get(http, page)
        assert status == 200 and "data-state='valid'" in html and "ถูกต้อง" in html
        assert html.index("ถูกต้อง") < html.index("Valid"), "Thai first"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert await srichan("badge", "verify", page) == 0
        assert await srichan("badge", "verify", str(baked)) == 0
        assert "ถูกต้อง · valid" in capsys.readouterr().out

        # Revoked by an admin: audited, and every check now fails.
        url = f"sqlite:///{tmp_path}/street.db"
        assert (
            await srichan("badge", "revoke", document["id"], "--store", url, "--reason", "t") == 0
        )
        assert await revoked_bit(http, base, claims) is True
        assert await srichan("badge", "verify", page) == 3
        assert await srichan("badge", "verify", str(baked)) == 3
        assert "ถูกเพิกถอน · revoked" in capsys.readouterr().out
        status, html, _ = await get(http, page)
        assert "data-state='revoked'" in html and "เพิกถอน" in html
        listed = await me.ask(BadgesGet())
        assert isinstance(listed, Badges) and listed.badges[0].revoked
        actions = await street.store.owner_actions()
        assert [(a.actor, a.action) for a in actions][-1] == ("admin", "badge_revoke")
        assert await srichan("badge", "revoke", "0" * 32, "--store", url) == 1
        assert await srichan("badge", "revoke", "not-an-id", "--store", url) == 2
        await me.close()


NONE_HEADER = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")


async def test_a_tampered_or_foreign_badge_is_refused_by_badge_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with badge_street(tmp_path) as street, aiohttp.ClientSession() as http:
        vid, secret = visitor(2)
        me = await Walker.join(street.url, "สมหญิง", vid, secret)
        earned = (await complete_walk(me)).badge
        _s, token, _ = await get(
            http, f"{street.http}/badges/credentials/{earned.credential_id}.jwt"
        )
        head, payload, signature = token.split(".")
        claims = json.loads(_b64d(payload))
        claims["name"] = "ปริญญาเอก · A doctorate"
        forged = f"{head}.{_b64e(json.dumps(claims).encode())}.{signature}"
        cases = {
            "tampered.jwt": forged,
            "no-signature.jwt": f"{head}.{payload}.",
            "alg-none.jwt": f"{NONE_HEADER}.{payload}.",
            "garbage.jwt": "not a credential at all",
        }
        for name, text in cases.items():
            (tmp_path / name).write_text(text)
            assert await srichan("badge", "verify", str(tmp_path / name)) == 2, name
        out = capsys.readouterr().out
        assert out.count("ไม่ถูกต้อง · invalid") == len(cases)
        assert await srichan("badge", "verify", str(tmp_path / "missing.jwt")) == 1
        assert await srichan("badge", "verify", f"{street.http}/badges/verify/{'0' * 32}") == 1
        # Expecting another issuer: the city's own valid badge is not theirs.
        good = tmp_path / "good.jwt"
        good.write_text(token)
        other = "https://example.org/badges/issuer.json"
        assert await srichan("badge", "verify", str(good), "--issuer", other) == 2
        await me.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = redis_servers.available()
    if why:
        pytest.skip(why)
    server = redis_servers.start_server(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_rotating_the_key_keeps_old_badges_verifiable(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else f"sqlite:///{tmp_path}/s.db"
    async with badge_street(tmp_path, url) as street, aiohttp.ClientSession() as http:
        base = street.http
        first = await Walker.join(street.url, "หนึ่ง", *visitor(3))
        old = (await complete_walk(first)).badge
        _s, old_token, _ = await get(http, f"{base}/badges/credentials/{old.credential_id}.jwt")
        assert await srichan("badge", "rotate-key", "--store", url, "--public-url", base) == 0
        _s, body, _ = await get(http, f"{base}/.well-known/jwks.json")
        assert len(json.loads(body)["keys"]) == 2
        second = await Walker.join(street.url, "สอง", *visitor(4))
        new = (await complete_walk(second)).badge
        _s, new_token, _ = await get(http, f"{base}/badges/credentials/{new.credential_id}.jwt")
        old_claims = await independent_check(http, base, old_token)
        new_claims = await independent_check(http, base, new_token)
        assert _kid(old_token) != _kid(new_token)
        assert await revoked_bit(http, base, old_claims) is False
        assert await revoked_bit(http, base, new_claims) is False
        (tmp_path / "old.jwt").write_text(old_token)
        assert await srichan("badge", "verify", str(tmp_path / "old.jwt")) == 0
        status, body, _ = await get(http, _kid(old_token))
        assert status == 200 and json.loads(body)["kid"] == _kid(old_token)
        await first.close()
        await second.close()


async def test_badges_are_seen_only_by_their_holder(tmp_path: Path) -> None:
    async with badge_street(tmp_path) as street, aiohttp.ClientSession() as http:
        base = street.http
        vid, secret = visitor(5)
        alice = await Walker.join(street.url, "อลิซ", vid, secret)
        earned = (await complete_walk(alice)).badge
        bob = await Walker.join(street.url, "บ็อบ", *visitor(6))
        mine = await bob.ask(BadgesGet())
        assert isinstance(mine, Badges) and mine.badges == (), "another visitor's list is empty"
        stranger = await Walker.join(street.url, "ไม่มีตัวตน")
        with pytest.raises(ServerError) as caught:
            await stranger.ask(BadgesGet())
        assert caught.value.error.code == ErrorCode.NO_IDENTITY
        impostor = await Walker.join(street.url, "ปลอม", vid, "wrong-secret-0123456789abcdef")
        with pytest.raises(ServerError) as caught:
            await impostor.ask(BadgesGet())
        assert caught.value.error.code == ErrorCode.NO_IDENTITY
        # Without the credential's id there is nothing to download; a guess, a malformed id
        # and an unknown one all get the same 404.
        answers = set()
        for guess in (
            "0" * 32,
            earned.credential_id[:-1] + "x",
            "g" * 32,
            earned.credential_id.upper(),
        ):
            for path in (f"credentials/{guess}.jwt", f"credentials/{guess}.svg", f"verify/{guess}"):
                status, body, _ = await get(http, f"{base}/badges/{path}")
                assert status == 404, path
                answers.add(body if path.startswith("credentials") else "page")
        assert len(answers) == 2 and "unknown_badge" in max(answers, key=len)
        status, _, _ = await get(http, f"{base}/badges/credentials/{earned.credential_id}.exe")
        assert status == 404
        await alice.ask(BadgesGet())  # the holder still gets hers
        for walker in (alice, bob, stranger, impostor):
            await walker.close()


def _payload(token: str) -> str:
    return _b64d(token.split(".")[1]).decode("utf-8")


def _kid(token: str) -> str:
    kid: str = json.loads(_b64d(token.split(".")[0]))["kid"]
    return kid


def _b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _dashed(hex32: str) -> str:
    return re.sub(r"^(.{8})(.{4})(.{4})(.{4})(.{12})$", r"\1-\2-\3-\4-\5", hex32)
