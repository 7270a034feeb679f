"""Lambda function `reaper` (an EventBridge schedule): a thin entry point."""

from typing import Any

from deckpipe import reaper as reaping
from deckpipe import runtime

# Cold start: configuration and the job store and queue clients, once per instance.
RUNTIME = runtime.load("jobs", "queue")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return reaping.reap(RUNTIME)
