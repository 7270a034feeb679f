"""What the AWS backends share: one bounded client factory, and which errors mean "try again".

Every client gets explicit timeouts and botocore's "standard" retry mode with few
attempts: its defaults can wait a minute on an unreachable endpoint, longer than a
user waits for an answer, so a function must say "unavailable, retry" (503) in
bounded time instead. ``DECKPIPE_AWS_ENDPOINT_URL`` points every client at one
endpoint (moto in server mode, for the tests and the local stack).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, IncompleteReadError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..errors import TransientError

CONFIG = Config(
    connect_timeout=5,
    read_timeout=20,
    retries={"mode": "standard", "total_max_attempts": 3},
)

# Error codes AWS answers when the service is busy or failing, not the request wrong.
TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "SlowDown",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded", "LimitExceededException",
    "ServiceUnavailable", "ServiceUnavailableException", "InternalError", "InternalFailure",
    "InternalServerError", "RequestTimeout", "RequestTimeoutException",
    "TransactionInProgressException", "KMS.ThrottlingException",
})


_session_lock = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


def client(service: str, *, region: str, endpoint_url: str | None = None,
           config: Config | None = None) -> Any:
    """A boto3 client for ``service`` with deckpipe's bounds (one per instance, thread-safe);
    ``config`` adds a service's own options to them.

    The clients share one session, so the second and third load botocore's data files
    from its cache instead of again (a cold start's largest cost after the imports).
    Sessions are not thread-safe: clients are made under a lock.
    """
    with _session_lock:
        return _session().client(service, region_name=region, endpoint_url=endpoint_url,
                                 config=CONFIG.merge(config) if config else CONFIG)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, ClientError):
        return error_code(exc) in TRANSIENT_CODES or http_status(exc) >= 500
    # Connection refused or reset, timeouts, a body cut short. Other botocore errors
    # (bad parameters, no credentials) are bugs or a broken deployment: not retried.
    return isinstance(
        exc,
        BotoConnectionError | HTTPClientError | IncompleteReadError | ConnectionError
        | TimeoutError,
    )


@contextmanager
def transient_errors(what: str) -> Iterator[None]:
    """Re-raise outages and throttling of an AWS service as ``TransientError`` naming ``what``.

    Other client errors (a missing bucket, a denied permission) pass through: they
    are configuration bugs that a retry cannot mend.
    """
    try:
        yield
    except (ClientError, BotoCoreError, ConnectionError, TimeoutError) as exc:
        if is_transient(exc):
            raise TransientError(f"{what} unavailable: {type(exc).__name__}: {exc}") from exc
        raise
