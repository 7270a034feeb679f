"""The Lambda side of the functions: HTTP events to the WSGI core, SQS batches to the worker.

Each ``functions/<name>/lambda_function.py`` is as thin as its ``main.py``: load the
runtime at cold start, hand the event to one function here.

- HTTP (``upload``, ``status``, ``result`` behind function URLs, payload v2): one
  Flask app per function routes every path and method to ``deckpipe.web``'s
  handler, reached through ``apig-wsgi`` (a maintained adapter, not hand-written
  event translation). The answers are those the Google functions give.
- ``convert`` (an SQS event source mapping on the job queue and one on its
  dead-letter queue): each record goes through the same ``PullWorker.process`` as a
  pulled message, so backoff and lease-timed retries are the pull worker's rules.
  A record that must come back (``RetryLater``, an outage, a bug) has its visibility
  set to that delay and is reported in ``batchItemFailures``; the mapping deletes
  the others. One bad message never redelivers the rest of its batch.
- ``upload`` also gets the bucket's "Object Created" events (S3 to EventBridge) for
  ``inputs/``: a direct upload is completed even if its client vanished before
  calling ``complete`` (on Google, the finalize notification does this).

boto3 is loaded here only through the aws backends; this module imports no SDK.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import jobs, logs, pullworker, web, webserver
from .jobqueue import JobMessage, PullQueue, Received
from .runtime import Runtime

log = logs.get_logger(__name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Lambda refuses a synchronous answer over 6 MB (base64 included) and the client then
# gets the gateway's own error page; answer a JSON error of ours instead.
PAYLOAD_LIMIT = 6 * 1024 * 1024
# Outcomes of PullWorker.process after which the message must be delivered again.
REDELIVER = frozenset({"retry_later", "redeliver"})

HttpHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def http_handler(rt: Runtime, view: Callable[..., Any], name: str) -> HttpHandler:
    """A Lambda handler answering every request with ``view(rt, request)``."""
    import apig_wsgi
    from flask import Flask, request

    app = Flask(f"deckpipe.{name}")

    def serve(path: str = "") -> Any:
        return view(rt, request)

    app.add_url_rule("/", "root", serve, methods=METHODS)
    app.add_url_rule("/<path:path>", "path", serve, methods=METHODS)
    webserver.install_error_handlers(app)
    adapted = apig_wsgi.make_lambda_handler(app, binary_support=True)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer = adapted(event, context)
        size = len(json.dumps(answer))
        if size <= PAYLOAD_LIMIT:
            return answer
        log.error("answer of %d bytes is over Lambda's payload limit", size,
                  extra={"status": answer.get("statusCode")})
        refused = web.error_response(
            500, "result_too_large",
            "The PDF is larger than this deployment can send (about 4 MB); "
            "direct downloads from storage are not enabled yet.")
        return {"statusCode": 500, "headers": dict(refused.headers),
                "body": refused.get_data(as_text=True), "isBase64Encoded": False}

    return handler


def is_object_created(event: dict[str, Any]) -> bool:
    """An S3 "Object Created" event delivered by EventBridge (not an HTTP request)."""
    return event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created"


def handle_object_created(rt: Runtime, event: dict[str, Any]) -> str:
    """Complete the direct upload the new object belongs to. Raises ``TransientError``
    so Lambda's asynchronous retries deliver the event again."""
    from . import direct

    detail = event.get("detail") or {}
    bucket = str((detail.get("bucket") or {}).get("name", ""))
    key = str((detail.get("object") or {}).get("key", ""))
    outcome = direct.on_object_finalized(rt, bucket, key)
    log.info("object created", extra={"object": key, "outcome": outcome})
    return outcome


class EventSourceQueue(PullQueue):
    """The job queue as an SQS event source mapping presents it: Lambda received the
    batch and deletes every message not reported as failed; only visibility is ours."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue  # the SqsJobQueue: knows the queue and dead-letter URLs

    def receive(self, *, visibility_timeout: float, max_messages: int = 1) -> list[Received]:
        return []  # the mapping receives

    def delete(self, receipt: str) -> None:
        """Nothing to do: the mapping deletes the batch's successes itself."""

    def change_visibility(self, receipt: str, timeout: float) -> bool:
        return self._queue.change_visibility(receipt, timeout)


def received_from_record(record: dict[str, Any], dead_letter_queue_url: str) -> Received:
    """A ``Received`` from one record of an SQS event (the shape Lambda sends)."""
    from .backends.sqs import message_from_body

    queue_name = str(record.get("eventSourceARN", "")).rsplit(":", 1)[-1]
    dead = bool(dead_letter_queue_url) and queue_name == dead_letter_queue_url.rsplit("/", 1)[-1]
    system = record.get("attributes") or {}
    attributes = {name: (value or {}).get("stringValue")
                  for name, value in (record.get("messageAttributes") or {}).items()}
    message: JobMessage = message_from_body(
        record.get("body", ""), attributes, message_id=record.get("messageId"),
        sent_ms=system.get("SentTimestamp"), dead_letter=dead,
    )
    receipt = f"{'d' if dead else 'q'}:{record.get('receiptHandle', '')}"
    return Received(message, receipt, int(system.get("ApproximateReceiveCount") or 1))


def handle_sqs_batch(rt: Runtime, event: dict[str, Any], *, render: Any = None,
                     policy: pullworker.PullPolicy | None = None) -> dict[str, Any]:
    """Process an SQS batch; returns the partial batch response Lambda expects."""
    worker = pullworker.PullWorker(rt, EventSourceQueue(rt.queue), render=render,
                                   policy=policy)
    failures = []
    for record in event.get("Records") or ():
        item = received_from_record(record, rt.settings.sqs_dead_letter_url)
        outcome = worker.process(item)
        if outcome in REDELIVER:
            failures.append({"itemIdentifier": record.get("messageId", "")})
        log.info("record handled", extra={
            "outcome": outcome, "message_id": record.get("messageId"),
            "job_id": item.message.job_id if jobs.is_job_id(item.message.job_id) else None,
        })
    return {"batchItemFailures": failures}
