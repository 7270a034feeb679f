"""Accept a deck: stream it to storage, check it, create the job, enqueue it.

Order matters for "nothing lost, nothing stuck": the file is stored and
checked first, then the job document is created (``queued``), then the
message is published. If publishing fails the job is marked failed at once
and the client gets a 503, so no job waits in ``queued`` for a message that
was never sent.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from . import jobs, logs
from .errors import DeckError, DeckpipeError, TransientError
from .jobqueue import JobMessage
from .jobs import Job
from .runtime import Runtime
from .sniff import OLE2_MAGIC, OleScanner, check_magic, classify_file

log = logs.get_logger(__name__)

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DECK_TYPES = frozenset(
    {
        PPTX_TYPE,
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
        "application/vnd.openxmlformats-officedocument.presentationml.template",
        "application/vnd.ms-powerpoint.presentation.macroenabled.12",
        "application/vnd.ms-powerpoint.slideshow.macroenabled.12",
        "application/vnd.ms-powerpoint.template.macroenabled.12",
    }
)
MAX_KEY_LENGTH = 255
# Control characters (C0, DEL, C1), line and paragraph separators, and the
# bidirectional overrides, isolates and marks that can make "evil\u202excod.pdf"
# display as "evilfdp.docx"; plus quotes and path separators.
_UNSAFE_NAME = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\"\\\\/]"
)


class ApiError(DeckpipeError):
    """An error with an HTTP status, raised by the request-facing core."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


def too_large(limit: int) -> ApiError:
    return ApiError(
        413, "too_large", f"The file is larger than {_human(limit)}; the limit is {limit} bytes."
    )


@dataclass(frozen=True)
class Accepted:
    job: Job
    created: bool  # False when an Idempotency-Key returned an earlier job


def clean_filename(name: str | None) -> str:
    """Keep the base name, printable and short; a missing name becomes ``deck.pptx``.

    Applied at upload and again wherever a stored name is answered, so a name
    stored before a rule was added is still served clean.
    """
    base = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("", base).strip().strip(".")[:200]
    return base or "deck.pptx"


def idempotency_record_id(key: str | None) -> str | None:
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            400,
            "bad_idempotency_key",
            f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} printable characters.",
        )
    return hashlib.sha256(key.encode()).hexdigest()


def accept(
    rt: Runtime, chunks: Iterable[bytes], *, filename: str | None, idempotency_key: str | None
) -> Accepted:
    """Store, check and enqueue one deck; raises ``ApiError`` for a rejection."""
    key_id = idempotency_record_id(idempotency_key)
    job_id = jobs.new_job_id()
    with logs.job_context(job_id):
        try:
            return _accept(rt, job_id, chunks, filename, key_id)
        except (ApiError, TransientError):
            raise
        except Exception as exc:
            log.warning("upload stopped: %r", exc)  # for the job id; web logs the rest
            raise


def _accept(
    rt: Runtime, job_id: str, chunks: Iterable[bytes], filename: str | None, key_id: str | None
) -> Accepted:
    size, sha256 = _store_checked(rt, chunks, f"inputs/{job_id}.pptx")
    job = jobs.new_job(job_id, clean_filename(filename), input_bytes=size, input_sha256=sha256)
    try:
        stored = rt.jobs.create(job, idempotency_key=key_id)
    except TransientError as exc:
        found = _created_after_all(rt, job)
        if found is None:
            raise
        log.warning("the job store failed but our job was written: %s", exc)
        stored = found
    if stored.job_id != job.job_id:
        delete_quietly(rt, job.input_object)
        if stored.input_sha256 != sha256:
            raise ApiError(
                409,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different file.",
            )
        log.info("idempotent retry: returning job %s", stored.job_id)
        return Accepted(stored, created=False)
    _enqueue(rt, job, key_id)
    log.info("job queued", extra={"bytes": size, "deck": job.filename})
    return Accepted(job, created=True)


def _created_after_all(rt: Runtime, job: Job) -> Job | None:
    """After a create that failed with an outage: did its write land anyway?

    A lost answer looks like a failure, so look once. Our job found: carry on
    with it (no double job on the client's retry). Not found: delete the deck
    (best effort) and let the caller answer 503. Store still unreachable: the job
    may exist, so the deck stays; a deck without a job is swept by the reaper.
    """
    try:
        found = rt.jobs.get(job.job_id)
    except TransientError as exc:
        log.error("job store unreachable; leaving the deck for the sweeper: %s", exc)
        return None
    if found is None:
        delete_quietly(rt, job.input_object)
    return found


def delete_quietly(rt: Runtime, name: str) -> None:
    """Best-effort delete; what an outage leaves behind the reaper's sweep removes."""
    try:
        rt.blobs.delete(name)
    except TransientError as exc:
        log.error("could not delete %s; left for the sweeper: %s", name, exc)


def _store_checked(rt: Runtime, chunks: Iterable[bytes], name: str) -> tuple[int, str]:
    """Stream to storage while counting, hashing and sniffing; return (size, sha256)."""
    limit = rt.settings.max_upload_bytes
    digest = hashlib.sha256()
    size = 0
    head = b""
    ole: OleScanner | None = None
    upload = None
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            digest.update(chunk)
            if upload is None and ole is None:
                head += chunk
                if len(head) < len(OLE2_MAGIC):
                    continue
                chunk = head
                if head.startswith(OLE2_MAGIC):
                    ole = OleScanner()  # never stored: it only has to be classified
                else:
                    raise_for_deck(check_magic, head)
                    upload = rt.blobs.upload(name, content_type=PPTX_TYPE)
            if ole is not None:
                ole.feed(chunk)
            else:
                assert upload is not None
                upload.write(chunk)
        if size == 0:
            raise ApiError(400, "no_file", "The upload is empty: send a .pptx file.")
        if upload is None:
            raise_for_deck(check_magic, head, ole)
        assert upload is not None
        upload.commit()
    except BaseException:
        if upload is not None:
            upload.abort()
        raise
    try:
        with rt.blobs.open(name) as reader:
            raise_for_deck(classify_file, reader)
    except (ApiError, TransientError):
        delete_quietly(rt, name)
        raise
    return size, digest.hexdigest()


def raise_for_deck(check, *args) -> None:
    try:
        check(*args)
    except DeckError as exc:
        raise ApiError(400, exc.code, exc.message) from exc


def _enqueue(rt: Runtime, job: Job, key_id: str | None) -> None:
    try:
        rt.queue.publish(JobMessage(job.job_id))
    except TransientError as exc:
        log.error("publish failed; failing the job so it is not left queued: %s", exc)
        error = jobs.JobError("enqueue_failed", "The job could not be queued; please retry.")
        try:
            rt.jobs.transact(job.job_id, lambda j: jobs.fail(j, jobs.utcnow(), error=error))
            if key_id is not None:
                rt.jobs.forget_idempotency_key(key_id, job.job_id)
            rt.blobs.delete(job.input_object)
        except DeckpipeError as cleanup:
            log.error("could not clean up after the failed publish: %s", cleanup)
        raise ApiError(
            503, "unavailable", "The conversion queue is unavailable; please retry shortly."
        ) from exc


def _human(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"
