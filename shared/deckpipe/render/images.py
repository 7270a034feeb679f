"""Raster images: probe before decoding, then prepare for reportlab.

``probe`` reads only the header (Pillow opens lazily), so the pixel bound is
enforced before any decompression. ``prepare`` decodes once per distinct
image and downsamples pictures far larger than a page can show, which keeps
both the PDF and the render time in proportion to the slide, not the camera.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image
from reportlab.lib.utils import ImageReader

SUPPORTED = frozenset({"PNG", "JPEG", "MPO", "GIF", "BMP", "DIB", "TIFF", "WEBP", "ICO", "PPM"})
MAX_EDGE = 2400  # pixels; larger images are downsampled before embedding

Image.MAX_IMAGE_PIXELS = None  # our own bound (probe) replaces Pillow's warning/error


# Formats decks carry that Pillow cannot draw (vector formats, JPEG XR, PDF).
_MAGIC = (
    (b"\xd7\xcd\xc6\x9a", "WMF image"),
    (b"\x01\x00\x09\x00", "WMF image"),
    (b"\x02\x00\x09\x00", "WMF image"),
    (b"\x01\x00\x00\x00", "EMF image"),
    (b"\x1f\x8b", "compressed WMF/EMF image"),
    (b"II\xbc", "JPEG XR image"),
    (b"%PDF", "PDF image"),
)


def _unsupported_kind(data: bytes) -> str | None:
    if data[:256].lstrip().startswith(b"<"):
        return "SVG image"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


@dataclass(frozen=True)
class Probe:
    status: str  # ok, unsupported, unreadable, too_large
    detail: str = ""
    width: int = 0
    height: int = 0


def probe(data: bytes, max_pixels: int) -> Probe:
    """Classify encoded image bytes without decoding the pixels."""
    kind = _unsupported_kind(data)
    if kind:
        return Probe("unsupported", kind)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as im:
                fmt, (w, h) = im.format or "", im.size
    except Exception as exc:
        return Probe("unreadable", f"{type(exc).__name__}: {exc}")
    if fmt not in SUPPORTED:
        return Probe("unsupported", f"{fmt or 'unknown'} image")
    if w * h > max_pixels:
        return Probe("too_large", f"{w}x{h} pixels", w, h)
    if w <= 0 or h <= 0:
        return Probe("unreadable", "empty image")
    return Probe("ok", fmt, w, h)


def prepare(data: bytes) -> tuple[ImageReader, bool]:
    """An ImageReader for encoded bytes, and whether it has an alpha channel.

    JPEG passes through undecoded (DCT in the PDF); the rest is decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = Image.open(io.BytesIO(data))
        if im.format == "JPEG" and im.mode in ("RGB", "L", "CMYK") and max(im.size) <= MAX_EDGE:
            return ImageReader(io.BytesIO(data)), False
        if im.format == "JPEG":
            im.draft("RGB", (MAX_EDGE, MAX_EDGE))
        im.seek(0)
        im.load()
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    im = im.convert("RGBA" if has_alpha else "RGB")
    if max(im.size) > MAX_EDGE:
        im.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.BILINEAR)
    if has_alpha and im.getchannel("A").getextrema() == (255, 255):
        im, has_alpha = im.convert("RGB"), False
    return ImageReader(im), has_alpha
