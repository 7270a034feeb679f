"""HTTP adapters: Flask request in, core call, JSON or PDF response out.

Each function's ``main.py`` hands its request here; nothing below knows
about Functions Framework, and nothing in the core knows about Flask.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from flask import Request, Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_options_header

from . import convert as worker
from . import direct, jobs, logs, webpage
from .blobs import direct_transfer
from .errors import TransientError, plain_message
from .multipart import MalformedForm, MultipartFile
from .runtime import Runtime
from .status import describe
from .upload import DECK_TYPES, ApiError, accept, clean_filename, too_large

log = logs.get_logger(__name__)

READ_SIZE = 64 * 1024
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers on top of the file itself
RETRY_AFTER_SECONDS = 5
# A refused request body up to this size is read and dropped so the connection can
# be reused; a larger (or unknown) one is left unread and the connection closed.
DRAIN_LIMIT = 1 << 20
# Environ key asking the server to close the connection after this response
# (``webserver.ConnectionCloser`` carries it out).
CLOSE_CONNECTION = "deckpipe.close_connection"


# Flask's and werkzeug's refusals, in our words: (code, message) by status.
REFUSALS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "This request needs credentials."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This method is not allowed here."),
    408: ("request_timeout", "The request took too long to arrive."),
    411: ("length_required", "The request needs a Content-Length."),
    413: ("too_large", "The request is too large."),
    414: ("uri_too_long", "The address is too long."),
    415: ("unsupported_media_type", "This content type is not accepted."),
    416: ("range_not_satisfiable", "The requested range is not satisfiable."),
    417: ("expectation_failed", "The Expect header cannot be met."),
    431: ("headers_too_large", "The request's headers are too large."),
    500: ("internal", "Something went wrong on our side; please retry later."),
    501: ("not_implemented", "The server does not support this request."),
    503: ("unavailable", "The service is unavailable; please retry shortly."),
}

def refusal(status: int) -> tuple[str, str]:
    """The (code, plain message) for an HTTP status we did not choose ourselves."""
    if status in REFUSALS:
        return REFUSALS[status]
    return ("bad_request", "The request was refused.") if status < 500 else REFUSALS[500]


def json_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    response = json_response({"error": {"code": code, "message": message}, **extra}, status)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable(what: str = "Storage or the job store") -> Response:
    """503 (with ``Retry-After``): the platform is down, the request may be retried as is."""
    return error_response(503, "unavailable", f"{what} is unavailable; please retry shortly.")


def finish_refusal(request: Request, response: Response) -> Response:
    """Leave a large or unknown-length request body unread and close the connection.

    Functions Framework reads whatever body is left after a response (to keep the
    connection usable), into memory; for a declared 200 MB upload that is both slow
    and a memory hazard. A streamed response is exempt from that read, and the
    ``CLOSE_CONNECTION`` mark makes the server hang up instead of draining.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return response
    length = request.content_length
    if length is not None and length <= DRAIN_LIMIT:
        return response
    request.environ[CLOSE_CONNECTION] = True
    response.response = iter([response.get_data()])  # streamed: nothing drains the body
    return response


def plain_errors(handler: Callable[[Runtime, Request], Response]) -> Callable[..., Response]:
    """Whatever goes wrong inside a handler is answered as JSON with a code.

    An outage of storage or the job store is a 503 with ``Retry-After``; a
    werkzeug refusal raised while reading the request keeps its status; anything
    else is a bug: logged with its traceback (and the job id, when the path has
    one), answered 500 in plain words.
    """

    @functools.wraps(handler)
    def answer(rt: Runtime, request: Request) -> Response:
        try:
            return handler(rt, request)
        except TransientError as exc:
            log.error("answering %s %s: %s", request.method, request.path, exc)
            return finish_refusal(request, unavailable())
        except HTTPException as exc:
            status = exc.code or 500
            if status >= 500:
                log.error("answering %s %s: %r", request.method, request.path, exc)
            code, message = refusal(status)
            return finish_refusal(request, error_response(status, code, message))
        except Exception as exc:
            if _is_body_framing_error(exc):
                response = error_response(400, "bad_request",
                                          "The request body is malformed: its framing is invalid.")
                return finish_refusal(request, response)
            job_id = _job_id(request)
            log.exception("unexpected error answering %s %s", request.method, request.path,
                          extra={"job_id": job_id} if job_id else {})
            response = error_response(
                500, "internal", "Something went wrong on our side; please retry later.")
            return finish_refusal(request, response)

    return answer


def _is_body_framing_error(exc: Exception) -> bool:
    """The server's own complaint, raised from reading the body (a broken chunk size,
    a body cut short): the client's fault, not ours. gunicorn's parse errors live in
    ``gunicorn.http.errors``; matched by module so web does not import a server."""
    return type(exc).__module__.startswith("gunicorn.http")


def _method_not_allowed(allowed: str) -> Response:
    response = error_response(405, "method_not_allowed", f"Use {allowed}.")
    response.headers["Allow"] = allowed
    return response


def _health(rt: Runtime, request: Request) -> Response | None:
    """Ready means the cold start succeeded: an instance whose configuration or clients
    failed never imports, so it never answers at all."""
    if request.method == "GET" and request.path.rstrip("/").endswith("/healthz"):
        return json_response({"status": "ready", "startup_seconds": rt.startup})
    return None


def _job_id(request: Request) -> str | None:
    candidate = request.args.get("job_id") or request.path.rstrip("/").rsplit("/", 1)[-1]
    return candidate if jobs.is_job_id(candidate) else None


def _unknown_job() -> Response:
    return error_response(404, "not_found", "No job with this id.")


# --- upload -------------------------------------------------------------------------


def _cors(rt: Runtime, request: Request, response: Response) -> Response:
    """Let the configured page origins read this response (and nobody else)."""
    for name, value in webpage.cors_headers(rt.settings, request.headers.get("Origin")).items():
        if name == "Vary":
            response.vary.add("Origin")
        else:
            response.headers[name] = value
    return response


def _preflight(rt: Runtime, request: Request, methods: str) -> Response:
    origin = request.headers.get("Origin")
    headers = webpage.preflight_headers(rt.settings, origin, methods)
    if origin and request.headers.get("Access-Control-Request-Method") and not headers:
        response = error_response(403, "origin_not_allowed",
                                  f"Requests from {origin} are not allowed.")
        response.vary.add("Origin")
        return response
    response = Response(status=204)
    response.headers["Allow"] = f"{methods}, OPTIONS"
    response.headers.update(headers)
    return response


def upload(rt: Runtime, request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight(rt, request, "POST")
    response = _upload(rt, request)
    if response.status_code >= 400:
        response = finish_refusal(request, response)
    return _cors(rt, request, response)


@plain_errors
def _upload(rt: Runtime, request: Request) -> Response:
    if (health := _health(rt, request)) is not None:
        return health
    if request.method in ("GET", "HEAD") and (name := webpage.asset_name(request.path)):
        return _page_file(rt, request, name)
    if request.method != "POST":
        return _method_not_allowed("POST")
    path = request.path.rstrip("/")
    try:
        if path.endswith("/complete"):
            return _complete(rt, request)
        if path.endswith("/finalized"):
            return _finalized(rt, request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    if (request.mimetype or "").lower() == "application/json" and direct.offered(rt):
        return _request_direct(rt, request)  # elsewhere JSON stays an unsupported type
    try:
        chunks, filename = _incoming_file(rt, request)
        accepted = accept(
            rt, chunks, filename=filename, idempotency_key=request.headers.get("Idempotency-Key")
        )
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except MalformedForm as exc:
        return error_response(exc.status, exc.code, exc.message)
    except TransientError as exc:
        log.error("upload failed on a transient fault: %s", exc)
        return unavailable()
    job = accepted.job
    status_url = rt.settings.status_url_for(job.job_id)
    headers = {"Location": status_url}
    if not accepted.created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(
        {
            "job_id": job.job_id,
            "status_url": status_url,
            "result_url": rt.settings.result_url_for(job.job_id),
        },
        202,
        **headers,
    )


# --- direct uploads (deckpipe.direct): the deck goes from the client to storage ------------

JSON_LIMIT = 16 * 1024  # an upload request or a notification is a few hundred bytes


def _request_direct(rt: Runtime, request: Request) -> Response:
    """``POST upload`` with ``{"filename", "size", "type"}``: 201 with the job and where to
    send the deck (``upload``), or the refusal a streamed upload of it would get."""
    try:
        announced = _json_body(request)
        offer = direct.request_upload(
            rt, filename=announced.get("filename"), size=announced.get("size"),
            content_type=announced.get("type"), origin=request.headers.get("Origin"),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    job = offer.job
    body = _job_links(rt, request, job.job_id)
    body.update(state=job.state,
                upload=offer.target.to_json() if offer.target is not None else None)
    headers = {"Location": body["status_url"]}
    if not offer.created:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, 201 if offer.created else 200, **headers)


def _complete(rt: Runtime, request: Request) -> Response:
    """``POST upload/<job_id>/complete``: check the stored deck and queue its job; the same
    answer however often it is called."""
    job_id = _path_job_id(request.path, "complete")
    job = direct.complete(rt, job_id) if job_id else None
    if job is None:
        return _unknown_job()
    return _completion_answer(rt, request, job)


def _completion_answer(rt: Runtime, request: Request, job: jobs.Job) -> Response:
    links = _job_links(rt, request, job.job_id)
    if job.state == jobs.AWAITING_UPLOAD:
        return error_response(409, "upload_incomplete",
                              "The file has not arrived in storage yet: finish sending it, "
                              "then call complete again.", state=job.state, **links)
    if job.state == jobs.FAILED:
        error = job.error or jobs.JobError("failed", "The upload failed.")
        return error_response(direct.failure_status(error.code), error.code,
                              plain_message(error.code, error.message), state=job.state, **links)
    return json_response({**links, "state": job.state}, 202, Location=links["status_url"])


def _finalized(rt: Runtime, request: Request) -> Response:
    """The bucket's object-finalize notification, pushed by Pub/Sub (topic
    ``<DECKPIPE_TOPIC>-uploads``). It can only trigger what ``complete`` does (check a
    stored deck, queue its job once), so it needs no more trust than ``complete``. 204
    acknowledges; a 503 (storage or Firestore down) makes Pub/Sub deliver it again."""
    message = _json_body(request).get("message")
    message = message if isinstance(message, dict) else {}
    attributes = message.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    if attributes.get("eventType") != "OBJECT_FINALIZE":
        return Response(status=204)
    bucket, name = attributes.get("bucketId"), attributes.get("objectId")
    if not (isinstance(bucket, str) and isinstance(name, str)):
        bucket, name = _object_from_payload(message.get("data"))
    outcome = direct.on_object_finalized(rt, bucket or "", name or "")
    log.info("finalize notification: %s", outcome, extra={"object": name})
    return Response(status=204)


def _object_from_payload(data: object) -> tuple[str | None, str | None]:
    """bucket and name from a JSON_API_V1 payload (the object resource, base64)."""
    try:
        resource = json.loads(base64.b64decode(data)) if isinstance(data, str) else {}
    except (binascii.Error, ValueError):
        return None, None
    if not isinstance(resource, dict):
        return None, None
    return resource.get("bucket"), resource.get("name")


def _json_body(request: Request) -> dict[str, Any]:
    length = request.content_length
    if length is not None and length > JSON_LIMIT:
        raise ApiError(413, "too_large", "The JSON body is too large.")
    raw = request.stream.read(JSON_LIMIT + 1)
    if len(raw) > JSON_LIMIT:
        raise ApiError(413, "too_large", "The JSON body is too large.")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise ApiError(400, "bad_request", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return data


def _path_job_id(path: str, action: str) -> str | None:
    parts = path.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-1] == action and jobs.is_job_id(parts[-2]):
        return parts[-2]
    return None


def _job_links(rt: Runtime, request: Request, job_id: str) -> dict[str, str]:
    base = (rt.settings.upload_url or request.base_url).rstrip("/")
    if not rt.settings.upload_url:  # the request's own address, without any job path
        base = base.split("/" + job_id, 1)[0]
    return {
        "job_id": job_id,
        "status_url": rt.settings.status_url_for(job_id),
        "result_url": rt.settings.result_url_for(job_id),
        "complete_url": f"{base}/{job_id}/complete",
    }


def _incoming_file(rt: Runtime, request: Request) -> tuple[Iterator[bytes], str | None]:
    limit = rt.settings.max_upload_bytes
    mimetype = (request.mimetype or "").lower()
    length = request.content_length
    if mimetype == "multipart/form-data":
        if length is not None and length > limit + MULTIPART_SLACK:
            raise too_large(limit)
        boundary = request.mimetype_params.get("boundary")
        if not boundary:
            raise ApiError(400, "malformed_form", "The multipart form has no boundary.")
        form = MultipartFile(request.stream, boundary)
        if not form.open():
            raise ApiError(400, "no_file", "The form has no file field named 'file'.")
        return form.chunks(), form.filename
    if mimetype in DECK_TYPES:
        if length is not None and length > limit:
            raise too_large(limit)
        return _read_body(request), _raw_filename(request)
    if not mimetype and not length:
        raise ApiError(400, "no_file", "No file was sent: post a .pptx as form field 'file'.")
    raise ApiError(
        415,
        "unsupported_media_type",
        f"Content type {mimetype or '(none)'} is not accepted: send multipart/form-data "
        "with a 'file' field, or the raw deck as "
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.",
    )


def _read_body(request: Request) -> Iterator[bytes]:
    while chunk := request.stream.read(READ_SIZE):
        yield chunk


def _raw_filename(request: Request) -> str | None:
    disposition = request.headers.get("Content-Disposition")
    if disposition:
        _, params = parse_options_header(disposition)
        if params.get("filename"):
            return params["filename"]
    return request.headers.get("X-Filename") or request.args.get("filename")


def _page_file(rt: Runtime, request: Request, name: str) -> Response:
    """One file of the upload page; revalidated on every load so a deploy shows at once."""
    transfer = direct_transfer(rt.blobs)
    if name == "config.json":
        response = json_response(webpage.page_config(rt.settings, direct=transfer is not None))
        response.headers["Cache-Control"] = "no-cache"
        return response
    asset = webpage.ASSETS[name]
    response = Response(asset.body, mimetype=None, content_type=asset.content_type)
    response.set_etag(asset.etag)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if name == "index.html":
        storage = list(transfer.browser_origins) if transfer is not None else []
        response.headers["Content-Security-Policy"] = webpage.content_security_policy(
            webpage.api_origins(rt.settings) + storage
        )
    return response.make_conditional(request)


# --- status -------------------------------------------------------------------------


def status(rt: Runtime, request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight(rt, request, "GET, HEAD")
    return _cors(rt, request, _status(rt, request))


@plain_errors
def _status(rt: Runtime, request: Request) -> Response:
    if (health := _health(rt, request)) is not None:
        return health
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET")
    job_id = _job_id(request)
    job = rt.jobs.get(job_id) if job_id else None
    if job is None:
        return _unknown_job()
    return json_response(describe(rt, job))


# --- result -------------------------------------------------------------------------


def result(rt: Runtime, request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight(rt, request, "GET, HEAD")
    return _cors(rt, request, _result(rt, request))


@plain_errors
def _result(rt: Runtime, request: Request) -> Response:
    if (health := _health(rt, request)) is not None:
        return health
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed("GET")
    job_id = _job_id(request)
    job = rt.jobs.get(job_id) if job_id else None
    if job is None:
        return _unknown_job()
    if job.state == jobs.FAILED:
        error = job.error or jobs.JobError("failed", "The conversion failed.")
        return error_response(409, error.code, plain_message(error.code, error.message),
                              state=job.state, job_id=job_id)
    if job.state != jobs.DONE:
        return error_response(
            409, "not_ready", f"The job is {job.state}; the PDF is not ready yet.",
            state=job.state, job_id=job_id,
        )
    info = rt.blobs.stat(job.result_object)
    if info is None:
        return error_response(410, "result_gone", "The PDF is no longer stored.", job_id=job_id)
    transfer = direct_transfer(rt.blobs)
    if transfer is not None and rt.settings.result_delivery == "redirect":
        return _signed_redirect(rt, request, transfer, job)
    return _pdf_response(rt, request, job.result_object, info.size, info.etag,
                         job.result_filename)


def _signed_redirect(rt: Runtime, request: Request, transfer: Any, job: jobs.Job) -> Response:
    """303 to a short-lived signed GET of the PDF, made now (never stored, never in a
    status answer): the bytes go from the bucket to the client, not through a function
    whose responses Cloud Run caps at 32 MB. ``?inline=1`` asks for inline display."""
    inline = request.args.get("inline", "").lower() in ("1", "true", "yes")
    disposition = content_disposition(job.result_filename, inline=inline)
    url = transfer.download_url(job.result_object, filename=job.result_filename,
                                disposition=disposition,
                                expires=timedelta(seconds=rt.settings.download_url_seconds))
    response = Response(status=303)
    response.headers["Location"] = url
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf_response(
    rt: Runtime, request: Request, name: str, size: int, etag: str, filename: str
) -> Response:
    """The PDF, whole or one byte range (RFC 9110 section 14); HEAD gets GET's headers."""
    start, length, status_code = 0, size, 200
    wanted = byte_range(request.headers.get("Range"), size)
    if wanted is not None and _if_range_holds(request.headers.get("If-Range"), etag):
        if wanted == UNSATISFIABLE:
            response = error_response(416, "range_not_satisfiable",
                                      f"The PDF is {size} bytes long.")
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
        start, stop = wanted
        length, status_code = stop - start, 206
    body = () if request.method == "HEAD" else rt.blobs.read_range(name, start, length)
    response = Response(body, status=status_code, mimetype="application/pdf",
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = content_disposition(filename)
    if status_code == 206:
        response.headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    return response


UNSATISFIABLE = (-1, -1)
_RANGE_SPEC = re.compile(r"^\s*([0-9]*)\s*-\s*([0-9]*)\s*$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one ``(start, stop)`` to serve for a ``Range`` header, per RFC 9110 14.1-14.2.

    ``None`` means "serve the whole file": no header, a unit other than bytes, a
    malformed header (all ignored, as the RFC allows), or several ranges (answered
    whole rather than as multipart/byteranges). ``UNSATISFIABLE`` when no range
    overlaps the file: ``bytes=-0``, a first byte past the end, any range of an
    empty file. A suffix longer than the file is the whole file.
    """
    if not header or "=" not in header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    ranges = []
    for part in spec.split(","):
        if not part.strip():
            continue
        match = _RANGE_SPEC.match(part)
        if match is None or match.groups() == ("", ""):
            return None
        first, last = match.groups()
        if first:
            begin = int(first)
            if last and int(last) < begin:
                return None  # last before first: invalid, so ignored
            end = min(int(last) + 1, size) if last else size
            ranges.append((begin, end) if begin < size else UNSATISFIABLE)
        else:
            suffix = int(last)
            ranges.append((max(0, size - suffix), size) if suffix and size else UNSATISFIABLE)
    satisfiable = [r for r in ranges if r != UNSATISFIABLE]
    if not ranges:
        return None
    if not satisfiable:
        return UNSATISFIABLE
    return satisfiable[0] if len(ranges) == 1 else None


def _if_range_holds(header: str | None, etag: str) -> bool:
    """RFC 9110 13.1.5: only a strong entity tag equal to ours lets the range apply;
    a date (we send no Last-Modified) or a weak or other tag means the whole file."""
    return header is None or header.strip() == f'"{etag}"'


_FALLBACK_CHARS = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2212": "-",
                                 "\u2018": "'", "\u2019": "'", "\u201c": "'", "\u201d": "'",
                                 '"': "'", "\\": "_", "%": "_", ";": "_"})
# RFC 8187 attr-char: what filename*= may carry unencoded.
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment`` (or ``inline``) with the name twice, per RFC 6266: ``filename="..."``
    in plain ASCII for old clients, and ``filename*=UTF-8''...`` (RFC 8187) with the real name.

    The name is cleaned again here (control and bidi characters), so a job stored
    before that cleaning existed is served safely too.
    """
    name = clean_filename(filename)
    kind = "inline" if inline else "attachment"
    return (f'{kind}; filename="{ascii_fallback(name)}"; '
            f"filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}")


def ascii_fallback(name: str) -> str:
    """The closest printable-ASCII name: accents dropped, dashes and quotes made plain,
    anything else ``_``; a name with nothing left becomes ``deck`` plus its extension."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FALLBACK_CHARS))
    chars = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        chars.append(ch if " " <= ch <= "~" else "_")
    ascii_name = "".join(chars)
    stem, dot, ext = ascii_name.rpartition(".")
    if not dot:
        stem, ext = ascii_name, ""
    if not stem.strip("_ ."):
        stem = "deck"
    return f"{stem}.{ext}" if dot else stem


# --- convert ------------------------------------------------------------------------


def convert(rt: Runtime, cloud_event: Any) -> str:
    """Handle one Pub/Sub CloudEvent; raising makes Pub/Sub redeliver it."""
    delivery = worker.delivery_from_event(
        cloud_event.data, cloud_event.get_attributes(), rt.settings.dead_letter_topic
    )
    return worker.handle(rt, delivery)
