"""`srichan visitor …` and `srichan retention purge`: data protection (docs/privacy.md).

    srichan visitor export VISITOR_ID [--out file.json]     # everything kept about them
    srichan visitor export --code "0123 4567 …"              # by the recovery code they show
    srichan visitor delete VISITOR_ID                        # asks for the id again (or --yes)
    srichan retention purge [--statements-days N] [--reports-days N]   # for cron

The export is one UTF-8 JSON document (Thai as written). The deletion is the console's
erasure (srichan_world/world/privacy.py): the ledger keeps its rows under a tombstone, so
``srichan ledger audit`` still balances. On a Redis store the command also tells every server
process to close the visitor's sessions; a SQLite store belongs to one server process, which
the command cannot reach: erase from the console to close a visitor's open session there.
Both are written to the audit log as ``admin`` (the purge as ``retention``, when it removed
anything). Exit status: 0 done, 1 nothing found (or not confirmed), 2 unusable input or store.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from server.redis_client import is_redis_url, open_client, pubsub_url
from server.services.privacy import Privacy
from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import recovery
from srichan_world.world.privacy import Retention
from srichan_world.world.visitors import VISITOR_ID
from tools.owner_cmd import Usage, _run, _store_option

ACTOR = "admin"
CHANNEL = "srichan:moderation"
"""The moderation relay's channel (server/bus/moderation.py)."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    visitor = subparsers.add_parser("visitor", help="one visitor's data: export, delete (PDPA)")
    sub = visitor.add_subparsers(dest="visitor_command", required=True)

    export = sub.add_parser("export", help="print (or write) everything kept about a visitor")
    export.add_argument("visitor_id", nargs="?", help="the visitor id")
    export.add_argument("--code", help="the visitor's recovery code instead of the id")
    export.add_argument("--out", type=Path, help="write the JSON here instead of printing it")
    _store_option(export)
    export.set_defaults(func=_run(cmd_export, "visitor"))

    delete = sub.add_parser("delete", help="erase a visitor (the ledger stays auditable)")
    delete.add_argument("visitor_id", nargs="?", help="the visitor id")
    delete.add_argument("--code", help="the visitor's recovery code instead of the id")
    delete.add_argument("--yes", action="store_true", help="do not ask for the id again")
    _store_option(delete)
    delete.set_defaults(func=_run(cmd_delete, "visitor"))

    retention = subparsers.add_parser("retention", help="raw records past their retention")
    rsub = retention.add_subparsers(dest="retention_command", required=True)
    purge = rsub.add_parser("purge", help="delete raw records older than the retention")
    defaults = Retention()
    for name, env, default in (
        ("statements-days", "SRICHAN_RETAIN_STATEMENTS_DAYS", defaults.statements_days),
        ("reports-days", "SRICHAN_RETAIN_REPORTS_DAYS", defaults.reports_days),
    ):
        purge.add_argument(
            f"--{name}", type=int, default=int(os.environ.get(env, default)), help=f"[{env}]"
        )
    _store_option(purge)
    purge.set_defaults(func=_run(cmd_purge, "retention"))


async def _visitor(args: argparse.Namespace, store: Store) -> str:
    if args.code:
        visitor_id, secret = recovery.decode(args.code)
        try:
            await store.authenticate_visitor(visitor_id, secret)
        except Refused:
            raise Refused(ErrorCode.RECOVERY_UNKNOWN, "no visitor here has this code") from None
        return visitor_id
    if not args.visitor_id or not VISITOR_ID.match(args.visitor_id):
        raise Usage("name the visitor: an id (8-64 of A-Z a-z 0-9 _ -) or --code")
    return str(args.visitor_id)


async def cmd_export(args: argparse.Namespace, store: Store) -> int:
    visitor_id = await _visitor(args, store)
    doc = await Privacy(store, Retention()).export(visitor_id, ACTOR)
    if not doc["found"]:
        print(f"Nothing is kept about {visitor_id} (never here, or erased).", file=sys.stderr)
        return 1
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"Wrote everything kept about {visitor_id} to {args.out}.")
    return 0


async def cmd_delete(args: argparse.Namespace, store: Store) -> int:
    visitor_id = await _visitor(args, store)
    if not args.yes:
        print(f"Erase every record of {visitor_id}? Type the visitor id again: ", end="")
        sys.stdout.flush()
        if sys.stdin.readline().strip() != visitor_id:
            print("Not confirmed: nothing was erased.", file=sys.stderr)
            return 1
    done = await Privacy(store, Retention()).erase(visitor_id, ACTOR)
    if not done["erased"]:
        print(f"Nothing is kept about {visitor_id} (never here, or erased already).")
        return 1
    print(f"Erased {visitor_id}; its ledger rows now name {done['tombstone']}.")
    for family, count in done["records"].items():
        print(f"  {family:<12}{count:>6}")
    if is_redis_url(args.store):
        client = open_client(pubsub_url(args.store))
        try:
            await client.publish(CHANNEL, json.dumps({"erased": visitor_id}))
        finally:
            await client.aclose()
        print("Every server process was told to close the visitor's sessions.")
    return 0


async def cmd_purge(args: argparse.Namespace, store: Store) -> int:
    retention = Retention(args.statements_days, args.reports_days)
    if problems := retention.problems():
        raise Usage("; ".join(problems))
    done = await Privacy(store, retention).purge()
    removed = done["removed"]
    print(f"Removed {removed['statements']} statements and {removed['reports']} closed reports.")
    return 0
