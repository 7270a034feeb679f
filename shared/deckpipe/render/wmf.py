"""Windows Metafile (WMF) records, read into a GDI device context (``gdi``).

Record layouts are those of [MS-WMF]: 16-bit coordinates, often in
reverse order (y before x), and an object table where every created
object takes the lowest free slot. The picture's frame is the placeable
header's bounding box (logical units), else the first window the file sets;
the window the records set is mapped onto that frame as GDI maps a window
onto a viewport.
"""

from __future__ import annotations

import struct

from .gdi import Brush, Device, Font, MetafileError, Pen, colorref, dib_png

PLACEABLE = b"\xd7\xcd\xc6\x9a"
MAX_RECORDS = 500_000

_NAMES = {0x0548: "EXTFLOODFILL", 0x0419: "FLOODFILL", 0x0228: "FILLREGION",
          0x0429: "FRAMEREGION", 0x0412: "SCANLINE", 0x0922: "BITBLT (old)",
          0x0B23: "STRETCHBLT (old)", 0x0D33: "SETDIBTODEV", 0x0538 + 1: "POLYPOLYLINE"}


def _start(data: bytes) -> tuple[int, tuple[float, float, float, float] | None, int]:
    """(offset of the standard header, placeable bounding box or None, units per inch)."""
    if data[:4] == PLACEABLE:
        if len(data) < 40:
            raise MetafileError("truncated WMF")
        left, top, right, bottom, inch = struct.unpack_from("<4hH", data, 6)
        box = (min(left, right), min(top, bottom), max(left, right), max(top, bottom))
        return 22, box, inch or 1440
    if data[:4] in (b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"):
        return 0, None, 1440
    raise MetafileError("not a WMF")


def records(data: bytes, start: int):  # noqa: ANN201
    header_words = struct.unpack_from("<H", data, start + 2)[0]
    pos, count = start + 2 * header_words, 0
    while pos + 6 <= len(data):
        size, func = struct.unpack_from("<IH", data, pos)
        if size < 3 or pos + 2 * size > len(data):
            raise MetafileError(f"damaged WMF record at byte {pos}")
        if func == 0:
            return
        yield func, data[pos + 6 : pos + 2 * size]
        count += 1
        if count > MAX_RECORDS:
            raise MetafileError("too many WMF records")
        pos += 2 * size


def _window(data: bytes, start: int) -> tuple[float, float, float, float] | None:
    org, ext = (0.0, 0.0), None
    for func, p in records(data, start):
        if func == 0x020B and len(p) >= 4:
            y, x = struct.unpack_from("<hh", p)
            org = (x, y)
        elif func == 0x020C and len(p) >= 4:
            y, x = struct.unpack_from("<hh", p)
            ext = (x, y)
            break
    if ext is None or not ext[0] or not ext[1]:
        return None
    x0, y0 = org
    return (min(x0, x0 + ext[0]), min(y0, y0 + ext[1]), max(x0, x0 + ext[0]), max(y0, y0 + ext[1]))


def frame(data: bytes) -> tuple[tuple[float, float, float, float], float]:
    """(the picture's frame in logical units, logical units per inch)."""
    start, box, inch = _start(data)
    if box is None or box[2] <= box[0] or box[3] <= box[1]:
        box = _window(data, start)
        inch = 1440 if box is None else inch
    if box is None:
        box = _drawn_extent(data, start)
    return box, inch


def _drawn_extent(data: bytes, start: int) -> tuple[float, float, float, float]:
    """The extent of what a WMF with no placeable header and no window draws
    (logical units are then device pixels)."""
    dev = Device((0.0, 0.0, 1000.0, 1000.0))
    play_records(data, start, dev)
    xs = [v for op in dev.ops for v in _xs(op)]
    ys = [v for op in dev.ops for v in _ys(op)]
    if not xs or max(xs) <= min(xs) or max(ys) <= min(ys):
        raise MetafileError("a WMF that draws nothing")
    return min(xs), min(ys), max(xs), max(ys)


def _xs(op) -> list[float]:  # noqa: ANN001
    if op.kind in ("image", "text"):
        return [op.x, op.x + op.w]
    return [v for seg in op.segs for v in seg[1::2]]


def _ys(op) -> list[float]:  # noqa: ANN001
    if op.kind in ("image", "text"):
        return [op.y, op.y + op.h]
    return [v for seg in op.segs for v in seg[2::2]]


def size_pt(data: bytes) -> tuple[float, float]:
    box, inch = frame(data)
    start, placeable, _ = _start(data)
    if placeable is None:  # no unit given: twips when large, else screen pixels
        w, h = box[2] - box[0], box[3] - box[1]
        scale = 72 / 1440 if max(w, h) > 2000 else 0.75
        return w * scale, h * scale
    return (box[2] - box[0]) / inch * 72, (box[3] - box[1]) / inch * 72


def device(data: bytes) -> Device:
    box, _ = frame(data)
    dev = Device(box)
    s = dev.s
    s.map_mode = 8
    s.window_org, s.window_ext = (box[0], box[1]), (box[2] - box[0], box[3] - box[1])
    s.viewport_org, s.viewport_ext = s.window_org, s.window_ext
    return dev


def play(data: bytes, dev: Device) -> None:
    play_records(data, _start(data)[0], dev)


def play_records(data: bytes, start: int, dev: Device) -> None:
    slots: list[object | None] = []
    for func, p in records(data, start):
        try:
            _record(func, p, dev, slots)
        except struct.error:
            dev.notes.add(f"a truncated WMF record (0x{func:04X})")


def _new(slots: list, obj: object) -> None:
    for i, v in enumerate(slots):
        if v is None:
            slots[i] = obj
            return
    if len(slots) >= 65535:
        raise MetafileError("too many WMF objects")
    slots.append(obj)


def _points(p: bytes, offset: int, count: int) -> list[tuple[float, float]]:
    count = max(0, min(count, (len(p) - offset) // 4))
    v = struct.unpack_from(f"<{2 * count}h", p, offset)
    return list(zip(v[::2], v[1::2], strict=True))


def _record(func: int, p: bytes, dev: Device, slots: list) -> None:  # noqa: C901 - dispatch
    s = dev.s
    if func == 0x0324:  # POLYGON
        dev.poly(_points(p, 2, struct.unpack_from("<h", p)[0]), True)
    elif func == 0x0325:  # POLYLINE
        dev.poly(_points(p, 2, struct.unpack_from("<h", p)[0]), False)
    elif func == 0x0538:  # POLYPOLYGON
        n = struct.unpack_from("<H", p)[0]
        counts = struct.unpack_from(f"<{n}H", p, 2)
        offset, groups = 2 + 2 * n, []
        for c in counts:
            groups.append(_points(p, offset, c))
            offset += 4 * c
        dev.poly_polygon(groups)
    elif func == 0x0214:  # MOVETO y x
        y, x = struct.unpack_from("<hh", p)
        dev.move_to(x, y)
    elif func == 0x0213:
        y, x = struct.unpack_from("<hh", p)
        dev.line_to(x, y)
    elif func == 0x041B:  # RECTANGLE bottom right top left
        b, r, t, left = struct.unpack_from("<4h", p)
        dev.rectangle(left, t, r, b)
    elif func == 0x0418:
        b, r, t, left = struct.unpack_from("<4h", p)
        dev.ellipse(left, t, r, b)
    elif func == 0x061C:  # ROUNDRECT height width bottom right top left
        rh, rw, b, r, t, left = struct.unpack_from("<6h", p)
        dev.round_rect(left, t, r, b, rw, rh)
    elif func in (0x0817, 0x081A, 0x0830):  # ARC, PIE, CHORD
        ye, xe, ys, xs, b, r, t, left = struct.unpack_from("<8h", p)
        dev.arc((left, t, r, b), (xs, ys), (xe, ye),
                {0x0817: "arc", 0x081A: "pie", 0x0830: "chord"}[func])
    elif func == 0x020B:  # SETWINDOWORG y x
        y, x = struct.unpack_from("<hh", p)
        s.window_org = (x, y)
        dev.changed()
    elif func == 0x020C:
        y, x = struct.unpack_from("<hh", p)
        s.window_ext = (x, y)
        dev.changed()
    elif func in (0x020D, 0x020E, 0x0103):  # viewport, map mode: the frame decides the scale
        return
    elif func == 0x02FA:  # CREATEPENINDIRECT style width(x, y) colour
        style, width, _, color = struct.unpack_from("<HhhI", p)
        _new(slots, Pen(colorref(color), float(width), style & 0xF, (style >> 8) & 0xF,
                        (style >> 12) & 0xF))
    elif func == 0x02FC:  # CREATEBRUSHINDIRECT style colour hatch
        style, color = struct.unpack_from("<HI", p)
        hatch = struct.unpack_from("<H", p, 6)[0] if len(p) >= 8 else 0
        _new(slots, Brush(colorref(color), style, hatch if hatch <= 5 else 0))
    elif func == 0x0142:  # DIBCREATEPATTERNBRUSH: its bitmap's mean colour
        _new(slots, Brush((0.5, 0.5, 0.5)))
    elif func == 0x02FB:  # CREATEFONTINDIRECT
        height, _, escapement, _, weight = struct.unpack_from("<5h", p)
        italic, underline, strike = p[10], p[11], p[12]
        face = p[18:50].split(b"\x00", 1)[0].decode("cp1252", "replace").strip() or "Arial"
        _new(slots, Font(float(height), float(escapement), weight, bool(italic),
                         bool(underline), bool(strike), face))
    elif func in (0x00F7, 0x06FF, 0x01F9):  # CREATEPALETTE, CREATEREGION, CREATEPATTERNBRUSH
        _new(slots, object())
    elif func == 0x012D:  # SELECTOBJECT
        index = struct.unpack_from("<H", p)[0]
        obj = slots[index] if index < len(slots) else None
        if isinstance(obj, Pen):
            s.pen = obj
        elif isinstance(obj, Brush):
            s.brush = obj
        elif isinstance(obj, Font):
            s.font = obj
    elif func == 0x01F0:  # DELETEOBJECT
        index = struct.unpack_from("<H", p)[0]
        if index < len(slots):
            slots[index] = None
    elif func == 0x0209:
        s.text_color = colorref(struct.unpack_from("<I", p)[0])
    elif func == 0x0201:
        s.bk_color = colorref(struct.unpack_from("<I", p)[0])
    elif func == 0x0102:
        s.bk_opaque = struct.unpack_from("<H", p)[0] == 2
    elif func == 0x0106:
        s.winding = struct.unpack_from("<H", p)[0] == 2
    elif func == 0x012E:
        s.text_align = struct.unpack_from("<H", p)[0]
    elif func == 0x001E:
        dev.save()
    elif func == 0x0127:
        dev.restore(struct.unpack_from("<h", p)[0])
    elif func == 0x012C:  # SELECTCLIPREGION: regions are not kept; back to no clipping
        s.clip = ()
    elif func == 0x0416:  # INTERSECTCLIPRECT bottom right top left
        b, r, t, left = struct.unpack_from("<4h", p)
        dev.intersect_clip(left, t, r, b)
    elif func == 0x0521:  # TEXTOUT count string y x
        n = struct.unpack_from("<h", p)[0]
        text = p[2 : 2 + n].decode("cp1252", "replace")
        offset = 2 + n + (n & 1)
        y, x = struct.unpack_from("<hh", p, offset)
        dev.text(x, y, text)
    elif func == 0x0A32:  # EXTTEXTOUT y x count options [rect] string [dx]
        y, x, n, options = struct.unpack_from("<hhhH", p)
        offset = 8 + (8 if options & 0x6 else 0)
        if options & 0x2:  # ETO_OPAQUE: left top right bottom filled with the background
            dev.fill_rect(*struct.unpack_from("<4h", p, 8), s.bk_color)
        n = max(0, min(n, len(p) - offset))
        text = p[offset : offset + n].decode("cp1252", "replace")
        dx_at = offset + n + (n & 1)
        advance = None
        if n and dx_at + 2 * n <= len(p):
            advance = float(sum(struct.unpack_from(f"<{n}h", p, dx_at)))
        dev.text(x, y, text, advance)
    elif func in (0x0F43, 0x0B41, 0x0940):
        _bitmap(func, p, dev)
    elif func in _NAMES:
        dev.notes.add(f"WMF {_NAMES[func]} records are not drawn")


def _bitmap(func: int, p: bytes, dev: Device) -> None:
    if func == 0x0F43:  # STRETCHDIB rop usage srcH srcW ySrc xSrc dstH dstW yDst xDst DIB
        sh, sw, ys, xs, dh, dw, yd, xd = struct.unpack_from("<8h", p, 6)
        dib = p[22:]
    elif func == 0x0B41:  # DIBSTRETCHBLT rop srcH srcW ySrc xSrc dstH dstW yDst xDst DIB
        sh, sw, ys, xs, dh, dw, yd, xd = struct.unpack_from("<8h", p, 4)
        dib = p[20:]
    else:  # DIBBITBLT rop ySrc xSrc h w yDst xDst DIB
        ys, xs, dh, dw, yd, xd = struct.unpack_from("<6h", p, 4)
        sh, sw, dib = dh, dw, p[16:]
    rop = struct.unpack_from("<I", p)[0]
    if len(dib) < 40:
        dev.fill_rect_with_brush(xd, yd, xd + dw, yd + dh, rop)
        return
    header_size, _, _, _, bits, compression, _, _, _, used = struct.unpack_from("<IiiHHIIiiI", dib)
    colors = used or (1 << bits if bits <= 8 else 0)
    if compression == 3 and header_size == 40:
        colors += 3
    info_len = header_size + 4 * colors
    png = dib_png(dib[:info_len], dib[info_len:], rop)
    if png is None:
        dev.notes.add("a bitmap in the metafile could not be read")
        return
    from .emf import _crop

    dev.image(_crop(png, (xs, ys, sw, sh)), xd, yd, xd + dw, yd + dh)
