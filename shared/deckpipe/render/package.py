"""Open a deck safely: classify it, bound it, normalise it, hand it to python-pptx.

The package is bounded first (declared sizes of all members), then opened
through ``parts``, which reads parts on demand within per-part budgets.
python-pptx refuses packages whose main part has a slideshow/template/macro
content type, and ISO 29500 Strict packages; both are ordinary decks
underneath, so they are rewritten (member by member, streamed) into the
transitional ``.pptx`` form before opening.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from typing import BinaryIO

from pptx.presentation import Presentation

from ..errors import DeckError
from ..sniff import classify_file
from .parts import Budget, open_presentation

PRESENTATION_CT = (
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
)
OTHER_MAIN_CTS = (
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
)

# ISO 29500 Strict namespace prefixes and their transitional equivalents;
# more specific prefixes first, because these are plain prefix substitutions.
_STRICT_PREFIXES = (
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/relationships",
     b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
    (b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/customProperties",
     b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"),
    (b"http://purl.oclc.org/ooxml/officeDocument/",
     b"http://schemas.openxmlformats.org/officeDocument/2006/"),
    (b"http://purl.oclc.org/ooxml/drawingml/",
     b"http://schemas.openxmlformats.org/drawingml/2006/"),
    (b"http://purl.oclc.org/ooxml/presentationml/",
     b"http://schemas.openxmlformats.org/presentationml/2006/"),
)  # fmt: skip
_STRICT_MARK = b"http://purl.oclc.org/ooxml/"
_XML_PART = re.compile(r"(\.xml|\.rels)$", re.IGNORECASE)

Source = BinaryIO | bytes | str | os.PathLike


def read_source(source: Source) -> BinaryIO:
    """The deck as a seekable file. A seekable stream at its start (the worker's
    file on disk) is used as it is, so the deck is never copied into memory;
    other streams are read into memory. Paths are opened by ``render_deck``."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return io.BytesIO(f.read())
    try:
        if source.seekable() and source.tell() == 0:
            return source
    except (AttributeError, OSError, ValueError):
        pass
    return io.BytesIO(source.read())


def check_uncompressed_size(zf: zipfile.ZipFile, limit: int) -> None:
    """Refuse a package whose entries would inflate beyond ``limit`` bytes.

    zipfile stops inflating an entry at its declared size, so the declared
    sizes bound the memory python-pptx can be made to use.
    """
    total = sum(info.file_size for info in zf.infolist())
    if total > limit:
        raise DeckError(
            f"The deck would expand to {total:,} bytes, over the {limit:,}-byte limit.",
            code="too_complex",
        )


def _checked_and_normalised(data: BinaryIO, limit: int) -> BinaryIO:
    """Bound the package, then rewrite content types and Strict namespaces if
    needed (else return ``data``); one read of the zip directory for both."""
    with zipfile.ZipFile(data) as zf:
        check_uncompressed_size(zf, limit)
        try:
            content_types = zf.read("[Content_Types].xml")
        except KeyError:
            data.seek(0)
            return data  # python-pptx will report the package as unreadable
        rels = zf.read("_rels/.rels") if "_rels/.rels" in zf.NameToInfo else b""
        needs_ct = any(ct.encode() in content_types for ct in OTHER_MAIN_CTS)
        strict = _STRICT_MARK in rels
        if not (needs_ct or strict):
            data.seek(0)
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
            for info in zf.infolist():
                if info.filename == "[Content_Types].xml":
                    blob = zf.read(info)
                    for ct in OTHER_MAIN_CTS:
                        blob = blob.replace(ct.encode(), PRESENTATION_CT.encode())
                elif strict and _XML_PART.search(info.filename):
                    blob = zf.read(info)
                    for old, new in _STRICT_PREFIXES:
                        blob = blob.replace(old, new)
                else:  # pictures and media: streamed, never whole in memory
                    with zf.open(info) as src, dst.open(info.filename, "w") as sink:
                        shutil.copyfileobj(src, sink, 1 << 20)
                    continue
                dst.writestr(info.filename, blob)
    out.seek(0)
    return out


def open_deck(
    source: Source, max_uncompressed_bytes: int, budget: Budget | None = None
) -> Presentation:
    """Classify, bound, normalise and open a deck; any failure is a ``DeckError``."""
    try:
        data = read_source(source)
    except OSError as exc:
        raise DeckError(f"The deck could not be read: {exc}", code="corrupt_deck") from exc
    classify_file(data)
    try:
        data = _checked_and_normalised(data, max_uncompressed_bytes)
    except DeckError:
        raise
    except Exception as exc:  # a zip that sniffs fine but breaks when read
        raise DeckError(
            f"The file is damaged: its zip entries cannot be read ({exc}).", code="corrupt_deck"
        ) from exc
    try:
        return open_presentation(data, budget or Budget())
    except DeckError:
        raise
    except Exception as exc:
        raise DeckError(
            "The file is damaged or is not a valid PowerPoint package "
            f"({type(exc).__name__}: {exc}).",
            code="corrupt_deck",
        ) from exc
