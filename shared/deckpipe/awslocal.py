"""Run the Lambda handlers on this machine as Lambda would: the pieces of a local AWS stack.

moto runs Lambda functions only in Docker, so the local stack calls the handlers
itself, with the events AWS would send:

- ``FunctionUrlFront``: a WSGI app that turns each HTTP request into a function URL
  event (payload format 2.0), calls the handler, and turns its answer back into an
  HTTP response. Like Lambda it refuses a request over the 6 MB payload limit.
- ``EventSourceMapping``: what an SQS event source mapping does for ``convert``:
  receive a batch, invoke the handler with an SQS event, delete the messages the
  handler did not report in ``batchItemFailures`` (a handler that raises fails the
  whole batch, which reappears after its visibility timeout).
- ``load_function``: import a ``functions/<name>/lambda_function.py`` as Lambda does.

``deckpipe dev --cloud aws`` is meant to combine them with moto and ``provision.aws``;
the tests use them directly.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

from . import logs

log = logs.get_logger(__name__)

PAYLOAD_LIMIT = 6 * 1024 * 1024  # bytes of a synchronous invoke's event, base64 included
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LambdaContext:
    """The attributes of Lambda's context object that code commonly reads."""

    def __init__(self, function_name: str, timeout_seconds: float = 300.0) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 2048
        self.aws_request_id = secrets.token_hex(16)
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}")
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_function(path: Path, name: str) -> ModuleType:
    """Import ``path`` (a ``lambda_function.py``) under ``name``, running its cold start."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FunctionUrlFront:
    """WSGI app: HTTP request -> function URL event -> ``handler`` -> HTTP response."""

    def __init__(self, handler: Handler, function_name: str) -> None:
        self._handler, self._name = handler, function_name

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length * 4 // 3 > PAYLOAD_LIMIT:  # base64 grows the body by a third
            return _refuse(start_response, 413, "too_large",
                           "The request is larger than a Lambda function can receive.")
        body = environ["wsgi.input"].read(length) if length else b""
        answer = self._handler(self.event(environ, body), LambdaContext(self._name))
        return _respond(start_response, answer)

    def event(self, environ: dict[str, Any], body: bytes) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").lower()
            else:
                continue
            headers[name] = f"{headers[name]},{value}" if name in headers else str(value)
        cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
        path = environ.get("PATH_INFO") or "/"
        method = environ["REQUEST_METHOD"]
        now = datetime.now(UTC)
        event: dict[str, Any] = {
            "version": "2.0", "routeKey": "$default", "rawPath": path,
            "rawQueryString": environ.get("QUERY_STRING", ""), "headers": headers,
            "requestContext": {
                "accountId": "anonymous", "apiId": "local", "domainName": headers.get("host", ""),
                "domainPrefix": "local",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"),
                         "userAgent": headers.get("user-agent", "")},
                "requestId": secrets.token_hex(16), "routeKey": "$default",
                "stage": "$default", "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": bool(body),
        }
        if cookies:
            event["cookies"] = cookies
        if body:
            event["body"] = base64.b64encode(body).decode()
        return event


def _respond(start_response: Callable[..., Any], answer: dict[str, Any]) -> list[bytes]:
    status = int(answer.get("statusCode", 200))
    raw = answer.get("body") or ""
    body = base64.b64decode(raw) if answer.get("isBase64Encoded") else raw.encode()
    headers = [(name, str(value)) for name, value in (answer.get("headers") or {}).items()
               if name.lower() != "content-length"]
    headers += [("Set-Cookie", cookie) for cookie in answer.get("cookies") or ()]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {_reason(status)}", headers)
    return [body]


def _refuse(start_response: Callable[..., Any], status: int, code: str, message: str
            ) -> list[bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    start_response(f"{status} {_reason(status)}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ])
    return [body]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class EventSourceMapping:
    """Feed ``handler`` from an SQS queue as Lambda's event source mapping does."""

    def __init__(self, sqs: Any, queue_url: str, handler: Handler, *, function_name: str,
                 batch_size: int = 2, wait_seconds: int = 1, region: str = "us-east-1"
                 ) -> None:
        self._sqs, self._url, self._handler = sqs, queue_url, handler
        self._name, self._batch, self._wait, self._region = (
            function_name, batch_size, wait_seconds, region)
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.invocations = 0

    def poll_once(self) -> int:
        """One receive and, if it brought messages, one invocation; returns the count."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=self._batch, WaitTimeSeconds=self._wait,
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        self.invocations += 1
        try:
            answer = self._handler(self.event(messages), LambdaContext(self._name))
        except Exception:  # noqa: BLE001 - as Lambda: the whole batch comes back later
            log.exception("%s raised; the batch reappears after its visibility timeout",
                          self._name)
            return len(messages)
        failed = {item.get("itemIdentifier") for item in
                  (answer or {}).get("batchItemFailures") or ()}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
            ])
        return len(messages)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # noqa: BLE001 - the queue is down: wait, try again
                log.error("event source mapping for %s: %r", self._name, exc)
                stop.wait(1.0)

    def event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        records = []
        for m in messages:
            records.append({
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                "body": m.get("Body", ""), "attributes": dict(m.get("Attributes") or {}),
                "messageAttributes": {
                    name: {"stringValue": value.get("StringValue"), "stringListValues": [],
                           "binaryListValues": [], "dataType": value.get("DataType", "String")}
                    for name, value in (m.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
                "eventSourceARN": self._arn, "awsRegion": self._region,
            })
        return {"Records": records}
