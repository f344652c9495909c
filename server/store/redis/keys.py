"""The Redis store's key layout and the encoding its parts share.

Every key starts ``srichan:`` and carries a hash tag, so a Lua script's keys are always in one
slot: ``{v:<visitor id>}`` for a visitor (and their ledger account), ``{g}`` for the sequencer
(ledger, statements, leaderboards, and the street: shops, booths, coupons), ``{img:<id>}`` for a
photo's bytes. See server/store/redis/store.py for why, and docs/deploy.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from srichan_world.world import ledger
from srichan_world.world.ledger import Transfer

G = "srichan:{g}"
SEQ = f"{G}:seq"
KEYS = f"{G}:keys"
ENTRIES = f"{G}:entries"
BALANCES = f"{G}:bal"
CREDITS = f"{G}:credits"
ST_SEQ = f"{G}:stseq"
ST = f"{G}:st"
ST_TIME = f"{G}:sttime"
ST_ID = f"{G}:stid"
ST_LAST = f"{G}:stlast"
ANSWERS = f"{G}:answers"
SCHEMA_KEY = f"{G}:schema"
POST_KEYS = (SEQ, KEYS, ENTRIES, BALANCES, CREDITS, ST_SEQ, ST, ST_TIME, ST_ID, ST_LAST)

VISITOR_PARTS = ("", ":bal", ":out", ":legs", ":att", ":awd", ":ans", ":qst", ":earn")
HASH, BAL, OUT, LEGS, ATT, AWD, ANS, QST, EARN = range(1, len(VISITOR_PARTS) + 1)
"""1-based positions of a visitor's keys, as the visitor scripts number ``KEYS``."""
VISITOR_PATTERN = "srichan:{v:*}"


def visitor_keys(visitor_id: str) -> list[str]:
    """The visitor's keys, all in the slot of the hash tag ``{v:<visitor id>}``."""
    base = f"srichan:{{v:{visitor_id}}}"
    return [base + part for part in VISITOR_PARTS]


def visitor_of_key(key: str, part: str) -> str:
    return key.removeprefix("srichan:{v:").removesuffix("}" + part)


def index_key(account: str) -> str:
    return f"{G}:ix:{account}"


def board_keys(period: str) -> tuple[str, str, str]:
    return f"{G}:board:{period}", f"{G}:bm:{period}", f"{G}:bv:{period}"


def payer_visitor(account: str) -> str | None:
    """The visitor whose slot holds ``account``, or ``None`` for the sequencer's accounts."""
    kind, _, name = account.partition(":")
    return name if kind == "visitor" else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_body(t: Transfer) -> str:
    return dumps(
        {
            "key": t.key,
            "source": t.source,
            "target": t.target,
            "amount": t.amount,
            "reason": t.reason,
            "at": t.at,
        }
    )


def transfer_of(body: str) -> Transfer:
    return Transfer(**json.loads(body))


def movement(t: Transfer, *, debit_here: bool, leg: str | None) -> dict[str, Any]:
    """An outbox/sequencer item for ``t``; ``debit_here``: the payer lives in the sequencer."""
    payee = payer_visitor(t.target)
    return {
        "kind": "M",
        "key": t.key,
        "src": t.source,
        "dst": t.target,
        "amount": t.amount,
        "body": entry_body(t),
        "debit_here": debit_here,
        "check": debit_here and not ledger.is_issuing(t.source),
        "credit_here": payee is None,
        "pending": payee is not None and not (leg or "").startswith("cr:"),
        "leg": leg,
    }


def statement_item(statement: dict[str, Any], now: float) -> dict[str, Any]:
    return {"kind": "S", "id": statement["id"], "body": dumps(statement), "now": repr(now)}


# -- the street: shops, booths, photos, sessions, coupons (sequencer slot) -------------------
STREET_REV = f"{G}:street"
"""Bumped by every change to the street: the compare-and-set guard of its commits."""
SHOPS = f"{G}:shops"
BOOTHS = f"{G}:booths"
BOOTH_VERSIONS = f"{G}:bver"
IMAGE_SLOTS = f"{G}:imgslot"
LINKS = f"{G}:links"
SESSIONS = f"{G}:sessions"
ACTIONS = f"{G}:actions"
ACTION_SEQ = f"{G}:actseq"
COUPONS = f"{G}:coupons"
COUPON_SEQ = f"{G}:cpnseq"
CODES = f"{G}:codes"
STREET_KEYS = (*POST_KEYS, STREET_REV)


def promotions_key(slot: str) -> str:
    return f"{G}:promos:{slot}"


def images_key(slot: str) -> str:
    return f"{G}:imgs:{slot}"


def visitor_coupons_key(visitor_id: str) -> str:
    return f"{G}:vcpn:{visitor_id}"


def booth_coupons_key(slot: str) -> str:
    return f"{G}:bcpn:{slot}"


def daily_key(slot: str, promotion_id: str, day: str, visitor_id: str = "") -> str:
    """Coupons of a promotion issued on one Bangkok day: to one visitor, or (no visitor) in
    all. Plain counters that expire (:data:`DAILY_TTL_S`) once the day is long over."""
    tail = f":{visitor_id}" if visitor_id else ""
    return f"{G}:daily:{slot}:{promotion_id}:{day}{tail}"


DAILY_TTL_S = 3 * 86_400


def refusal_key(redemption_id: str, attempt: str) -> str:
    return f"{G}:rdmno:{redemption_id}:{attempt}"


def image_bytes_key(image_id: str) -> str:
    """A photo's bytes, in a slot of their own so photos spread over a cluster."""
    return f"srichan:{{img:{image_id}}}"


class KeyList:
    """``KEYS`` for a sequencer script: the fixed ones first, each other one once."""

    def __init__(self, fixed: Iterable[str]) -> None:
        self.names = list(fixed)
        self._at = {name: i for i, name in enumerate(self.names, start=1)}

    def at(self, name: str) -> int:
        """The 1-based position of ``name`` in ``KEYS``, appending it if new."""
        if name not in self._at:
            self.names.append(name)
            self._at[name] = len(self.names)
        return self._at[name]


def item_args(items: Iterable[dict[str, Any]], keys: KeyList) -> list[Any]:
    """``ARGV`` for the sequencer's ``post``: movements, statements, leaderboard rows."""
    args: list[Any] = []
    for item in items:
        if item["kind"] == "M":
            flags = (item[f] for f in ("debit_here", "check", "credit_here", "pending"))
            args += ["M", item["key"], item["src"], item["dst"], item["amount"], item["body"]]
            args += [int(bool(f)) for f in flags]
            args += [keys.at(index_key(item["src"])), keys.at(index_key(item["dst"]))]
        elif item["kind"] == "S":
            args += ["S", item["id"], item["body"], item["now"]]
        else:
            board, members, versions = board_keys(item["period"])
            args += ["B", item["visitor"], item["member"], item["ver"]]
            args += [keys.at(board), keys.at(members), keys.at(versions)]
    return args
