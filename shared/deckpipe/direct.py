"""Direct uploads: a large deck goes from the client straight to the bucket.

Cloud Run refuses requests over 32 MiB (Lambda over 6 MB), so a function cannot
take a 100 MiB deck in its request. Instead:

1. ``request_upload``: the client announces the file (name, size, type); deckpipe
   checks what it can, creates the job ``awaiting_upload`` and hands back an
   ``UploadTarget`` for ``inputs/<job_id>.pptx`` from the store's ``DirectTransfer``
   (the client never chooses the object name).
2. The client sends the bytes to storage.
3. ``complete``: the client's ``POST upload/<job_id>/complete`` or the bucket's
   finalize notification (the safety net when the client vanishes), in any order
   and any number of times. The stored object is checked exactly as a streamed
   upload is (size, then ``sniff.classify_file``); a bad one fails the job with the
   same codes and is deleted; a good one moves ``awaiting_upload -> queued`` by
   compare-and-set, and only the caller that won publishes the job: queued once.

A job whose upload never arrives is failed with ``upload_expired`` by the reaper
(``jobs.reap``) once its link has expired plus a margin; an object that shows up
after that is deleted by the next signal about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from . import jobs, logs
from .blobs import BlobInfo, UploadTarget, direct_transfer
from .errors import DeckError, TransientError
from .jobqueue import JobMessage
from .jobs import AWAITING_UPLOAD, FAILED, Job, JobError
from .runtime import Runtime
from .sniff import classify_file
from .upload import (
    DECK_TYPES,
    PPTX_TYPE,
    ApiError,
    clean_filename,
    delete_quietly,
    idempotency_record_id,
    too_large,
)

log = logs.get_logger(__name__)

# Names a browser may give a deck whose type it does not know ("" or octet-stream).
DECK_EXTENSIONS = (".pptx", ".pptm", ".ppsx", ".ppsm", ".potx", ".potm")
UNKNOWN_TYPES = ("", "application/octet-stream")
INPUTS = "inputs/"
# Status codes for a completion whose file failed its checks; other deck codes are 400.
FAILURE_STATUS = {"too_large": 413, "upload_expired": 410}


@dataclass(frozen=True)
class Offer:
    """The answer to an upload request: the job, and where to send the deck.

    ``target`` is None when an ``Idempotency-Key`` returned a job that no longer
    waits for its file (it arrived, or its time ran out)."""

    job: Job
    target: UploadTarget | None
    created: bool


def offered(rt: Runtime) -> bool:
    """Whether this deployment offers direct uploads (its store has a bucket)."""
    return direct_transfer(rt.blobs) is not None


def request_upload(
    rt: Runtime,
    *,
    filename: object,
    size: object,
    content_type: object,
    origin: str | None,
    idempotency_key: str | None,
) -> Offer:
    """Check an announced deck, create its job ``awaiting_upload``, and say where to send it.

    Raises ``ApiError`` for a refusal (the same codes as a streamed upload) and
    ``TransientError`` when storage or the job store is down.
    """
    transfer = direct_transfer(rt.blobs)
    if transfer is None:
        raise ApiError(400, "direct_upload_unavailable",
                       "This service takes the deck in the upload request itself: post the "
                       "file as form field 'file'.")
    name = clean_filename(filename if isinstance(filename, str) else None)
    announced = _announced_size(size, rt.settings.max_upload_bytes)
    object_type = _deck_type(content_type, name)
    key_id = idempotency_record_id(idempotency_key)
    lifetime = timedelta(seconds=rt.settings.upload_url_seconds)
    now = jobs.utcnow()
    job = jobs.new_awaiting_job(jobs.new_job_id(), name, announced_bytes=announced,
                                upload_expires_at=now + lifetime)
    with logs.job_context(job.job_id):
        stored = rt.jobs.create(job, idempotency_key=key_id)
        if stored.job_id != job.job_id:
            return _replay(rt, stored, name, announced, object_type, origin)
        target = transfer.upload_target(job.input_object, content_type=object_type,
                                        size=announced, origin=origin, expires=lifetime)
        log.info("job awaiting its direct upload", extra={"bytes": announced, "deck": name})
    return Offer(job, target, created=True)


def _replay(rt: Runtime, stored: Job, name: str, announced: int, object_type: str,
            origin: str | None) -> Offer:
    """An ``Idempotency-Key`` seen before: the same announcement gets the same job (and, while
    it still waits, a fresh link to the same object); another file is a conflict."""
    if stored.input_sha256 or stored.filename != name or (
        stored.upload_expires_at is not None and stored.state == AWAITING_UPLOAD
        and stored.input_bytes != announced
    ):
        raise ApiError(409, "idempotency_key_reused",
                       "This Idempotency-Key was already used for a different file.")
    remaining = None
    if stored.state == AWAITING_UPLOAD and stored.upload_expires_at is not None:
        remaining = stored.upload_expires_at - jobs.utcnow()
    target = None
    if remaining is not None and remaining.total_seconds() > 0:
        transfer = direct_transfer(rt.blobs)
        assert transfer is not None
        target = transfer.upload_target(stored.input_object, content_type=object_type,
                                        size=announced, origin=origin, expires=remaining)
    log.info("idempotent retry: returning job %s", stored.job_id)
    return Offer(stored, target, created=False)


def _announced_size(size: object, limit: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ApiError(400, "bad_request",
                       "Give the file's size in bytes as a whole number ('size').")
    if size == 0:
        raise ApiError(400, "no_file", "The file is empty: send a .pptx file.")
    if size > limit:
        raise too_large(limit)
    return size


def _deck_type(content_type: object, name: str) -> str:
    """The object's content type: the announced deck type, or PPTX for a deck-named file
    whose type the browser does not know. The bytes are checked after they arrive."""
    announced = content_type.strip().lower() if isinstance(content_type, str) else ""
    if announced in DECK_TYPES:
        return announced
    if announced in UNKNOWN_TYPES and name.lower().endswith(DECK_EXTENSIONS):
        return PPTX_TYPE
    raise ApiError(415, "unsupported_media_type",
                   f"Content type {announced or '(none)'} is not accepted: announce a .pptx "
                   f"deck ({PPTX_TYPE}).")


def complete(rt: Runtime, job_id: str) -> Job | None:
    """Check a direct upload's stored file and queue its job once; safe to repeat.

    Returns the job as it now stands (None: no such job). A job no longer
    ``awaiting_upload`` is returned untouched, so a duplicate or late signal does
    nothing, except that a file arriving for a job whose upload expired is deleted.
    A job still awaiting with no file stored yet is returned ``awaiting_upload``.
    """
    job = rt.jobs.get(job_id)
    if job is None:
        return None
    with logs.job_context(job_id):
        if job.state != AWAITING_UPLOAD:
            if job.state == FAILED and job.error and job.error.code == "upload_expired":
                delete_quietly(rt, job.input_object)  # came too late: its job is over
            return job
        info = rt.blobs.stat(job.input_object)
        now = jobs.utcnow()
        if info is None:
            if jobs.upload_overdue(job, now):  # the reaper has not come by yet
                return _reject(rt, job, _expired())
            return job
        error = _arrived_late(job, info) or _check(rt, job, info)
        if error is not None:
            return _reject(rt, job, error)
        queued = rt.jobs.transact(job_id, lambda j: jobs.upload_arrived(j, jobs.utcnow(),
                                                                          size=info.size))
        if queued:
            _publish(rt, job_id)
            log.info("direct upload checked and queued", extra={"bytes": info.size})
        return rt.jobs.get(job_id)


def on_object_finalized(rt: Runtime, bucket: str, name: str) -> str:
    """The bucket's finalize notification for ``name``: complete its job if it is a
    direct upload. Returns what happened, for the log; raises ``TransientError`` so
    the notification is delivered again."""
    if bucket != rt.settings.bucket or not name.startswith(INPUTS):
        return "ignored"
    job_id = name[len(INPUTS):].split(".", 1)[0]
    if not jobs.is_job_id(job_id) or name != f"{INPUTS}{job_id}.pptx":
        return "ignored"
    job = complete(rt, job_id)
    # No job: a streamed upload stores its deck before creating its job; it is not ours.
    return "no_job" if job is None else job.state


def failure_status(code: str) -> int:
    """The HTTP status a failed completion answers with."""
    return FAILURE_STATUS.get(code, 400)


def _expired() -> JobError:
    return JobError("upload_expired", "The file did not arrive before its upload link "
                                      "expired; please upload the deck again.")


def _arrived_late(job: Job, info: BlobInfo) -> JobError | None:
    """Storage enforces a link's expiry in the cloud; the time the object was created is
    checked here too, so an emulator (or a link that outlives its job) cannot slip a file in."""
    if info.created_at is None or job.upload_expires_at is None:
        return None
    if info.created_at > job.upload_expires_at + jobs.UPLOAD_EXPIRY_MARGIN:
        return _expired()
    return None


def _check(rt: Runtime, job: Job, info: BlobInfo) -> JobError | None:
    """The streamed upload's checks, on the stored object: size, then its bytes."""
    limit = rt.settings.max_upload_bytes
    if info.size > limit:
        return JobError("too_large", too_large(limit).message)
    if info.size > job.input_bytes:
        return JobError("too_large", f"The file is larger than the {job.input_bytes} bytes "
                                     "announced for it.")
    if info.size < job.input_bytes:
        return JobError("upload_incomplete", f"Only {info.size} of the {job.input_bytes} "
                                             "bytes arrived; please upload the deck again.")
    try:
        with rt.blobs.open(job.input_object) as reader:
            classify_file(reader)
    except DeckError as exc:
        return JobError(exc.code, exc.message)
    return None


def _reject(rt: Runtime, job: Job, error: JobError) -> Job | None:
    rt.jobs.transact(job.job_id, lambda j: jobs.upload_rejected(j, jobs.utcnow(), error=error))
    now = rt.jobs.get(job.job_id)
    if now is not None and now.state == FAILED:
        delete_quietly(rt, job.input_object)
        log.warning("direct upload refused: %s", error.code)
    return now


def _publish(rt: Runtime, job_id: str) -> None:
    """Publish the job; if the queue is down it stays ``queued`` and the reaper publishes
    it again (the client's bytes are stored: failing the job would waste them)."""
    try:
        rt.queue.publish(JobMessage(job_id))
    except TransientError as exc:
        log.error("publish failed; the reaper will publish the queued job again: %s", exc)
