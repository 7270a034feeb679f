"""Make the server under our HTTP functions answer like them: JSON with a code, always.

``web.py`` answers every request that reaches it. Some never do, or fail on
the way: Flask answers a path it does not route (``/favicon.ico``) or a form
it will not parse itself, an unexpected exception becomes Flask's HTML 500,
and gunicorn (Functions Framework's server) refuses a request whose headers
it cannot parse with an HTML page before any Python of ours runs. A client
switching on ``error.code`` must get one there too.

``install_error_handlers()`` is called once from each function's ``main.py``
(and by any other Flask app serving ``web``'s handlers). It registers Flask
error handlers, wraps the WSGI app so a refused upload's connection can be
closed instead of drained, and makes gunicorn's own refusals JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import flask
from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from . import jobs, logs
from .web import CLOSE_CONNECTION, REFUSALS, error_response, finish_refusal, refusal

log = logs.get_logger(__name__)

# gunicorn's refusals happen before a request reaches Python, so only the status is known.
SERVER_REFUSALS: dict[int, tuple[str, str]] = {
    **REFUSALS,
    400: ("bad_request", "The request is malformed: a header, the request line or the "
                         "body's framing is invalid."),
}


def install_error_handlers(app: Flask | None = None) -> None:
    """Make every answer of ``app`` (default: the Flask app being set up) JSON with a code.

    Called at import time from a function's ``main.py``, where Functions Framework
    runs it inside its app's context; imported anywhere else (a test, a staging
    check) there is no app and nothing to do.
    """
    if app is None:
        if not flask.has_app_context():
            return
        app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
    if getattr(app, "_deckpipe_errors_installed", False):
        return
    app.register_error_handler(HTTPException, _framework_refusal)
    app.register_error_handler(500, _crash)  # replaces Functions Framework's text/plain one
    app.register_error_handler(Exception, _crash)
    app.wsgi_app = ConnectionCloser(app.wsgi_app)  # type: ignore[method-assign]
    app._deckpipe_errors_installed = True  # type: ignore[attr-defined]
    json_server_errors()


def _framework_refusal(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return _crash(exc)
    code, message = refusal(status)
    response = error_response(status, code, message)
    for name, value in exc.get_headers():
        if name in ("Allow", "Retry-After", "Content-Range"):
            response.headers[name] = value
    return finish_refusal(flask.request, response)


def _crash(exc: BaseException) -> Response:
    """An exception nothing expected: the log gets it all, the client a plain 500."""
    original = getattr(exc, "original_exception", None) or exc
    job_id = _job_id_in(flask.request.path) if flask.has_request_context() else None
    log.error("unexpected error answering %s %s",
              flask.request.method if flask.has_request_context() else "-",
              flask.request.path if flask.has_request_context() else "-",
              exc_info=(type(original), original, original.__traceback__),
              extra={"job_id": job_id} if job_id else {})
    code, message = REFUSALS[500]
    response = error_response(500, code, message)
    return finish_refusal(flask.request, response) if flask.has_request_context() else response


def _job_id_in(path: str) -> str | None:
    candidate = path.rstrip("/").rsplit("/", 1)[-1]
    return candidate if jobs.is_job_id(candidate) else None


class ConnectionCloser:
    """WSGI middleware: close the connection after a response that asked for it.

    A refused upload whose body was not read (a declared 200 MB, say) must not
    be drained to keep the connection alive. PEP 3333 forbids an application
    to send ``Connection`` itself, so ``web`` marks the environ and this asks
    the server: gunicorn's response object (``start_response``'s owner) has
    ``force_close()``; gunicorn then sends ``Connection: close`` and hangs up.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if environ.get(CLOSE_CONNECTION):
                force_close = getattr(getattr(start_response, "__self__", None),
                                      "force_close", None)
                if callable(force_close):
                    force_close()
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def json_server_errors() -> None:
    """Make gunicorn's own refusals (a control character in a header, an overlong
    request line) JSON instead of its HTML page.

    gunicorn has no setting for its error page; its workers call
    ``gunicorn.util.write_error`` by attribute, so replacing that function in the
    process that later forks the workers changes every refusal. Without gunicorn
    (another server, or none) there is nothing to do.
    """
    try:
        from gunicorn import util as gunicorn_util
    except ImportError:
        return
    if getattr(gunicorn_util.write_error, "_deckpipe", False):
        return

    def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
        code, message = SERVER_REFUSALS.get(status_int, refusal(status_int))
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        head = (
            f"HTTP/1.1 {status_int} {reason}\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json\r\n"
            "Cache-Control: no-store\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)

    write_json_error._deckpipe = True  # type: ignore[attr-defined]
    gunicorn_util.write_error = write_json_error


def json_waitress_errors() -> None:
    """The same for waitress (``deckpipe serve``): its refusals (a body over its limit,
    malformed framing, oversized headers) are plain text pages built by
    ``waitress.utilities.Error.to_response``; answer them as JSON with a code."""
    try:
        from waitress import utilities as waitress_utilities
    except ImportError:
        return
    error_class = waitress_utilities.Error
    if getattr(error_class.to_response, "_deckpipe", False):
        return

    def to_response(self: Any, ident: str | None = None) -> tuple[str, list, bytes]:
        code, message = SERVER_REFUSALS.get(self.code, refusal(self.code))
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        return f"{self.code} {self.reason}", headers, body

    to_response._deckpipe = True  # type: ignore[attr-defined]
    error_class.to_response = to_response
