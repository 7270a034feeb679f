"""The job record and the rules for moving it between states.

A job is a small document: its state machine is

    awaiting_upload -> queued                 (the direct upload arrived and passed the checks)
                   \\-> failed                 (a bad file, or none before the deadline)
    queued -> processing -> done
                        \\-> failed
    processing (lease expired) -> processing (taken over by the next delivery)
    processing (lease expired) -> queued      (the reaper, when no delivery comes)
    queued (untouched too long) -> queued     (the reaper publishes it again)
    anything unfinished, too old -> failed    (the reaper: every job ends)

The transitions are pure functions of (job, now); a ``JobStore`` runs them
inside its own transaction, so the same rules hold on Firestore, on the
in-memory store and on any later backend.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

AWAITING_UPLOAD = "awaiting_upload"  # created; the client sends the deck to storage itself
QUEUED = "queued"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
STATES = (AWAITING_UPLOAD, QUEUED, PROCESSING, DONE, FAILED)
TERMINAL = (DONE, FAILED)
UNFINISHED = (AWAITING_UPLOAD, QUEUED, PROCESSING)  # what the reaper looks at
# After a direct upload's URL has expired, how long the job still waits for the bytes
# (a last chunk sent just before the deadline, a late finalize notification) before the
# reaper fails it with ``upload_expired``.
UPLOAD_EXPIRY_MARGIN = timedelta(minutes=2)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    """32 hex digits: 128 bits from the OS's CSPRNG, so ids cannot be guessed."""
    return secrets.token_hex(16)


def is_job_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


@dataclass(frozen=True)
class JobError:
    code: str
    message: str


@dataclass(frozen=True)
class Lease:
    """Who is converting the job and until when; a lapsed lease may be taken over."""

    token: str
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.expires_at > now


@dataclass(frozen=True)
class Job:
    job_id: str
    state: str
    filename: str
    input_object: str
    result_object: str
    created_at: datetime
    updated_at: datetime
    input_bytes: int = 0
    input_sha256: str = ""
    progress_done: int = 0
    progress_total: int = 0
    attempts: int = 0
    requeues: int = 0  # times the reaper had to publish this job again
    lease: Lease | None = None
    error: JobError | None = None
    pages: int | None = None
    result_bytes: int | None = None
    duration_seconds: float | None = None
    warnings: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    report: dict[str, Any] = field(default_factory=dict)  # the render report's summary
    # A direct upload: when its upload URL stops working (None for a streamed upload).
    upload_expires_at: datetime | None = None

    def replace(self, **changes: Any) -> Job:
        return dataclasses.replace(self, **changes)

    @property
    def result_filename(self) -> str:
        stem = self.filename.rsplit(".", 1)[0] if "." in self.filename else self.filename
        return f"{stem or 'deck'}.pdf"

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for storage; datetimes stay datetimes (Firestore stores them natively)."""
        data = dataclasses.asdict(self)
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        data = dict(data)
        lease = data.get("lease")
        data["lease"] = Lease(**lease) if lease else None
        error = data.get("error")
        data["error"] = JobError(**error) if error else None
        data["warnings"] = tuple(data.get("warnings") or ())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def new_job(job_id: str, filename: str, *, input_bytes: int, input_sha256: str) -> Job:
    now = utcnow()
    return Job(
        job_id=job_id,
        state=QUEUED,
        filename=filename,
        input_object=f"inputs/{job_id}.pptx",
        result_object=f"results/{job_id}.pdf",
        created_at=now,
        updated_at=now,
        input_bytes=input_bytes,
        input_sha256=input_sha256,
    )


def new_awaiting_job(
    job_id: str, filename: str, *, announced_bytes: int, upload_expires_at: datetime
) -> Job:
    """A job whose deck the client sends straight to storage; ``input_bytes`` holds the
    announced size until the object is checked."""
    job = new_job(job_id, filename, input_bytes=announced_bytes, input_sha256="")
    return job.replace(state=AWAITING_UPLOAD, upload_expires_at=upload_expires_at)


# --- transitions: pure functions used inside JobStore.transact -------------------


def upload_arrived(job: Job | None, now: datetime, *, size: int) -> tuple[Job | None, bool]:
    """Compare-and-set ``awaiting_upload -> queued``: of a ``complete`` call repeated and a
    finalize notification, exactly one wins and publishes the job."""
    if job is None or job.state != AWAITING_UPLOAD:
        return None, False
    return job.replace(state=QUEUED, input_bytes=size, updated_at=now), True


def upload_rejected(
    job: Job | None, now: datetime, *, error: JobError
) -> tuple[Job | None, bool]:
    """``awaiting_upload -> failed``: the stored file failed a check, or came too late."""
    if job is None or job.state != AWAITING_UPLOAD:
        return None, False
    return job.replace(state=FAILED, error=error, updated_at=now), True


def upload_overdue(job: Job, now: datetime) -> bool:
    """True once a direct upload can no longer arrive in time (its URL expired, plus
    the margin); a job without a deadline (a streamed upload) is never overdue."""
    return (job.state == AWAITING_UPLOAD and job.upload_expires_at is not None
            and now > job.upload_expires_at + UPLOAD_EXPIRY_MARGIN)


@dataclass(frozen=True)
class Claim:
    """What a delivery found when it tried to take a job."""

    outcome: str  # "claimed" | "missing" | "finished" | "held" | "exhausted"
    job: Job | None
    token: str | None = None


def claim(
    job: Job | None, now: datetime, *, lease_seconds: float, max_attempts: int, token: str
) -> tuple[Job | None, Claim]:
    """Compare-and-set ``queued -> processing`` (or take over a lapsed lease)."""
    if job is None:
        return None, Claim("missing", None)
    if job.state == AWAITING_UPLOAD:  # no deck yet: nothing to convert (a stray message)
        return None, Claim("missing", job)
    if job.state in TERMINAL:
        return None, Claim("finished", job)
    if job.state == PROCESSING and job.lease is not None and job.lease.live(now):
        return None, Claim("held", job)
    if job.attempts >= max_attempts:
        failed = job.replace(
            state=FAILED,
            lease=None,
            updated_at=now,
            error=JobError(
                "too_many_attempts",
                f"The conversion did not finish after {job.attempts} attempts.",
            ),
        )
        return failed, Claim("exhausted", failed)
    claimed = job.replace(
        state=PROCESSING,
        attempts=job.attempts + 1,
        lease=Lease(token, now + timedelta(seconds=lease_seconds)),
        progress_done=0,
        updated_at=now,
    )
    return claimed, Claim("claimed", claimed, token)


def _holds(job: Job | None, token: str) -> bool:
    return (
        job is not None
        and job.state == PROCESSING
        and job.lease is not None
        and job.lease.token == token
    )


def heartbeat(
    job: Job | None, now: datetime, *, token: str, done: int, total: int, lease_seconds: float
) -> tuple[Job | None, bool]:
    """Record progress and extend the lease; False means the lease was lost."""
    if not _holds(job, token):
        return None, False
    assert job is not None
    return (
        job.replace(
            progress_done=done,
            progress_total=total,
            lease=Lease(token, now + timedelta(seconds=lease_seconds)),
            updated_at=now,
        ),
        True,
    )


def complete(
    job: Job | None,
    now: datetime,
    *,
    token: str,
    pages: int,
    result_bytes: int,
    duration_seconds: float,
    warnings: tuple[dict[str, Any], ...],
    report: dict[str, Any] | None = None,
) -> tuple[Job | None, bool]:
    """``processing -> done``, only for the lease holder: exactly one transition wins."""
    if not _holds(job, token):
        return None, False
    assert job is not None
    return (
        job.replace(
            state=DONE,
            lease=None,
            updated_at=now,
            progress_done=job.progress_total,
            pages=pages,
            result_bytes=result_bytes,
            duration_seconds=round(duration_seconds, 3),
            warnings=warnings,
            report=dict(report or {}),
            error=None,
        ),
        True,
    )


def fail(
    job: Job | None, now: datetime, *, error: JobError, token: str | None = None
) -> tuple[Job | None, bool]:
    """End the job as failed: the holder's verdict, or (no token) any non-terminal
    job not held under a live lease (expired events, dead letters, enqueue failures)."""
    if job is None or job.state in TERMINAL:
        return None, False
    if token is not None and not _holds(job, token):
        return None, False
    if token is None and job.state == PROCESSING and job.lease and job.lease.live(now):
        return None, False
    return job.replace(state=FAILED, lease=None, error=error, updated_at=now), True


def release(job: Job | None, now: datetime, *, token: str) -> tuple[Job | None, bool]:
    """Give the job back after a transient fault so the redelivery can claim it at once."""
    if not _holds(job, token):
        return None, False
    assert job is not None
    return job.replace(state=QUEUED, lease=None, updated_at=now), True


@dataclass(frozen=True)
class ReapPolicy:
    """When the reaper steps in; every bound comes from the settings."""

    max_attempts: int
    requeue_after_seconds: float
    max_requeues: int
    max_job_seconds: float


def reap(job: Job | None, now: datetime, *, policy: ReapPolicy) -> tuple[Job | None, str | None]:
    """Decide what the reaper does with a job nobody has touched for a while.

    Returns ``(new_job, action)``, action ``"requeue"`` (publish it again),
    ``"fail"`` or ``None``. A job held under a live lease is left alone: its
    holder is alive (it renews the lease as it renders). Everything else is
    moved towards an end, so no job waits forever for a message or a worker
    that is gone.
    """
    if job is None or job.state in TERMINAL:
        return None, None
    if job.state == AWAITING_UPLOAD:  # nothing to publish: the client sends the deck
        if not upload_overdue(job, now):
            return None, None
        error = JobError("upload_expired", "The file did not arrive before its upload link "
                                           "expired; please upload the deck again.")
        return job.replace(state=FAILED, error=error, updated_at=now), "fail"
    if job.state == PROCESSING and job.lease is not None and job.lease.live(now):
        return None, None
    if (now - job.created_at).total_seconds() > policy.max_job_seconds:
        error = JobError("expired", "The job did not finish in time and was given up.")
        return job.replace(state=FAILED, lease=None, error=error, updated_at=now), "fail"
    if job.state == PROCESSING:  # its worker died: the lease lapsed without a result
        if job.attempts >= policy.max_attempts:
            error = JobError(
                "too_many_attempts",
                f"The conversion did not finish after {job.attempts} attempts.",
            )
            return job.replace(state=FAILED, lease=None, error=error, updated_at=now), "fail"
    elif (now - job.updated_at).total_seconds() < policy.requeue_after_seconds:
        return None, None  # queued, and its message may still be on its way
    if job.requeues >= policy.max_requeues:
        error = JobError(
            "stranded", "No worker could take the job; please upload the deck again."
        )
        return job.replace(state=FAILED, lease=None, error=error, updated_at=now), "fail"
    requeued = job.replace(state=QUEUED, lease=None, requeues=job.requeues + 1, updated_at=now)
    return requeued, "requeue"
