"""Blob store on a local data directory: decks and PDFs as plain files.

An object ``inputs/<job>.pptx`` is the file ``<root>/inputs/<job>.pptx``; names
come from job ids, never from a client's file name. A write goes to a temporary
file in ``<root>/.tmp`` (same filesystem) and is published with ``os.link``,
which fails if the target exists: create-only holds even when two processes
race, and a reader never sees half an object. An aborted or crashed upload
leaves only a temporary file, which ``sweep_temporary`` removes later.

Objects are never rewritten, so their etag can come from the inode and size
instead of hashing the whole file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..blobs import BlobExists, BlobInfo, BlobNotFound, BlobStore, BlobUpload
from ..errors import TransientError

READ_CHUNK = 1 << 16
TEMP_DIR = ".tmp"
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def storage_error(exc: OSError, doing: str) -> TransientError:
    """A disk problem (full, read-only, permissions) said plainly; the caller answers 503."""
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the data directory is on a read-only filesystem",
        errno.EACCES: "the data directory is not writable",
        errno.EPERM: "the data directory is not writable",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return TransientError(f"local storage failed while {doing}: {reason}")


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._temp = self.root / TEMP_DIR

    def path(self, name: str) -> Path:
        """The file of object ``name``; refuses names that would leave the root."""
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"invalid object name {name!r}")
        if parts[0] == TEMP_DIR:
            raise ValueError(f"invalid object name {name!r}")
        return self.root.joinpath(*parts)

    def upload(self, name: str, *, content_type: str) -> BlobUpload:
        target = self.path(name)
        try:
            self._temp.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self._temp, prefix="upload-")
        except OSError as exc:
            raise storage_error(exc, f"starting {name}") from exc
        return _LocalUpload(self, name, target, os.fdopen(handle, "wb"), Path(temp))

    def put(self, name: str, data: bytes, *, content_type: str) -> BlobInfo:
        upload = self.upload(name, content_type=content_type)
        try:
            upload.write(data)
            return upload.commit()
        except BaseException:
            upload.abort()
            raise

    def open(self, name: str) -> BinaryIO:
        try:
            return self.path(name).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"object {name} not found") from None
        except OSError as exc:
            raise storage_error(exc, f"opening {name}") from exc

    def download(self, name: str, fileobj: BinaryIO) -> int:
        size = 0
        with self.open(name) as source:
            while chunk := source.read(READ_CHUNK * 16):
                fileobj.write(chunk)
                size += len(chunk)
        return size

    def stat(self, name: str) -> BlobInfo | None:
        try:
            info = self.path(name).stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise storage_error(exc, f"reading {name}") from exc
        return BlobInfo(name, info.st_size, _content_type(name),
                        f"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}",
                        datetime.fromtimestamp(info.st_mtime, UTC))

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Objects whose name starts with ``prefix``, in name order (uploads in progress
        are not objects yet, so ``.tmp`` is never listed)."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        names = []
        try:
            for dirpath, dirnames, filenames in os.walk(self.root / folder):
                dirnames[:] = [d for d in dirnames if d != TEMP_DIR]
                for filename in filenames:
                    name = Path(dirpath, filename).relative_to(self.root).as_posix()
                    if name.startswith(prefix):
                        names.append(name)
        except OSError as exc:
            raise storage_error(exc, f"listing {prefix}") from exc
        for name in sorted(names):
            if (info := self.stat(name)) is not None:  # deleted meanwhile: not listed
                yield info

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        with self.open(name) as source:
            source.seek(start)
            remaining = length
            while remaining > 0:
                chunk = source.read(min(READ_CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def delete(self, name: str) -> None:
        try:
            self.path(name).unlink(missing_ok=True)
        except OSError as exc:
            raise storage_error(exc, f"deleting {name}") from exc

    def sweep_temporary(self, older_than_seconds: float = 3600.0) -> int:
        """Remove temporary files left by uploads that crashed; returns how many."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self._temp):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
        return removed


class _LocalUpload(BlobUpload):
    def __init__(self, store: LocalBlobStore, name: str, target: Path, file: BinaryIO,
                 temp: Path) -> None:
        self._store, self._name, self._target = store, name, target
        self._file, self._temp = file, temp

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as exc:
            raise storage_error(exc, f"writing {self._name}") from exc

    def commit(self) -> BlobInfo:
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._target.parent.mkdir(parents=True, exist_ok=True)
            os.link(self._temp, self._target)  # atomic, and refuses an existing target
        except FileExistsError:
            self.abort()
            raise BlobExists(f"object {self._name} already exists") from None
        except OSError as exc:
            self.abort()
            raise storage_error(exc, f"storing {self._name}") from exc
        self._temp.unlink(missing_ok=True)
        info = self._store.stat(self._name)
        assert info is not None
        return info

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._temp.unlink(missing_ok=True)


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
