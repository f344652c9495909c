"""`srichan admin …`: the city's console operators and their sign-in links.

    srichan admin add --role moderator --name "คุณน้อย"   # prints a one-time sign-in link
    srichan admin link --id noi                          # a fresh link (a new device)
    srichan admin revoke --id noi                        # every session ends at once
    srichan admin list

Roles: ``admin`` (everything), ``moderator`` (reports, sanctions, word list, hiding booths),
``analyst`` (figures). The link opens ``/admin`` (base from ``--base-url`` /
``SRICHAN_PUBLIC_URL``, as ``srichan owner add``). Exit status: 0 done, 1 refused (no such
operator), 2 unusable input or store.
"""

from __future__ import annotations

import argparse
import re
import secrets
import time
from datetime import datetime

from server.store.people import Operators
from srichan_world.world.operators import Role
from srichan_world.world.owners import LINK_TTL_S, link_hash
from tools.owner_cmd import BANGKOK, Usage, _run, _store_option, base_url_option


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = subparsers.add_parser("admin", help="console operators: roles, sign-in links")
    sub = admin.add_subparsers(dest="admin_command", required=True)

    add = sub.add_parser("add", help="add an operator and print a one-time sign-in link")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", required=True, help="the operator's name, as the audit log shows")
    add.add_argument("--id", help="operator id (default: made from the name)")
    _store_option(add)
    base_url_option(add)
    add.set_defaults(func=_run(cmd_add, "admin"))

    link = sub.add_parser("link", help="print a fresh one-time sign-in link for an operator")
    link.add_argument("--id", required=True)
    _store_option(link)
    base_url_option(link)
    link.set_defaults(func=_run(cmd_link, "admin"))

    revoke = sub.add_parser("revoke", help="end an operator's sessions and links")
    revoke.add_argument("--id", required=True)
    _store_option(revoke)
    revoke.set_defaults(func=_run(cmd_revoke, "admin"))

    listing = sub.add_parser("list", help="every operator with their role")
    _store_option(listing)
    listing.set_defaults(func=_run(cmd_list, "admin"))


def new_operator_id(name: str) -> str:
    """A readable id from a Latin name, else ``op-`` and random hex (Thai names)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:23].strip("-")
    suffix = secrets.token_hex(3)
    return f"{slug}-{suffix}" if len(slug) >= 3 else f"op-{suffix}"


async def _print_link(store: Operators, operator_id: str, base_url: str) -> None:
    token = secrets.token_urlsafe(32)
    now = time.time()
    await store.issue_operator_link(operator_id, link_hash(token), now + LINK_TTL_S, now)
    until = datetime.fromtimestamp(now + LINK_TTL_S, BANGKOK).strftime("%Y-%m-%d %H:%M")
    print(f"Sign-in link for the operator (works once, until {until} Bangkok time):")
    print(f"{base_url.rstrip('/')}/admin/login#{token}")


async def cmd_add(args: argparse.Namespace, store: Operators) -> int:
    operator_id = args.id or new_operator_id(args.name)
    try:
        op = await store.add_operator(operator_id, args.name, args.role, time.time())
    except ValueError as exc:
        raise Usage(str(exc)) from None
    print(f"Operator {op.name} ({op.id}) has the role {op.role}.")
    await _print_link(store, op.id, args.base_url)
    return 0


async def cmd_link(args: argparse.Namespace, store: Operators) -> int:
    await _print_link(store, args.id, args.base_url)
    return 0


async def cmd_revoke(args: argparse.Namespace, store: Operators) -> int:
    await store.revoke_operator(args.id, time.time())
    print(f"Revoked {args.id}: every session and link ended.")
    return 0


async def cmd_list(args: argparse.Namespace, store: Operators) -> int:
    print(f"{'id':<34}{'role':<11}{'status':<10}name")
    for o in await store.operators():
        status = "revoked" if o.revoked_at is not None else "active"
        print(f"{o.id:<34}{o.role.value:<11}{status:<10}{o.name}")
    return 0
