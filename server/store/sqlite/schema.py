"""The SQLite schema, its migrations, and how a connection is opened."""

from __future__ import annotations

import sqlite3
import time

from server.store.base import StoreError

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
    (
        """CREATE TABLE badge_keys (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kid TEXT NOT NULL UNIQUE,
            private_jwk TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE badges (
            id TEXT PRIMARY KEY,
            visitor_id TEXT NOT NULL,
            achievement_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            issued_at REAL NOT NULL,
            status_index INTEGER NOT NULL UNIQUE,
            token TEXT NOT NULL,
            revoked_at REAL,
            UNIQUE (visitor_id, achievement_id)
        )""",
        "CREATE INDEX badges_by_visitor ON badges (visitor_id, issued_at)",
        "CREATE TABLE badge_status_seq (seq INTEGER PRIMARY KEY AUTOINCREMENT)",
    ),
    (
        """CREATE TABLE operators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL
        )""",
        """CREATE TABLE operator_links (
            hash TEXT PRIMARY KEY,
            operator_id TEXT NOT NULL REFERENCES operators (id),
            expires_at REAL NOT NULL
        )""",
        """CREATE TABLE operator_sessions (
            hash TEXT PRIMARY KEY,
            operator_id TEXT NOT NULL REFERENCES operators (id),
            expires_at REAL NOT NULL
        )""",
        """CREATE TABLE reports (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            body TEXT NOT NULL,
            status TEXT NOT NULL
        )""",
        "CREATE INDEX reports_by_status ON reports (status, seq)",
        """CREATE TABLE sanctions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE chat_words (
            word TEXT PRIMARY KEY
        ) WITHOUT ROWID""",
    ),
    (
        """CREATE TABLE lessons_read (
            visitor_id TEXT NOT NULL,
            course_id TEXT NOT NULL,
            lesson_id TEXT NOT NULL,
            read_at REAL NOT NULL,
            PRIMARY KEY (visitor_id, course_id, lesson_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE courses_completed (
            visitor_id TEXT NOT NULL,
            course_id TEXT NOT NULL,
            completed_at REAL NOT NULL,
            PRIMARY KEY (visitor_id, course_id)
        ) WITHOUT ROWID""",
    ),
    (
        """CREATE TABLE events (
            id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE TABLE event_calendar (version INTEGER NOT NULL)",
        "INSERT INTO event_calendar (version) VALUES (0)",
        """CREATE TABLE event_attendees (
            event_id TEXT NOT NULL,
            visitor_id TEXT NOT NULL REFERENCES visitors (id),
            at REAL NOT NULL,
            PRIMARY KEY (event_id, visitor_id)
        ) WITHOUT ROWID""",
    ),
    (
        # quiz guessing policy: wrong answers ever given, never forgiven by a cooldown
        "ALTER TABLE quiz_attempts ADD COLUMN missed INTEGER NOT NULL DEFAULT 0",
        "UPDATE quiz_attempts SET missed = wrong",
    ),
    (
        # promotion limits: coupons per visitor per day, and per day in all (0: none)
        "ALTER TABLE promotions ADD COLUMN per_visitor INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE promotions ADD COLUMN daily_stock INTEGER NOT NULL DEFAULT 0",
    ),
    (
        """CREATE TABLE usage_days (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL,
            count INTEGER NOT NULL,
            total INTEGER NOT NULL,
            PRIMARY KEY (day, kind, subject, detail)
        ) WITHOUT ROWID""",
    ),
    (
        """CREATE TABLE dialogue_questions (
            id TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE dialogue_votes (
            question_id TEXT NOT NULL,
            visitor_id TEXT NOT NULL,
            option INTEGER NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (question_id, visitor_id)
        )""",
        """CREATE TABLE dialogue_opinions (
            question_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            visitor_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            at REAL NOT NULL,
            hidden INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (question_id, number),
            UNIQUE (question_id, visitor_id)
        )""",
        """CREATE TABLE dialogue_supports (
            question_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            visitor_id TEXT NOT NULL,
            PRIMARY KEY (question_id, number, visitor_id)
        )""",
    ),
    (
        # sign-in: one account (issuer, subject) <-> one identity; the secret sealed
        """CREATE TABLE account_links (
            issuer TEXT NOT NULL,
            subject TEXT NOT NULL,
            visitor_id TEXT NOT NULL UNIQUE,
            provider TEXT NOT NULL,
            sealed_secret TEXT NOT NULL,
            linked_at REAL NOT NULL,
            PRIMARY KEY (issuer, subject)
        )""",
        "ALTER TABLE promotions ADD COLUMN requires_sign_in INTEGER NOT NULL DEFAULT 0",
    ),
    # pending balances: visitors the street registers from now on are newcomers
    ("ALTER TABLE visitors ADD COLUMN newcomer INTEGER NOT NULL DEFAULT 0",),
)
"""Schema versions in order; version n is ``MIGRATIONS[n - 1]``. Append, never edit."""


SYNCHRONOUS = ("FULL", "NORMAL")


def connect(path: str, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
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
