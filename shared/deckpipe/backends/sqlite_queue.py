"""A durable queue in the job database, with the semantics of a managed queue (SQS).

A message is a row. ``receive`` hides it until ``visible_at`` and hands out a
fresh receipt; only the latest receipt may delete it or move its visibility, so a
worker that was presumed dead cannot acknowledge a message someone else now holds.
A message received more than ``max_receives`` times is marked dead and delivered
with ``dead_letter=True`` (the dead-letter queue of SQS, without a second table):
the worker fails its job and deletes it.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

from ..jobqueue import JobMessage, JobQueue, PullQueue, Received
from .sqlite import Database

DEFAULT_MAX_RECEIVES = 10


class SqliteJobQueue(JobQueue, PullQueue):
    def __init__(self, db: Database, *, max_receives: int = DEFAULT_MAX_RECEIVES) -> None:
        self._db = db
        self.max_receives = max_receives

    def publish(self, message: JobMessage) -> str:
        now = time.time()
        with self._db.transaction("queueing a job") as conn:
            cursor = conn.execute(
                "INSERT INTO messages (job_id, published_at, visible_at) VALUES (?, ?, ?)",
                (message.job_id, now, now),
            )
        return str(cursor.lastrowid)

    def receive(self, *, visibility_timeout: float, max_messages: int = 1) -> list[Received]:
        now = time.time()
        # An idle worker polls often: look without the write lock first.
        if not self._db.read("SELECT 1 FROM messages WHERE visible_at <= ? LIMIT 1", (now,),
                             "polling the queue"):
            return []
        received = []
        with self._db.transaction("receiving a message") as conn:
            rows = conn.execute(
                "SELECT id, job_id, published_at, receive_count, dead FROM messages "
                "WHERE visible_at <= ? ORDER BY visible_at, id LIMIT ?",
                (now, max_messages),
            ).fetchall()
            for message_id, job_id, published_at, count, dead in rows:
                count += 1
                dead = bool(dead) or count > self.max_receives
                receipt = f"{message_id}.{secrets.token_hex(8)}"
                conn.execute(
                    "UPDATE messages SET receive_count = ?, receipt = ?, visible_at = ?, "
                    "dead = ? WHERE id = ?",
                    (count, receipt, now + visibility_timeout, int(dead), message_id),
                )
                message = JobMessage(
                    job_id, published_at=datetime.fromtimestamp(published_at, UTC),
                    message_id=str(message_id), dead_letter=dead,
                )
                received.append(Received(message, receipt, count))
        return received

    def delete(self, receipt: str) -> None:
        with self._db.transaction("acknowledging a message") as conn:
            conn.execute("DELETE FROM messages WHERE id = ? AND receipt = ?",
                         (_message_id(receipt), receipt))

    def change_visibility(self, receipt: str, timeout: float) -> bool:
        with self._db.transaction("changing a message's visibility") as conn:
            cursor = conn.execute(
                "UPDATE messages SET visible_at = ? WHERE id = ? AND receipt = ?",
                (time.time() + timeout, _message_id(receipt), receipt),
            )
        return cursor.rowcount == 1

    def depth(self) -> dict[str, int]:
        """Messages waiting, in flight (hidden) and dead, for health checks and tests."""
        now = time.time()
        (waiting, hidden, dead), = self._db.read(
            "SELECT COALESCE(SUM(visible_at <= ? AND dead = 0), 0), "
            "COALESCE(SUM(visible_at > ?), 0), COALESCE(SUM(dead), 0) FROM messages",
            (now, now), "counting messages",
        )
        return {"waiting": waiting, "in_flight": hidden, "dead": dead}


def _message_id(receipt: str) -> int:
    head = receipt.split(".", 1)[0]
    return int(head) if head.isdigit() else -1
