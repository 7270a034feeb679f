"""Enhanced Metafile (EMF) records, read into a GDI device context (``gdi``).

Record layouts are those of [MS-EMF]. The common drawing records are read:
paths and their brackets, polygons, polylines and Béziers (16- and 32-bit),
rectangles, round rectangles, ellipses, arcs, chords and pies, text
(EXTTEXTOUTW/A with the selected font, alignment and colour), pens, brushes
and fonts, object selection and deletion, saved states, world transforms,
window/viewport mapping, clipping (rectangles, regions, paths) and bitmaps
(STRETCHDIBITS, BITBLT, STRETCHBLT, ALPHABLEND, TRANSPARENTBLT,
SETDIBITSTODEVICE) and gradient fills. EMF+ records in comments are
left to ``emfplus``; records not listed are skipped and named in ``notes``.
"""

from __future__ import annotations

import struct

from .gdi import SRCCOPY, Brush, Device, Font, MetafileError, Pen, colorref, dib_png

MAX_RECORDS = 500_000

_SKIPPED = {  # records with no visible effect for us
    13, 16, 20, 21, 23, 26, 28, 29, 48, 49, 50, 51, 52, 57, 58, 65, 66, 68, 98, 99, 100,
    101, 102, 104, 105, 106, 107, 110, 115, 119, 120, 121, 122,
}  # fmt: skip
_NAMES = {41: "ANGLEARC", 53: "EXTFLOODFILL", 56: "POLYDRAW",
          71: "FILLRGN", 72: "FRAMERGN", 73: "INVERTRGN", 74: "PAINTRGN", 78: "MASKBLT",
          79: "PLGBLT", 93: "CREATEMONOBRUSH", 96: "POLYTEXTOUTA", 97: "POLYTEXTOUTW"}


def header(
    data: bytes,
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], tuple[float, float]]:
    """(bounds in device pixels, frame in 0.01 mm, device pixels per mm across and
    down: reference devices rarely have square pixels) of an EMF."""
    if len(data) < 88 or data[:4] != b"\x01\x00\x00\x00" or data[40:44] != b" EMF":
        raise MetafileError("not an EMF")
    bounds = struct.unpack_from("<4i", data, 8)
    frame = struct.unpack_from("<4i", data, 24)
    dev_w, dev_h, mm_w, mm_h = struct.unpack_from("<4i", data, 72)
    kx = dev_w / mm_w if dev_w > 0 and mm_w > 0 else 96 / 25.4
    ky = dev_h / mm_h if dev_h > 0 and mm_h > 0 else kx
    return bounds, frame, (kx, ky)


def size_pt(data: bytes) -> tuple[float, float]:
    """The picture's natural size in points (from its frame, else its bounds)."""
    bounds, frame, px_per_mm = header(data)
    w, h = frame[2] - frame[0], frame[3] - frame[1]
    if w > 0 and h > 0:
        return w / 2540 * 72, h / 2540 * 72
    bw, bh = bounds[2] - bounds[0] + 1, bounds[3] - bounds[1] + 1
    return bw / px_per_mm[0] / 25.4 * 72, bh / px_per_mm[1] / 25.4 * 72


def device_frame(data: bytes) -> tuple[float, float, float, float]:
    """The picture's rectangle in device pixels: the frame where it is sane, else the bounds."""
    bounds, frame, px_per_mm = header(data)
    kx, ky = px_per_mm[0] / 100, px_per_mm[1] / 100
    rect = (frame[0] * kx, frame[1] * ky, (frame[2] + 1) * kx, (frame[3] + 1) * ky)
    if rect[2] - rect[0] > 1 and rect[3] - rect[1] > 1:
        return rect
    return (bounds[0], bounds[1], bounds[2] + 1, bounds[3] + 1)


def records(data: bytes):  # noqa: ANN201
    """(type, record) for each record, bounded; records are memoryviews (no copies:
    bitmap records can be megabytes)."""
    view = memoryview(data)
    pos, count = 0, 0
    end = len(data)
    while pos + 8 <= end:
        kind, size = struct.unpack_from("<II", data, pos)
        if size < 8 or size % 4 or pos + size > end:
            raise MetafileError(f"damaged EMF record at byte {pos}")
        yield kind, view[pos : pos + size]
        count += 1
        if count > MAX_RECORDS:
            raise MetafileError("too many EMF records")
        if kind == 14:  # EOF
            return
        pos += size


def has_gdi_drawing(data: bytes) -> bool:
    """Whether the EMF draws anything with plain GDI records (an EMF+ file that is
    not 'dual' has only comments)."""
    drawing = {2, 3, 4, 5, 6, 7, 8, 42, 43, 44, 45, 46, 47, 54, 62, 63, 64, 76, 77, 81, 84, 83,
               85, 86, 87, 88, 89, 90, 91, 80, 114, 116, 118}
    return any(kind in drawing for kind, _ in records(data))


def play(data: bytes, dev: Device) -> None:
    """Run every record of ``data`` against ``dev``."""
    for kind, rec in records(data):
        try:
            _record(kind, rec, dev)
        except struct.error:
            dev.notes.add(f"a truncated EMF record ({kind})")


def _pts16(rec: bytes, offset: int, count: int) -> list[tuple[float, float]]:
    count = max(0, min(count, (len(rec) - offset) // 4))
    v = struct.unpack_from(f"<{2 * count}h", rec, offset)
    return list(zip(v[::2], v[1::2], strict=True))


def _pts32(rec: bytes, offset: int, count: int) -> list[tuple[float, float]]:
    count = max(0, min(count, (len(rec) - offset) // 8))
    v = struct.unpack_from(f"<{2 * count}i", rec, offset)
    return list(zip(v[::2], v[1::2], strict=True))


def _record(kind: int, rec: bytes, dev: Device) -> None:  # noqa: C901 - one dispatch table
    s = dev.s
    if kind == 37:  # SELECTOBJECT, the most common record by far
        dev.select(struct.unpack_from("<I", rec, 8)[0])
    elif kind == 70 or kind in _SKIPPED:  # comments and records without visible effect
        return
    elif kind in (3, 4, 5, 6, 86, 87, 88, 89, 85, 2):  # poly* (bounds, count, points)
        (count,) = struct.unpack_from("<I", rec, 24)
        pts = _pts16(rec, 28, count) if kind >= 85 else _pts32(rec, 28, count)
        base = kind - 83 if kind >= 85 else kind  # 16-bit variants map onto 32-bit ones
        if base == 3:
            dev.poly(pts, True)
        elif base == 4:
            dev.poly(pts, False)
        elif base == 6:
            dev.poly(pts, False, to=True)
        elif base == 5:
            dev.bezier(pts, to=True)
        elif base == 2:
            dev.bezier(pts, to=False)
    elif kind in (7, 8, 90, 91):  # polypoly*
        n_polys, total = struct.unpack_from("<II", rec, 24)
        n_polys = min(n_polys, (len(rec) - 32) // 4)
        counts = struct.unpack_from(f"<{n_polys}I", rec, 32)
        offset = 32 + 4 * n_polys
        groups = []
        for c in counts:
            pts = _pts16(rec, offset, c) if kind >= 90 else _pts32(rec, offset, c)
            groups.append(pts)
            offset += c * (4 if kind >= 90 else 8)
        if kind in (8, 91):
            dev.poly_polygon(groups)
        else:
            dev.poly_polyline(groups)
    elif kind == 9:  # SETWINDOWEXTEX
        s.window_ext = struct.unpack_from("<ii", rec, 8)
        dev.changed()
    elif kind == 10:
        s.window_org = struct.unpack_from("<ii", rec, 8)
        dev.changed()
    elif kind == 11:
        s.viewport_ext = struct.unpack_from("<ii", rec, 8)
        dev.changed()
    elif kind == 12:
        s.viewport_org = struct.unpack_from("<ii", rec, 8)
        dev.changed()
    elif kind == 17:  # SETMAPMODE
        (s.map_mode,) = struct.unpack_from("<I", rec, 8)
        dev.changed()
    elif kind == 18:  # SETBKMODE
        s.bk_opaque = struct.unpack_from("<I", rec, 8)[0] == 2
    elif kind == 19:  # SETPOLYFILLMODE
        s.winding = struct.unpack_from("<I", rec, 8)[0] == 2
    elif kind == 22:
        (s.text_align,) = struct.unpack_from("<I", rec, 8)
    elif kind == 24:
        s.text_color = colorref(struct.unpack_from("<I", rec, 8)[0])
    elif kind == 25:
        s.bk_color = colorref(struct.unpack_from("<I", rec, 8)[0])
    elif kind == 27:  # MOVETOEX
        dev.move_to(*struct.unpack_from("<ii", rec, 8))
    elif kind == 54:  # LINETO
        dev.line_to(*struct.unpack_from("<ii", rec, 8))
    elif kind == 30:  # INTERSECTCLIPRECT
        dev.intersect_clip(*struct.unpack_from("<4i", rec, 8))
    elif kind == 33:
        dev.save()
    elif kind == 34:
        dev.restore(struct.unpack_from("<i", rec, 8)[0])
    elif kind == 35:  # SETWORLDTRANSFORM
        s.world = struct.unpack_from("<6f", rec, 8)
        dev.changed()
    elif kind == 36:  # MODIFYWORLDTRANSFORM
        _modify_world(dev, struct.unpack_from("<6f", rec, 8), struct.unpack_from("<I", rec, 32)[0])
    elif kind == 40:
        dev.delete(struct.unpack_from("<I", rec, 8)[0])
    elif kind == 38:  # CREATEPEN: index, style, width (x, y), colour
        index, style, width, _, color = struct.unpack_from("<IIiiI", rec, 8)
        dev.put(index, Pen(colorref(color), float(width), style & 0xF,
                           (style >> 8) & 0xF, (style >> 12) & 0xF))
    elif kind == 95:  # EXTCREATEPEN: index, offBmi, cbBmi, offBits, cbBits, style, width, ...
        index = struct.unpack_from("<I", rec, 8)[0]
        style, width, _, color = struct.unpack_from("<IIII", rec, 28)
        dev.put(index, Pen(colorref(color), float(width), style & 0xF,
                           (style >> 8) & 0xF, (style >> 12) & 0xF))
    elif kind == 39:  # CREATEBRUSHINDIRECT
        index, style, color, hatch = struct.unpack_from("<IIII", rec, 8)
        dev.put(index, Brush(colorref(color), style, hatch if 0 <= hatch <= 5 else 0))
    elif kind == 94:  # CREATEDIBPATTERNBRUSHPT: drawn as a mid-tone of its bitmap
        index = struct.unpack_from("<I", rec, 8)[0]
        dev.put(index, Brush(_dib_average(rec, *struct.unpack_from("<IIII", rec, 16))))
    elif kind == 82:  # EXTCREATEFONTINDIRECTW
        index = struct.unpack_from("<I", rec, 8)[0]
        dev.put(index, _logfont(rec, 12))
    elif kind == 42:
        dev.ellipse(*struct.unpack_from("<4i", rec, 8))
    elif kind == 43:
        dev.rectangle(*struct.unpack_from("<4i", rec, 8))
    elif kind == 44:
        dev.round_rect(*struct.unpack_from("<6i", rec, 8))
    elif kind in (45, 46, 47):  # ARC, CHORD, PIE
        v = struct.unpack_from("<8i", rec, 8)
        dev.arc(v[:4], v[4:6], v[6:8], {45: "arc", 46: "chord", 47: "pie"}[kind])
    elif kind == 55:  # ARCTO: approximated as an arc from the current position
        v = struct.unpack_from("<8i", rec, 8)
        dev.arc(v[:4], v[4:6], v[6:8], "arc")
    elif kind == 59:
        dev.begin_path()
    elif kind == 60:
        dev.end_path()
    elif kind == 61:
        dev.close_figure()
    elif kind == 62:
        dev.draw_path(True, False)
    elif kind == 63:
        dev.draw_path(True, True)
    elif kind == 64:
        dev.draw_path(False, True)
    elif kind == 67:  # SELECTCLIPPATH
        if dev.path is not None:
            dev.end_path()
        dev.clip_to_path()
        dev.done_path = []
    elif kind == 75:  # EXTSELECTCLIPRGN: size, mode, RGNDATA
        size, mode = struct.unpack_from("<II", rec, 8)
        if mode == 5 and size == 0:
            dev.set_clip_device_rects([])
        elif size >= 32:
            count = struct.unpack_from("<I", rec, 16 + 8)[0]
            rects = [struct.unpack_from("<4i", rec, 48 + 16 * i)
                     for i in range(min(count, (len(rec) - 48) // 16))]
            if mode == 5:
                dev.set_clip_device_rects(rects)
            elif mode == 1 and rects:  # RGN_AND: intersect with the region's extent
                dev.s.clip = (*dev.s.clip, *_region_clip(dev, rects))
    elif kind == 84 or kind == 83:  # EXTTEXTOUTW / A
        _text(rec, dev, wide=kind == 84)
    elif kind == 81:  # STRETCHDIBITS
        x, y, xs, ys, cxs, cys, off_bmi, cb_bmi, off_bits, cb_bits = struct.unpack_from(
            "<10i", rec, 24)
        rop = struct.unpack_from("<I", rec, 68)[0]
        cx, cy = struct.unpack_from("<ii", rec, 72)
        _bitmap(dev, rec, (off_bmi, cb_bmi, off_bits, cb_bits), (x, y, cx, cy),
                (xs, ys, cxs, cys), rop)
    elif kind in (76, 77):  # BITBLT / STRETCHBLT
        x, y, cx, cy, rop = struct.unpack_from("<4iI", rec, 24)
        xs, ys = struct.unpack_from("<ii", rec, 44)
        off_bmi, cb_bmi, off_bits, cb_bits = struct.unpack_from("<4I", rec, 84)
        src = struct.unpack_from("<ii", rec, 100) if kind == 77 else (cx, cy)
        if cb_bmi == 0:
            dev.fill_rect_with_brush(x, y, x + cx, y + cy, rop)
        else:
            _bitmap(dev, rec, (off_bmi, cb_bmi, off_bits, cb_bits), (x, y, cx, cy),
                    (xs, ys, *src), rop)
    elif kind in (114, 116):  # ALPHABLEND / TRANSPARENTBLT: dest, blend or key, source
        x, y, cx, cy, blend = struct.unpack_from("<4iI", rec, 24)
        xs, ys = struct.unpack_from("<ii", rec, 44)
        parts = struct.unpack_from("<4I", rec, 84)
        src = (xs, ys, *struct.unpack_from("<ii", rec, 100))
        if parts[1] and kind == 114:
            _bitmap(dev, rec, parts, (x, y, cx, cy), src, SRCCOPY, (blend >> 16) & 0xFF)
        elif parts[1]:
            _bitmap(dev, rec, parts, (x, y, cx, cy), src, SRCCOPY, key=colorref(blend))
    elif kind == 80:  # SETDIBITSTODEVICE: a bitmap at its own size in logical units
        x, y, xs, ys, cxs, cys = struct.unpack_from("<6i", rec, 24)
        parts = struct.unpack_from("<4I", rec, 48)
        if parts[1]:
            _bitmap(dev, rec, parts, (x, y, cxs, cys), (xs, ys, cxs, cys), SRCCOPY)
    elif kind == 118:  # GRADIENTFILL
        _gradient(rec, dev)
    elif kind in (1, 14):
        return
    elif kind in _NAMES:
        dev.notes.add(f"EMF {_NAMES[kind]} records are not drawn")


def _modify_world(dev: Device, m: tuple, mode: int) -> None:
    from .gdi import IDENTITY, multiply

    if mode == 1:
        dev.s.world = IDENTITY
    elif mode == 2:  # left multiply: the new transform applies first
        dev.s.world = multiply(m, dev.s.world)
    elif mode == 3:
        dev.s.world = multiply(dev.s.world, m)
    elif mode == 4:
        dev.s.world = m
    dev.changed()


def _region_clip(dev: Device, rects: list) -> tuple:
    before = dev.s.clip
    dev.set_clip_device_rects(rects)
    region, dev.s.clip = dev.s.clip, before
    return region


def _logfont(rec: bytes, offset: int) -> Font:
    height, _, escapement, _, weight = struct.unpack_from("<5i", rec, offset)
    italic, underline, strike = rec[offset + 20], rec[offset + 21], rec[offset + 22]
    raw = rec[offset + 28 : offset + 28 + 64]
    face = bytes(raw).decode("utf-16-le", "replace").split("\x00", 1)[0].strip() or "Arial"
    return Font(float(height), float(escapement), weight, bool(italic), bool(underline),
                bool(strike), face)


def _text(rec: bytes, dev: Device, wide: bool) -> None:
    # bounds(16) graphicsMode exScale eyScale | EMRTEXT: ref(x, y) nChars offString options
    # rect(16) offDx
    x, y, n, off, options = struct.unpack_from("<iiIII", rec, 36)
    off_dx = struct.unpack_from("<I", rec, 72)[0]
    n = min(n, 8192)
    if wide:
        raw = rec[off : off + 2 * n]
        text = bytes(raw).decode("utf-16-le", "replace")
    else:
        text = bytes(rec[off : off + n]).decode("cp1252", "replace")
    advance = None
    if off_dx and off_dx + 4 * n <= len(rec) and n:
        step = 2 if options & 0x2000 else 1  # ETO_PDY: pairs of (dx, dy)
        advance = float(sum(struct.unpack_from(f"<{n * step}i", rec, off_dx)[::step]))
    if options & 0x2:  # ETO_OPAQUE: the rectangle is filled with the background colour
        dev.fill_rect(*struct.unpack_from("<4i", rec, 56), dev.s.bk_color)
    dev.text(x, y, text.replace("\x00", ""), advance)


def _bitmap(dev: Device, rec: bytes, parts: tuple[int, int, int, int],
            dest: tuple[int, int, int, int], src: tuple, rop: int,
            alpha: int | None = None, key: tuple | None = None) -> None:
    off_bmi, cb_bmi, off_bits, cb_bits = parts
    if not (0 < off_bmi < len(rec) and 0 < off_bits <= len(rec)):
        return
    info, bits = rec[off_bmi : off_bmi + cb_bmi], rec[off_bits : off_bits + cb_bits]
    png = dib_png(info, bits, rop, alpha, key)
    if png is None:
        dev.notes.add("a bitmap in the metafile could not be read")
        return
    x, y, cx, cy = dest
    dev.image(_crop(png, src), x, y, x + cx, y + cy)


def _gradient(rec: bytes, dev: Device) -> None:
    """GRADIENTFILL: rectangles as 32 bands of interpolated colour across or down,
    triangles in the mean colour of their corners."""
    n_ver, n_tri, mode = struct.unpack_from("<III", rec, 24)
    n_ver = min(n_ver, (len(rec) - 36) // 16)
    verts = [struct.unpack_from("<ii4H", rec, 36 + 16 * i) for i in range(n_ver)]

    def color(v: tuple) -> tuple[float, float, float]:
        return (v[2] / 0xFF00, v[3] / 0xFF00, v[4] / 0xFF00)

    pos = 36 + 16 * n_ver
    if mode in (0, 1):  # GRADIENT_FILL_RECT_H / _V: pairs of vertex indexes
        for i in range(min(n_tri, (len(rec) - pos) // 8, 1000)):
            a, b = struct.unpack_from("<II", rec, pos + 8 * i)
            if a >= n_ver or b >= n_ver:
                continue
            (x0, y0, *_), (x1, y1, *_) = verts[a], verts[b]
            c0, c1 = color(verts[a]), color(verts[b])
            for k in range(32):
                t0, t1 = k / 32, (k + 1) / 32
                mix = tuple(p + (q - p) * (t0 + t1) / 2 for p, q in zip(c0, c1, strict=True))
                if mode == 0:
                    dev.fill_rect(x0 + (x1 - x0) * t0, y0, x0 + (x1 - x0) * t1, y1, mix)
                else:
                    dev.fill_rect(x0, y0 + (y1 - y0) * t0, x1, y0 + (y1 - y0) * t1, mix)
    elif mode == 2:  # triangles: three vertex indexes
        saved = dev.s.brush, dev.s.pen
        for i in range(min(n_tri, (len(rec) - pos) // 12, 10000)):
            idx = struct.unpack_from("<III", rec, pos + 12 * i)
            if max(idx) >= n_ver:
                continue
            mean = tuple(sum(color(verts[j])[c] for j in idx) / 3 for c in range(3))
            dev.s.brush, dev.s.pen = Brush(mean), Pen(style=5)  # type: ignore[arg-type]
            dev.poly([verts[j][:2] for j in idx], True)
        dev.s.brush, dev.s.pen = saved


def _crop(png: bytes, src: tuple) -> bytes:
    """Cut the source rectangle out of a bitmap when it is not the whole of it."""
    import io

    from PIL import Image

    xs, ys, w, h = src
    with Image.open(io.BytesIO(png)) as im:
        if (xs, ys) == (0, 0) and (w, h) == im.size or w <= 0 or h <= 0:
            return png
        box = (max(0, xs), max(0, ys), min(im.width, xs + w), min(im.height, ys + h))
        if box[2] <= box[0] or box[3] <= box[1]:
            return png
        out = io.BytesIO()
        im.crop(box).save(out, "PNG", compress_level=1)
        return out.getvalue()


def _dib_average(rec: bytes, off_bmi: int, cb_bmi: int, off_bits: int, cb_bits: int) -> tuple:
    import io

    from PIL import Image

    png = dib_png(rec[off_bmi : off_bmi + cb_bmi], rec[off_bits : off_bits + cb_bits])
    if png is None:
        return (0.5, 0.5, 0.5)
    with Image.open(io.BytesIO(png)) as im:
        r, g, b = im.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return (r / 255, g / 255, b / 255)
