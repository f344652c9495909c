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

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from server.store.base import (
    IMAGE_PRUNE_AGE_S,
    IMAGES_PER_SLOT,
    PAGE_MAX,
    StatementPage,
    StoreError,
    Visitor,
)
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text
from srichan_world.world import ledger, xapi
from srichan_world.world import quests as quest_rules
from srichan_world.world.booths import BoothConfig, BoothRecord
from srichan_world.world.coupons import CouponRecord, Redemption, check_redemption
from srichan_world.world.leaderboard import BOARD_MAX, Board, LeaderRow, day_key, earning_periods
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.ledger import AuditReport, Entry, Transfer, shop_account
from srichan_world.world.owners import Owner, OwnerAction, OwnerSession, checked_grant
from srichan_world.world.quests import QuestEntry, QuestFact, QuestState, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptState
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
    (
        """CREATE TABLE shops (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL
        )""",
        """CREATE TABLE booth_slots (
            slot TEXT PRIMARY KEY,
            shop_id TEXT REFERENCES shops (id),
            draft TEXT,
            published TEXT,
            hidden INTEGER NOT NULL DEFAULT 0,
            version INTEGER NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX booth_slots_by_shop ON booth_slots (shop_id)",
        """CREATE TABLE promotions (
            slot TEXT NOT NULL REFERENCES booth_slots (slot),
            id TEXT NOT NULL,
            title TEXT NOT NULL,
            cost INTEGER NOT NULL CHECK (cost > 0),
            coupons INTEGER NOT NULL,
            issued INTEGER NOT NULL DEFAULT 0,
            valid_from REAL NOT NULL,
            valid_to REAL NOT NULL,
            live INTEGER NOT NULL,
            PRIMARY KEY (slot, id),
            CHECK (issued >= 0 AND issued <= coupons)
        ) WITHOUT ROWID""",
        """CREATE TABLE sign_in_links (
            hash TEXT PRIMARY KEY,
            shop_id TEXT NOT NULL REFERENCES shops (id),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""",
        """CREATE TABLE owner_sessions (
            hash TEXT PRIMARY KEY,
            shop_id TEXT NOT NULL REFERENCES shops (id),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )""",
        "CREATE INDEX owner_sessions_by_shop ON owner_sessions (shop_id)",
        """CREATE TABLE booth_images (
            id TEXT PRIMARY KEY,
            slot TEXT NOT NULL REFERENCES booth_slots (slot),
            content_type TEXT NOT NULL,
            data BLOB NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX booth_images_by_slot ON booth_images (slot, created_at)",
        """CREATE TABLE coupons (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            key TEXT NOT NULL,
            shop_id TEXT NOT NULL REFERENCES shops (id),
            slot TEXT NOT NULL,
            promotion_id TEXT NOT NULL,
            title TEXT NOT NULL,
            cost INTEGER NOT NULL,
            transfer_key TEXT NOT NULL REFERENCES transfers (key),
            issued_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL,
            UNIQUE (visitor_id, key)
        )""",
        "CREATE INDEX coupons_by_slot ON coupons (slot, issued_at)",
        """CREATE TABLE owner_actions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            slot TEXT,
            detail TEXT NOT NULL
        )""",
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
                raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")
            _require_visitor(conn, answer.visitor_id)
            state = _attempts(conn, answer.visitor_id, answer.quiz_key)
            answer.policy.check(state, answer.now)
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
            extra = (*_award_problems(conn), *_coupon_problems(conn))
            return replace(report, problems=report.problems + extra)

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

    # -- shops and owners -------------------------------------------------------------------

    async def grant_slot(self, slot: str, shop_id: str, shop_name: str, now: float) -> Owner:
        name = checked_grant(slot, shop_id, shop_name)

        def run(conn: sqlite3.Connection) -> Owner:
            holder = conn.execute(
                "SELECT shop_id FROM booth_slots WHERE slot = ?", (slot,)
            ).fetchone()
            if holder is not None and holder[0] not in (None, shop_id):
                raise Refused(ErrorCode.SLOT_TAKEN, f"slot {slot} belongs to shop {holder[0]}")
            conn.execute(
                "INSERT INTO shops (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET name = excluded.name, revoked_at = NULL",
                (shop_id, name, now),
            )
            if holder is None:
                conn.execute(
                    "INSERT INTO booth_slots (slot, shop_id, version, updated_at) "
                    "VALUES (?, ?, 0, ?)",
                    (slot, shop_id, now),
                )
            elif holder[0] is None:
                conn.execute(
                    "UPDATE booth_slots SET shop_id = ?, updated_at = ? WHERE slot = ?",
                    (shop_id, now, slot),
                )
            if holder is None or holder[0] is None:
                _note(conn, "admin", "grant", slot, f"{shop_id} {name}", now)
            return _owner(conn, shop_id)

        return await self._call(run, write=True)

    async def issue_sign_in(
        self, shop_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT revoked_at FROM shops WHERE id = ?", (shop_id,)).fetchone()
            if row is None or row[0] is not None:
                raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no active shop {shop_id!r}")
            conn.execute(
                "INSERT INTO sign_in_links (hash, shop_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (link_hash, shop_id, now, expires_at),
            )
            _note(conn, "admin", "sign_in_link", None, shop_id, now)

        await self._call(run, write=True)

    async def sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OwnerSession:
        def run(conn: sqlite3.Connection) -> OwnerSession:
            row = conn.execute(
                "SELECT l.shop_id, l.expires_at, s.revoked_at FROM sign_in_links AS l "
                "JOIN shops AS s ON s.id = l.shop_id WHERE l.hash = ?",
                (link_hash,),
            ).fetchone()
            if row is None or row[1] <= now or row[2] is not None:
                raise Refused(
                    ErrorCode.SIGN_IN_INVALID, "this sign-in link is unknown, used or expired"
                )
            shop_id = row[0]
            conn.execute(
                "DELETE FROM sign_in_links WHERE hash = ? OR expires_at <= ?", (link_hash, now)
            )
            conn.execute("DELETE FROM owner_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO owner_sessions (hash, shop_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (session_hash, shop_id, now, expires_at),
            )
            _note(conn, shop_account(shop_id), "sign_in", None, "", now)
            return _session(conn, shop_id, expires_at)

        return await self._call(run, write=True)

    async def owner_session(self, session_hash: str, now: float) -> OwnerSession:
        def run(conn: sqlite3.Connection) -> OwnerSession:
            row = conn.execute(
                "SELECT o.shop_id, o.expires_at FROM owner_sessions AS o "
                "JOIN shops AS s ON s.id = o.shop_id "
                "WHERE o.hash = ? AND s.revoked_at IS NULL",
                (session_hash,),
            ).fetchone()
            if row is None or row[1] <= now:
                raise Refused(ErrorCode.SESSION_INVALID, "sign in again with a new link")
            return _session(conn, row[0], row[1])

        return await self._call(run, write=False)

    async def end_session(self, session_hash: str) -> None:
        await self._call(
            lambda c: c.execute("DELETE FROM owner_sessions WHERE hash = ?", (session_hash,)),
            write=True,
        )

    async def revoke_shop(self, shop_id: str, now: float) -> tuple[str, ...]:
        def run(conn: sqlite3.Connection) -> tuple[str, ...]:
            row = conn.execute("SELECT revoked_at FROM shops WHERE id = ?", (shop_id,)).fetchone()
            if row is None:
                raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no shop {shop_id!r}")
            slots = _slots_of(conn, shop_id)
            conn.execute("DELETE FROM owner_sessions WHERE shop_id = ?", (shop_id,))
            conn.execute("DELETE FROM sign_in_links WHERE shop_id = ?", (shop_id,))
            for slot in slots:
                conn.execute("DELETE FROM promotions WHERE slot = ?", (slot,))
                conn.execute("DELETE FROM booth_images WHERE slot = ?", (slot,))
                conn.execute(
                    "UPDATE booth_slots SET shop_id = NULL, draft = NULL, published = NULL, "
                    "hidden = 0, version = version + 1, updated_at = ? WHERE slot = ?",
                    (now, slot),
                )
            if row[0] is None:
                conn.execute("UPDATE shops SET revoked_at = ? WHERE id = ?", (now, shop_id))
                _note(conn, "admin", "revoke", None, f"{shop_id} {' '.join(slots)}".strip(), now)
            return slots

        return await self._call(run, write=True)

    async def owners(self) -> tuple[Owner, ...]:
        def run(conn: sqlite3.Connection) -> tuple[Owner, ...]:
            ids = [r[0] for r in conn.execute("SELECT id FROM shops ORDER BY id")]
            return tuple(_owner(conn, shop_id) for shop_id in ids)

        return await self._call(run, write=False)

    async def note_action(
        self, actor: str, action: str, slot: str | None, detail: str, now: float
    ) -> None:
        await self._call(lambda c: _note(c, actor, action, slot, detail, now), write=True)

    async def owner_actions(self, *, after: int = 0, limit: int = 100) -> tuple[OwnerAction, ...]:
        limit = _page(limit)

        def run(conn: sqlite3.Connection) -> tuple[OwnerAction, ...]:
            rows = conn.execute(
                "SELECT seq, at, actor, action, slot, detail FROM owner_actions "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            )
            return tuple(OwnerAction(*row) for row in rows)

        return await self._call(run, write=False)

    # -- booths -----------------------------------------------------------------------------

    async def booth(self, slot: str) -> BoothRecord | None:
        return await self._call(lambda c: _booth(c, slot), write=False)

    async def booths(self) -> tuple[BoothRecord, ...]:
        def run(conn: sqlite3.Connection) -> tuple[BoothRecord, ...]:
            slots = [r[0] for r in conn.execute("SELECT slot FROM booth_slots ORDER BY slot")]
            return tuple(b for slot in slots if (b := _booth(conn, slot)) is not None)

        return await self._call(run, write=False)

    async def booth_versions(self) -> dict[str, int]:
        return await self._call(
            lambda c: dict(c.execute("SELECT slot, version FROM booth_slots").fetchall()),
            write=False,
        )

    async def save_booth_draft(
        self, slot: str, shop_id: str, draft: BoothConfig, now: float
    ) -> BoothRecord:
        body = json.dumps(draft.to_json(), ensure_ascii=False, sort_keys=True)

        def run(conn: sqlite3.Connection) -> BoothRecord:
            _require_holder(conn, slot, shop_id)
            kept = {
                r[0] for r in conn.execute("SELECT id FROM booth_images WHERE slot = ?", (slot,))
            }
            missing = sorted(draft.photos() - kept)
            if missing:
                raise Refused(ErrorCode.BAD_BOOTH, f"photos not uploaded for {slot}: {missing}")
            conn.execute(
                "UPDATE booth_slots SET draft = ?, updated_at = ? WHERE slot = ?",
                (body, now, slot),
            )
            _note(conn, shop_account(shop_id), "save_draft", slot, "", now)
            return _require_booth(conn, slot)

        return await self._call(run, write=True)

    async def publish_booth(self, slot: str, shop_id: str, now: float) -> BoothRecord:
        def run(conn: sqlite3.Connection) -> BoothRecord:
            _require_holder(conn, slot, shop_id)
            (draft,) = conn.execute(
                "SELECT draft FROM booth_slots WHERE slot = ?", (slot,)
            ).fetchone()
            if draft is None:
                raise Refused(ErrorCode.BAD_BOOTH, "save a draft before publishing")
            config = BoothConfig.from_json(json.loads(draft))
            conn.execute("UPDATE promotions SET live = 0 WHERE slot = ?", (slot,))
            for p in config.promotions:
                conn.execute(
                    "INSERT INTO promotions (slot, id, title, cost, coupons, issued, valid_from, "
                    "valid_to, live) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1) "
                    "ON CONFLICT (slot, id) DO UPDATE SET title = excluded.title, "
                    "cost = excluded.cost, coupons = max(excluded.coupons, issued), "
                    "valid_from = excluded.valid_from, valid_to = excluded.valid_to, live = 1",
                    (
                        slot,
                        p.id,
                        _json(p.title.to_json()),
                        p.cost,
                        p.coupons,
                        p.valid_from,
                        p.valid_to,
                    ),
                )
            conn.execute(
                "UPDATE booth_slots SET published = draft, version = version + 1, "
                "updated_at = ? WHERE slot = ?",
                (now, slot),
            )
            _note(conn, shop_account(shop_id), "publish", slot, "", now)
            return _require_booth(conn, slot)

        return await self._call(run, write=True)

    async def set_booth_hidden(
        self, slot: str, hidden: bool, actor: str, now: float
    ) -> BoothRecord:
        def run(conn: sqlite3.Connection) -> BoothRecord:
            row = conn.execute("SELECT hidden FROM booth_slots WHERE slot = ?", (slot,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO booth_slots (slot, hidden, version, updated_at) "
                    "VALUES (?, ?, 1, ?)",
                    (slot, int(hidden), now),
                )
            elif bool(row[0]) != hidden:
                conn.execute(
                    "UPDATE booth_slots SET hidden = ?, version = version + 1, updated_at = ? "
                    "WHERE slot = ?",
                    (int(hidden), now, slot),
                )
            if row is None or bool(row[0]) != hidden:
                _note(conn, actor, "hide" if hidden else "show", slot, "", now)
            return _require_booth(conn, slot)

        return await self._call(run, write=True)

    async def put_image(
        self, slot: str, shop_id: str, image_id: str, content_type: str, data: bytes, now: float
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            _require_holder(conn, slot, shop_id)
            if conn.execute("SELECT 1 FROM booth_images WHERE id = ?", (image_id,)).fetchone():
                return
            (count,) = conn.execute(
                "SELECT count(*) FROM booth_images WHERE slot = ?", (slot,)
            ).fetchone()
            if count >= IMAGES_PER_SLOT:
                used = _photos_in_use(conn, slot)
                old = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM booth_images WHERE slot = ? AND created_at <= ? "
                        "ORDER BY created_at, id",
                        (slot, now - IMAGE_PRUNE_AGE_S),
                    )
                    if r[0] not in used
                ]
                need = count - IMAGES_PER_SLOT + 1
                if len(old) < need:
                    raise Refused(
                        ErrorCode.IMAGE_LIMIT,
                        f"{slot} keeps at most {IMAGES_PER_SLOT} photos; save, then try later",
                    )
                conn.executemany(
                    "DELETE FROM booth_images WHERE id = ?", [(i,) for i in old[:need]]
                )
            conn.execute(
                "INSERT INTO booth_images (id, slot, content_type, data, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (image_id, slot, content_type, data, now),
            )
            _note(conn, shop_account(shop_id), "upload", slot, image_id, now)

        await self._call(run, write=True)

    async def image(self, image_id: str) -> tuple[str, bytes] | None:
        def run(conn: sqlite3.Connection) -> tuple[str, bytes] | None:
            row = conn.execute(
                "SELECT content_type, data FROM booth_images WHERE id = ?", (image_id,)
            ).fetchone()
            return None if row is None else (row[0], bytes(row[1]))

        return await self._call(run, write=False)

    # -- coupons ----------------------------------------------------------------------------

    async def redeem(self, redemption: Redemption) -> CouponRecord:
        r = redemption
        check_redemption(r)

        def run(conn: sqlite3.Connection) -> CouponRecord:
            row = conn.execute(
                f"SELECT {_COUPON_COLUMNS} FROM coupons WHERE visitor_id = ? AND key = ?",
                (r.visitor_id, r.key),
            ).fetchone()
            if row is not None:
                first = _coupon(row)
                if (first.slot, first.promotion_id) != (r.slot, r.promotion_id):
                    raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} bought another coupon")
                return first
            _require_visitor(conn, r.visitor_id)
            booth = conn.execute(
                "SELECT shop_id FROM booth_slots WHERE slot = ? AND shop_id IS NOT NULL "
                "AND published IS NOT NULL AND hidden = 0",
                (r.slot,),
            ).fetchone()
            if booth is None:
                raise Refused(ErrorCode.UNKNOWN_BOOTH, f"no booth open at {r.slot}")
            shop_id = booth[0]
            promo = conn.execute(
                "SELECT title, cost, coupons, issued, valid_from, valid_to FROM promotions "
                "WHERE slot = ? AND id = ? AND live = 1",
                (r.slot, r.promotion_id),
            ).fetchone()
            if promo is None:
                raise Refused(ErrorCode.UNKNOWN_PROMOTION, f"{r.slot} has no {r.promotion_id!r}")
            title, cost, coupons, issued, valid_from, valid_to = promo
            if r.now < valid_from:
                raise Refused(ErrorCode.PROMOTION_NOT_STARTED, "not yet", retry_at=valid_from)
            if r.now >= valid_to:
                raise Refused(ErrorCode.PROMOTION_ENDED, "this promotion is over")
            if r.expected_cost is not None and r.expected_cost != cost:
                raise Refused(ErrorCode.PROMOTION_CHANGED, f"it now costs {cost} tokens")
            if issued >= coupons:
                raise Refused(ErrorCode.SOLD_OUT, "no coupons left")
            _transfer(
                conn,
                Transfer(
                    r.transfer_key,
                    ledger.visitor_account(r.visitor_id),
                    shop_account(shop_id),
                    cost,
                    f"coupon {r.slot}/{r.promotion_id}",
                    r.now,
                ),
            )
            taken = {
                c
                for (c,) in conn.execute(
                    f"SELECT code FROM coupons WHERE code IN ({','.join('?' * len(r.codes))})",
                    r.codes,
                )
            }
            code = next((c for c in r.codes if c not in taken), None)
            if code is None:
                raise StoreError("every candidate coupon code is taken; offer fresh ones")
            conn.execute(
                "UPDATE promotions SET issued = issued + 1 WHERE slot = ? AND id = ?",
                (r.slot, r.promotion_id),
            )
            conn.execute("UPDATE booth_slots SET version = version + 1 WHERE slot = ?", (r.slot,))
            coupon = CouponRecord(
                coupon_id=r.coupon_id,
                code=code,
                visitor_id=r.visitor_id,
                shop_id=shop_id,
                slot=r.slot,
                promotion_id=r.promotion_id,
                title=_text(json.loads(title)),
                cost=cost,
                issued_at=r.now,
                expires_at=r.expires_at,
            )
            conn.execute(
                "INSERT INTO coupons (id, code, visitor_id, key, shop_id, slot, promotion_id, "
                "title, cost, transfer_key, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    coupon.coupon_id,
                    code,
                    r.visitor_id,
                    r.key,
                    shop_id,
                    r.slot,
                    r.promotion_id,
                    title,
                    cost,
                    r.transfer_key,
                    r.now,
                    r.expires_at,
                ),
            )
            return coupon

        return await self._call(run, write=True)

    async def coupons_of(self, visitor_id: str) -> tuple[CouponRecord, ...]:
        def run(conn: sqlite3.Connection) -> tuple[CouponRecord, ...]:
            rows = conn.execute(
                f"SELECT {_COUPON_COLUMNS} FROM coupons WHERE visitor_id = ? "
                "ORDER BY issued_at DESC, rowid DESC LIMIT ?",
                (visitor_id, PAGE_MAX),
            )
            return tuple(_coupon(row) for row in rows)

        return await self._call(run, write=False)

    async def redemptions(
        self, slot: str, shop_id: str, *, limit: int = 100
    ) -> tuple[CouponRecord, ...]:
        limit = _page(limit)

        def run(conn: sqlite3.Connection) -> tuple[CouponRecord, ...]:
            _require_holder(conn, slot, shop_id)
            rows = conn.execute(
                f"SELECT {_COUPON_COLUMNS} FROM coupons WHERE slot = ? AND shop_id = ? "
                "ORDER BY issued_at DESC, rowid DESC LIMIT ?",
                (slot, shop_id, limit),
            )
            return tuple(_coupon(row) for row in rows)

        return await self._call(run, write=False)

    async def verify_coupon(self, code: str, slot: str, shop_id: str, now: float) -> CouponRecord:
        def run(conn: sqlite3.Connection) -> CouponRecord:
            _require_holder(conn, slot, shop_id)
            row = conn.execute(
                f"SELECT {_COUPON_COLUMNS} FROM coupons WHERE code = ?", (code,)
            ).fetchone()
            if row is None:
                raise Refused(ErrorCode.COUPON_UNKNOWN, "no coupon has this code")
            coupon = _coupon(row)
            coupon.check_verifiable(slot, shop_id, now)
            conn.execute(
                "UPDATE coupons SET used_at = ? WHERE id = ? AND used_at IS NULL",
                (now, coupon.coupon_id),
            )
            _note(conn, shop_account(shop_id), "verify", slot, f"{code} ok", now)
            return replace(coupon, used_at=now)

        return await self._call(run, write=True)


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
            raise Refused(ErrorCode.KEY_CONFLICT, f"key {t.key!r} was used for another transfer")
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


# -- booths, owners and coupons (run on the store's thread, inside a transaction) -------------

_COUPON_COLUMNS = (
    "id, code, visitor_id, shop_id, slot, promotion_id, title, cost, issued_at, expires_at, used_at"
)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _text(data: dict[str, str]) -> Text:
    return Text(data["th"], data["en"])


def _note(
    conn: sqlite3.Connection, actor: str, action: str, slot: str | None, detail: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO owner_actions (at, actor, action, slot, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, slot, detail),
    )


def _slots_of(conn: sqlite3.Connection, shop_id: str) -> tuple[str, ...]:
    rows = conn.execute("SELECT slot FROM booth_slots WHERE shop_id = ? ORDER BY slot", (shop_id,))
    return tuple(r[0] for r in rows)


def _owner(conn: sqlite3.Connection, shop_id: str) -> Owner:
    name, created_at, revoked_at = conn.execute(
        "SELECT name, created_at, revoked_at FROM shops WHERE id = ?", (shop_id,)
    ).fetchone()
    return Owner(shop_id, name, _slots_of(conn, shop_id), created_at, revoked_at)


def _session(conn: sqlite3.Connection, shop_id: str, expires_at: float) -> OwnerSession:
    (name,) = conn.execute("SELECT name FROM shops WHERE id = ?", (shop_id,)).fetchone()
    return OwnerSession(shop_id, name, _slots_of(conn, shop_id), expires_at)


def _require_holder(conn: sqlite3.Connection, slot: str, shop_id: str) -> None:
    row = conn.execute(
        "SELECT 1 FROM booth_slots AS b JOIN shops AS s ON s.id = b.shop_id "
        "WHERE b.slot = ? AND b.shop_id = ? AND s.revoked_at IS NULL",
        (slot, shop_id),
    ).fetchone()
    if row is None:
        raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"slot {slot} is not this shop's")


def _booth(conn: sqlite3.Connection, slot: str) -> BoothRecord | None:
    row = conn.execute(
        "SELECT shop_id, draft, published, hidden, version, updated_at FROM booth_slots "
        "WHERE slot = ?",
        (slot,),
    ).fetchone()
    if row is None:
        return None
    shop_id, draft, published, hidden, version, updated_at = row
    issued = dict(
        conn.execute("SELECT id, issued FROM promotions WHERE slot = ? AND live = 1", (slot,))
    )
    return BoothRecord(
        slot=slot,
        shop_id=shop_id,
        draft=None if draft is None else BoothConfig.from_json(json.loads(draft)),
        published=None if published is None else BoothConfig.from_json(json.loads(published)),
        hidden=bool(hidden),
        version=version,
        issued=issued,
        updated_at=updated_at,
        photos=frozenset(
            r[0] for r in conn.execute("SELECT id FROM booth_images WHERE slot = ?", (slot,))
        ),
    )


def _require_booth(conn: sqlite3.Connection, slot: str) -> BoothRecord:
    booth = _booth(conn, slot)
    assert booth is not None, "called after the row was written"
    return booth


def _photos_in_use(conn: sqlite3.Connection, slot: str) -> frozenset[str]:
    used: set[str] = set()
    for body in (
        conn.execute("SELECT draft, published FROM booth_slots WHERE slot = ?", (slot,)).fetchone()
        or ()
    ):
        if body is not None:
            used |= BoothConfig.from_json(json.loads(body)).photos()
    return frozenset(used)


def _coupon(row: tuple[Any, ...]) -> CouponRecord:
    cid, code, visitor_id, shop_id, slot, promotion_id, title, cost, issued, expires, used = row
    return CouponRecord(
        coupon_id=cid,
        code=code,
        visitor_id=visitor_id,
        shop_id=shop_id,
        slot=slot,
        promotion_id=promotion_id,
        title=_text(json.loads(title)),
        cost=cost,
        issued_at=issued,
        expires_at=expires,
        used_at=used,
    )


def _coupon_problems(conn: sqlite3.Connection) -> Iterator[str]:
    """Each coupon was paid for: its transfer went from its visitor to its shop at its cost,
    and a promotion never counts more coupons issued than it has."""
    unpaid = conn.execute(
        "SELECT c.code FROM coupons AS c LEFT JOIN transfers AS t ON t.key = c.transfer_key "
        "WHERE t.seq IS NULL OR t.amount <> c.cost OR t.source <> 'visitor:' || c.visitor_id "
        "OR t.target <> 'shop:' || c.shop_id"
    )
    for (code,) in unpaid:
        yield f"coupon {code} has no matching transfer"
    miscounted = conn.execute(
        "SELECT p.slot, p.id, p.issued, count(c.id) FROM promotions AS p "
        "JOIN booth_slots AS b ON b.slot = p.slot "
        "LEFT JOIN coupons AS c ON c.slot = p.slot AND c.promotion_id = p.id "
        "AND c.shop_id = b.shop_id GROUP BY p.slot, p.id HAVING p.issued <> count(c.id)"
    )
    for slot, pid, issued, counted in miscounted:
        yield f"promotion {slot}/{pid} says {issued} issued but {counted} coupons exist"
