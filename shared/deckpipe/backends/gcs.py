"""Cloud Storage backend on the official ``google-cloud-storage`` client.

Every write carries ``if_generation_match=0``: it creates the object or fails,
so no write silently replaces another (fake-gcs-server enforces this too).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import BinaryIO

from google.api_core import exceptions as gexc
from google.cloud import storage

from ..blobs import BlobExists, BlobInfo, BlobNotFound, BlobStore, BlobUpload
from ._google import transient_errors

READ_CHUNK = 1 << 20
PROBE_CHUNK = 256 * 1024


class GcsBlobStore(BlobStore):
    def __init__(
        self,
        bucket: str,
        *,
        project: str | None = None,
        client: storage.Client | None = None,
        chunk_size: int = 8 << 20,
    ) -> None:
        self._client = client or storage.Client(project=project)
        self._bucket = self._client.bucket(bucket)
        self._chunk_size = chunk_size

    def upload(self, name: str, *, content_type: str) -> BlobUpload:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            writer = blob.open(
                "wb",
                chunk_size=self._chunk_size,
                content_type=content_type,
                if_generation_match=0,
                ignore_flush=True,
            )
        return _GcsUpload(self, blob, writer, content_type)

    def put(self, name: str, data: bytes, *, content_type: str) -> BlobInfo:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            try:
                blob.upload_from_string(data, content_type=content_type, if_generation_match=0)
            except gexc.PreconditionFailed:
                raise BlobExists(f"object {name} already exists") from None
        return _info(blob)

    def open(self, name: str) -> BinaryIO:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            try:
                blob.reload()
            except gexc.NotFound:
                raise BlobNotFound(f"object {name} not found") from None
        # Pin the generation so a seekable read never mixes two versions.
        pinned = self._bucket.blob(name, generation=blob.generation)
        return pinned.open("rb", chunk_size=PROBE_CHUNK)  # type: ignore[return-value]

    def download(self, name: str, fileobj: BinaryIO) -> int:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            try:
                blob.download_to_file(fileobj)
            except gexc.NotFound:
                raise BlobNotFound(f"object {name} not found") from None
        return fileobj.tell()

    def stat(self, name: str) -> BlobInfo | None:
        with transient_errors("Cloud Storage"):
            blob = self._bucket.get_blob(name)
        return None if blob is None else _info(blob)

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        blob = self._bucket.blob(name)
        offset, end = start, start + length
        while offset < end:
            stop = min(offset + READ_CHUNK, end)
            with transient_errors("Cloud Storage"):
                try:
                    yield blob.download_as_bytes(start=offset, end=stop - 1, checksum=None)
                except gexc.NotFound:
                    raise BlobNotFound(f"object {name} not found") from None
            offset = stop

    def delete(self, name: str) -> None:
        with transient_errors("Cloud Storage"), contextlib.suppress(gexc.NotFound):
            self._bucket.blob(name).delete()


class _GcsUpload(BlobUpload):
    """A resumable upload: memory stays bounded by one chunk whatever the file size."""

    def __init__(self, store: GcsBlobStore, blob: storage.Blob, writer, content_type: str):
        self._store, self._blob, self._writer = store, blob, writer
        self._content_type = content_type

    def write(self, data: bytes) -> None:
        with transient_errors("Cloud Storage"):
            try:
                self._writer.write(data)
            except gexc.PreconditionFailed:
                raise BlobExists(f"object {self._blob.name} already exists") from None

    def commit(self) -> BlobInfo:
        with transient_errors("Cloud Storage"):
            try:
                self._writer.close()
            except gexc.PreconditionFailed:
                raise BlobExists(f"object {self._blob.name} already exists") from None
            self._blob.reload()
        return _info(self._blob)

    def abort(self) -> None:
        # BlobWriter has no cancel, and closing it (which garbage collection
        # would do anyway) finalises the object; so finish it and delete it.
        with contextlib.suppress(Exception):  # best effort: the upload is thrown away
            self._writer.close()
        self._store.delete(self._blob.name)


def _info(blob: storage.Blob) -> BlobInfo:
    return BlobInfo(
        name=blob.name,
        size=int(blob.size or 0),
        content_type=blob.content_type or "application/octet-stream",
        etag=str(blob.generation or blob.etag or ""),
    )
