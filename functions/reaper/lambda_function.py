"""Lambda function `reaper` (an EventBridge schedule): a thin entry point."""

from typing import Any

from deckpipe import reaper as reaping
from deckpipe import runtime

# Cold start: configuration and the job store, queue and storage clients (storage for the
# hourly sweep of decks no job refers to), once per instance.
RUNTIME = runtime.load("jobs", "queue", "blobs")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return reaping.reap(RUNTIME)
