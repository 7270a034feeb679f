"""Blob storage interface: where decks and PDFs live.

Objects are written once and never overwritten: ``put`` and a committed
``BlobUpload`` refuse to replace an existing object (a generation-0
precondition on Cloud Storage), so two workers can never silently clobber
each other's output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
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
