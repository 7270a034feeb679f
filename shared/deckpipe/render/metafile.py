"""EMF and WMF pictures drawn as vectors: detection, reading and replay on a PDF canvas.

``read`` runs the file's records (``emf``, ``wmf``, and ``emfplus`` for EMF
files that hold only EMF+ drawing) through a recording GDI device
(``gdi``) into a display list in a 1000 × 1000 box; ``replay`` draws that
list on a reportlab canvas (``metafile_paint``), inside a form the painter scales into the
picture's frame like any other picture (so cropping, rotation and flips
work unchanged). Compressed ``.emz``/``.wmz`` pictures are inflated first,
within a bound. A file that breaks a bound or cannot be read raises
``MetafileError``; records we skip are named in ``Picture.notes``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the readers load on the first metafile, not at cold start
    from reportlab.pdfgen.canvas import Canvas

    from .gdi import Op

__all__ = ["Picture", "kind", "read", "register_form", "size_pt"]

MAX_INFLATED = 64 << 20
_WMF_MAGIC = (b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00")
ImageForm = Callable[[bytes], str]


@dataclass(frozen=True)
class Picture:
    ops: tuple[Op, ...]
    notes: tuple[str, ...]


def _inflate(data: bytes) -> bytes:
    from .gdi import MetafileError

    if data[:2] != b"\x1f\x8b":
        return data
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_INFLATED)
    except zlib.error as exc:
        raise MetafileError(f"a damaged compressed metafile ({exc})") from None
    if inflater.unconsumed_tail:
        raise MetafileError("a compressed metafile inflates past the size bound")
    return out


def kind(data: bytes) -> str | None:
    """``"emf"``, ``"wmf"`` or None, for raw or gzip-compressed bytes."""
    head = data[:64]
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:4096], 64)
        except zlib.error:
            return None
    if head[:4] == b"\x01\x00\x00\x00" and head[40:44] == b" EMF":
        return "emf"
    if head[:4] in _WMF_MAGIC:
        return "wmf"
    return None


def size_pt(data: bytes) -> tuple[float, float]:
    """The picture's natural size in points."""
    from . import emf, wmf

    raw = _inflate(data)
    return emf.size_pt(raw) if kind(raw) == "emf" else wmf.size_pt(raw)


def read(data: bytes) -> Picture:
    """The picture's display list (see the module docstring)."""
    from . import emf, emfplus, wmf
    from .gdi import Device, MetafileError

    raw = _inflate(data)
    found = kind(raw)
    if found == "emf":
        gdi_drawing = emf.has_gdi_drawing(raw)
        if not gdi_drawing and not emfplus.has_drawing(raw):
            return Picture((), ())  # a header and nothing else: an empty picture
        dev = Device(emf.device_frame(raw), emf.header(raw)[2])
        if gdi_drawing:
            emf.play(raw, dev)
        else:
            emfplus.play(raw, dev)
    elif found == "wmf":
        dev = wmf.device(raw)
        wmf.play(raw, dev)
    else:
        raise MetafileError("not a metafile")
    return Picture(tuple(dev.ops), tuple(sorted(dev.notes)))


def register_form(
    c: Canvas, name: str, data: bytes, image_form: ImageForm
) -> list[tuple[str, str]]:
    """Define form XObject ``name`` drawing the picture in the unit square (as the
    painter's image forms do) and return warnings as (code, message) pairs. A file
    that cannot be read becomes a grey box with a warning, never a failed deck."""
    from .gdi import BOX, MetafileError
    from .metafile_paint import replay

    warnings: list[tuple[str, str]] = []
    picture: Picture | None
    try:
        picture = read(data)
        for op in picture.ops:
            if op.kind == "image":
                image_form(op.png)  # forms cannot nest: make the bitmaps' forms first
    except Exception as exc:  # a hostile or damaged file fails this picture only
        picture = None
        detail = str(exc) if isinstance(exc, MetafileError) else type(exc).__name__
        warnings.append(("picture_unreadable",
                         f"A metafile picture could not be read ({detail}); drawn as a grey box."))
    c.beginForm(name, 0, 0, 1, 1)
    try:
        if picture is None:
            c.setFillColorRGB(0.85, 0.85, 0.85)
            c.rect(0, 0, 1, 1, stroke=0, fill=1)
        else:
            c.scale(1 / BOX, 1 / BOX)
            failed = replay(c, picture, image_form)
            notes = list(picture.notes)
            if failed:
                notes.append(f"{failed} item(s) could not be drawn")
            if notes:
                warnings.append(("picture_approximated",
                                 "A metafile picture is approximated: " + "; ".join(notes) + "."))
    finally:
        c.endForm()
    return warnings
