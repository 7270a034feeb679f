"""Lambda function `upload` (function URL, payload v2): a thin entry point over `web.upload`.

It also completes direct uploads on the bucket's "Object Created" events (EventBridge).

The same core as the Cloud Function beside it (`main.py`), reached through apig-wsgi.
"""

from typing import Any

from deckpipe import awslambda, runtime, web

# Cold start: read and validate the configuration and build the clients once;
# a broken configuration stops the instance here, not on the first request.
RUNTIME = runtime.load("blobs", "jobs", "queue")

http = awslambda.http_handler(RUNTIME, web.upload, "upload")


def handler(event: dict[str, Any], context: Any) -> Any:
    """HTTP requests, and the bucket's "Object Created" events (direct uploads)."""
    if awslambda.is_object_created(event):
        return awslambda.handle_object_created(RUNTIME, event)
    return http(event, context)
