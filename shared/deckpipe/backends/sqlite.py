"""One SQLite database for job state and the queue, shared by the web server and workers.

Several processes open the same file, so every read-modify-write runs in a
``BEGIN IMMEDIATE`` transaction: it takes the database's write lock before
reading, which makes ``transact`` a real compare-and-set across processes
(``decide`` runs once, under the lock). WAL mode lets readers (status polls)
go on while a writer holds the lock, and ``busy_timeout`` makes a writer wait
for the lock instead of failing at once. ``synchronous=NORMAL`` keeps every
committed transaction through a crash of any process (kill -9); only a power
cut may lose the last few, never corrupt the file.

The schema version is SQLite's ``user_version``; ``open_database`` applies the
missing migrations at start-up, inside one transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import ConfigError, TransientError

DATABASE_FILE = "deckpipe.sqlite3"
BUSY_TIMEOUT_SECONDS = 15.0

# MIGRATIONS[n] takes the schema from version n to n + 1. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE jobs (
            job_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            doc TEXT NOT NULL)""",
        "CREATE INDEX jobs_by_state ON jobs (state, updated_at)",
        "CREATE INDEX jobs_by_age ON jobs (created_at)",
        """CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            created_at REAL NOT NULL)""",
        "CREATE INDEX idempotency_keys_by_job ON idempotency_keys (job_id)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL,
            published_at REAL NOT NULL,
            visible_at REAL NOT NULL,
            receive_count INTEGER NOT NULL DEFAULT 0,
            receipt TEXT,
            dead INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX messages_by_visibility ON messages (visible_at, id)",
        "CREATE INDEX messages_by_job ON messages (job_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def database_error(exc: sqlite3.Error, doing: str) -> TransientError:
    """Locked, read-only, full or damaged: a platform fault the caller retries or answers 503."""
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        text = "the data directory is not writable"
    elif "full" in text:
        text = "the disk is full"
    elif "locked" in text or "busy" in text:
        text = "the database stayed locked (too many writers at once)"
    return TransientError(f"the job database failed while {doing}: {text}")


class Database:
    """The database file, with one connection per thread and per process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                   isolation_level=None, check_same_thread=True)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            local.conn, local.pid = conn, os.getpid()
        return local.conn

    @contextlib.contextmanager
    def transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the write lock from its first statement."""
        try:
            conn = self.connection()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._failed(exc, doing) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._failed(exc, doing) from exc
            raise

    def read(self, sql: str, params: tuple = (), doing: str = "reading") -> list[tuple]:
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self._failed(exc, doing) from exc

    def _failed(self, exc: sqlite3.Error, doing: str) -> TransientError:
        """Drop a connection that hit a read-only or I/O fault, so the next call opens a
        fresh one: once the operator mends the directory, the service recovers by itself."""
        if not isinstance(exc, sqlite3.OperationalError) or "locked" not in str(exc):
            with contextlib.suppress(sqlite3.Error):
                self.close()
        return database_error(exc, doing)

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = self._local.pid = None


def open_database(data_dir: Path) -> Database:
    """The data directory's database, created or migrated to ``SCHEMA_VERSION``.

    Raises ``ConfigError`` for a database newer than this code, ``TransientError``
    when the file cannot be written.
    """
    db = Database(Path(data_dir) / DATABASE_FILE)
    try:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TransientError(f"cannot create the data directory {data_dir}: "
                             f"{exc.strerror}") from exc
    try:
        conn = db.connection()
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise database_error(exc, f"opening {db.path}") from exc
    with db.transaction("migrating the schema") as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{db.path} has schema version {version}, newer than this deckpipe "
                f"({SCHEMA_VERSION}); upgrade deckpipe or point DECKPIPE_DATA_DIR elsewhere"
            )
        for statements in MIGRATIONS[version:]:
            for statement in statements:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return db
