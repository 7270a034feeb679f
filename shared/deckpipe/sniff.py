"""Tell what a file really is from its bytes, never from its name.

The upload path sees the file as a stream, so the checks work on the first
bytes (magic numbers) plus a scan for OLE2 stream names; the zip-level check
needs random access and works on any seekable binary file.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

from .errors import DeckError

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# OLE2 directory entries hold UTF-16LE stream names. An Office file saved with
# a password is an OLE2 container with an "EncryptedPackage" stream; a legacy
# binary deck has a "PowerPoint Document" stream.
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_LEGACY_PPT_MARK = "PowerPoint Document".encode("utf-16-le")
_MARK_OVERLAP = max(len(_ENCRYPTED_MARK), len(_LEGACY_PPT_MARK))

# Main parts that make a zip an OOXML presentation (pptx, pptm, ppsx, potx, strict).
PRESENTATION_PARTS = ("ppt/presentation.xml",)


class OleScanner:
    """Streaming scan of an OLE2 container for the stream names that classify it."""

    def __init__(self) -> None:
        self.encrypted = False
        self.legacy_ppt = False
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk
        self.encrypted = self.encrypted or _ENCRYPTED_MARK in window
        self.legacy_ppt = self.legacy_ppt or _LEGACY_PPT_MARK in window
        self._tail = window[-_MARK_OVERLAP:]


def check_magic(head: bytes, ole: OleScanner | None = None) -> None:
    """Raise ``DeckError`` unless ``head`` starts like a zip package."""
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return
    if head.startswith(OLE2_MAGIC):
        if ole is not None and ole.legacy_ppt and not ole.encrypted:
            raise DeckError(
                "This is a PowerPoint 97-2003 file (.ppt); save it as .pptx and try again.",
                code="legacy_format",
            )
        raise DeckError(
            "This deck is password-protected (an encrypted Office container); "
            "remove the password and try again.",
            code="encrypted",
        )
    raise DeckError("This file is not a PowerPoint presentation.", code="not_a_presentation")


def classify_file(f: BinaryIO) -> None:
    """Check a whole seekable file: magic bytes, then the zip directory.

    Raises ``DeckError`` with ``corrupt_deck`` for a damaged zip and
    ``not_a_presentation`` for a zip with no presentation part.
    """
    f.seek(0)
    head = f.read(8)
    if head.startswith(OLE2_MAGIC):
        scanner = OleScanner()
        f.seek(0)
        while chunk := f.read(1 << 20):
            scanner.feed(chunk)
        check_magic(head, scanner)
    check_magic(head)
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DeckError(
            f"The file is damaged: it is not a readable zip package ({exc}).",
            code="corrupt_deck",
        ) from exc
    finally:
        f.seek(0)
    if not any(part in names for part in PRESENTATION_PARTS):
        raise DeckError(
            "This file is a zip package but holds no PowerPoint presentation.",
            code="not_a_presentation",
        )
