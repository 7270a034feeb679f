"""One place that turns ``Settings`` into live backends, once per instance.

Functions call ``load()`` at import time (cold start): configuration errors
and client construction happen before the first request, and every request
reuses the same clients.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

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
    # Seconds each cold-start step took ("settings", "clients"), for the health answer.
    startup: dict[str, float] = field(default_factory=dict, compare=False)


PARTS = ("blobs", "jobs", "queue")


class NotLoaded:
    """Stands in for a backend this function did not ask for at cold start.

    Each function loads only the clients it uses (status needs Firestore alone),
    which keeps its cold start and its deployed dependencies small; touching a
    part it did not load is a programming error, said plainly.
    """

    def __init__(self, part: str) -> None:
        self._part = part

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(
            f"this function did not load {self._part!r} at start-up; "
            f"add it to runtime.load(...) in its main.py"
        )


def build(settings: Settings, uses: tuple[str, ...] = PARTS) -> Runtime:
    """The backends named in ``uses`` for ``settings``; the others are ``NotLoaded``."""
    unknown = set(uses) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown runtime parts {sorted(unknown)}; expected some of {PARTS}")
    if settings.backend == "memory":
        from .backends import memory

        makers = {"blobs": memory.MemoryBlobStore, "jobs": memory.MemoryJobStore,
                  "queue": memory.MemoryJobQueue}
    elif settings.backend == "local":
        makers = _local_makers(settings)
    elif settings.backend == "aws":
        makers = _aws_makers(settings)
    else:
        makers = {
            "blobs": lambda: _gcs(settings),
            "jobs": lambda: _firestore(settings),
            "queue": lambda: _pubsub(settings),
        }
    parts = {part: makers[part]() if part in uses else NotLoaded(part) for part in PARTS}
    return Runtime(settings, **parts)


def _local_makers(settings: Settings) -> dict:
    """Files under ``data_dir/blobs``; jobs and queue in one SQLite database beside them."""
    from pathlib import Path

    from .backends import localfiles, sqlite, sqlite_jobs, sqlite_queue

    root = Path(settings.data_dir)
    db = functools.cache(lambda: sqlite.open_database(root))
    return {
        "blobs": lambda: localfiles.LocalBlobStore(root / "blobs"),
        "jobs": lambda: sqlite_jobs.SqliteJobStore(db()),
        "queue": lambda: sqlite_queue.SqliteJobQueue(db()),
    }


def _aws_makers(settings: Settings) -> dict:
    """S3, DynamoDB and SQS; boto3 is imported only by these backends' modules."""

    def s3() -> BlobStore:
        from .backends.s3 import S3BlobStore

        return S3BlobStore(settings.bucket, region=settings.aws_region,
                           endpoint_url=settings.aws_endpoint_url,
                           part_size=settings.upload_chunk_bytes)

    def dynamodb() -> JobStore:
        from .backends.dynamodb import DynamoJobStore

        return DynamoJobStore(settings.dynamodb_table, region=settings.aws_region,
                              endpoint_url=settings.aws_endpoint_url,
                              retention_days=settings.retention_days)

    def sqs() -> JobQueue:
        from .backends.sqs import SqsJobQueue

        return SqsJobQueue(settings.sqs_queue_url, dead_letter_url=settings.sqs_dead_letter_url,
                           region=settings.aws_region, endpoint_url=settings.aws_endpoint_url)

    return {"blobs": s3, "jobs": dynamodb, "queue": sqs}


def _gcs(settings: Settings) -> BlobStore:
    from .backends.gcs import GcsBlobStore

    return GcsBlobStore(
        settings.bucket, project=settings.project, chunk_size=settings.upload_chunk_bytes
    )


def _firestore(settings: Settings) -> JobStore:
    from .backends.firestore import FirestoreJobStore

    return FirestoreJobStore(project=settings.project, retention_days=settings.retention_days)


def _pubsub(settings: Settings) -> JobQueue:
    from .backends.pubsub import PubSubJobQueue

    return PubSubJobQueue(settings.project, settings.topic)


@functools.cache
def load(*uses: str) -> Runtime:
    """The instance's runtime with the backends it ``uses`` (default: all), built once.

    Raises ``ConfigError`` on a broken configuration.
    """
    began = time.perf_counter()
    settings = load_settings()
    logs.configure(settings.log_level)
    configured = time.perf_counter()
    rt = build(settings, uses or PARTS)
    built = time.perf_counter()
    rt.startup.update(settings=round(configured - began, 4), clients=round(built - configured, 4))
    logs.get_logger(__name__).info("start-up done", extra={"startup_s": dict(rt.startup)})
    return rt
