"""Blob storage interface: where decks and PDFs live.

Objects are written once and never overwritten: ``put`` and a committed
``BlobUpload`` refuse to replace an existing object (a generation-0
precondition on Cloud Storage), so two workers can never silently clobber
each other's output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import BinaryIO

from .errors import DeckpipeError


class BlobNotFound(DeckpipeError):
    code = "not_found"


class BlobExists(DeckpipeError):
    code = "exists"


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    content_type: str
    etag: str
    # When the object was created (timezone-aware UTC), where the backend knows it:
    # the reaper's sweep removes decks older than an hour that have no job.
    created_at: datetime | None = None


class BlobUpload(ABC):
    """A streamed upload: nothing is visible until ``commit``; ``abort`` leaves no object."""

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> BlobInfo: ...

    @abstractmethod
    def abort(self) -> None: ...


class BlobStore(ABC):
    @abstractmethod
    def upload(self, name: str, *, content_type: str) -> BlobUpload:
        """Start a streamed upload of a new object (memory use bounded by one chunk)."""

    @abstractmethod
    def put(self, name: str, data: bytes, *, content_type: str) -> BlobInfo:
        """Create ``name`` with ``data``; ``BlobExists`` if it is already there."""

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """A seekable reader that fetches only what is read; ``BlobNotFound`` if absent."""

    @abstractmethod
    def download(self, name: str, fileobj: BinaryIO) -> int:
        """Copy the whole object into ``fileobj``; returns its size."""

    @abstractmethod
    def stat(self, name: str) -> BlobInfo | None: ...

    @abstractmethod
    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        """Stream ``length`` bytes from ``start`` in bounded chunks."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove ``name``; a missing object is not an error."""

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Every object whose name starts with ``prefix``, with its ``created_at``.

        The reaper's sweep lists ``inputs/`` to find decks that no job refers to
        (an upload that stored its deck and then lost the job store). Not abstract
        so a backend written before it still loads; every backend should have it.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot list objects yet")


# --- direct transfer: the client and storage exchange the bytes themselves ------------


@dataclass(frozen=True)
class UploadTarget:
    """Where and how a client sends one deck straight to storage.

    ``protocol`` tells the client how to talk to ``url``:

    - ``"gcs-resumable"``: a Cloud Storage resumable upload session. ``PUT`` the bytes
      (whole, or in chunks with ``Content-Range: bytes FIRST-LAST/SIZE``; a chunk other
      than the last a multiple of 256 KiB); after a network cut ``PUT`` an empty body with
      ``Content-Range: bytes */SIZE`` and carry on after the ``Range`` of the 308 answer.
    - ``"s3-post"``: an S3 presigned POST: a multipart form with ``fields`` and then the
      file, to ``url`` (the AWS backend's).

    ``headers`` must be sent with every request to ``url``.
    """

    url: str
    protocol: str
    method: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "protocol": self.protocol,
            "method": self.method,
            "headers": dict(self.headers),
            "fields": dict(self.fields),
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
        }


class DirectTransfer(ABC):
    """What a ``BlobStore`` with a bucket offers so large files bypass the functions.

    Cloud Run refuses requests over 32 MiB and Lambda payloads over 6 MB, so large
    decks go from the client to the bucket, and PDFs from the bucket to the client,
    under short-lived capabilities that name one object and one method. Stores
    without a bucket (local files, memory) do not implement it, and deckpipe streams
    through its own process there.
    """

    @abstractmethod
    def upload_target(
        self, name: str, *, content_type: str, size: int, origin: str | None, expires: timedelta
    ) -> UploadTarget:
        """Let a client create ``name`` (and nothing else) with exactly ``size`` bytes of
        ``content_type`` until ``expires`` from now; never overwriting an object.
        ``origin`` is the browser page's origin (CORS), or None for other clients."""

    @abstractmethod
    def download_url(
        self, name: str, *, filename: str, disposition: str, expires: timedelta
    ) -> str:
        """A URL that reads ``name`` (GET only) until ``expires`` from now, answered with
        ``Content-Disposition: disposition`` (the RFC 6266 value naming ``filename``)."""

    @property
    @abstractmethod
    def browser_origins(self) -> tuple[str, ...]:
        """Origins a browser page connects to for these transfers (its CSP's connect-src)."""


def direct_transfer(blobs: BlobStore) -> DirectTransfer | None:
    """The store's direct transfer capability, or None where it streams through deckpipe."""
    return blobs if isinstance(blobs, DirectTransfer) else None
