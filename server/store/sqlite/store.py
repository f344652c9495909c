"""The embedded store: one SQLite file, written by one thread.

Durability: the database runs in WAL mode with ``synchronous=FULL``, so each commit fsyncs the
write-ahead log before the call returns. WAL with ``NORMAL`` would already survive ``kill -9``
(the log is in the OS page cache), but not a power cut or kernel crash; tokens are the visitors'
earnings, and one fsync per award is cheap at a street's pace (see ``tools/bench/store.py``).

Concurrency: every statement runs on a single worker thread that owns the connection, so the
event loop never blocks on disk and transactions in this process never interleave. Writes take
``BEGIN IMMEDIATE`` so another process on the same file (``srichan ledger audit``) waits its turn
(``busy_timeout``) instead of failing mid-transaction.
"""

from __future__ import annotations

from server.store.sqlite.accounts import SQLiteAccounts
from server.store.sqlite.audit import SQLiteAudit
from server.store.sqlite.badges import SQLiteBadges
from server.store.sqlite.booths import SQLiteBooths
from server.store.sqlite.console import SQLiteConsole
from server.store.sqlite.coupons import SQLiteCoupons
from server.store.sqlite.courses import SQLiteCourses
from server.store.sqlite.dialogue import SQLiteDialogue
from server.store.sqlite.events import SQLiteEvents
from server.store.sqlite.learning import SQLiteLearning
from server.store.sqlite.ledger import SQLiteVisitorLedger
from server.store.sqlite.owners import SQLiteOwners
from server.store.sqlite.personal import SQLitePersonal
from server.store.sqlite.usage import SQLiteUsage


class SQLiteStore(
    SQLiteVisitorLedger,
    SQLiteLearning,
    SQLiteBooths,
    SQLiteCoupons,
    SQLiteOwners,
    SQLiteAudit,
    SQLiteBadges,
    SQLiteConsole,
    SQLiteCourses,
    SQLiteEvents,
    SQLiteUsage,
    SQLiteDialogue,
    SQLiteAccounts,
    SQLitePersonal,
):
    """The default :class:`~server.store.base.Store`, one area per module; open with
    :meth:`~server.store.sqlite.database.Database.open`."""
