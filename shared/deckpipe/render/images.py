"""Raster images: probe before decoding, then encode once as a PDF image stream.

``probe`` reads only the header (Pillow opens lazily), so the pixel bound is
enforced before any decompression. ``encode`` turns the picture bytes into a
``Raster`` — the exact stream a PDF image XObject holds — doing as little
work as the format allows, because pictures dominate render time:

- a JPEG goes in as it is (``DCTDecode``), never decoded;
- an opaque PNG (grey, RGB or palette, not interlaced) goes in as its own
  deflate stream with PNG predictors (``DecodeParms``), never decoded or
  recompressed, after checking the stream inflates to the right size;
- everything else (alpha, GIF, BMP, TIFF, interlaced or 16-bit PNG) is
  decoded once, downsampled if far larger than a page can show
  (``MAX_EDGE``) and deflated at ``FLATE_LEVEL``; alpha becomes a soft mask.
  A photo that needs decoding (an unusual JPEG) is re-encoded as a JPEG:
  deflated photo pixels are several times larger and slower to make.

Pictures passed through keep their pixel size: they cost no time, and the
PDF holds no more than the deck did (``probe`` already bounds the pixels).

Nothing here knows reportlab; the painter wraps a ``Raster`` in a PDF object.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops

from . import metafile

SUPPORTED = frozenset({"PNG", "JPEG", "MPO", "GIF", "BMP", "DIB", "TIFF", "WEBP", "ICO", "PPM"})
MAX_EDGE = 2400  # pixels; larger decoded images are downsampled before embedding
# Pictures that must be decoded (alpha, GIF, BMP, TIFF...) cost 4 bytes a pixel
# while decoded: above this they are refused, which keeps one conversion
# within its memory budget. Pass-through JPEGs and PNGs are bounded by
# ``probe``'s pixel limit alone, since they are never decoded.
MAX_DECODE_PIXELS = 25_000_000
FLATE_LEVEL = 3  # zlib level for decoded pixels: ~2x faster than 6, ~10% larger
JPEG_QUALITY = 90  # re-encoding a downsampled photo

Image.MAX_IMAGE_PIXELS = None  # our own bound (probe) replaces Pillow's warning/error

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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


def picture_key(data: bytes) -> bytes:
    """A short digest standing for a picture's bytes in caches (keeping the
    bytes themselves as keys would hold every picture of a deck in memory)."""
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class Probe:
    status: str  # ok, unsupported, unreadable, too_large
    detail: str = ""
    width: int = 0
    height: int = 0


def probe(data: bytes, max_pixels: int) -> Probe:
    """Classify encoded image bytes without decoding the pixels."""
    vector = metafile.kind(data)
    if vector:  # drawn as vectors by the painter
        try:
            return Probe("ok", vector.upper(), *natural_size(data))
        except Exception as exc:
            return Probe("unsupported", f"damaged {vector.upper()} image ({exc})")
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


@dataclass(frozen=True)
class Raster:
    """One PDF image stream and the dictionary entries it needs.

    ``predictor_colors`` > 0 means the deflate stream carries PNG row filters
    (``DecodeParms`` Predictor 15 with that many colour components);
    ``palette`` (RGB triples) makes the colour space ``Indexed`` over
    ``color_space``; ``invert`` is the ``Decode`` array of an Adobe CMYK JPEG.
    """

    width: int
    height: int
    color_space: str  # DeviceRGB, DeviceGray or DeviceCMYK
    bits: int
    filter: str  # FlateDecode or DCTDecode
    data: bytes
    predictor_colors: int = 0
    palette: bytes = b""
    invert: bool = False
    smask: Raster | None = None


def natural_size(data: bytes) -> tuple[int, int]:
    """The picture's size in pixels, from its header (no decoding)."""
    if metafile.kind(data):  # pixels at 96 dpi
        w, h = metafile.size_pt(data)
        return max(1, round(w / 0.75)), max(1, round(h / 0.75))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as im:
            return im.size


def natural_size_pt(data: bytes) -> tuple[float, float]:
    """The picture's own size in points: its pixels at the resolution it
    records (JPEG JFIF density, PNG ``pHYs``...), else at 96 dpi, as
    LibreOffice sizes a tiled picture fill. Metafiles: their frame."""
    if metafile.kind(data):
        return metafile.size_pt(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as im:
            (w, h), info, fmt = im.size, im.info, im.format
    dpi = None
    if fmt in ("JPEG", "MPO"):  # the JFIF header only (not EXIF), in dpi or dots per cm
        unit, density = info.get("jfif_unit"), info.get("jfif_density")
        if unit in (1, 2) and density:
            dpi = tuple(d * (2.54 if unit == 2 else 1.0) for d in density)
    else:
        dpi = info.get("dpi")
    try:
        dx, dy = (float(dpi[0]), float(dpi[1])) if dpi else (96.0, 96.0)
    except (TypeError, ValueError, IndexError):
        dx, dy = 96.0, 96.0
    if not (dx > 0 and dy > 0):
        dx, dy = 96.0, 96.0
    return w * 72.0 / dx, h * 72.0 / dy


def _decode_rgba(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = Image.open(io.BytesIO(data))
        if im.size[0] * im.size[1] > MAX_DECODE_PIXELS:
            raise ValueError("the picture is too large to decode")
        im.seek(0)
        im.load()
    if im.mode.startswith("I;16") or im.mode == "I":
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    return im.convert("RGBA")


def _png_or_jpeg(im: Image.Image, photo: bool) -> bytes:
    """Encoded pixels: JPEG for an opaque photo, else PNG (keeping alpha)."""
    out = io.BytesIO()
    alpha = im.getchannel("A")
    if alpha.getextrema() == (255, 255):
        im = im.convert("RGB")
        if photo:
            im.save(out, "JPEG", quality=JPEG_QUALITY)
            return out.getvalue()
    im.save(out, "PNG", compress_level=FLATE_LEVEL)
    return out.getvalue()


_DERIVED: dict[tuple, bytes] = {}  # recent duotone and tiled pictures (digest keys)
_DERIVED_MAX = 8


def _remember(key: tuple, make: Callable[[], bytes]) -> bytes:
    found = _DERIVED.get(key)
    if found is None:
        found = make()
        if len(_DERIVED) >= _DERIVED_MAX:
            _DERIVED.pop(next(iter(_DERIVED)))
        _DERIVED[key] = found
    return found


def duotone(
    data: bytes, dark: tuple[float, float, float], light: tuple[float, float, float]
) -> bytes:
    """The picture recoloured between two colours by its luminance (``a:duotone``),
    as LibreOffice's duotone filter does: each channel is
    ``dark * (1 - lum) + light * lum`` with lum = (76 R + 151 G + 29 B) / 256;
    transparency is kept. Metafiles and unreadable pictures come back unchanged."""
    return recolor(data, (("duotone", _bytes_rgb(dark), _bytes_rgb(light)),))


def _bytes_rgb(color: tuple[float, float, float]) -> tuple[int, int, int]:
    return tuple(min(255, max(0, round(v * 255))) for v in color)  # type: ignore[return-value]


def recolor(data: bytes, steps: tuple[tuple, ...]) -> bytes:
    """The picture with LibreOffice's picture colour operations applied in order
    (transparency kept); metafiles and unreadable pictures come back unchanged.

    - ``("change", (r, g, b), (r, g, b), alpha)``: pixels within 9 of the first
      colour on every channel become the second (``a:clrChange``); an alpha
      below 1 makes them that transparent;
    - ``("duotone", dark, light)``: luminance blend of two colours;
    - ``("greys",)``: luminance greys (``a:grayscl``);
    - ``("mono",)``: black below luminance 128, white from it (``a:biLevel``);
    - ``("adjust", luminance %, contrast %, mso)``: LibreOffice's brightness and
      contrast mapping (``a:lum``); ``mso`` is its Office-style variant used
      when both are set.

    Colours are 0-255 integers; luminance is (76 R + 151 G + 29 B) / 256."""
    if not steps or metafile.kind(data):
        return data

    def make() -> bytes:
        im = _decode_rgba(data)
        for step in steps:
            im = _STEPS[step[0]](im, *step[1:])
        return _png_or_jpeg(im, _is_jpeg(data))

    try:
        return _remember(("recolor", picture_key(data), steps), make)
    except Exception:
        return data


def _luminance(im: Image.Image) -> Image.Image:
    return im.convert("RGB").convert("L", (76 / 256, 151 / 256, 29 / 256, 0))


def _duotone_step(im: Image.Image, dark: tuple, light: tuple) -> Image.Image:
    lum = _luminance(im)
    lut = []
    for lo, hi in zip(dark, light, strict=True):
        lut += [(lo * (255 - v) + hi * v) // 255 for v in range(256)]
    rgb = Image.merge("RGB", (lum, lum, lum)).point(lut)
    return Image.merge("RGBA", (*rgb.split(), im.getchannel("A")))


def _greys_step(im: Image.Image) -> Image.Image:
    lum = _luminance(im)
    return Image.merge("RGBA", (lum, lum, lum, im.getchannel("A")))


def _mono_step(im: Image.Image) -> Image.Image:
    lum = _luminance(im).point(lambda v: 255 if v >= 128 else 0)
    return Image.merge("RGBA", (lum, lum, lum, im.getchannel("A")))


def _change_step(im: Image.Image, source: tuple, target: tuple, alpha: float) -> Image.Image:
    r, g, b, a = im.split()
    near = None
    for band, value in zip((r, g, b), source, strict=True):
        lo, hi = value - 9, value + 9
        hit = band.point(lambda v, lo=lo, hi=hi: 255 if lo <= v <= hi else 0)
        near = hit if near is None else ImageChops.multiply(near, hit)
    assert near is not None
    filled = Image.new("RGBA", im.size, (*target, round(alpha * 255)))
    if alpha < 1:  # the matching pixels take the target's transparency
        out = im.copy()
        out.paste(filled, (0, 0), near)
        return out
    return Image.composite(filled, im, near)


def _adjust_step(im: Image.Image, luminance: float, contrast: float, mso: bool) -> Image.Image:
    lum, con = max(-100.0, min(100.0, luminance)), max(-100.0, min(100.0, contrast))
    slope = 128.0 / (128.0 - 1.27 * con) if con >= 0 else (128.0 + 1.27 * con) / 128.0
    if mso:
        off = lum * 2.55
        lut = [(v + off / 2 - 128) * slope + 128 + off / 2 for v in range(256)]
    else:
        off = lum * 2.55 + 128.0 - slope * 128.0
        lut = [v * slope + off for v in range(256)]
    table = [min(255, max(0, round(v))) for v in lut]
    r, g, b, a = im.split()
    return Image.merge("RGBA", (r.point(table), g.point(table), b.point(table), a))


_STEPS: dict[str, Callable[..., Image.Image]] = {
    "change": _change_step,
    "duotone": _duotone_step,
    "greys": _greys_step,
    "mono": _mono_step,
    "adjust": _adjust_step,
}


def tiled(data: bytes, cols: int, rows: int, max_pixels: int = 4_000_000) -> bytes | None:
    """The picture repeated ``cols`` × ``rows`` times as one picture (a tiled fill
    of many small tiles is one image, not thousands of draws), each tile shrunk
    when the whole would exceed ``max_pixels``. None for a metafile or a
    picture that cannot be decoded."""
    if metafile.kind(data) or cols < 1 or rows < 1 or cols * rows > max_pixels // 4:
        return None

    def make() -> bytes:
        tile = _decode_rgba(data)
        tw, th = tile.size
        shrink = min(1.0, (max_pixels / (tw * th * cols * rows)) ** 0.5)
        if shrink < 1.0:
            tw, th = max(1, int(tw * shrink)), max(1, int(th * shrink))
            tile = tile.resize((tw, th), Image.Resampling.BILINEAR)
        row = Image.new("RGBA", (tw * cols, th))
        for i in range(cols):
            row.paste(tile, (i * tw, 0))
        whole = Image.new("RGBA", (tw * cols, th * rows))
        for j in range(rows):
            whole.paste(row, (0, j * th))
        return _png_or_jpeg(whole, _is_jpeg(data))

    try:
        return _remember(("tiled", picture_key(data), cols, rows, max_pixels), make)
    except Exception:
        return None


def _is_jpeg(data: bytes) -> bool:
    return data[:3] == b"\xff\xd8\xff"


def encode(data: bytes) -> Raster:
    """The image stream for encoded picture bytes (see the module docstring).

    Raises whatever Pillow raises for bytes it cannot decode."""
    if data.startswith(PNG_SIGNATURE):
        raster = _png_as_is(data)
        if raster is not None:
            return raster
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        im = Image.open(io.BytesIO(data))
        if im.format == "JPEG" and im.mode in _JPEG_SPACES:
            w, h = im.size
            return Raster(
                w, h, _JPEG_SPACES[im.mode], 8, "DCTDecode", data, invert=im.mode == "CMYK"
            )
        photo = im.format == "JPEG"
        if photo:
            im.draft("RGB", (MAX_EDGE, MAX_EDGE))
        elif im.size[0] * im.size[1] > MAX_DECODE_PIXELS:
            w, h = im.size
            raise ValueError(
                f"the picture is {w}x{h} pixels, too large to decode "
                f"(at most {MAX_DECODE_PIXELS:,} pixels)"
            )
        im.seek(0)
        im.load()
    return _decoded(im, photo)


_JPEG_SPACES = {"RGB": "DeviceRGB", "L": "DeviceGray", "CMYK": "DeviceCMYK"}


def _decoded(im: Image.Image, photo: bool) -> Raster:
    """Deflated (or, for a photo, JPEG) pixels of a decoded image, alpha as a soft mask."""
    if im.mode.startswith("I;16") or im.mode == "I":  # 16-bit grey: Pillow would clip it to white
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    gray = not has_alpha and im.mode in ("L", "1")
    if max(im.size) > MAX_EDGE and im.mode in ("RGB", "RGBA", "L", "LA"):
        im.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.BILINEAR)  # before any copy
    im = im.convert("RGBA" if has_alpha else "L" if gray else "RGB")
    if max(im.size) > MAX_EDGE:
        im.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.BILINEAR)
    smask = None
    if has_alpha:
        alpha = im.getchannel("A")
        im = im.convert("RGB")
        if alpha.getextrema() != (255, 255):
            smask = _flate(alpha, "DeviceGray")
    if photo:
        out = io.BytesIO()
        im.save(out, "JPEG", quality=JPEG_QUALITY)
        w, h = im.size
        space = "DeviceGray" if gray else "DeviceRGB"
        return Raster(w, h, space, 8, "DCTDecode", out.getvalue(), smask=smask)
    raster = _flate(im, "DeviceGray" if gray else "DeviceRGB")
    return raster if smask is None else _with_smask(raster, smask)


def _flate(im: Image.Image, space: str) -> Raster:
    w, h = im.size
    return Raster(w, h, space, 8, "FlateDecode", zlib.compress(im.tobytes(), FLATE_LEVEL))


def _with_smask(raster: Raster, smask: Raster) -> Raster:
    return Raster(
        raster.width,
        raster.height,
        raster.color_space,
        raster.bits,
        raster.filter,
        raster.data,
        smask=smask,
    )


def _png_as_is(data: bytes) -> Raster | None:
    """An opaque, non-interlaced PNG's own deflate stream, or None when the
    PNG needs decoding (alpha, transparency key, 16 bits, interlace, damaged)."""
    header = b""
    palette = b""
    idat: list[bytes] = []
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            return None
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"tRNS":
            return None
        elif kind == b"IEND":
            break
        pos += 12 + length
    if len(header) != 13 or not idat:
        return None
    w, h, depth, kind, method, filtering, interlace = struct.unpack(">IIBBBBB", header)
    colors = _PNG_COLORS.get((kind, depth))
    if colors is None or method or filtering or interlace or w == 0 or h == 0:
        return None
    if kind == 3 and (not palette or len(palette) % 3):
        return None
    stream = b"".join(idat)
    if not _inflates_to(stream, h * (1 + (w * colors * depth + 7) // 8)):
        return None
    space = "DeviceGray" if kind == 0 else "DeviceRGB"
    return Raster(
        w,
        h,
        space,
        depth,
        "FlateDecode",
        stream,
        predictor_colors=colors,
        palette=palette[:768] if kind == 3 else b"",
    )


# (PNG colour type, bit depth) -> colour components per pixel in the stream
_PNG_COLORS = {
    (0, 1): 1, (0, 2): 1, (0, 4): 1, (0, 8): 1,  # grey
    (2, 8): 3,  # RGB
    (3, 1): 1, (3, 2): 1, (3, 4): 1, (3, 8): 1,  # palette indices
}  # fmt: skip


def _inflates_to(stream: bytes, size: int) -> bool:
    """Whether ``stream`` inflates to exactly ``size`` bytes (chunked, so a
    large picture does not sit in memory decoded)."""
    inflater = zlib.decompressobj()
    total = 0
    pending = stream
    try:
        while pending:
            total += len(inflater.decompress(pending, 1 << 20))
            pending = inflater.unconsumed_tail
            if total > size:
                return False
        total += len(inflater.flush())
    except zlib.error:
        return False
    return total == size
