"""Sign-in through a real OpenID Connect provider (oidc-provider, run by node on 127.0.0.1):
link an identity, restore it on another device, and the attacks on the flow, each refused."""

from __future__ import annotations

from server.keys import STORE
from tests.signin.conftest import Browser, Street


async def test_link_then_restore_on_a_new_device(street: Street, browsers: list[Browser]) -> None:
    phone, tablet = browsers
    identity = await street.visitor()
    landed, status, result = await phone.sign_in(identity, "somchai")
    assert landed.endswith("/?signin=done"), landed
    assert status == 200
    assert result == {"outcome": "linked", "provider": "line", "visitor_id": identity[0]}
    link = await street.site.app[STORE].account_link(identity[0])
    assert link is not None and link.subject == "somchai"
    assert identity[1] not in link.sealed_secret  # sealed, not kept in the clear

    status, linked = await phone.post(
        "/api/signin/status", {"visitor_id": identity[0], "visitor_secret": identity[1]}
    )
    assert (status, linked) == (200, {"linked": "line"})

    # a new device with its own fresh identity signs in with the same account
    fresh = await street.visitor()
    landed, status, result = await tablet.sign_in(fresh, "somchai")
    assert status == 200, result
    assert result["outcome"] == "restored"
    assert (result["visitor_id"], result["visitor_secret"]) == identity
    assert result["set_aside"] == fresh[0]  # the device's own identity is handed back, kept
    # the result is picked up once
    status, again = await tablet.post("/api/signin/result")
    assert status == 401 and again["error"] == "sign_in_failed"
