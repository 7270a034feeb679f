"""Lambda function `convert` (SQS event source mappings on the job queue and its dead-letter
queue, with ReportBatchItemFailures): a thin entry point over the worker."""

from typing import Any

from deckpipe import awslambda, runtime
from deckpipe import convert as worker

# Cold start: configuration, clients, the renderer and its fonts are ready before the
# first batch. The queue client moves a failed record's visibility to its retry delay.
RUNTIME = runtime.load("jobs", "blobs", "queue")
worker.warm_up()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return awslambda.handle_sqs_batch(RUNTIME, event)
