"""HTTP adapters: Flask request in, core call, JSON or PDF response out.

Each function's ``main.py`` hands its request here; nothing below knows
about Functions Framework, and nothing in the core knows about Flask.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Request, Response, json
from werkzeug.http import parse_options_header

from . import convert as worker
from . import jobs, logs, webpage
from .errors import TransientError
from .multipart import MalformedForm, MultipartFile
from .runtime import Runtime
from .status import describe
from .upload import DECK_TYPES, ApiError, accept, too_large

log = logs.get_logger(__name__)

READ_SIZE = 64 * 1024
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers on top of the file itself


def json_response(body: dict[str, Any], status: int = 200, **headers: str) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    return json_response({"error": {"code": code, "message": message}, **extra}, status)


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
    return _cors(rt, request, _upload(rt, request))


def _upload(rt: Runtime, request: Request) -> Response:
    if (health := _health(rt, request)) is not None:
        return health
    if request.method in ("GET", "HEAD") and (name := webpage.asset_name(request.path)):
        return _page_file(rt, request, name)
    if request.method != "POST":
        return _method_not_allowed("POST")
    try:
        chunks, filename = _incoming_file(rt, request)
        accepted = accept(
            rt, chunks, filename=filename, idempotency_key=request.headers.get("Idempotency-Key")
        )
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except MalformedForm as exc:
        return error_response(400, exc.code, exc.message)
    except TransientError as exc:
        log.error("upload failed on a transient fault: %s", exc)
        return error_response(503, "unavailable", "Storage is unavailable; please retry shortly.")
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
    if name == "config.json":
        response = json_response(webpage.page_config(rt.settings))
        response.headers["Cache-Control"] = "no-cache"
        return response
    asset = webpage.ASSETS[name]
    response = Response(asset.body, mimetype=None, content_type=asset.content_type)
    response.set_etag(asset.etag)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if name == "index.html":
        response.headers["Content-Security-Policy"] = webpage.content_security_policy(
            webpage.api_origins(rt.settings)
        )
    return response.make_conditional(request)


# --- status -------------------------------------------------------------------------


def status(rt: Runtime, request: Request) -> Response:
    if request.method == "OPTIONS":
        return _preflight(rt, request, "GET, HEAD")
    return _cors(rt, request, _status(rt, request))


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
        return error_response(409, error.code, error.message, state=job.state, job_id=job_id)
    if job.state != jobs.DONE:
        return error_response(
            409, "not_ready", f"The job is {job.state}; the PDF is not ready yet.",
            state=job.state, job_id=job_id,
        )
    info = rt.blobs.stat(job.result_object)
    if info is None:
        return error_response(410, "result_gone", "The PDF is no longer stored.", job_id=job_id)
    return _pdf_response(rt, request, job.result_object, info.size, info.etag,
                         job.result_filename)


def _pdf_response(
    rt: Runtime, request: Request, name: str, size: int, etag: str, filename: str
) -> Response:
    start, length, status_code = 0, size, 200
    ranges = request.range
    if ranges is not None and request.if_range.etag in (None, etag) and len(ranges.ranges) == 1:
        bounds = ranges.range_for_length(size)
        if bounds is None:
            response = error_response(416, "range_not_satisfiable",
                                      f"The PDF is {size} bytes long.")
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
        start, stop = bounds
        length, status_code = stop - start, 206
    body = () if request.method == "HEAD" else rt.blobs.read_range(name, start, length)
    response = Response(body, status=status_code, mimetype="application/pdf",
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(length)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    if status_code == 206:
        response.headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    return response


# --- convert ------------------------------------------------------------------------


def convert(rt: Runtime, cloud_event: Any) -> str:
    """Handle one Pub/Sub CloudEvent; raising makes Pub/Sub redeliver it."""
    delivery = worker.delivery_from_event(
        cloud_event.data, cloud_event.get_attributes(), rt.settings.dead_letter_topic
    )
    return worker.handle(rt, delivery)
