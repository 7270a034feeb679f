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
