"""In-memory backends: one process, no network; the fast path for unit tests."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, TypeVar
from urllib.parse import quote

from ..blobs import (
    BlobExists,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobUpload,
    DirectTransfer,
    UploadTarget,
)
from ..errors import TransientError
from ..jobqueue import JobMessage, JobQueue
from ..jobs import UNFINISHED, Job
from ..jobstore import JobStore

R = TypeVar("R")


class MemoryBlobStore(BlobStore):
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.created: dict[str, datetime] = {}  # a test may age an object by editing this
        self._lock = threading.Lock()

    def _info(self, name: str, data: bytes, content_type: str) -> BlobInfo:
        return BlobInfo(name, len(data), content_type, hashlib.md5(data).hexdigest(),
                        self.created.get(name))

    def upload(self, name: str, *, content_type: str) -> BlobUpload:
        return _MemoryUpload(self, name, content_type)

    def put(self, name: str, data: bytes, *, content_type: str) -> BlobInfo:
        with self._lock:
            if name in self.objects:
                raise BlobExists(f"object {name} already exists")
            self.objects[name] = (bytes(data), content_type)
            self.created[name] = datetime.now(UTC)
        return self._info(name, data, content_type)

    def _get(self, name: str) -> tuple[bytes, str]:
        try:
            return self.objects[name]
        except KeyError:
            raise BlobNotFound(f"object {name} not found") from None

    def open(self, name: str) -> BinaryIO:
        return io.BytesIO(self._get(name)[0])

    def download(self, name: str, fileobj: BinaryIO) -> int:
        data = self._get(name)[0]
        fileobj.write(data)
        return len(data)

    def stat(self, name: str) -> BlobInfo | None:
        if name not in self.objects:
            return None
        data, content_type = self.objects[name]
        return self._info(name, data, content_type)

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        data = self._get(name)[0]
        for offset in range(start, start + length, 1 << 16):
            yield data[offset : min(offset + (1 << 16), start + length)]

    def delete(self, name: str) -> None:
        self.objects.pop(name, None)
        self.created.pop(name, None)

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        with self._lock:
            found = sorted((name, data) for name, data in self.objects.items()
                           if name.startswith(prefix))
        for name, (data, content_type) in found:
            yield self._info(name, data, content_type)


class MemoryDirectBlobStore(MemoryBlobStore, DirectTransfer):
    """A memory store that offers direct transfer, for unit tests of that flow: its links
    are placeholders (``memory://``) that record what was asked; a test plays the
    client by putting the object itself."""

    ORIGIN = "memory://storage"

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[tuple[str, str, int, str | None, timedelta]] = []

    def upload_target(
        self, name: str, *, content_type: str, size: int, origin: str | None, expires: timedelta
    ) -> UploadTarget:
        self.targets.append((name, content_type, size, origin, expires))
        return UploadTarget(url=f"{self.ORIGIN}/upload/{quote(name)}", protocol="memory",
                            method="PUT", expires_at=datetime.now(UTC) + expires)

    def download_url(
        self, name: str, *, filename: str, disposition: str, expires: timedelta
    ) -> str:
        seconds = int(expires.total_seconds())
        return (f"{self.ORIGIN}/{quote(name)}?expires={seconds}"
                f"&response-content-disposition={quote(disposition, safe='')}")

    @property
    def browser_origins(self) -> tuple[str, ...]:
        return (self.ORIGIN,)


class _MemoryUpload(BlobUpload):
    def __init__(self, store: MemoryBlobStore, name: str, content_type: str) -> None:
        self._store, self._name, self._content_type = store, name, content_type
        self._buffer = io.BytesIO()

    def write(self, data: bytes) -> None:
        self._buffer.write(data)

    def commit(self) -> BlobInfo:
        return self._store.put(self._name, self._buffer.getvalue(), content_type=self._content_type)

    def abort(self) -> None:
        self._buffer = io.BytesIO()


class MemoryJobStore(JobStore):
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.keys: dict[str, str] = {}
        self._lock = threading.RLock()

    def create(self, job: Job, *, idempotency_key: str | None = None) -> Job:
        with self._lock:
            if idempotency_key is not None:
                existing = self.keys.get(idempotency_key)
                if existing is not None and existing in self.jobs:
                    return self.jobs[existing]
                self.keys[idempotency_key] = job.job_id
            if job.job_id in self.jobs:
                raise ValueError(f"job {job.job_id} already exists")
            self.jobs[job.job_id] = job
            return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def transact(self, job_id: str, decide: Callable[[Job | None], tuple[Job | None, R]]) -> R:
        with self._lock:
            new, result = decide(self.jobs.get(job_id))
            if new is not None:
                self.jobs[job_id] = new
            return result

    def forget_idempotency_key(self, idempotency_key: str, job_id: str) -> None:
        with self._lock:
            if self.keys.get(idempotency_key) == job_id:
                del self.keys[idempotency_key]

    def unfinished(self, *, updated_before: datetime, limit: int = 500) -> list[Job]:
        with self._lock:
            found = [job for job in self.jobs.values()
                     if job.state in UNFINISHED and job.updated_at < updated_before]
        return sorted(found, key=lambda job: job.updated_at)[:limit]


class MemoryJobQueue(JobQueue):
    """Keeps published messages in a list; ``fail_next`` simulates an outage."""

    def __init__(self) -> None:
        self.messages: list[JobMessage] = []
        self.fail_next = 0

    def publish(self, message: JobMessage) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("queue unavailable (simulated)")
        self.messages.append(message)
        return str(len(self.messages))
