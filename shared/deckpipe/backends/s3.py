"""S3 backend on boto3: create-only writes, streamed multipart uploads, ranged reads.

Every write carries ``If-None-Match: *`` (on ``PutObject`` and on
``CompleteMultipartUpload``): it creates the object or fails with 412, so no write
silently replaces another. S3 answers 409 ``ConditionalRequestConflict`` when two
conditional writes of one key overlap; the loser retries once and then meets the
winner's object (412, ``BlobExists``).

botocore retries a write whose answer was lost; the retry then finds the object it
had in fact created and fails its precondition. Such a write is recognised as our
own (same size and MD5 as what we sent) and succeeds, as on Cloud Storage.

Direct transfer (``blobs.DirectTransfer``): an upload target is a presigned POST for
one key, its policy bound to the exact announced size (``content-length-range``) and
content type; a download is a presigned GET whose answer carries the signed
``Content-Disposition``. Both are signed locally with the function's credentials (a
role's temporary credentials end a link early if they expire first). A POST cannot be
create-only, but its key is a fresh job id, and ``direct.complete`` checks the stored
object (moto enforces none of the policy: the checks there are what catch a bad file).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from botocore.config import Config
from botocore.exceptions import ClientError

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
from ._aws import client, error_code, http_status, transient_errors

MIN_PART = 5 << 20  # S3's smallest part but the last
READ_CHUNK = 256 * 1024  # what a streamed read yields at a time
SEEK_BUFFER = 256 * 1024  # what the seekable reader fetches per range request
MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
# Presigned links signed with SigV4 (botocore signs them with SigV2 in the older regions, which
# buckets created since June 2020 refuse) at the bucket's regional virtual-host endpoint (the
# global one answers a young bucket with a redirect the page's connect-src does not name).
# Virtual hosts only in the cloud: an endpoint such as moto's is addressed by path.
SIGNING = Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
SIGNING_AT_ENDPOINT = Config(signature_version="s3v4")


class S3BlobStore(BlobStore, DirectTransfer):
    def __init__(
        self,
        bucket: str,
        *,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        s3_client: Any = None,
        part_size: int = 8 << 20,
    ) -> None:
        self._s3 = s3_client or client("s3", region=region, endpoint_url=endpoint_url,
                                       config=SIGNING_AT_ENDPOINT if endpoint_url else SIGNING)
        self._bucket = bucket
        self._part_size = max(MIN_PART, part_size)

    def upload(self, name: str, *, content_type: str) -> BlobUpload:
        return _S3Upload(self._s3, self._bucket, name, content_type, self._part_size)

    def put(self, name: str, data: bytes, *, content_type: str) -> BlobInfo:
        self._create(name, data, content_type)
        return self._stat_written(name)

    def _create(self, name: str, data: bytes, content_type: str) -> None:
        for attempt in (1, 2):
            with transient_errors("S3"):
                try:
                    self._s3.put_object(Bucket=self._bucket, Key=name, Body=data,
                                        ContentType=content_type, IfNoneMatch="*")
                    return
                except ClientError as exc:
                    if _conflict(exc) and attempt == 1:
                        continue  # an overlapping conditional write: look again
                    if _conflict(exc) or _precondition_failed(exc):
                        self._ours_or_exists(name, len(data), hashlib.md5(data).hexdigest())
                        return
                    raise

    def _ours_or_exists(self, name: str, size: int, md5_hex: str) -> None:
        """After a create-only write failed: is the object there the one we sent?

        Names are fresh (a random job id), so the same size and MD5 (a single-part
        object's ETag under SSE-S3) mean it is ours. Anything else: ``BlobExists``.
        """
        existing = self._head(name)
        if existing is not None and existing["ContentLength"] == size and (
            existing.get("ETag", "").strip('"') == md5_hex
        ):
            return
        raise BlobExists(f"object {name} already exists")

    def _stat_written(self, name: str) -> BlobInfo:
        info = self.stat(name)
        if info is None:  # S3 is strongly consistent: a created object is visible at once
            raise BlobNotFound(f"object {name} vanished right after it was written")
        return info

    def open(self, name: str) -> BinaryIO:
        head = self._head(name)
        if head is None:
            raise BlobNotFound(f"object {name} not found")
        raw = _RangeReader(self._s3, self._bucket, name, head["ContentLength"], head["ETag"])
        return io.BufferedReader(raw, buffer_size=SEEK_BUFFER)  # type: ignore[return-value]

    def download(self, name: str, fileobj: BinaryIO) -> int:
        size = 0
        for chunk in self._stream(name, None):
            fileobj.write(chunk)
            size += len(chunk)
        return size

    def stat(self, name: str) -> BlobInfo | None:
        head = self._head(name)
        return None if head is None else _info(name, head)

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        with transient_errors("S3"):
            for page in pages:
                for item in page.get("Contents", ()):
                    yield BlobInfo(
                        name=item["Key"], size=int(item["Size"]),
                        content_type="application/octet-stream",  # not listed; stat has it
                        etag=item["ETag"].strip('"'), created_at=item["LastModified"],
                    )

    def read_range(self, name: str, start: int, length: int) -> Iterator[bytes]:
        if length <= 0:
            return
        yield from self._stream(name, f"bytes={start}-{start + length - 1}")

    def delete(self, name: str) -> None:
        with transient_errors("S3"):
            self._s3.delete_object(Bucket=self._bucket, Key=name)  # a missing key is no error

    # --- direct transfer ---------------------------------------------------------------

    def upload_target(
        self, name: str, *, content_type: str, size: int, origin: str | None, expires: timedelta
    ) -> UploadTarget:
        """A presigned POST for ``name`` alone, exactly ``size`` bytes of ``content_type``.
        (``origin`` needs nothing here: the bucket's CORS rules name the page origins.)"""
        seconds = max(1, int(expires.total_seconds()))
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket, Key=name, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
            ExpiresIn=seconds,
        )
        return UploadTarget(url=post["url"], protocol="s3-post", method="POST",
                            expires_at=datetime.now(UTC) + timedelta(seconds=seconds),
                            fields=dict(post["fields"]))

    def download_url(
        self, name: str, *, filename: str, disposition: str, expires: timedelta
    ) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": name,
                    "ResponseContentDisposition": disposition},
            ExpiresIn=max(1, int(expires.total_seconds())),
        )

    @property
    def browser_origins(self) -> tuple[str, ...]:
        """Where the presigned POST and GET point (signing is local: no request is made)."""
        post = self._s3.generate_presigned_post(Bucket=self._bucket, Key="inputs/x")["url"]
        get = self.download_url("results/x", filename="x", disposition="attachment",
                                expires=timedelta(seconds=60))
        return tuple(dict.fromkeys((origin_of(post), origin_of(get))))

    def _head(self, name: str) -> dict[str, Any] | None:
        with transient_errors("S3"):
            try:
                return self._s3.head_object(Bucket=self._bucket, Key=name)
            except ClientError as exc:
                if error_code(exc) in MISSING or http_status(exc) == 404:
                    return None
                raise

    def _stream(self, name: str, byte_range: str | None) -> Iterator[bytes]:
        """One GET (ranged or whole), its body yielded in bounded chunks."""
        extra = {"Range": byte_range} if byte_range else {}
        with transient_errors("S3"):
            try:
                body = self._s3.get_object(Bucket=self._bucket, Key=name, **extra)["Body"]
            except ClientError as exc:
                if error_code(exc) in MISSING or http_status(exc) == 404:
                    raise BlobNotFound(f"object {name} not found") from None
                raise
            with contextlib.closing(body):
                yield from body.iter_chunks(READ_CHUNK)


class _RangeReader(io.RawIOBase):
    """A seekable raw reader: each read is one ranged GET pinned to the object's ETag,
    so a read never mixes two versions (objects are create-only anyway)."""

    def __init__(self, s3: Any, bucket: str, name: str, size: int, etag: str) -> None:
        self._s3, self._bucket, self._name, self._etag = s3, bucket, name, etag
        self._size, self._pos = size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        end = self._pos + want - 1
        with transient_errors("S3"):
            body = self._s3.get_object(Bucket=self._bucket, Key=self._name, IfMatch=self._etag,
                                       Range=f"bytes={self._pos}-{end}")["Body"]
            with contextlib.closing(body):
                data = body.read()
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


class _S3Upload(BlobUpload):
    """Buffers up to one part: a small object goes up in one create-only PUT, a large
    one as a multipart upload whose completion is create-only, so memory stays bounded
    by one part whatever the size, and nothing is visible before ``commit``."""

    def __init__(self, s3: Any, bucket: str, name: str, content_type: str, part_size: int
                 ) -> None:
        self._s3, self._bucket, self._name = s3, bucket, name
        self._content_type, self._part_size = content_type, part_size
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._md5 = hashlib.md5()
        self._size = 0

    def write(self, data: bytes) -> None:
        self._md5.update(data)
        self._size += len(data)
        self._buffer += data
        try:
            # Keep at most one part in hand; what is left at commit is the last part
            # (or, if no part went up, the whole object in one PUT).
            while len(self._buffer) > self._part_size:
                self._send_part(bytes(self._buffer[: self._part_size]))
                del self._buffer[: self._part_size]
        except BaseException:
            self.abort()
            raise

    def _send_part(self, data: bytes) -> None:
        with transient_errors("S3"):
            if self._upload_id is None:
                self._upload_id = self._s3.create_multipart_upload(
                    Bucket=self._bucket, Key=self._name, ContentType=self._content_type
                )["UploadId"]
            number = len(self._parts) + 1
            answer = self._s3.upload_part(Bucket=self._bucket, Key=self._name, Body=data,
                                          UploadId=self._upload_id, PartNumber=number)
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def commit(self) -> BlobInfo:
        store = S3BlobStore(self._bucket, s3_client=self._s3)
        try:
            if self._upload_id is None:
                store._create(self._name, bytes(self._buffer), self._content_type)
            else:
                if self._buffer:
                    self._send_part(bytes(self._buffer))
                self._buffer = bytearray()
                self._complete()
        except BaseException:
            self.abort()
            raise
        return store._stat_written(self._name)

    def _complete(self) -> None:
        with transient_errors("S3"):
            try:
                self._s3.complete_multipart_upload(
                    Bucket=self._bucket, Key=self._name, UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts}, IfNoneMatch="*",
                )
            except ClientError as exc:
                if error_code(exc) == "NoSuchUpload" and self._completed_by_us():
                    pass  # botocore retried a completion whose answer was lost
                elif _precondition_failed(exc) or _conflict(exc):
                    raise BlobExists(f"object {self._name} already exists") from None
                else:
                    raise
        self._upload_id = None  # completed: nothing left to abort

    def _completed_by_us(self) -> bool:
        """The upload is gone and an object of our size with our part count is there:
        the completion went through (names are fresh, so it is ours)."""
        store = S3BlobStore(self._bucket, s3_client=self._s3)
        head = store._head(self._name)
        return head is not None and head["ContentLength"] == self._size and str(
            head.get("ETag", "")).strip('"').endswith(f"-{len(self._parts)}")

    def abort(self) -> None:
        self._buffer = bytearray()
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is None:
            return
        with contextlib.suppress(Exception):  # best effort; a lifecycle rule sweeps leftovers
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._name,
                                            UploadId=upload_id)


def _precondition_failed(exc: ClientError) -> bool:
    return error_code(exc) == "PreconditionFailed" or http_status(exc) == 412


def _conflict(exc: ClientError) -> bool:
    return error_code(exc) == "ConditionalRequestConflict" or http_status(exc) == 409


def _info(name: str, head: dict[str, Any]) -> BlobInfo:
    return BlobInfo(
        name=name,
        size=int(head["ContentLength"]),
        content_type=head.get("ContentType") or "application/octet-stream",
        etag=str(head.get("ETag", "")).strip('"'),
        created_at=head.get("LastModified"),
    )
