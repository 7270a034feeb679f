"""SQS backend: publish a job's message; pull it back (the pull worker) from the queue
and from its dead-letter queue.

The queue has a redrive policy: a message received ``maxReceiveCount`` times moves
to the dead-letter queue on the next receive. ``receive`` reads the main queue and
then the dead-letter queue, whose messages come back with ``dead_letter=True`` (the
worker fails their job ``delivery_failed`` unless it finished). A receipt says which
queue it came from. On Lambda the event source mappings do the receiving; this
consumer side serves a pull worker (the local stack, a container).

SQS counts visibility in whole seconds: a timeout is rounded up, so a message is
never shown earlier than asked. Unlike the SQLite queue, SQS documents that a stale
receipt (from an earlier receive of the message) may still delete it; the worker
does not rely on either, since the job's own state decides what a delivery does.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ..jobqueue import JobMessage, JobQueue, PullQueue, Received
from ._aws import client, error_code, transient_errors

MAX_VISIBILITY = 43_200  # SQS's limit, 12 hours
MAX_BATCH = 10
DLQ_EVERY = 10  # look at the dead-letter queue first every this many receives
STALE_RECEIPT = frozenset({"ReceiptHandleIsInvalid", "InvalidParameterValue",
                           "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"})
_MAIN, _DEAD = "q", "d"


class SqsJobQueue(JobQueue, PullQueue):
    def __init__(
        self,
        queue_url: str,
        *,
        dead_letter_url: str | None = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        sqs_client: Any = None,
        wait_seconds: int = 0,
    ) -> None:
        self._sqs = sqs_client or client("sqs", region=region, endpoint_url=endpoint_url)
        self._urls = {_MAIN: queue_url}
        if dead_letter_url:
            self._urls[_DEAD] = dead_letter_url
        # Long polling (1-20 s) saves requests for a steady worker; 0 answers at once.
        self._wait = wait_seconds
        self._receives = 0

    # --- producer -----------------------------------------------------------------

    def publish(self, message: JobMessage) -> str:
        body, attributes = message.encode()
        with transient_errors("SQS"):
            answer = self._sqs.send_message(
                QueueUrl=self._urls[_MAIN], MessageBody=body.decode(),
                MessageAttributes={name: {"DataType": "String", "StringValue": value}
                                   for name, value in attributes.items()},
            )
        return answer["MessageId"]

    # --- consumer -----------------------------------------------------------------

    def receive(self, *, visibility_timeout: float, max_messages: int = 1) -> list[Received]:
        wanted = max(1, min(MAX_BATCH, max_messages))
        self._receives += 1
        order = [_MAIN, _DEAD]
        if self._receives % DLQ_EVERY == 0:
            order.reverse()  # a busy main queue must not starve the dead letters
        received: list[Received] = []
        for which in order:
            if which not in self._urls or len(received) >= wanted:
                continue
            received += self._receive_from(which, visibility_timeout, wanted - len(received))
        return received

    def _receive_from(self, which: str, visibility_timeout: float, count: int) -> list[Received]:
        with transient_errors("SQS"):
            answer = self._sqs.receive_message(
                QueueUrl=self._urls[which], MaxNumberOfMessages=count,
                VisibilityTimeout=_seconds(visibility_timeout),
                WaitTimeSeconds=self._wait if which == _MAIN else 0,
                MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                MessageAttributeNames=["All"],
            )
        return [_received(raw, which) for raw in answer.get("Messages", ())]

    def delete(self, receipt: str) -> None:
        which, handle = _split(receipt)
        with transient_errors("SQS"):
            try:
                self._sqs.delete_message(QueueUrl=self._urls[which], ReceiptHandle=handle)
            except ClientError as exc:
                if error_code(exc) not in STALE_RECEIPT:
                    raise

    def change_visibility(self, receipt: str, timeout: float) -> bool:
        which, handle = _split(receipt)
        with transient_errors("SQS"):
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=self._urls[which], ReceiptHandle=handle,
                    VisibilityTimeout=_seconds(timeout),
                )
            except ClientError as exc:
                if error_code(exc) in STALE_RECEIPT:
                    return False
                raise
        return True

    # --- the redrive policy ---------------------------------------------------------

    @property
    def max_receives(self) -> int:
        with transient_errors("SQS"):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._urls[_MAIN], AttributeNames=["RedrivePolicy"]
            ).get("Attributes", {})
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        return int(policy.get("maxReceiveCount", 0))

    @max_receives.setter
    def max_receives(self, count: int) -> None:
        """Receives before a message moves to the dead-letter queue (the redrive policy)."""
        with transient_errors("SQS"):
            target = self._sqs.get_queue_attributes(
                QueueUrl=self._urls[_DEAD], AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            self._sqs.set_queue_attributes(QueueUrl=self._urls[_MAIN], Attributes={
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": target,
                                             "maxReceiveCount": str(count)}),
            })


def message_from_body(body: str, attributes: dict[str, Any], *, message_id: str | None,
                      sent_ms: str | int | None, dead_letter: bool) -> JobMessage:
    """A ``JobMessage`` from an SQS message's body and attributes (the Lambda event's
    records carry the same fields under other names). A body that is not ours yields
    an empty job id, which the worker drops as malformed."""
    job_id = ""
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and isinstance(parsed.get("job_id"), str):
            job_id = parsed["job_id"]
    except (TypeError, ValueError):
        pass
    if not job_id:
        job_id = str(attributes.get("job_id") or "")
    published = (datetime.fromtimestamp(int(sent_ms) / 1000, UTC)
                 if sent_ms not in (None, "") else None)
    return JobMessage(job_id, published_at=published, message_id=message_id,
                      dead_letter=dead_letter)


def _received(raw: dict[str, Any], which: str) -> Received:
    system = raw.get("Attributes", {})
    attributes = {name: value.get("StringValue")
                  for name, value in (raw.get("MessageAttributes") or {}).items()}
    message = message_from_body(
        raw.get("Body", ""), attributes, message_id=raw.get("MessageId"),
        sent_ms=system.get("SentTimestamp"), dead_letter=which == _DEAD,
    )
    count = int(system.get("ApproximateReceiveCount") or 1)
    return Received(message, f"{which}:{raw['ReceiptHandle']}", count)


def _split(receipt: str) -> tuple[str, str]:
    which, _, handle = receipt.partition(":")
    if which not in (_MAIN, _DEAD) or not handle:
        raise ValueError(f"not a receipt of this queue: {receipt[:40]!r}")
    return which, handle


def _seconds(timeout: float) -> int:
    return max(0, min(MAX_VISIBILITY, math.ceil(timeout)))


__all__ = ["SqsJobQueue", "message_from_body"]
