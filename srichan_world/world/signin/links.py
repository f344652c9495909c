"""Account links: one account ↔ one identity, and what a verified account does on a device.

An account is an issuer and a subject (``sub``) from a checked ID token; its link names the
one visitor identity it belongs to, with that identity's secret sealed under the sign-in key
(the store alone cannot open it). The store keeps at most one link per account and one per
identity; :func:`decide` says what a sign-in does, given the account's link, the identity the
browser proved it holds and that identity's link:

| the account | the device's identity | result |
|---|---|---|
| not linked | none | refused ``SIGN_IN_NO_IDENTITY`` (a first visit makes one) |
| not linked | linked to another account | refused ``SIGN_IN_IDENTITY_LINKED`` |
| not linked | not linked | :class:`Link` it |
| linked to it | — | :class:`Already` |
| linked to another | any | :class:`Restore` the account's identity; the device's own one is
  handed back to the browser to keep aside (:attr:`Restore.set_aside`), never dropped |

Nothing merges ledgers: tokens stay with the identity that earned them, and the browser keeps
the set-aside identity (and can switch back) so a sign-in never silently loses tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode


@dataclass(frozen=True)
class AccountLink:
    issuer: str
    subject: str
    visitor_id: str
    provider: str
    sealed_secret: str
    linked_at: float


@dataclass(frozen=True)
class Link:
    visitor_id: str


@dataclass(frozen=True)
class Already:
    visitor_id: str


@dataclass(frozen=True)
class Restore:
    link: AccountLink
    set_aside: str | None


Decision = Link | Already | Restore


def decide(
    account: AccountLink | None, device_visitor: str | None, device_link: AccountLink | None
) -> Decision:
    if account is None:
        if device_visitor is None:
            raise Refused(ErrorCode.SIGN_IN_NO_IDENTITY, "no identity on this device to link")
        if device_link is not None:
            raise Refused(
                ErrorCode.SIGN_IN_IDENTITY_LINKED, "this identity is linked to another account"
            )
        return Link(device_visitor)
    if account.visitor_id == device_visitor:
        return Already(device_visitor)
    return Restore(account, device_visitor)
