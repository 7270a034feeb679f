"""One place that turns ``Settings`` into live backends, once per instance.

Functions call ``load()`` at import time (cold start): configuration errors
and client construction happen before the first request, and every request
reuses the same clients.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from . import logs
from .blobs import BlobStore
from .config import Settings, load_settings
from .jobqueue import JobQueue
from .jobstore import JobStore


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    blobs: BlobStore
    jobs: JobStore
    queue: JobQueue


def build(settings: Settings) -> Runtime:
    if settings.backend == "memory":
        from .backends.memory import MemoryBlobStore, MemoryJobQueue, MemoryJobStore

        return Runtime(settings, MemoryBlobStore(), MemoryJobStore(), MemoryJobQueue())

    from .backends.firestore import FirestoreJobStore
    from .backends.gcs import GcsBlobStore
    from .backends.pubsub import PubSubJobQueue

    return Runtime(
        settings,
        GcsBlobStore(
            settings.bucket, project=settings.project, chunk_size=settings.upload_chunk_bytes
        ),
        FirestoreJobStore(project=settings.project, retention_days=settings.retention_days),
        PubSubJobQueue(settings.project, settings.topic),
    )


@functools.cache
def load() -> Runtime:
    """The instance's runtime; raises ``ConfigError`` on a broken configuration."""
    settings = load_settings()
    logs.configure(settings.log_level)
    return build(settings)
