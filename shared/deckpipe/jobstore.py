"""Job state interface.

The store offers one primitive, ``transact``: read a job, let a pure function
decide the new version, write it only if nothing changed in between. Every
state rule lives in ``deckpipe.jobs``; a backend only has to make that
read-modify-write atomic (a Firestore transaction, a lock in memory).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from .jobs import Job

R = TypeVar("R")


class JobStore(ABC):
    @abstractmethod
    def create(self, job: Job, *, idempotency_key: str | None = None) -> Job:
        """Store a new job; with a key already used, return that key's job instead.

        The key record and the job are written atomically, so two concurrent
        uploads with one key yield one job.
        """

    @abstractmethod
    def get(self, job_id: str) -> Job | None: ...

    @abstractmethod
    def transact(self, job_id: str, decide: Callable[[Job | None], tuple[Job | None, R]]) -> R:
        """Atomically apply ``decide`` to the current job.

        ``decide`` returns ``(new_job_or_None, result)``; a new job is written,
        ``None`` writes nothing. It may run more than once under contention,
        so it must be pure.
        """

    @abstractmethod
    def forget_idempotency_key(self, idempotency_key: str, job_id: str) -> None:
        """Drop the key's record if it still points at ``job_id`` (the job never started)."""

    @abstractmethod
    def unfinished(self, *, updated_before: datetime, limit: int = 500) -> list[Job]:
        """Jobs still ``queued`` or ``processing`` whose last write is older than
        ``updated_before``, oldest first, at most ``limit``.

        The reaper's only query: a job nobody has written to for a while is one
        whose message or worker may be gone. Unfinished jobs are few, so a
        backend may filter by time after selecting by state.
        """
