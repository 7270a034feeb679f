"""Constants and helpers shared by test modules."""

import io
import zipfile

import pptx
from lxml import etree

from deckpipe.render.resolve import DeckResolver

# The session's emulator stack runs its functions with these settings (see conftest.py).
# Above Cloud Run's 32 MiB request limit, so a direct upload of a 40 MiB deck is accepted.
STACK_MAX_UPLOAD = 48 << 20
STACK_FUNCTION_ENV = {
    "DECKPIPE_MAX_UPLOAD_BYTES": str(STACK_MAX_UPLOAD),
    "DECKPIPE_MAX_ATTEMPTS": "3",
    "DECKPIPE_PROGRESS_INTERVAL_SECONDS": "0.2",
    # The functions stream PDFs (their Range and Content-Disposition are tested end to end);
    # the signed-link redirect is tested apart (fake-gcs-server ignores the signed
    # response-content-disposition, so a redirected download has no name there).
    "DECKPIPE_RESULT_DELIVERY": "stream",
}

ENV = {
    "GOOGLE_CLOUD_PROJECT": "deckpipe-test",
    "DECKPIPE_BUCKET": "deckpipe-test",
    "DECKPIPE_TOPIC": "deckpipe-jobs",
    "DECKPIPE_STATUS_URL": "http://status.test",
    "DECKPIPE_RESULT_URL": "http://result.test",
    "DECKPIPE_BACKEND": "memory",
}


def resolve(prs: pptx.Presentation, index: int = 0):
    """Save and reopen ``prs`` (as a real deck would be read), then resolve one slide."""
    buf = io.BytesIO()
    prs.save(buf)
    reopened = pptx.Presentation(io.BytesIO(buf.getvalue()))
    return DeckResolver(reopened).resolve_slide(reopened.slides[index], index + 1)


def visible_slide_count(deck: bytes) -> int:
    """Counted from the package XML, independently of the renderer."""
    ns = {"p": "http://schemas.openxmlformats.org/presentationml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    with zipfile.ZipFile(io.BytesIO(deck)) as zf:
        pres = etree.fromstring(zf.read("ppt/presentation.xml"))
        rels = etree.fromstring(zf.read("ppt/_rels/presentation.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        shown = 0
        ids = pres.findall("p:sldIdLst/p:sldId", ns)
        for sld in ids:
            target = targets[sld.get(f"{{{ns['r']}}}id")].lstrip("/")
            part = target if target.startswith("ppt/") else f"ppt/{target}"
            shown += etree.fromstring(zf.read(part)).get("show") != "0"
    return shown or len(ids)


def ole2_container(*streams: str, text: str = "") -> bytes:
    """A minimal OLE2 (Compound File) container whose directory names ``streams``:
    the shape of a .doc (``WordDocument``), a .ppt (``PowerPoint Document``) or a
    password-protected .pptx (``EncryptionInfo``, ``EncryptedPackage``). ``text``
    goes into a data sector as UTF-16LE, as a document's words would."""
    import struct

    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # v3, 512-byte sectors
    struct.pack_into("<I", header, 48, 0)  # the directory starts at sector 0

    def entry(name: str, kind: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        record = bytearray(128)
        record[: len(raw)] = raw
        struct.pack_into("<HB", record, 64, len(raw), kind)
        return bytes(record)

    directory = entry("Root Entry", 5) + b"".join(entry(name, 2) for name in streams)
    directory += b"\0" * (-len(directory) % 512)
    data = text.encode("utf-16-le").ljust(512, b"\0")
    data += b"\0" * (-len(data) % 512)
    return bytes(header) + directory + data
