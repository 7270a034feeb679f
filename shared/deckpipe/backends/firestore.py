"""Firestore backend: job documents, with state changes in transactions.

Every call is bounded: the client's defaults retry an unreachable Firestore for
a minute, longer than a user waits for an answer, so each call here gives up
after ``RETRY_SECONDS`` and the function answers 503 (``TransientError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.cloud import firestore

from .. import logs
from ..jobs import UNFINISHED, Job
from ..jobstore import JobStore
from ._google import TRANSIENT, transient_errors

R = TypeVar("R")
log = logs.get_logger(__name__)

RETRY_SECONDS = 10.0  # total time one call may spend retrying
TIMEOUT_SECONDS = 5.0  # one attempt (a document read or write takes milliseconds)
RETRY = retries.Retry(
    predicate=retries.if_exception_type(
        gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError,
        gexc.ResourceExhausted,
    ),
    initial=0.2, maximum=5.0, multiplier=2.0, timeout=RETRY_SECONDS,
)
BOUNDS = {"retry": RETRY, "timeout": TIMEOUT_SECONDS}

JOBS = "jobs"
IDEMPOTENCY_KEYS = "idempotency_keys"
# Documents of both collections carry this field for a Firestore TTL policy
# (``deckpipe provision`` sets it), ``retention_days`` after the job's creation.
EXPIRE_AT = "expire_at"


class FirestoreJobStore(JobStore):
    def __init__(
        self,
        *,
        project: str | None = None,
        client: firestore.Client | None = None,
        collection_prefix: str = "",
        retention_days: int = 7,
    ) -> None:
        self._client = client or firestore.Client(project=project)
        _bound_transaction_calls(self._client)
        self._retention = timedelta(days=retention_days)
        self._jobs = self._client.collection(collection_prefix + JOBS)
        self._keys = self._client.collection(collection_prefix + IDEMPOTENCY_KEYS)

    def create(self, job: Job, *, idempotency_key: str | None = None) -> Job:
        job_ref = self._jobs.document(job.job_id)
        with transient_errors("Firestore"):
            if idempotency_key is None:
                try:
                    job_ref.create(_to_doc(job, self._retention), **BOUNDS)
                except gexc.Conflict:
                    # The client retried a create whose answer was lost; the id is fresh,
                    # so a document with our content is our own write.
                    existing = job_ref.get(**BOUNDS)
                    if existing.exists and existing.get("input_sha256") == job.input_sha256:
                        return job
                    raise
                return job

            key_ref = self._keys.document(idempotency_key)

            @firestore.transactional
            def create_once(tx: firestore.Transaction) -> Job:
                key = key_ref.get(transaction=tx, **BOUNDS)
                if key.exists:
                    existing = self._jobs.document(key.get("job_id")).get(transaction=tx,
                                                                           **BOUNDS)
                    if existing.exists:
                        return Job.from_dict(existing.to_dict())
                tx.set(
                    key_ref,
                    {"job_id": job.job_id, "created_at": job.created_at,
                     EXPIRE_AT: job.created_at + self._retention},
                )
                tx.create(job_ref, _to_doc(job, self._retention))
                return job

            with _unmasked():
                return create_once(self._client.transaction())

    def get(self, job_id: str) -> Job | None:
        with transient_errors("Firestore"):
            snap = self._jobs.document(job_id).get(**BOUNDS)
        return Job.from_dict(snap.to_dict()) if snap.exists else None

    def transact(self, job_id: str, decide: Callable[[Job | None], tuple[Job | None, R]]) -> R:
        ref = self._jobs.document(job_id)

        @firestore.transactional
        def run(tx: firestore.Transaction) -> R:
            snap = ref.get(transaction=tx, **BOUNDS)
            current = Job.from_dict(snap.to_dict()) if snap.exists else None
            new, result = decide(current)
            if new is not None:
                tx.set(ref, _to_doc(new, self._retention))
            return result

        with transient_errors("Firestore"), _unmasked():
            return run(self._client.transaction())

    def forget_idempotency_key(self, idempotency_key: str, job_id: str) -> None:
        key_ref = self._keys.document(idempotency_key)

        @firestore.transactional
        def forget(tx: firestore.Transaction) -> None:
            key = key_ref.get(transaction=tx, **BOUNDS)
            if key.exists and key.get("job_id") == job_id:
                tx.delete(key_ref)

        with transient_errors("Firestore"), _unmasked():
            forget(self._client.transaction())

    def unfinished(self, *, updated_before: datetime, limit: int = 500) -> list[Job]:
        # One equality filter per state needs only Firestore's automatic single-field
        # indexes; unfinished jobs are few, so the age filter runs here.
        found: list[Job] = []
        with transient_errors("Firestore"):
            for state in UNFINISHED:
                query = self._jobs.where(filter=firestore.FieldFilter("state", "==", state))
                for snap in query.limit(limit * 4).stream(**BOUNDS):
                    try:
                        job = Job.from_dict(snap.to_dict())
                    except (TypeError, ValueError, KeyError) as exc:  # not one of ours
                        log.error("skipping unreadable job document %s: %r", snap.id, exc)
                        continue
                    if job.updated_at < updated_before:
                        found.append(job)
        found.sort(key=lambda job: job.updated_at)
        return found[:limit]


def _to_doc(job: Job, retention: timedelta) -> dict[str, Any]:
    doc = job.to_dict()
    doc[EXPIRE_AT] = job.created_at + retention
    return doc


@contextmanager
def _unmasked() -> Iterator[None]:
    """A transaction that could not begin still tries to roll back, and that raises
    ``ValueError`` ("no transaction ID") over the outage that stopped it; so does
    one that ran out of attempts. Re-raise the outage so it is seen as one."""
    try:
        yield
    except ValueError as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, TRANSIENT):
            raise cause from exc
        raise


def _bound_transaction_calls(client: firestore.Client) -> None:
    """Give a transaction's own calls (begin, commit, rollback) our bounds.

    Those take no retry or timeout argument: they use the defaults in the
    generated client's method table (a 60-second retry). That table is not a
    public interface, so if it is not where it was, say so and keep the defaults.
    """
    try:
        transport = client._firestore_api._transport
        for method in (transport.begin_transaction, transport.commit, transport.rollback):
            wrapped = transport._wrapped_methods[method]
            if wrapped._retry is not None:
                wrapped._retry = wrapped._retry.with_timeout(RETRY_SECONDS)
            wrapped._timeout = TIMEOUT_SECONDS
    except (AttributeError, KeyError) as exc:
        log.warning("Firestore transaction calls keep the client's 60 s retry: %r", exc)
