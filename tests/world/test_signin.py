"""The sign-in rules with no I/O: providers' configuration, sealing, PKCE, linking."""

from __future__ import annotations

import base64
import hashlib

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.flow import (
    Pending,
    Sealer,
    open_secret,
    read_key,
    seal_secret,
)
from srichan_world.world.signin.links import AccountLink, Already, Link, Restore, decide
from srichan_world.world.signin.providers import parse_config

KEY = bytes(range(32))
LINE = "https://access.line.me"


def test_line_and_google_need_only_their_client() -> None:
    data = {
        "key_file": "/etc/srichan/signin.key",
        "provider": [
            {"id": "line", "client_id": "165", "client_secret_env": "LINE_SECRET"},
            {"id": "google", "client_id": "g.apps", "client_secret": "x", "name_th": "Google"},
        ],
    }
    config, problems = parse_config(data, {"LINE_SECRET": "s"})
    assert problems == []
    line, google = config.providers
    assert (line.issuer, line.client_secret, line.name_en) == (LINE, "s", "LINE")
    assert line.token_auth == "client_secret_post"  # LINE takes the secret in the form
    assert (google.issuer, google.token_auth) == ("https://accounts.google.com", "")
    assert "secret" not in str(line.button())


@pytest.mark.parametrize(
    ("provider", "problem"),
    [
        (
            {"id": "x", "issuer": "http://idp.example", "client_id": "c", "client_secret": "s"},
            "https",
        ),
        ({"id": "x", "issuer": "https://idp.example"}, "client_id"),
        ({"id": "line", "client_id": "c", "client_secret_env": "UNSET"}, "client_secret"),
        ({"id": "Bad Id", "client_id": "c", "client_secret": "s"}, "id"),
    ],
)
def test_bad_providers_are_named(provider: dict[str, str], problem: str) -> None:
    _config, problems = parse_config({"key_file": "k", "provider": [provider]}, {})
    assert len(problems) == 1 and problem in problems[0]


def test_the_key_file_holds_32_bytes() -> None:
    assert read_key(base64.b64encode(KEY).decode() + "\n") == KEY
    for bad in ("", "short", base64.b64encode(bytes(16)).decode()):
        with pytest.raises(ValueError):
            read_key(bad)


def test_sealed_documents_are_bound_to_purpose_key_and_time() -> None:
    start, result = Sealer(KEY, "start"), Sealer(KEY, "result")
    sealed = start.seal({"a": 1, "exp": 100.0})
    assert start.open(sealed, 99.0) == {"a": 1, "exp": 100.0, "purpose": "start"}
    assert start.open(sealed, 100.0) is None  # expired
    assert result.open(sealed, 0.0) is None  # another purpose's key
    assert Sealer(bytes(32), "start").open(sealed, 0.0) is None  # another server's key
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    assert start.open(flipped, 0.0) is None
    assert start.open(None, 0.0) is None and start.open("x" * 9000, 0.0) is None


def test_a_link_secret_opens_only_for_its_own_link() -> None:
    links = Sealer(KEY, "link")
    sealed = seal_secret(links, "v1", "secret", LINE, "U1")
    assert open_secret(links, sealed, "v1", LINE, "U1") == "secret"
    for other in (("v2", LINE, "U1"), ("v1", LINE, "U2"), ("v1", "https://x", "U1")):
        with pytest.raises(Refused):
            open_secret(links, sealed, *other)


def test_pkce_is_s256_of_the_verifier() -> None:
    pending = Pending.new("line", ("v1", "s"), 0.0)
    assert len({pending.state, pending.nonce, pending.verifier}) == 3
    digest = hashlib.sha256(pending.verifier.encode()).digest()
    assert pending.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    url = pending.authorization_url("https://idp/auth", _provider(), "https://s/cb")
    assert "code_challenge_method=S256" in url and pending.verifier not in url
    with pytest.raises(Refused):
        pending.check_callback("not-the-state")
    pending.check_callback(pending.state)


def _provider():  # type: ignore[no-untyped-def]
    config, _ = parse_config(
        {"key_file": "k", "provider": [{"id": "line", "client_id": "c", "client_secret": "s"}]},
        {},
    )
    return config.providers[0]


def _link(visitor_id: str, subject: str = "U1") -> AccountLink:
    return AccountLink(LINE, subject, visitor_id, "line", "sealed", 0.0)


def test_what_a_sign_in_does() -> None:
    assert decide(None, "v1", None) == Link("v1")
    assert decide(_link("v1"), "v1", _link("v1")) == Already("v1")
    # the account has another identity: restore it, hand the device's own back to keep
    assert decide(_link("v1"), "v2", None) == Restore(_link("v1"), "v2")
    assert decide(_link("v1"), "v2", _link("v2", "U2")) == Restore(_link("v1"), "v2")
    with pytest.raises(Refused) as refused:
        decide(None, "v2", _link("v2", "U2"))
    assert refused.value.code == ErrorCode.SIGN_IN_IDENTITY_LINKED
    with pytest.raises(Refused) as refused:
        decide(None, None, None)
    assert refused.value.code == ErrorCode.SIGN_IN_NO_IDENTITY


def test_the_way_back_stays_on_this_site() -> None:
    def back(return_to: object) -> str:
        return Pending.new("line", None, 0.0, return_to).back("signin=done")

    assert back("/?mode=list") == "/?mode=list&signin=done"
    assert back("/") == "/?signin=done"
    for bad in ("//evil.example/", "/\\evil.example", "https://evil.example/", "", None, 7, "/x\n"):
        assert back(bad) == "/?signin=done", bad
