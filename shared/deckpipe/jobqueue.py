"""Job queue interface: a message names a job; the deck itself stays in storage."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

SCHEMA = "1"


@dataclass(frozen=True)
class JobMessage:
    job_id: str
    published_at: datetime | None = None
    message_id: str | None = None
    dead_letter: bool = False

    def encode(self) -> tuple[bytes, dict[str, str]]:
        return json.dumps({"job_id": self.job_id}).encode(), {
            "job_id": self.job_id,
            "schema": SCHEMA,
        }


class JobQueue(ABC):
    @abstractmethod
    def publish(self, message: JobMessage) -> str:
        """Send the message; returns its id. Raises ``TransientError`` if it was not accepted."""


@dataclass(frozen=True)
class Received:
    """A message taken from a pulled queue: hidden from other consumers until its
    visibility timeout passes, unless ``delete``d (done) or made visible again."""

    message: JobMessage
    receipt: str  # names this receive; a later receive of the same message gets a new one
    receive_count: int


class PullQueue(ABC):
    """The consumer side of a queue that workers pull from (SQLite here, SQS later).

    Semantics of a managed queue: a received message is hidden for a visibility
    timeout and reappears if nobody deletes it (the worker died); a message
    received more than the queue's maximum receives comes back with
    ``dead_letter=True`` so the worker can fail its job instead of converting it.
    """

    @abstractmethod
    def receive(self, *, visibility_timeout: float, max_messages: int = 1) -> list[Received]:
        """Up to ``max_messages`` visible messages, each hidden for ``visibility_timeout``
        seconds; an empty list when none is waiting (it does not block for long)."""

    @abstractmethod
    def delete(self, receipt: str) -> None:
        """Acknowledge: the message is gone. A stale receipt is ignored."""

    @abstractmethod
    def change_visibility(self, receipt: str, timeout: float) -> bool:
        """Hide the message for ``timeout`` more seconds from now (0: visible at once);
        False if the receipt is stale (the message was received again by someone else)."""
