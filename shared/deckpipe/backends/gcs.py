"""Cloud Storage backend on the official ``google-cloud-storage`` client.

Every write carries ``if_generation_match=0``: it creates the object or fails,
so no write silently replaces another (fake-gcs-server enforces this too).

Every call carries an explicit retry deadline and per-request timeout. The
client's defaults retry for two minutes, longer than a user waits for an
answer: a function must say "unavailable, retry" (503) in bounded time instead.

The client retries a create-only write whose answer was lost; the retry then
finds the object it had in fact created and fails its precondition. Such a
write is recognised as our own (same size and MD5 as what we sent) and succeeds,
so an upload never leaves a stored deck behind a reported failure.

Direct transfer (``blobs.DirectTransfer``): an upload target is a resumable upload
session the function opens itself (JSON API, with the page's ``Origin``, the
announced size and a create-only precondition); a download is a V4 signed GET.
Signing uses the runtime's credentials: a key file's key where there is one, and
on Cloud Run the runtime service account through IAM signBlob (it needs
``roles/iam.serviceAccountTokenCreator`` on itself). The emulator has no key and
checks no signature, so there the store signs with a throwaway key of its own.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY

from ..blobs import (
    BlobExists,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobUpload,
    DirectTransfer,
    UploadTarget,
)
from ..config import origin_of
from ._google import transient_errors

READ_CHUNK = 1 << 20
PROBE_CHUNK = 256 * 1024
RETRY_SECONDS = 10.0  # total time one call may spend retrying
TIMEOUT = (5.0, 15.0)  # seconds to connect, and to wait for each read of an answer
# Our writes are all create-only, so retrying them is always safe (and needed: the
# library retries a conditional write only with this policy or its own default).
RETRY = DEFAULT_RETRY.with_timeout(RETRY_SECONDS)
BOUNDS = {"retry": RETRY, "timeout": TIMEOUT}


class GcsBlobStore(BlobStore, DirectTransfer):
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
        self._signing_lock = threading.Lock()

    def upload(self, name: str, *, content_type: str) -> BlobUpload:
        return _GcsUpload(self._bucket.blob(name), content_type, self._chunk_size)

    def put(self, name: str, data: bytes, *, content_type: str) -> BlobInfo:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            try:
                blob.upload_from_string(data, content_type=content_type, if_generation_match=0,
                                        **BOUNDS)
            except gexc.PreconditionFailed:
                return _ours_or_exists(self._bucket, name, len(data), hashlib.md5(data))
        return _info(blob)

    def open(self, name: str) -> BinaryIO:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            try:
                blob.reload(**BOUNDS)
            except gexc.NotFound:
                raise BlobNotFound(f"object {name} not found") from None
        # Pin the generation so a seekable read never mixes two versions.
        pinned = self._bucket.blob(name, generation=blob.generation)
        return pinned.open("rb", chunk_size=PROBE_CHUNK, **BOUNDS)  # type: ignore[return-value]

    def download(self, name: str, fileobj: BinaryIO) -> int:
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            try:
                blob.download_to_file(fileobj, **BOUNDS)
            except gexc.NotFound:
                raise BlobNotFound(f"object {name} not found") from None
        return fileobj.tell()

    def stat(self, name: str) -> BlobInfo | None:
        with transient_errors("Cloud Storage"):
            blob = self._bucket.get_blob(name, **BOUNDS)
        return None if blob is None else _info(blob)

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        with transient_errors("Cloud Storage"):
            for blob in self._client.list_blobs(self._bucket, prefix=prefix, **BOUNDS):
                yield _info(blob)

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        blob = self._bucket.blob(name)
        offset, end = start, start + length
        while offset < end:
            stop = min(offset + READ_CHUNK, end)
            with transient_errors("Cloud Storage"):
                try:
                    yield blob.download_as_bytes(start=offset, end=stop - 1, checksum=None,
                                                 **BOUNDS)
                except gexc.NotFound:
                    raise BlobNotFound(f"object {name} not found") from None
            offset = stop

    def delete(self, name: str) -> None:
        with transient_errors("Cloud Storage"), contextlib.suppress(gexc.NotFound):
            self._bucket.blob(name).delete(**BOUNDS)

    # -- direct transfer ---------------------------------------------------------------

    def upload_target(
        self, name: str, *, content_type: str, size: int, origin: str | None, expires: timedelta
    ) -> UploadTarget:
        """A resumable upload session for ``name`` alone, opened here: the session URI is
        the client's capability and needs no signing key. Cloud Storage binds it to the
        object, the content type and the announced size (``X-Upload-Content-Length``), to
        create-only (``ifGenerationMatch=0``) and, for CORS, to ``origin``. It would live a
        week; deckpipe's deadline is ``expires`` (the job expires, a late file is deleted).
        """
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            url = blob.create_resumable_upload_session(
                content_type=content_type, size=size, origin=origin, checksum=None,
                if_generation_match=0, timeout=TIMEOUT, retry=RETRY,
            )
        return UploadTarget(url=url, protocol="gcs-resumable", method="PUT",
                            expires_at=datetime.now(UTC) + expires)

    def download_url(
        self, name: str, *, filename: str, disposition: str, expires: timedelta
    ) -> str:
        """A V4 signed GET of ``name``; the signature covers the ``Content-Disposition``
        the answer carries (``response-content-disposition``) and the expiry."""
        blob = self._bucket.blob(name)
        with transient_errors("Cloud Storage"):
            return blob.generate_signed_url(
                version="v4", method="GET", expiration=expires,
                response_disposition=disposition, api_access_endpoint=self._endpoint,
                **self._signer(),
            )

    @property
    def browser_origins(self) -> tuple[str, ...]:
        return (origin_of(self._endpoint),)

    @property
    def _endpoint(self) -> str:
        """https://storage.googleapis.com, or the emulator's address."""
        return self._client._connection.API_BASE_URL

    def _signer(self) -> dict[str, Any]:
        """What ``generate_signed_url`` signs with, for this runtime's credentials."""
        credentials = self._client._credentials
        if isinstance(credentials, AnonymousCredentials):
            return {"credentials": _throwaway_signer()}  # the emulator checks no signature
        if getattr(credentials, "signer_email", None) and hasattr(credentials, "sign_bytes"):
            return {"credentials": credentials}  # a service account key
        # Cloud Run: no key; IAM signBlob signs as the runtime service account.
        with self._signing_lock:
            if not credentials.valid or not getattr(credentials, "token", None):
                from google.auth.transport.requests import Request

                credentials.refresh(Request())
        return {"service_account_email": credentials.service_account_email,
                "access_token": credentials.token}


@functools.cache
def emulator_signing_key() -> Any:
    """A 2048-bit RSA key made for this process: the emulator's stand-in for the key Cloud
    Storage would check (fake-gcs-server ignores signatures; the URL is built as in the cloud)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _throwaway_signer() -> Any:
    """Service-account credentials around ``emulator_signing_key``."""
    from cryptography.hazmat.primitives import serialization
    from google.oauth2 import service_account

    pem = emulator_signing_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    return service_account.Credentials.from_service_account_info({
        "type": "service_account", "client_email": "deckpipe-emulator@localhost",
        "private_key": pem, "token_uri": "https://oauth2.googleapis.com/token",
    })


class _GcsUpload(BlobUpload):
    """Buffers up to one chunk; a small object goes up in one request, a large one
    as a resumable upload, so memory stays bounded by one chunk whatever the size.

    Both carry ``if_generation_match=0``. Cloud Storage enforces it on both;
    fake-gcs-server only on the single-request path (measured), which is why
    small objects avoid the resumable path rather than relying on it.
    """

    def __init__(self, blob: storage.Blob, content_type: str, chunk_size: int) -> None:
        self._blob, self._content_type, self._chunk_size = blob, content_type, chunk_size
        self._buffer = bytearray()
        self._writer = None
        self._md5 = hashlib.md5()  # of everything written: recognises our own retried write
        self._size = 0

    def write(self, data: bytes) -> None:
        self._md5.update(data)
        self._size += len(data)
        if self._writer is None:
            self._buffer += data
            if len(self._buffer) <= self._chunk_size:
                return
            with transient_errors("Cloud Storage"):
                self._writer = self._blob.open(
                    "wb",
                    chunk_size=self._chunk_size,
                    content_type=self._content_type,
                    if_generation_match=0,
                    ignore_flush=True,
                    **BOUNDS,
                )
            data, self._buffer = bytes(self._buffer), bytearray()
        with transient_errors("Cloud Storage"), _exists_as(self._blob.name):
            self._writer.write(data)

    def commit(self) -> BlobInfo:
        with transient_errors("Cloud Storage"):
            try:
                if self._writer is None:
                    self._blob.upload_from_string(
                        bytes(self._buffer), content_type=self._content_type,
                        if_generation_match=0, **BOUNDS,
                    )
                else:
                    self._writer.close()
            except gexc.PreconditionFailed:
                return _ours_or_exists(self._blob.bucket, self._blob.name, self._size, self._md5)
            self._blob.reload(**BOUNDS)
        return _info(self._blob)

    def abort(self) -> None:
        self._buffer = bytearray()
        if self._writer is None:
            return
        # BlobWriter has no cancel, and closing it (which garbage collection
        # would do anyway) finalises the object; so finish it and delete it.
        with contextlib.suppress(Exception):  # best effort: the upload is thrown away
            self._writer.close()
        with contextlib.suppress(Exception):
            self._blob.delete()


@contextlib.contextmanager
def _exists_as(name: str) -> Iterator[None]:
    try:
        yield
    except gexc.PreconditionFailed:
        raise BlobExists(f"object {name} already exists") from None


def _ours_or_exists(bucket: storage.Bucket, name: str, size: int, md5: hashlib._Hash) -> BlobInfo:
    """After a create-only write failed its precondition: is the object there the one
    we just sent (our own write, retried by the client after a lost answer)?

    Names are fresh (a random job id), so the same size and MD5 mean it is ours:
    succeed with it. Anything else is someone else's object: ``BlobExists``.
    """
    existing = bucket.get_blob(name, **BOUNDS)
    sent = base64.b64encode(md5.digest()).decode()
    if existing is not None and existing.size == size and existing.md5_hash == sent:
        return _info(existing)
    raise BlobExists(f"object {name} already exists")


def _info(blob: storage.Blob) -> BlobInfo:
    return BlobInfo(
        name=blob.name,
        size=int(blob.size or 0),
        content_type=blob.content_type or "application/octet-stream",
        etag=str(blob.generation or blob.etag or ""),
        created_at=blob.time_created,
    )
