"""Firestore backend: job documents, with state changes in transactions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from google.cloud import firestore

from ..jobs import PROCESSING, QUEUED, Job
from ..jobstore import JobStore
from ._google import transient_errors

R = TypeVar("R")

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
        self._retention = timedelta(days=retention_days)
        self._jobs = self._client.collection(collection_prefix + JOBS)
        self._keys = self._client.collection(collection_prefix + IDEMPOTENCY_KEYS)

    def create(self, job: Job, *, idempotency_key: str | None = None) -> Job:
        job_ref = self._jobs.document(job.job_id)
        with transient_errors("Firestore"):
            if idempotency_key is None:
                job_ref.create(_to_doc(job, self._retention))
                return job

            key_ref = self._keys.document(idempotency_key)

            @firestore.transactional
            def create_once(tx: firestore.Transaction) -> Job:
                key = key_ref.get(transaction=tx)
                if key.exists:
                    existing = self._jobs.document(key.get("job_id")).get(transaction=tx)
                    if existing.exists:
                        return Job.from_dict(existing.to_dict())
                tx.set(
                    key_ref,
                    {"job_id": job.job_id, "created_at": job.created_at,
                     EXPIRE_AT: job.created_at + self._retention},
                )
                tx.create(job_ref, _to_doc(job, self._retention))
                return job

            return create_once(self._client.transaction())

    def get(self, job_id: str) -> Job | None:
        with transient_errors("Firestore"):
            snap = self._jobs.document(job_id).get()
        return Job.from_dict(snap.to_dict()) if snap.exists else None

    def transact(self, job_id: str, decide: Callable[[Job | None], tuple[Job | None, R]]) -> R:
        ref = self._jobs.document(job_id)

        @firestore.transactional
        def run(tx: firestore.Transaction) -> R:
            snap = ref.get(transaction=tx)
            current = Job.from_dict(snap.to_dict()) if snap.exists else None
            new, result = decide(current)
            if new is not None:
                tx.set(ref, _to_doc(new, self._retention))
            return result

        with transient_errors("Firestore"):
            return run(self._client.transaction())

    def forget_idempotency_key(self, idempotency_key: str, job_id: str) -> None:
        key_ref = self._keys.document(idempotency_key)

        @firestore.transactional
        def forget(tx: firestore.Transaction) -> None:
            key = key_ref.get(transaction=tx)
            if key.exists and key.get("job_id") == job_id:
                tx.delete(key_ref)

        with transient_errors("Firestore"):
            forget(self._client.transaction())

    def unfinished(self, *, updated_before: datetime, limit: int = 500) -> list[Job]:
        # One equality filter per state needs only Firestore's automatic single-field
        # indexes; unfinished jobs are few, so the age filter runs here.
        found: list[Job] = []
        with transient_errors("Firestore"):
            for state in (QUEUED, PROCESSING):
                query = self._jobs.where(filter=firestore.FieldFilter("state", "==", state))
                for snap in query.limit(limit * 4).stream():
                    job = Job.from_dict(snap.to_dict())
                    if job.updated_at < updated_before:
                        found.append(job)
        found.sort(key=lambda job: job.updated_at)
        return found[:limit]


def _to_doc(job: Job, retention: timedelta) -> dict[str, Any]:
    doc = job.to_dict()
    doc[EXPIRE_AT] = job.created_at + retention
    return doc
