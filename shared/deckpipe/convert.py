"""The worker: turn one queue delivery into at most one finished conversion.

Delivery is at-least-once, so every step is written to be repeated safely:
- the job is claimed by compare-and-set in a transaction, under a lease that
  the worker renews with each progress write;
- a delivery that finds the job finished is acknowledged and does nothing;
- one that finds it held under a live lease asks to be redelivered later
  (``RetryLater``): if the holder dies, its lease lapses and a later delivery
  takes over, so the job is never stranded;
- the PDF is written with a create-only precondition and the job moves to
  ``done`` only for the lease holder, so one transition and one PDF win;
- a bad deck fails the job for good (acknowledged); a transient fault gives
  the job back (``queued``) and raises, so Pub/Sub redelivers; attempts are
  counted on the job, since the emulator's push carries no delivery count.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from . import isolation, jobs, logs
from .blobs import BlobExists, BlobNotFound
from .config import MIB, Settings
from .errors import DeckError, TransientError
from .jobs import Job, JobError
from .runtime import Runtime

log = logs.get_logger(__name__)

COPY_CHUNK = 4 << 20


class RetryLater(TransientError):
    """Not an error in the job: ask the queue to deliver this message again later."""

    code = "retry_later"


class LeaseLost(Exception):
    """Another worker took the job over; this one stops without writing a result."""


@dataclass(frozen=True)
class Delivery:
    job_id: str | None
    published_at: datetime | None = None
    message_id: str | None = None
    dead_letter: bool = False


def delivery_from_event(
    data: Mapping[str, Any] | None, attributes: Mapping[str, Any], dead_letter_topic: str
) -> Delivery:
    """Read a Pub/Sub ``messagePublished`` CloudEvent (its ``data`` and attributes)."""
    message = (data or {}).get("message") or {}
    job_id = (message.get("attributes") or {}).get("job_id")
    raw = message.get("data")
    if raw:
        with contextlib.suppress(binascii.Error, ValueError, AttributeError):
            job_id = json.loads(base64.b64decode(raw)).get("job_id") or job_id
    published = attributes.get("time") or message.get("publishTime")
    source = str(attributes.get("source") or "")
    return Delivery(
        job_id=job_id if isinstance(job_id, str) and jobs.is_job_id(job_id) else None,
        published_at=_parse_time(published),
        message_id=attributes.get("id") or message.get("messageId"),
        dead_letter=source.endswith(f"/topics/{dead_letter_topic}"),
    )


Renderer = Callable[..., Any]


def handle(rt: Runtime, delivery: Delivery, *, render: Renderer | None = None) -> str:
    """Process one delivery; returns what happened. Raises to request redelivery."""
    if delivery.job_id is None:
        log.error(
            "dropping a message with no valid job id", extra={"message_id": delivery.message_id}
        )
        return "malformed"
    with logs.job_context(delivery.job_id):
        try:
            return _handle(rt, delivery, render or _default_renderer())
        except RetryLater as exc:
            log.info("asking for redelivery: %s", exc)
            raise


def _handle(rt: Runtime, delivery: Delivery, render: Renderer) -> str:
    settings = rt.settings
    job_id = delivery.job_id
    assert job_id is not None
    if delivery.dead_letter:
        return _dead_letter(rt, job_id)
    if delivery.published_at is not None:
        age = (jobs.utcnow() - delivery.published_at).total_seconds()
        if age > settings.max_event_age_seconds:
            error = JobError("expired", "The job waited too long in the queue and was dropped.")
            rt.jobs.transact(job_id, lambda j: jobs.fail(j, jobs.utcnow(), error=error))
            log.warning("dropping an event %.0f s old (limit %.0f s)", age,
                        settings.max_event_age_seconds)
            return "expired"

    token = secrets.token_hex(16)
    claim = rt.jobs.transact(
        job_id,
        lambda j: jobs.claim(
            j,
            jobs.utcnow(),
            lease_seconds=settings.lease_seconds,
            max_attempts=settings.max_attempts,
            token=token,
        ),
    )
    if claim.outcome == "missing":
        log.warning("no such job; acknowledging")
        return "missing"
    if claim.outcome == "finished":
        log.info("duplicate delivery of a %s job; nothing to do", claim.job.state)
        return "duplicate"
    if claim.outcome == "held":
        raise RetryLater(
            f"job is held by another worker until {claim.job.lease.expires_at.isoformat()}"
        )
    if claim.outcome == "exhausted":
        log.error("giving up after %d attempts", claim.job.attempts)
        return "exhausted"

    job = claim.job
    log.info("claimed (attempt %d)", job.attempts)
    try:
        return _convert(rt, job, token, render)
    except LeaseLost:
        log.warning("lease lost to another worker; stopping without a result")
        return "lease_lost"
    except DeckError as exc:
        error = JobError(exc.code, exc.message)
        rt.jobs.transact(job_id, lambda j: jobs.fail(j, jobs.utcnow(), error=error, token=token))
        log.warning("deck cannot be converted: %s (%s)", exc.message, exc.code)
        return "failed"
    except BaseException as exc:
        log.error("conversion interrupted; giving the job back for a retry: %r", exc)
        try:
            rt.jobs.transact(job_id, lambda j: jobs.release(j, jobs.utcnow(), token=token))
        except TransientError as release_exc:
            log.error("could not release the job (its lease will lapse): %s", release_exc)
        raise


def _dead_letter(rt: Runtime, job_id: str) -> str:
    """A message Pub/Sub gave up on: fail its job unless it finished or is being rendered.

    A job held under a live lease has a worker that may still finish it, so the
    dead letter asks to be redelivered; once that lease lapses (the worker died)
    the next redelivery fails the job. Either way the job ends.
    """
    error = JobError("delivery_failed", "The conversion kept failing and was given up.")

    def decide(job: Job | None) -> tuple[Job | None, str]:
        now = jobs.utcnow()
        if job is None or job.state in jobs.TERMINAL:
            return None, "finished"
        if job.state == jobs.PROCESSING and job.lease is not None and job.lease.live(now):
            return None, "held"
        failed, _ = jobs.fail(job, now, error=error)
        return failed, "failed"

    outcome = rt.jobs.transact(job_id, decide)
    if outcome == "held":
        raise RetryLater("dead letter for a job still being converted; will look again")
    log.warning("dead-lettered message: job %s", outcome)
    return "dead_letter"


def _convert(rt: Runtime, job: Job, token: str, render: Renderer) -> str:
    started = time.monotonic()
    progress = _ProgressWriter(rt, job.job_id, token)
    with tempfile.TemporaryDirectory(prefix="deckpipe-") as work:
        deck_path, pdf_path = os.path.join(work, "deck.pptx"), os.path.join(work, "out.pdf")
        with open(deck_path, "wb") as deck:
            try:
                rt.blobs.download(job.input_object, deck)
            except BlobNotFound:
                raise DeckError(
                    "The uploaded deck is no longer in storage.", code="input_missing"
                ) from None
        rendered = _render(rt.settings, render, deck_path, pdf_path, progress)
        progress.flush()
        size = os.path.getsize(pdf_path)
        with open(pdf_path, "rb") as pdf:
            _store_result(rt, job.result_object, pdf)
    duration = time.monotonic() - started
    details = rendered.details
    warnings = tuple(w for w in details.get("warnings", ()))
    done = rt.jobs.transact(
        job.job_id,
        lambda j: jobs.complete(
            j,
            jobs.utcnow(),
            token=token,
            pages=rendered.pages,
            result_bytes=size,
            duration_seconds=duration,
            warnings=warnings,
            report=dict(details.get("summary") or {}),
        ),
    )
    if not done:
        raise LeaseLost()
    log.info(
        "done",
        extra={"pages": rendered.pages, "pdf_bytes": size, "duration_s": round(duration, 3)},
    )
    return "done"


def _render(
    settings: Settings, render: Renderer, deck_path: str, pdf_path: str,
    progress: _ProgressWriter,
) -> isolation.Rendered:
    """Render in a forked child under the configured bounds (or inline, to debug)."""
    if settings.render_isolation == "inline":
        with open(deck_path, "rb") as deck, open(pdf_path, "wb") as pdf:
            report = render(deck, pdf, progress=progress)
        return isolation.Rendered(report.pages, report.as_dict())
    limits = isolation.Limits(
        memory_bytes=settings.render_memory_mib * MIB,
        timeout_seconds=settings.render_timeout_seconds,
        slide_timeout_seconds=settings.slide_timeout_seconds,
        heartbeat_seconds=max(1.0, settings.lease_seconds / 4),
    )
    return isolation.render_in_child(
        render, deck_path, pdf_path, progress=progress, heartbeat=progress.renew, limits=limits
    )


def _store_result(rt: Runtime, name: str, pdf: BinaryIO) -> None:
    """Create the PDF object once; an existing one came from an earlier holder of this
    job rendering the same input, and rendering is deterministic, so it is kept."""
    upload = rt.blobs.upload(name, content_type="application/pdf")
    try:
        while chunk := pdf.read(COPY_CHUNK):
            upload.write(chunk)
        upload.commit()
    except BlobExists:
        log.info("result already stored by an earlier attempt; keeping it")
    except BaseException:
        upload.abort()
        raise


class _ProgressWriter:
    """Progress callback: writes at most every ``progress_interval_seconds`` (and the
    last step), each write renewing the lease; a lost lease stops the render."""

    def __init__(self, rt: Runtime, job_id: str, token: str) -> None:
        self._rt, self._job_id, self._token = rt, job_id, token
        self._interval = rt.settings.progress_interval_seconds
        self._last_write = float("-inf")
        self._pending: tuple[int, int] | None = None
        self._last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self._pending = (done, total)
        now = time.monotonic()
        if done == 0 or done >= total or now - self._last_write >= self._interval:
            self.flush()

    def renew(self) -> None:
        """Extend the lease while a slow slide renders, repeating the last progress."""
        if self._pending is None:
            self._pending = self._last
        self.flush()

    def flush(self) -> None:
        if self._pending is None:
            return
        done, total = self._last = self._pending
        self._pending = None
        self._last_write = time.monotonic()
        settings = self._rt.settings
        kept = self._rt.jobs.transact(
            self._job_id,
            lambda j: jobs.heartbeat(
                j, jobs.utcnow(), token=self._token, done=done, total=total,
                lease_seconds=settings.lease_seconds,
            ),
        )
        if not kept:
            raise LeaseLost()


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    # Pub/Sub times carry nanoseconds ("...:05.123456789Z"); Python parses micro.
    text = re.sub(r"(\.\d{6})\d+", r"\1", str(value)).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _default_renderer() -> Renderer:
    from .render import render_deck

    return render_deck


__all__ = ["Delivery", "RetryLater", "delivery_from_event", "handle"]


def warm_up() -> float:
    """Import the renderer and load its core fonts at cold start, so the first
    delivery does not pay for them; returns the seconds it took (logged)."""
    started = time.monotonic()
    from .render import fonts

    fonts.preload()
    elapsed = time.monotonic() - started
    log.info("renderer ready", extra={"warm_up_s": round(elapsed, 3)})
    return elapsed
