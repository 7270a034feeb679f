"""EMF+ records (in EMF comments), read for EMF files that draw only with EMF+.

Most EMF+ files are "dual": they carry the same drawing as plain GDI records,
which ``emf`` reads. A file with EMF+ records only is read here, after
[MS-EMFPLUS]: the object table (solid, hatch and gradient brushes as one
colour, pens, paths, fonts, string formats, bitmap images), the world and
page transforms with save/restore and containers, clip rectangles and
paths, and the common drawing records (rectangles, polygons, lines,
ellipses, pies, arcs, Béziers, paths, images, strings and driver strings of
characters). Each EMF+ drawing is handed to the GDI recording device
(``gdi``) with the EMF+ transform as its world transform, so the display
list is the same as for GDI files.
"""

from __future__ import annotations

import io
import math
import struct

from . import emf
from .gdi import IDENTITY, Brush, Device, Font, Matrix, MetafileError, Pen, multiply

MAX_OBJECT_BYTES = 32 << 20
_UNIT_INCHES = {3: 1 / 72, 4: 1.0, 5: 1 / 300, 6: 1 / 25.4}  # point, inch, document, mm


def comments(data: bytes):  # noqa: ANN201
    """The EMF+ payloads of an EMF's GDI comments."""
    for kind, rec in emf.records(data):
        if kind == 70 and len(rec) >= 16 and rec[12:16] == b"EMF+":
            (size,) = struct.unpack_from("<I", rec, 8)
            yield bytes(rec[16 : 12 + size])


def has_drawing(data: bytes) -> bool:
    return any(True for _ in comments(data))


def _records(payload: bytes):  # noqa: ANN201
    pos = 0
    while pos + 12 <= len(payload):
        kind, flags, size, data_size = struct.unpack_from("<HHII", payload, pos)
        if size < 12 or pos + size > len(payload):
            raise MetafileError("damaged EMF+ record")
        yield kind, flags, payload[pos + 12 : pos + 12 + min(data_size, size - 12)]
        pos += size


def _argb(value: int) -> tuple[tuple[float, float, float], float]:
    return (((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255), (
        (value >> 24) / 255
    )


class _Player:
    def __init__(self, dev: Device, dpi: tuple[float, float]) -> None:
        self.dev = dev
        self.dpi = dpi
        self.objects: dict[int, object] = {}
        self.partial: dict[int, bytearray] = {}
        self.world: Matrix = IDENTITY
        self.page_unit, self.page_scale = 2, 1.0
        self.stack: dict[int, tuple] = {}

    # -- transforms -------------------------------------------------------------

    def unit_scale(self, unit: int) -> tuple[float, float]:
        inches = _UNIT_INCHES.get(unit)
        if inches is None:  # world, display, pixel
            return 1.0, 1.0
        return inches * self.dpi[0], inches * self.dpi[1]

    def apply(self) -> None:
        """Hand the current EMF+ transform to the GDI device as its world transform."""
        ux, uy = self.unit_scale(self.page_unit)
        page = (ux * self.page_scale, 0.0, 0.0, uy * self.page_scale, 0.0, 0.0)
        s = self.dev.s
        s.world = multiply(self.world, page)
        s.map_mode, s.window_org, s.viewport_org = 1, (0.0, 0.0), (0.0, 0.0)
        self.dev.changed()

    def transform(self, flags: int, m: Matrix) -> None:
        post = bool(flags & 0x2000)
        self.world = multiply(self.world, m) if post else multiply(m, self.world)

    # -- objects -------------------------------------------------------------------

    def object(self, flags: int, data: bytes) -> None:
        oid, kind = flags & 0xFF, (flags >> 8) & 0x7F
        if flags & 0x8000:  # continued: each chunk starts with the object's total size
            buf = self.partial.setdefault(oid, bytearray())
            buf += data[4:]
            if len(buf) > MAX_OBJECT_BYTES:
                raise MetafileError("an EMF+ object is too large")
            return
        if oid in self.partial:
            data = bytes(self.partial.pop(oid)) + data
        try:
            self.objects[oid] = _parse_object(kind, data)
        except (struct.error, ValueError, IndexError):
            self.dev.notes.add("an EMF+ object could not be read")

    def brush(self, flags: int, value: int) -> Brush:
        if flags & 0x8000:
            rgb, alpha = _argb(value)
            return Brush(rgb, 1 if alpha == 0 else 0)
        found = self.objects.get(value)
        return found if isinstance(found, Brush) else Brush(style=1)

    def pen(self, oid: int) -> Pen:
        found = self.objects.get(oid)
        return found if isinstance(found, Pen) else Pen(style=5)

    # -- drawing -----------------------------------------------------------------------

    def play(self, kind: int, flags: int, d: bytes) -> None:  # noqa: C901 - one dispatch
        dev = self.dev
        s = dev.s
        if kind == 0x4008:
            self.object(flags, d)
            return
        if kind == 0x402A:
            self.world = struct.unpack_from("<6f", d)
        elif kind == 0x402B:
            self.world = IDENTITY
        elif kind == 0x402C:
            self.transform(flags, struct.unpack_from("<6f", d))
        elif kind == 0x402D:
            dx, dy = struct.unpack_from("<2f", d)
            self.transform(flags, (1.0, 0.0, 0.0, 1.0, dx, dy))
        elif kind == 0x402E:
            sx, sy = struct.unpack_from("<2f", d)
            self.transform(flags, (sx, 0.0, 0.0, sy, 0.0, 0.0))
        elif kind == 0x402F:
            a = math.radians(struct.unpack_from("<f", d)[0])
            self.transform(flags, (math.cos(a), math.sin(a), -math.sin(a), math.cos(a), 0, 0))
        elif kind == 0x4030:
            self.page_unit, self.page_scale = flags & 0xFF, struct.unpack_from("<f", d)[0]
        elif kind in (0x4025, 0x4028):  # Save, BeginContainerNoParams
            self.stack[struct.unpack_from("<I", d)[0]] = (self.world, s.clip)
        elif kind == 0x4027:  # BeginContainer: dest rect, src rect, unit, index
            self.stack[struct.unpack_from("<I", d, 32)[0]] = (self.world, s.clip)
        elif kind in (0x4026, 0x4029):  # Restore, EndContainer
            saved = self.stack.pop(struct.unpack_from("<I", d)[0], None)
            if saved is not None:
                self.world, s.clip = saved
        elif kind == 0x4031:
            s.clip = ()
        self.apply()
        if kind == 0x4032:  # SetClipRect
            x, y, w, h = struct.unpack_from("<4f", d)
            if (flags >> 8) & 0xF == 0:
                s.clip = ()
            dev.intersect_clip(x, y, x + w, y + h)
        elif kind == 0x4033:  # SetClipPath
            path = self.objects.get(flags & 0xFF)
            if isinstance(path, list):
                if (flags >> 8) & 0xF == 0:
                    s.clip = ()
                dev.begin_path()
                _trace(dev, path)
                dev.end_path()
                dev.clip_to_path()
        elif kind in (0x400A, 0x400B):  # FillRects / DrawRects
            if kind == 0x400A:
                s.brush, s.pen = self.brush(flags, struct.unpack_from("<I", d)[0]), Pen(style=5)
                d = d[4:]
            else:
                s.brush, s.pen = Brush(style=1), self.pen(flags & 0xFF)
            for x, y, w, h in _rects(d, flags):
                dev.rectangle(x, y, x + w, y + h)
        elif kind in (0x400C, 0x400D):  # FillPolygon / DrawLines
            if kind == 0x400C:
                s.brush, s.pen = self.brush(flags, struct.unpack_from("<I", d)[0]), Pen(style=5)
                pts = _points(d[4:], flags)
                dev.poly(pts, True)
            else:
                s.brush, s.pen = Brush(style=1), self.pen(flags & 0xFF)
                dev.poly(_points(d, flags), bool(flags & 0x2000))
        elif kind in (0x400E, 0x400F, 0x4010, 0x4011, 0x4012):  # ellipses, pies, arcs
            fill = kind in (0x400E, 0x4010)
            if fill:
                s.brush, s.pen = self.brush(flags, struct.unpack_from("<I", d)[0]), Pen(style=5)
                d = d[4:]
            else:
                s.brush, s.pen = Brush(style=1), self.pen(flags & 0xFF)
            start = sweep = 0.0
            if kind in (0x4010, 0x4011, 0x4012):
                start, sweep = struct.unpack_from("<2f", d)
                d = d[8:]
            x, y, w, h = _rects(d, flags, 1)[0]
            if kind in (0x400E, 0x400F):
                dev.ellipse(x, y, x + w, y + h)
            else:
                _pie(dev, (x, y, w, h), start, sweep, "arc" if kind == 0x4012 else "pie")
        elif kind in (0x4014, 0x4015):  # FillPath / DrawPath
            path = self.objects.get(flags & 0xFF)
            if not isinstance(path, list):
                return
            value = struct.unpack_from("<I", d)[0]
            if kind == 0x4014:
                s.brush, s.pen = self.brush(flags, value), Pen(style=5)
            else:
                s.brush, s.pen = Brush(style=1), self.pen(value)
            dev.begin_path()
            _trace(dev, path)
            dev.draw_path(kind == 0x4014, kind == 0x4015)
        elif kind == 0x4019:  # DrawBeziers
            s.brush, s.pen = Brush(style=1), self.pen(flags & 0xFF)
            dev.bezier(_points(d, flags), to=False)
        elif kind in (0x401A, 0x401B):  # DrawImage / DrawImagePoints
            self.image(kind, flags, d)
        elif kind == 0x401C:  # DrawString
            self.string(flags, d)
        elif kind == 0x4036:
            self.driver_string(flags, d)
        elif kind in (0x4013, 0x4016, 0x4017, 0x4018):
            dev.notes.add("EMF+ regions and curves are not drawn")

    def driver_string(self, flags: int, d: bytes) -> None:
        _driver_string(self, flags, d)

    def image(self, kind: int, flags: int, d: bytes) -> None:
        png = self.objects.get(flags & 0xFF)
        if not isinstance(png, bytes):
            return
        if kind == 0x401A:
            x, y, w, h = _rects(d[24:], flags, 1)[0]
            self.dev.image(png, x, y, x + w, y + h)
        else:
            pts = _points(d[24:], flags)
            if len(pts) >= 3:
                (x0, y0), (x1, _), (_, y2) = pts[:3]
                self.dev.image(png, x0, y0, x1, y2)

    def string(self, flags: int, d: bytes) -> None:
        font = self.objects.get(flags & 0xFF)
        if not (isinstance(font, tuple) and len(font) == 4):
            return
        brush = self.brush(flags, struct.unpack_from("<I", d)[0])
        fmt, n = struct.unpack_from("<II", d, 4)
        x, y, w, h = struct.unpack_from("<4f", d, 12)
        text = d[28 : 28 + 2 * n].decode("utf-16-le", "replace")
        em, unit, style, face = font
        ux, uy = self.unit_scale(unit)
        wx, wy = self.unit_scale(self.page_unit)
        em_world = em * uy / (wy * self.page_scale or 1.0)
        found = self.objects.get(fmt)
        align, line_align = found if isinstance(found, tuple) and len(found) == 2 else (0, 0)
        s = self.dev.s
        s.font = Font(-em_world, 0.0, 700 if style & 1 else 400, bool(style & 2),
                      bool(style & 4), bool(style & 8), face)
        s.text_color = brush.color
        h_flag = {0: 0, 1: 6, 2: 2}.get(align, 0) if w > 0 else 0
        ax = x + {0: 0.0, 1: w / 2, 2: w}.get(align, 0.0) if w > 0 else x
        lines = text.splitlines() or [text]
        if line_align == 1 and h > 0:
            ay = y + h / 2 - em_world * 1.2 * len(lines) / 2
        elif line_align == 2 and h > 0:
            ay = y + h - em_world * 1.2 * len(lines)
        else:
            ay = y
        s.text_align = h_flag
        for i, line in enumerate(lines[:200]):
            self.dev.text(ax, ay + i * em_world * 1.2, line)


def _driver_string(player: _Player, flags: int, d: bytes) -> None:
    """DrawDriverString: glyphs at their own baseline positions. Only strings of
    characters (the CmapLookup option) can be drawn; glyph indexes cannot."""
    font = player.objects.get(flags & 0xFF)
    brush = player.brush(flags, struct.unpack_from("<I", d)[0])
    options, _, count = struct.unpack_from("<III", d, 4)
    count = min(count, (len(d) - 16) // 10, 4000)
    if not (options & 1) or not (isinstance(font, tuple) and len(font) == 4) or count == 0:
        player.dev.notes.add("EMF+ strings of glyph indexes are not drawn")
        return
    text = d[16 : 16 + 2 * count].decode("utf-16-le", "replace")
    pos = struct.unpack_from(f"<{2 * count}f", d, 16 + 2 * count)
    em, unit, style, face = font
    _, uy = player.unit_scale(unit)
    _, wy = player.unit_scale(player.page_unit)
    s = player.dev.s
    s.font = Font(-em * uy / (wy * player.page_scale or 1.0), 0.0, 700 if style & 1 else 400,
                  bool(style & 2), bool(style & 4), bool(style & 8), face)
    s.text_color, s.text_align = brush.color, 24  # positions are baselines
    advance = None
    if count > 1 and not options & 4:  # every glyph has its position: keep the spread
        advance = (pos[2 * count - 2] - pos[0]) * count / (count - 1)
    player.dev.text(pos[0], pos[1], text, advance)


def _parse_object(kind: int, d: bytes) -> object:
    if kind == 1:  # brush
        return _brush(d)
    if kind == 2:  # pen: version, type, flags, unit, width, optional data, brush
        flags, _, width = struct.unpack_from("<IIf", d, 8)
        pos = 20
        for bit, size in ((0x1, 24), (0x2, 4), (0x4, 4), (0x8, 4), (0x10, 4), (0x20, 4),
                          (0x40, 4), (0x80, 4)):
            if flags & bit:
                pos += size
        if flags & 0x100:
            pos += 4 + 4 * struct.unpack_from("<I", d, pos)[0]
        if flags & 0x200:
            pos += 4
        if flags & 0x400:
            pos += 4 + 4 * struct.unpack_from("<I", d, pos)[0]
        for bit in (0x800, 0x1000):
            if flags & bit:
                pos += 4 + struct.unpack_from("<I", d, pos)[0]
        brush = _brush(d[pos:])
        dashed = 1 if flags & 0x100 else 0
        return Pen(brush.color, width, 5 if brush.style == 1 else dashed)
    if kind == 3:
        return _path(d)
    if kind == 5:
        return _image(d)
    if kind == 6:  # font: version, em size, unit, style, reserved, length, family
        em, unit, style, _, n = struct.unpack_from("<fIIII", d, 4)
        return (em, unit, style, d[24 : 24 + 2 * n].decode("utf-16-le", "replace") or "Arial")
    if kind == 7:  # string format: version, flags, language, alignment, line alignment
        align, line_align = struct.unpack_from("<II", d, 12)
        return (align, line_align)
    return None


def _brush(d: bytes) -> Brush:
    kind = struct.unpack_from("<I", d, 4)[0]
    if kind == 0:
        rgb, alpha = _argb(struct.unpack_from("<I", d, 8)[0])
        return Brush(rgb, 1 if alpha == 0 else 0)
    if kind == 1:  # hatch: style, foreground, background -> foreground
        rgb, _ = _argb(struct.unpack_from("<I", d, 12)[0])
        return Brush(rgb)
    if kind == 4:  # linear gradient: the mean of its two end colours
        a, _ = _argb(struct.unpack_from("<I", d, 32)[0])
        b, _ = _argb(struct.unpack_from("<I", d, 36)[0])
        return Brush(tuple((p + q) / 2 for p, q in zip(a, b, strict=True)))  # type: ignore[arg-type]
    if kind == 3:  # path gradient: its centre colour
        rgb, _ = _argb(struct.unpack_from("<I", d, 16)[0])
        return Brush(rgb)
    return Brush((0.5, 0.5, 0.5))


def _path(d: bytes) -> list[tuple[int, float, float]]:
    """(type byte, x, y) per point."""
    count, flags = struct.unpack_from("<II", d, 4)
    count = min(count, 1_000_000)
    if flags & 0x1000:
        raise ValueError("relative EMF+ path points")
    if flags & 0x4000 or flags & 0x800:  # compressed: int16 points
        v = struct.unpack_from(f"<{2 * count}h", d, 12)
        pos = 12 + 4 * count
    else:
        v = struct.unpack_from(f"<{2 * count}f", d, 12)
        pos = 12 + 8 * count
    types = d[pos : pos + count]
    return [(types[i], v[2 * i], v[2 * i + 1]) for i in range(min(count, len(types)))]


def _trace(dev: Device, path: list[tuple[int, float, float]]) -> None:
    i = 0
    while i < len(path):
        t, x, y = path[i]
        kind = t & 0x7
        if kind == 0:
            dev.move_to(x, y)
        elif kind == 3 and i + 2 < len(path):
            dev.bezier([(x, y), path[i + 1][1:], path[i + 2][1:]], to=True)
            t = path[i + 2][0]
            i += 2
        else:
            dev.line_to(x, y)
        if t & 0x80:
            dev.close_figure()
        i += 1


def _image(d: bytes) -> bytes | None:
    from PIL import Image

    if struct.unpack_from("<I", d, 4)[0] != 1:  # only bitmaps, not nested metafiles
        return None
    w, h, stride, fmt, kind = struct.unpack_from("<iiiII", d, 8)
    raw = d[28:]
    if kind == 1:  # a compressed file (PNG, JPEG, GIF...)
        with Image.open(io.BytesIO(raw)) as im:
            if im.width * im.height > 8_000_000:
                return None
            im.load()
            out = io.BytesIO()
            im.save(out, "PNG", compress_level=1)
            return out.getvalue()
    modes = {0x26200A: ("RGBA", "BGRA"), 0x22009: ("RGB", "BGRX"), 0x21808: ("RGB", "BGR")}
    if fmt not in modes or w <= 0 or h <= 0 or w * h > 8_000_000:
        return None
    mode, raw_mode = modes[fmt]
    im = Image.frombuffer(mode, (w, h), raw, "raw", raw_mode, stride, 1)
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _rects(d: bytes, flags: int, count: int | None = None) -> list[tuple[float, ...]]:
    if count is None:
        count, d = struct.unpack_from("<I", d)[0], d[4:]
    compressed = flags & 0x4000
    size = 8 if compressed else 16
    count = min(count, len(d) // size)
    fmt = "<4h" if compressed else "<4f"
    return [struct.unpack_from(fmt, d, i * size) for i in range(count)]


def _points(d: bytes, flags: int) -> list[tuple[float, float]]:
    count = struct.unpack_from("<I", d)[0]
    compressed = flags & 0x4000
    size = 4 if compressed else 8
    count = min(count, (len(d) - 4) // size)
    v = struct.unpack_from(f"<{2 * count}{'h' if compressed else 'f'}", d, 4)
    return list(zip(v[::2], v[1::2], strict=True))


def _pie(dev: Device, rect: tuple[float, ...], start: float, sweep: float, kind: str) -> None:
    x, y, w, h = rect
    cx, cy = x + w / 2, y + h / 2

    def at(deg: float) -> tuple[float, float]:
        a = math.radians(deg)
        return cx + w / 2 * math.cos(a), cy + h / 2 * math.sin(a)

    # GDI arcs run counter-clockwise on screen from start to end; EMF+ sweeps clockwise
    a0, a1 = (start, start + sweep) if sweep < 0 else (start + sweep, start)
    dev.arc((x, y, x + w, y + h), at(a0), at(a1), kind)


def play(data: bytes, dev: Device) -> None:
    """Run the EMF+ records of ``data`` against ``dev``."""
    player: _Player | None = None
    for payload in comments(data):
        for kind, flags, d in _records(payload):
            if kind == 0x4001 and len(d) >= 16:
                dpi = struct.unpack_from("<II", d, 8)
                player = _Player(dev, (float(dpi[0] or 96), float(dpi[1] or 96)))
                continue
            if kind == 0x4002:
                return
            if player is None:
                player = _Player(dev, (96.0, 96.0))
            try:
                player.play(kind, flags, d)
            except (struct.error, ValueError, IndexError):
                dev.notes.add(f"a damaged EMF+ record (0x{kind:04X})")
