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

# An OLE2 (Compound File) container is what every pre-2007 Office file is (.doc,
# .xls, .ppt, .msg), and also what Office saves a password-protected .pptx in.
# Its directory is a run of 128-byte entries, each starting at a multiple of 128
# in the file: a UTF-16LE name (64 bytes), the name's byte length with its
# terminator (uint16 at 64), the entry type (byte 66: 1 storage, 2 stream).
# An encrypted OOXML package has "EncryptionInfo" and "EncryptedPackage"
# streams; a binary deck a "PowerPoint Document" stream; anything else is some
# other Office file.
_ENTRY = 128
_STORAGE, _STREAM = 1, 2
_ENCRYPTION_INFO = "EncryptionInfo"
_ENCRYPTED_PACKAGE = "EncryptedPackage"
_LEGACY_PPT = "PowerPoint Document"
_NAMES = {name: name.encode("utf-16-le") + b"\0\0"
          for name in (_ENCRYPTION_INFO, _ENCRYPTED_PACKAGE, _LEGACY_PPT)}

# Main parts that make a zip an OOXML presentation (pptx, pptm, ppsx, potx, strict).
PRESENTATION_PARTS = ("ppt/presentation.xml",)


class OleScanner:
    """Streaming scan of an OLE2 container for the directory entries that classify it.

    It sees the file once, as it arrives, and needs no random access: a name
    counts only where a directory entry can start (a multiple of 128 bytes into
    the file) with a matching length field and a stream or storage type, so the
    same words in a document's text do not.
    """

    def __init__(self) -> None:
        self.streams: set[str] = set()
        self._tail = b""
        self._offset = 0  # file offset of self._tail[0]

    @property
    def encrypted(self) -> bool:
        return {_ENCRYPTION_INFO, _ENCRYPTED_PACKAGE} <= self.streams

    @property
    def legacy_ppt(self) -> bool:
        return _LEGACY_PPT in self.streams

    def feed(self, chunk: bytes) -> None:
        window = self._tail + chunk
        for name, mark in _NAMES.items():
            start = 0
            while (found := window.find(mark, start)) >= 0:
                start = found + 1
                entry = window[found:found + _ENTRY]
                if (self._offset + found) % _ENTRY or len(entry) < 67:
                    continue
                if (int.from_bytes(entry[64:66], "little") == len(mark)
                        and entry[66] in (_STORAGE, _STREAM)):
                    self.streams.add(name)
        # Keep what may begin an entry that is not whole yet.
        keep = min(len(window), _ENTRY)
        self._offset += len(window) - keep
        self._tail = window[-keep:] if keep else b""


def check_magic(head: bytes, ole: OleScanner | None = None) -> None:
    """Raise ``DeckError`` unless ``head`` starts like a zip package.

    An OLE2 container is classified by ``ole``, the scan of the whole file.
    """
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return
    if head.startswith(OLE2_MAGIC) and ole is not None:
        if ole.encrypted:
            raise DeckError(
                "This deck is password-protected (an encrypted Office container); "
                "remove the password and try again.",
                code="encrypted",
            )
        if ole.legacy_ppt:
            raise DeckError(
                "This is a PowerPoint 97-2003 file (.ppt); save it as .pptx and try again.",
                code="legacy_format",
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
        raise DeckError(  # the cause stays on the exception chain, for the log
            "The file is damaged: it is not a readable zip package.", code="corrupt_deck"
        ) from exc
    finally:
        f.seek(0)
    if not any(part in names for part in PRESENTATION_PARTS):
        raise DeckError(
            "This file is a zip package but holds no PowerPoint presentation.",
            code="not_a_presentation",
        )
