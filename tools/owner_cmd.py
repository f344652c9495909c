"""`srichan owner …`: give booth slots to shops, sign their owners in, take slots back.

    srichan owner add --slot B03 --shop "ร้านป้าแดง"      # prints a one-time sign-in link
    srichan owner link --shop-id auntie-daeng           # a fresh link (a new phone)
    srichan owner revoke --shop-id auntie-daeng         # or --slot B03: every session ends
    srichan owner hide --slot B03 / show --slot B03     # take a booth off the street
    srichan owner list / audit

The commands write to the store (``--store``, ``SRICHAN_STORE``, default the server's), so
they work beside a running server: it sees revocations and hidden booths within a couple of
seconds. Slots must exist in the compiled scene (``--scene-dir``). Exit status: 0 done,
1 refused (the slot belongs to another shop, no such shop), 2 unusable input or store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from server.config import DEFAULT_STORE
from server.store import Store, StoreError, open_store
from server.store.base import Audit, Booths, Owners
from srichan_world.errors import Refused
from srichan_world.world.owners import LINK_TTL_S, SHOP_ID, link_hash

BANGKOK = timezone(timedelta(hours=7))


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    owner = subparsers.add_parser("owner", help="booth owners: slots, sign-in links, revocation")
    sub = owner.add_subparsers(dest="owner_command", required=True)

    add = sub.add_parser("add", help="give a slot to a shop and print a one-time sign-in link")
    add.add_argument("--slot", required=True, help="booth slot id from the scene, e.g. B03")
    add.add_argument("--shop", required=True, help="the shop's name (Thai welcome)")
    add.add_argument("--shop-id", help="reuse an existing shop (default: a new id)")
    _link_options(add)
    add.set_defaults(func=_run(cmd_add))

    link = sub.add_parser("link", help="print a fresh one-time sign-in link for a shop")
    link.add_argument("--shop-id", required=True)
    _link_options(link)
    link.set_defaults(func=_run(cmd_link))

    revoke = sub.add_parser("revoke", help="end a shop's sessions and take its slots back")
    who = revoke.add_mutually_exclusive_group(required=True)
    who.add_argument("--shop-id")
    who.add_argument("--slot", help="revoke the shop that holds this slot")
    _store_option(revoke)
    revoke.set_defaults(func=_run(cmd_revoke))

    for name, hidden in (("hide", True), ("show", False)):
        cmd = sub.add_parser(name, help=f"{name} a booth on the street (admin)")
        cmd.add_argument("--slot", required=True)
        _store_option(cmd)
        _scene_options(cmd)
        cmd.set_defaults(func=_run(cmd_hide), hidden=hidden)

    listing = sub.add_parser("list", help="every shop with its slots")
    _store_option(listing)
    listing.set_defaults(func=_run(cmd_list))

    audit = sub.add_parser("audit", help="the owner audit log, oldest first")
    audit.add_argument("--after", type=int, default=0, help="only lines after this number")
    audit.add_argument("--limit", type=int, default=100)
    _store_option(audit)
    audit.set_defaults(func=_run(cmd_audit))


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=os.environ.get("SRICHAN_STORE", DEFAULT_STORE),
        help="store URL [SRICHAN_STORE]",
    )


def _scene_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scene-dir",
        type=Path,
        default=Path(os.environ.get("SRICHAN_SCENE_DIR", "assets/build")),
        help="folder with the compiled scene [SRICHAN_SCENE_DIR]",
    )
    parser.add_argument("--scene-name", default=os.environ.get("SRICHAN_SCENE_NAME", "srichan"))


def _link_options(parser: argparse.ArgumentParser) -> None:
    _store_option(parser)
    _scene_options(parser)
    base_url_option(parser)


def base_url_option(parser: argparse.ArgumentParser) -> None:
    """``--base-url``: where the printed links point (``SRICHAN_PUBLIC_URL``)."""
    host = os.environ.get("SRICHAN_HOST", "127.0.0.1")
    port = os.environ.get("SRICHAN_PORT", "8080")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("SRICHAN_PUBLIC_URL", f"http://{host}:{port}"),
        help="the address the link opens, e.g. https://srichan.example [SRICHAN_PUBLIC_URL]",
    )


class OwnersAndBooths(Owners, Booths, Protocol):
    """What ``revoke --slot`` uses: the booth to find its shop, then the shop's revocation."""


class Usage(Exception):
    """Input the command cannot use: exit 2 with the message."""


def _run(
    command: Callable[[argparse.Namespace, Store], Awaitable[int]], name: str = "owner"
) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(_with_store(args, command))
        except Usage as exc:
            print(f"srichan {name}: {exc}", file=sys.stderr)
            return 2
        except (StoreError, ValueError) as exc:
            print(f"srichan {name}: {exc}", file=sys.stderr)
            return 2
        except Refused as exc:
            print(f"srichan {name}: refused: {exc.refusal.detail}", file=sys.stderr)
            return 1

    return run


async def _with_store(
    args: argparse.Namespace, command: Callable[[argparse.Namespace, Store], Awaitable[int]]
) -> int:
    if hasattr(args, "scene_dir"):
        _check_slot(args)
    store = await open_store(args.store)
    try:
        return await command(args, store)
    finally:
        await store.close()


def _check_slot(args: argparse.Namespace) -> None:
    """A slot named on the command line must be one the compiled scene has."""
    path = args.scene_dir / f"{args.scene_name}.manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        slots = {b["id"] for b in manifest["booth_slots"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Usage(f"cannot read {path} ({exc}); run `srichan scene build` first") from None
    slot = getattr(args, "slot", None)
    if slot is not None and slot not in slots:
        raise Usage(f"the scene has no booth slot {slot!r}; it has {', '.join(sorted(slots))}")


def new_shop_id(name: str) -> str:
    """A readable id from an English name, else ``shop-`` and random hex (Thai names)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:23].strip("-")
    suffix = secrets.token_hex(3)
    return f"{slug}-{suffix}" if len(slug) >= 3 else f"shop-{suffix}"


async def _print_link(store: Owners, shop_id: str, base_url: str) -> None:
    token = secrets.token_urlsafe(32)
    now = time.time()
    await store.issue_sign_in(shop_id, link_hash(token), now + LINK_TTL_S, now)
    until = datetime.fromtimestamp(now + LINK_TTL_S, BANGKOK).strftime("%Y-%m-%d %H:%M")
    print(f"Sign-in link for the owner (works once, until {until} Bangkok time):")
    print(f"{base_url.rstrip('/')}/owner/login#{token}")


async def cmd_add(args: argparse.Namespace, store: Owners) -> int:
    shop_id = args.shop_id or new_shop_id(args.shop)
    if not SHOP_ID.match(shop_id):
        raise Usage(f"shop id {shop_id!r}: 3-32 of a-z 0-9 -")
    owner = await store.grant_slot(args.slot, shop_id, args.shop, time.time())
    print(f"Slot {args.slot} now belongs to {owner.name} (shop id: {owner.shop_id}).")
    print(f"Booths: {', '.join(owner.slots)}")
    await _print_link(store, owner.shop_id, args.base_url)
    return 0


async def cmd_link(args: argparse.Namespace, store: Owners) -> int:
    await _print_link(store, args.shop_id, args.base_url)
    return 0


async def cmd_revoke(args: argparse.Namespace, store: OwnersAndBooths) -> int:
    shop_id = args.shop_id
    if shop_id is None:
        booth = await store.booth(args.slot)
        if booth is None or booth.shop_id is None:
            print(f"srichan owner: refused: slot {args.slot} has no shop", file=sys.stderr)
            return 1
        shop_id = booth.shop_id
    released = await store.revoke_shop(shop_id, time.time())
    print(f"Revoked {shop_id}: every session ended; slots taken back: {', '.join(released) or '-'}")
    return 0


async def cmd_hide(args: argparse.Namespace, store: Booths) -> int:
    booth = await store.set_booth_hidden(args.slot, args.hidden, "admin", time.time())
    state = "hidden from" if booth.hidden else "shown on"
    print(f"Booth {args.slot} is {state} the street (a running server updates within seconds).")
    return 0


async def cmd_list(args: argparse.Namespace, store: Owners) -> int:
    owners = await store.owners()
    print(f"{'shop id':<34}{'slots':<16}{'status':<10}name")
    for o in owners:
        status = "revoked" if o.revoked_at is not None else "active"
        print(f"{o.shop_id:<34}{','.join(o.slots) or '-':<16}{status:<10}{o.name}")
    return 0


async def cmd_audit(args: argparse.Namespace, store: Audit) -> int:
    for a in await store.owner_actions(after=args.after, limit=args.limit):
        at = datetime.fromtimestamp(a.at, UTC).astimezone(BANGKOK).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{a.seq:>6}  {at}  {a.actor:<28}{a.action:<14}{a.slot or '-':<6}{a.detail}")
    return 0
