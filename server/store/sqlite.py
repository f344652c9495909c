"""The embedded store: one SQLite file, written by one thread.

Durability: the database runs in WAL mode with ``synchronous=FULL``, so each commit fsyncs the
write-ahead log before the call returns. WAL with ``NORMAL`` would already survive ``kill -9``
(the log is in the OS page cache), but not a power cut or kernel crash; tokens are the visitors'
earnings, and one fsync per award is cheap at a street's pace (see ``tools/bench_store.py``).

Concurrency: every statement runs on a single worker thread that owns the connection, so the
event loop never blocks on disk and transactions in this process never interleave. Writes take
``BEGIN IMMEDIATE`` so another process on the same file (``srichan ledger audit``) waits its turn
(``busy_timeout``) instead of failing mid-transaction.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from server.store.base import PAGE_MAX, StatementPage, StoreError, Visitor
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import ledger, xapi
from srichan_world.world import quests as quest_rules
from srichan_world.world.leaderboard import BOARD_MAX, Board, LeaderRow, day_key, earning_periods
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.ledger import AuditReport, Entry, Transfer
from srichan_world.world.quests import QuestEntry, QuestFact, QuestState, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptState
from srichan_world.world.refusals import PendingCode, Refused
from srichan_world.world.visitors import (
    check_credentials,
    display_name,
    hash_secret,
    normalize_nickname,
    secret_matches,
)

T = TypeVar("T")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE visitors (
            id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL,
            nickname TEXT,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            issuing INTEGER NOT NULL,
            balance INTEGER NOT NULL,
            CHECK (issuing = 1 OR balance >= 0)
        )""",
        """CREATE TABLE transfers (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL REFERENCES accounts (id),
            target TEXT NOT NULL REFERENCES accounts (id),
            amount INTEGER NOT NULL CHECK (amount > 0),
            reason TEXT NOT NULL,
            at REAL NOT NULL,
            CHECK (source <> target)
        )""",
        "CREATE INDEX transfers_by_source ON transfers (source, seq)",
        "CREATE INDEX transfers_by_target ON transfers (target, seq)",
        """CREATE TABLE quiz_attempts (
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            quiz_key TEXT NOT NULL,
            wrong INTEGER NOT NULL,
            last_wrong_at REAL NOT NULL,
            PRIMARY KEY (visitor_id, quiz_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE answers (
            key TEXT PRIMARY KEY,
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            quiz_key TEXT NOT NULL,
            choice INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            awarded INTEGER NOT NULL,
            at REAL NOT NULL
        )""",
        """CREATE TABLE awards (
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            award_key TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount >= 0),
            transfer_key TEXT,
            at REAL NOT NULL,
            PRIMARY KEY (visitor_id, award_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE quest_progress (
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            quest_key TEXT NOT NULL,
            done TEXT NOT NULL,
            completed_at REAL,
            PRIMARY KEY (visitor_id, quest_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE earnings (
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            period TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            quests INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (visitor_id, period)
        ) WITHOUT ROWID""",
        "CREATE INDEX earnings_board ON earnings (period, tokens DESC, quests DESC, updated_at)",
        """CREATE TABLE statements (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            stored REAL NOT NULL,
            body TEXT NOT NULL
        )""",
        "CREATE INDEX statements_by_stored ON statements (stored, seq)",
    ),
)
"""Schema versions in order; version n is ``MIGRATIONS[n - 1]``. Append, never edit."""


SYNCHRONOUS = ("FULL", "NORMAL")


def _connect(path: str, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; refuse a database written by a newer program."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        (current,) = conn.execute(
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        ).fetchone()
        if current > len(MIGRATIONS):
            raise StoreError(
                f"database schema version {current} is newer than this program "
                f"(knows up to {len(MIGRATIONS)}); upgrade the program"
            )
        for version in range(current + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, time.time()),
            )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return len(MIGRATIONS)


class SQLiteStore:
    """The default :class:`~server.store.base.Store`; open with :meth:`open`."""

    def __init__(self, path: str, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self.path = path
        self._executor = executor
        self._conn: sqlite3.Connection | None = conn

    @classmethod
    async def open(cls, path: str | Path, *, synchronous: str = "FULL") -> SQLiteStore:
        """Open (creating it and its directory if needed) and migrate the database at ``path``.

        ``synchronous="NORMAL"`` trades power-cut durability for speed; it exists for the
        benchmark that justifies the default.
        """
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}")
        target = Path(path)
        if not str(path) or target.is_dir():
            raise ValueError(f"store path {str(path)!r} must name a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        loop = asyncio.get_running_loop()

        def setup() -> sqlite3.Connection:
            conn = _connect(str(target), synchronous)
            try:
                _migrate(conn)
            except BaseException:
                conn.close()
                raise
            return conn

        try:
            conn = await loop.run_in_executor(executor, setup)
        except sqlite3.Error as exc:
            executor.shutdown(wait=True)
            raise StoreError(f"cannot open {str(target)!r}: {exc}") from exc
        except BaseException:
            executor.shutdown(wait=True)
            raise
        return cls(str(target), executor, conn)

    async def close(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)

    # -- plumbing ---------------------------------------------------------------------------

    async def _call(self, fn: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        conn = self._conn
        if conn is None:
            raise StoreError("the store is closed")

        def run() -> T:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, run)
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc

    # -- visitors ---------------------------------------------------------------------------

    async def register_visitor(self, visitor_id: str, secret: str, now: float) -> Visitor:
        check_credentials(visitor_id, secret)

        def run(conn: sqlite3.Connection) -> Visitor:
            row = conn.execute(
                "SELECT secret_hash, nickname, created_at FROM visitors WHERE id = ?",
                (visitor_id,),
            ).fetchone()
            if row is not None:
                if not secret_matches(secret, row[0]):
                    raise Refused(ErrorCode.BAD_IDENTITY, "this visitor id belongs to someone else")
                return Visitor(visitor_id, row[1], row[2])
            conn.execute(
                "INSERT INTO visitors (id, secret_hash, nickname, created_at) "
                "VALUES (?, ?, NULL, ?)",
                (visitor_id, hash_secret(secret), now),
            )
            return Visitor(visitor_id, None, now)

        return await self._call(run, write=True)

    async def authenticate_visitor(self, visitor_id: str, secret: str) -> Visitor:
        check_credentials(visitor_id, secret)

        def run(conn: sqlite3.Connection) -> Visitor:
            row = conn.execute(
                "SELECT secret_hash, nickname, created_at FROM visitors WHERE id = ?",
                (visitor_id,),
            ).fetchone()
            if row is None or not secret_matches(secret, row[0]):
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor or wrong secret")
            return Visitor(visitor_id, row[1], row[2])

        return await self._call(run, write=False)

    async def set_nickname(self, visitor_id: str, nickname: str) -> Visitor:
        name = normalize_nickname(nickname)

        def run(conn: sqlite3.Connection) -> Visitor:
            row = conn.execute(
                "UPDATE visitors SET nickname = ? WHERE id = ? RETURNING created_at",
                (name, visitor_id),
            ).fetchone()
            if row is None:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            return Visitor(visitor_id, name, row[0])

        return await self._call(run, write=True)

    # -- quizzes ----------------------------------------------------------------------------

    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        return await self._call(lambda c: _attempts(c, visitor_id, quiz_key), write=False)

    async def record_answer(self, answer: Answer, daily_cap: int) -> AnswerOutcome:
        def run(conn: sqlite3.Connection) -> AnswerOutcome:
            if conn.execute("SELECT 1 FROM answers WHERE key = ?", (answer.key,)).fetchone():
                raise Refused(PendingCode.ANSWER_REPLAYED, "this answer was already graded")
            _require_visitor(conn, answer.visitor_id)
            state = _attempts(conn, answer.visitor_id, answer.quiz_key)
            refusal = answer.policy.refusal(state, answer.now)
            if refusal is not None:
                raise Refused(refusal.code, refusal.detail, refusal.retry_at)
            after = answer.policy.after(state, answer.correct, answer.now)
            conn.execute(
                "INSERT INTO quiz_attempts (visitor_id, quiz_key, wrong, last_wrong_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (visitor_id, quiz_key) "
                "DO UPDATE SET wrong = excluded.wrong, last_wrong_at = excluded.last_wrong_at",
                (answer.visitor_id, answer.quiz_key, after.wrong, after.last_wrong_at),
            )
            paid, capped = 0, False
            if answer.correct and not state.awarded:
                paid, capped = _award(
                    conn,
                    answer.visitor_id,
                    f"quiz:{answer.quiz_key}",
                    answer.reward,
                    f"quiz {answer.quiz_key}",
                    answer.now,
                    daily_cap,
                    quests_completed=0,
                )
            conn.execute(
                "INSERT INTO answers (key, visitor_id, quiz_key, choice, correct, awarded, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer.key,
                    answer.visitor_id,
                    answer.quiz_key,
                    answer.choice,
                    int(answer.correct),
                    paid,
                    answer.now,
                ),
            )
            _keep_statement(conn, answer.statement, answer.now)
            left = answer.policy.left(after, answer.now)
            return AnswerOutcome(
                awarded=paid,
                balance=_balance(conn, ledger.visitor_account(answer.visitor_id)),
                already_awarded=state.awarded,
                capped=capped,
                attempts_left=left,
                retry_at=after.last_wrong_at + answer.policy.cooldown_s if left == 0 else None,
            )

        return await self._call(run, write=True)

    # -- quests -----------------------------------------------------------------------------

    async def advance_quests(
        self,
        visitor_id: str,
        fact: QuestFact,
        quests: Sequence[QuestEntry],
        now: float,
        daily_cap: int,
    ) -> tuple[QuestUpdate, ...]:
        def run(conn: sqlite3.Connection) -> tuple[QuestUpdate, ...]:
            _require_visitor(conn, visitor_id)
            updates = []
            for entry in quests:
                state = _quest_state(conn, visitor_id, entry.key)
                after = quest_rules.advance(entry.quest, state, fact, now)
                if after == state:
                    continue
                conn.execute(
                    "INSERT INTO quest_progress (visitor_id, quest_key, done, completed_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (visitor_id, quest_key) "
                    "DO UPDATE SET done = excluded.done, completed_at = excluded.completed_at",
                    (visitor_id, entry.key, json.dumps(sorted(after.done)), after.completed_at),
                )
                update = quest_rules.progress(entry, after)
                if after.completed_at is not None:
                    paid, capped = _award(
                        conn,
                        visitor_id,
                        f"quest:{entry.key}",
                        entry.quest.bonus,
                        f"quest {entry.key}",
                        now,
                        daily_cap,
                        quests_completed=1,
                    )
                    key = f"quest:{visitor_id}:{entry.key}"
                    statement = xapi.completed_statement(
                        key, visitor_id, entry.quest, entry.version, now
                    )
                    _keep_statement(conn, statement, now)
                    update = replace(update, just_completed=True, bonus_awarded=paid, capped=capped)
                updates.append(update)
            return tuple(updates)

        return await self._call(run, write=True)

    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        def run(conn: sqlite3.Connection) -> dict[str, QuestState]:
            rows = conn.execute(
                "SELECT quest_key, done, completed_at FROM quest_progress WHERE visitor_id = ?",
                (visitor_id,),
            )
            return {key: QuestState(frozenset(json.loads(done)), at) for key, done, at in rows}

        return await self._call(run, write=False)

    # -- ledger -----------------------------------------------------------------------------

    async def transfer(self, transfer: Transfer) -> Entry:
        transfer.check()
        return await self._call(lambda c: _transfer(c, transfer), write=True)

    async def balance(self, account: str) -> int:
        return await self._call(lambda c: _balance(c, account), write=False)

    async def entries(
        self, account: str | None = None, *, after: int = 0, limit: int = 100
    ) -> tuple[Entry, ...]:
        limit = _page(limit)

        def run(conn: sqlite3.Connection) -> tuple[Entry, ...]:
            columns = "seq, key, source, target, amount, reason, at"
            if account is None:
                rows = conn.execute(
                    f"SELECT {columns} FROM transfers WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, limit),
                )
            else:
                rows = conn.execute(
                    f"SELECT {columns} FROM transfers WHERE seq > ? AND source = ? "
                    f"UNION ALL SELECT {columns} FROM transfers WHERE seq > ? AND target = ? "
                    "ORDER BY seq LIMIT ?",
                    (after, account, after, account, limit),
                )
            return tuple(_entry(row) for row in rows)

        return await self._call(run, write=False)

    async def audit(self) -> AuditReport:
        def run(conn: sqlite3.Connection) -> AuditReport:
            stored = dict(conn.execute("SELECT id, balance FROM accounts").fetchall())
            rows = conn.execute(
                "SELECT seq, key, source, target, amount, reason, at FROM transfers ORDER BY seq"
            )
            report = ledger.audit((_entry(row) for row in rows), stored)
            return replace(report, problems=report.problems + tuple(_award_problems(conn)))

        return await self._call(run, write=False)

    # -- leaderboards and learning records ---------------------------------------------------

    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        if not 1 <= limit <= BOARD_MAX:
            raise ValueError(f"limit must be 1..{BOARD_MAX}")
        period = board_period(Board(board), now)

        def run(conn: sqlite3.Connection) -> tuple[LeaderRow, ...]:
            rows = conn.execute(
                "SELECT e.visitor_id, v.nickname, e.tokens, e.quests FROM earnings AS e "
                "JOIN visitors AS v ON v.id = e.visitor_id "
                "WHERE e.period = ? AND (e.tokens > 0 OR e.quests > 0) "
                "ORDER BY e.tokens DESC, e.quests DESC, e.updated_at, e.visitor_id LIMIT ?",
                (period, limit),
            )
            return tuple(
                LeaderRow(rank, vid, display_name(vid, nick), tokens, done)
                for rank, (vid, nick, tokens, done) in enumerate(rows, start=1)
            )

        return await self._call(run, write=False)

    async def statements_since(
        self, since: float, *, after: str | None = None, limit: int = 100
    ) -> StatementPage:
        limit = _page(limit)
        try:
            cursor = int(after) if after is not None else 0
        except ValueError:
            raise ValueError(f"after {after!r} is not a cursor this store returned") from None

        def run(conn: sqlite3.Connection) -> StatementPage:
            rows = conn.execute(
                "SELECT seq, body FROM statements WHERE seq > ? AND stored >= ? "
                "ORDER BY seq LIMIT ?",
                (cursor, since, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            statements = tuple(json.loads(body) for _, body in rows)
            return StatementPage(statements, str(rows[-1][0]) if more else None)

        return await self._call(run, write=False)


# -- transaction bodies (run on the store's thread, inside a transaction) ---------------------


def _page(limit: int) -> int:
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"limit must be 1..{PAGE_MAX}")
    return limit


def _require_visitor(conn: sqlite3.Connection, visitor_id: str) -> None:
    if conn.execute("SELECT 1 FROM visitors WHERE id = ?", (visitor_id,)).fetchone() is None:
        raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")


def _attempts(conn: sqlite3.Connection, visitor_id: str, quiz_key: str) -> AttemptState:
    row = conn.execute(
        "SELECT wrong, last_wrong_at FROM quiz_attempts WHERE visitor_id = ? AND quiz_key = ?",
        (visitor_id, quiz_key),
    ).fetchone()
    awarded = conn.execute(
        "SELECT 1 FROM awards WHERE visitor_id = ? AND award_key = ?",
        (visitor_id, f"quiz:{quiz_key}"),
    ).fetchone()
    wrong, last = row if row is not None else (0, 0.0)
    return AttemptState(wrong=wrong, last_wrong_at=last, awarded=awarded is not None)


def _quest_state(conn: sqlite3.Connection, visitor_id: str, quest_key: str) -> QuestState:
    row = conn.execute(
        "SELECT done, completed_at FROM quest_progress WHERE visitor_id = ? AND quest_key = ?",
        (visitor_id, quest_key),
    ).fetchone()
    return QuestState() if row is None else QuestState(frozenset(json.loads(row[0])), row[1])


def _balance(conn: sqlite3.Connection, account: str) -> int:
    row = conn.execute("SELECT balance FROM accounts WHERE id = ?", (account,)).fetchone()
    return 0 if row is None else row[0]


def _entry(row: tuple[Any, ...]) -> Entry:
    seq, key, source, target, amount, reason, at = row
    return Entry(seq, Transfer(key, source, target, amount, reason, at))


def _transfer(conn: sqlite3.Connection, t: Transfer) -> Entry:
    row = conn.execute(
        "SELECT seq, key, source, target, amount, reason, at FROM transfers WHERE key = ?",
        (t.key,),
    ).fetchone()
    if row is not None:
        existing = _entry(row)
        if not existing.transfer.same_movement(t):
            raise Refused(PendingCode.KEY_CONFLICT, f"key {t.key!r} was used for another transfer")
        return existing
    if not ledger.is_issuing(t.source) and _balance(conn, t.source) < t.amount:
        raise Refused(ErrorCode.INSUFFICIENT_TOKENS, f"{t.source} holds less than {t.amount}")
    for account, delta in ((t.source, -t.amount), (t.target, t.amount)):
        # Not an upsert: SQLite checks the CHECK constraint on the row *to insert* first.
        moved = conn.execute(
            "UPDATE accounts SET balance = balance + ? WHERE id = ?", (delta, account)
        ).rowcount
        if not moved:
            conn.execute(
                "INSERT INTO accounts (id, issuing, balance) VALUES (?, ?, ?)",
                (account, int(ledger.is_issuing(account)), delta),
            )
    (seq,) = conn.execute(
        "INSERT INTO transfers (key, source, target, amount, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        (t.key, t.source, t.target, t.amount, t.reason, t.at),
    ).fetchone()
    return Entry(seq, t)


def _award(
    conn: sqlite3.Connection,
    visitor_id: str,
    award_key: str,
    amount: int,
    reason: str,
    now: float,
    daily_cap: int,
    *,
    quests_completed: int,
) -> tuple[int, bool]:
    """Pay an award once, clipped to the day's allowance; returns ``(paid, capped)``."""
    if conn.execute(
        "SELECT 1 FROM awards WHERE visitor_id = ? AND award_key = ?", (visitor_id, award_key)
    ).fetchone():
        return 0, False
    row = conn.execute(
        "SELECT tokens FROM earnings WHERE visitor_id = ? AND period = ?",
        (visitor_id, day_key(now)),
    ).fetchone()
    paid = ledger.allowance(amount, row[0] if row else 0, daily_cap)
    transfer_key = None
    if paid > 0:
        transfer_key = f"award:{visitor_id}:{award_key}"
        _transfer(
            conn,
            Transfer(
                transfer_key,
                ledger.CITY_POOL,
                ledger.visitor_account(visitor_id),
                paid,
                reason,
                now,
            ),
        )
    conn.execute(
        "INSERT INTO awards (visitor_id, award_key, amount, transfer_key, at) "
        "VALUES (?, ?, ?, ?, ?)",
        (visitor_id, award_key, paid, transfer_key, now),
    )
    if paid > 0 or quests_completed:
        for period in earning_periods(now):
            conn.execute(
                "INSERT INTO earnings (visitor_id, period, tokens, quests, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (visitor_id, period) DO UPDATE SET "
                "tokens = tokens + excluded.tokens, quests = quests + excluded.quests, "
                "updated_at = excluded.updated_at",
                (visitor_id, period, paid, quests_completed, now),
            )
    return paid, paid < amount


def _keep_statement(conn: sqlite3.Connection, statement: dict[str, Any], now: float) -> None:
    conn.execute(
        "INSERT INTO statements (id, stored, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (statement["id"], now, json.dumps(statement, ensure_ascii=False, sort_keys=True)),
    )


def _award_problems(conn: sqlite3.Connection) -> Iterator[str]:
    """Awards and the ledger must agree: each paid award has its transfer from the pool, and
    each visitor's all-time learning earnings equal the sum of their awards."""
    missing = conn.execute(
        "SELECT a.visitor_id, a.award_key FROM awards AS a LEFT JOIN transfers AS t "
        "ON t.key = a.transfer_key WHERE a.amount > 0 AND (t.seq IS NULL OR t.amount <> a.amount "
        "OR t.source <> ?)",
        (ledger.CITY_POOL,),
    )
    for visitor_id, award_key in missing:
        yield f"award {award_key} of {visitor_id} has no matching transfer"
    mismatched = conn.execute(
        "SELECT a.visitor_id, sum(a.amount), coalesce(e.tokens, 0) FROM awards AS a "
        "LEFT JOIN earnings AS e ON e.visitor_id = a.visitor_id AND e.period = 'all' "
        "GROUP BY a.visitor_id HAVING sum(a.amount) <> coalesce(e.tokens, 0)"
    )
    for visitor_id, awarded, earned in mismatched:
        yield f"{visitor_id}: awards total {awarded} but learning earnings say {earned}"
