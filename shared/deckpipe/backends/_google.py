"""What the Google backends share: which client errors mean "try again later"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ..errors import TransientError

TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.InternalServerError,
    gexc.DeadlineExceeded,
    gexc.TooManyRequests,
    gexc.Aborted,
    gexc.RetryError,
    gexc.GatewayTimeout,
    gexc.BadGateway,
    auth_exc.TransportError,
    requests.ConnectionError,
    requests.Timeout,
    ConnectionError,
    TimeoutError,
)


@contextmanager
def transient_errors(what: str) -> Iterator[None]:
    """Re-raise outages of a Google service as ``TransientError`` naming ``what``."""
    try:
        yield
    except TRANSIENT as exc:
        raise TransientError(f"{what} unavailable: {type(exc).__name__}: {exc}") from exc
