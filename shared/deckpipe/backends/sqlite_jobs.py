"""Job store on SQLite: a job is one row, its document as JSON beside the columns
the queries need (state, times). ``transact`` holds the write lock while ``decide``
runs, so it is atomic across the web server's threads and every worker process."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..jobs import PROCESSING, QUEUED, Job
from ..jobstore import JobStore
from .sqlite import Database

R = TypeVar("R")

_TIME_FIELDS = ("created_at", "updated_at")


def encode(job: Job) -> str:
    return json.dumps(job.to_dict(), default=_iso, separators=(",", ":"))


def decode(text: str) -> Job:
    data: dict[str, Any] = json.loads(text)
    for name in _TIME_FIELDS:
        data[name] = _time(data[name])
    if data.get("lease"):
        data["lease"]["expires_at"] = _time(data["lease"]["expires_at"])
    return Job.from_dict(data)


class SqliteJobStore(JobStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, job: Job, *, idempotency_key: str | None = None) -> Job:
        with self._db.transaction("creating a job") as conn:
            if idempotency_key is not None:
                row = conn.execute(
                    "SELECT doc FROM idempotency_keys JOIN jobs USING (job_id) WHERE key = ?",
                    (idempotency_key,),
                ).fetchone()
                if row is not None:
                    return decode(row[0])
                conn.execute(
                    "INSERT OR REPLACE INTO idempotency_keys (key, job_id, created_at) "
                    "VALUES (?, ?, ?)",
                    (idempotency_key, job.job_id, job.created_at.timestamp()),
                )
            if conn.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone():
                raise ValueError(f"job {job.job_id} already exists")
            _write(conn, job)
        return job

    def get(self, job_id: str) -> Job | None:
        rows = self._db.read("SELECT doc FROM jobs WHERE job_id = ?", (job_id,), "reading a job")
        return decode(rows[0][0]) if rows else None

    def transact(self, job_id: str, decide: Callable[[Job | None], tuple[Job | None, R]]) -> R:
        with self._db.transaction("updating a job") as conn:
            row = conn.execute("SELECT doc FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            new, result = decide(decode(row[0]) if row else None)
            if new is not None:
                _write(conn, new)
            return result

    def forget_idempotency_key(self, idempotency_key: str, job_id: str) -> None:
        with self._db.transaction("forgetting an idempotency key") as conn:
            conn.execute("DELETE FROM idempotency_keys WHERE key = ? AND job_id = ?",
                         (idempotency_key, job_id))

    def unfinished(self, *, updated_before: datetime, limit: int = 500) -> list[Job]:
        rows = self._db.read(
            "SELECT doc FROM jobs WHERE state IN (?, ?) AND updated_at < ? "
            "ORDER BY updated_at LIMIT ?",
            (QUEUED, PROCESSING, updated_before.timestamp(), limit),
            "listing unfinished jobs",
        )
        return [decode(doc) for (doc,) in rows]

    # --- retention: the local backend has no lifecycle rules, so its sweeper asks these ---

    def created_before(self, cutoff: datetime, *, limit: int = 500) -> list[Job]:
        """Jobs created before ``cutoff`` (any state), oldest first."""
        rows = self._db.read(
            "SELECT doc FROM jobs WHERE created_at < ? ORDER BY created_at LIMIT ?",
            (cutoff.timestamp(), limit), "listing old jobs",
        )
        return [decode(doc) for (doc,) in rows]

    def delete(self, job_id: str) -> None:
        """Forget a job, its idempotency keys and any message still naming it."""
        with self._db.transaction("deleting a job") as conn:
            conn.execute("DELETE FROM idempotency_keys WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM messages WHERE job_id = ?", (job_id,))
            conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))


def _write(conn, job: Job) -> None:
    conn.execute(
        "INSERT INTO jobs (job_id, state, created_at, updated_at, doc) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, "
        "created_at = excluded.created_at, updated_at = excluded.updated_at, doc = excluded.doc",
        (job.job_id, job.state, job.created_at.timestamp(), job.updated_at.timestamp(),
         encode(job)),
    )


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a job document")


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
