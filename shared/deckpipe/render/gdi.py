"""A Windows GDI device context that records drawing, shared by the EMF and WMF readers.

EMF and WMF are both recordings of GDI calls; only their record layouts
differ. ``emf`` and ``wmf`` decode records and call this class, which keeps
GDI's state (mapping mode, window and viewport, world transform, selected
pen, brush and font, text settings, clipping, the path bracket, saved
states) and turns every drawing call into an ``Op`` of the display list in
the picture's own frame: a 1000 × 1000 box, y down. ``metafile_paint``
replays the list on a PDF canvas. Nothing here draws; every loop and table
is bounded so a hostile file costs bounded time and memory. Bitmaps
(device-independent bitmaps with their raster operations) become PNGs here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .model import RGB

BOX = 1000.0  # the display list's frame size
MAX_OBJECTS = 65536
MAX_SAVED = 256
MAX_OPS = 50_000  # display-list items: each costs about a kilobyte while the form is made
MAX_POINTS = 500_000

Matrix = tuple[float, float, float, float, float, float]  # x' = a x + c y + e, y' = b x + d y + f
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Seg = tuple  # ("M", x, y) | ("L", x, y) | ("C", x1, y1, x2, y2, x, y) | ("Z",)


class MetafileError(ValueError):
    """The file is not a metafile we can read, or breaks a bound."""


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n``."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)  # fmt: skip


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


@dataclass
class Pen:
    color: RGB = (0.0, 0.0, 0.0)
    width: float = 0.0  # logical units; 0 = one device pixel
    style: int = 0  # PS_SOLID 0, DASH 1, DOT 2, DASHDOT 3, DASHDOTDOT 4, NULL 5
    cap: int = 0  # PS_ENDCAP_ROUND 0, SQUARE 1, FLAT 2
    join: int = 0  # PS_JOIN_ROUND 0, BEVEL 1, MITER 2


@dataclass
class Brush:
    color: RGB = (1.0, 1.0, 1.0)
    style: int = 0  # BS_SOLID 0, NULL 1, HATCHED 2, PATTERN 3, DIBPATTERN 5/6
    hatch: int = 0  # for BS_HATCHED: HS_HORIZONTAL 0, VERTICAL 1, FDIAGONAL 2, BDIAGONAL 3,
    # CROSS 4, DIAGCROSS 5 (one-pixel lines every 8 device pixels)


@dataclass
class Font:
    height: float = 12.0  # logical units; < 0 is the em size, > 0 the cell height
    escapement: float = 0.0  # tenths of a degree, counter-clockwise
    weight: int = 400
    italic: bool = False
    underline: bool = False
    strike: bool = False
    face: str = "Arial"


@dataclass(frozen=True)
class Op:
    """One display-list item. ``kind``: ``path`` (``segs``, ``fill``, ``stroke``,
    ``width``, ``dash``, ``evenodd``), ``text`` (``text``, ``x``, ``y``, ``font``,
    ``size``, ``color``, ``angle``, ``align``, ``advance``, ``scale``) or ``image``
    (``png``, ``x``, ``y``, ``w``, ``h``). ``clip`` is a tuple of clip paths, all applied."""

    kind: str
    clip: tuple = ()
    segs: tuple = ()
    fill: RGB | None = None
    stroke: RGB | None = None
    width: float = 0.0
    dash: tuple[float, ...] = ()
    evenodd: bool = False
    cap: int = 0
    join: int = 1
    text: str = ""
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    font: Font | None = None
    size: float = 0.0
    color: RGB = (0.0, 0.0, 0.0)
    angle: float = 0.0
    align: int = 0
    advance: float | None = None
    scale: tuple[float, float] = (1.0, 1.0)
    png: bytes = b""
    hatch: int = -1  # a hatched fill: ``fill`` lines in this HS_* style over ``hatch_bg``
    hatch_bg: RGB | None = None


@dataclass
class State:
    window_org: tuple[float, float] = (0.0, 0.0)
    window_ext: tuple[float, float] = (1.0, 1.0)
    viewport_org: tuple[float, float] = (0.0, 0.0)
    viewport_ext: tuple[float, float] = (1.0, 1.0)
    map_mode: int = 1  # MM_TEXT
    world: Matrix = IDENTITY
    pen: Pen = field(default_factory=Pen)
    brush: Brush = field(default_factory=Brush)
    font: Font = field(default_factory=Font)
    text_color: RGB = (0.0, 0.0, 0.0)
    bk_color: RGB = (1.0, 1.0, 1.0)
    bk_opaque: bool = False
    text_align: int = 0
    winding: bool = False  # ALTERNATE (even-odd) unless SetPolyFillMode(WINDING)
    pos: tuple[float, float] = (0.0, 0.0)
    clip: tuple = ()


# Raster operations of bitmap records, and how each is approximated: as a plain
# copy, or with the pixels that leave the destination unchanged made transparent
# (white for AND, black for OR and XOR: a mask-and-image pair then comes out right).
SRCCOPY, SRCAND, SRCPAINT, SRCINVERT = 0xCC0020, 0x8800C6, 0xEE0086, 0x660046
PATCOPY, BLACKNESS, WHITENESS = 0xF00021, 0x000042, 0xFF0062
_KEY_FOR_ROP = {SRCAND: 255, SRCPAINT: 0, SRCINVERT: 0}


_STOCK = {  # GetStockObject indexes (0x80000000 | n)
    0: Brush((1.0, 1.0, 1.0)), 1: Brush((0.75, 0.75, 0.75)), 2: Brush((0.5, 0.5, 0.5)),
    3: Brush((0.25, 0.25, 0.25)), 4: Brush((0.0, 0.0, 0.0)), 5: Brush(style=1),
    6: Pen((1.0, 1.0, 1.0)), 7: Pen((0.0, 0.0, 0.0)), 8: Pen(style=5),
}  # fmt: skip
# mapping modes with fixed units: logical units per device pixel at 96 dpi is set by the reader
_FIXED_MODES = {2: 0.1, 3: 0.01, 4: 0.01 * 25.4, 5: 0.001 * 25.4, 6: 25.4 / 1440}  # mm per unit


class Device:
    """The recording device context (see the module docstring).

    ``frame`` is the picture's rectangle in device units (left, top, right,
    bottom); ``px_per_mm`` (across, down) converts the fixed mapping modes' units."""

    def __init__(self, frame: tuple[float, float, float, float],
                 px_per_mm: tuple[float, float] = (96 / 25.4, 96 / 25.4)):
        left, top, right, bottom = frame
        if right == left or bottom == top:
            raise MetafileError("empty picture frame")
        self.frame = frame
        self.px_per_mm = px_per_mm
        self._to_box: Matrix = (BOX / (right - left), 0.0, 0.0, BOX / (bottom - top),
                                -left * BOX / (right - left), -top * BOX / (bottom - top))
        self.s = State()
        self.saved: list[State] = []
        self.objects: dict[int, object] = {}
        self.ops: list[Op] = []
        self.points = 0
        self.path: list[Seg] | None = None  # inside BEGINPATH..ENDPATH
        self.done_path: list[Seg] = []
        self.notes: set[str] = set()
        self._matrix: Matrix | None = None

    # -- mapping ------------------------------------------------------------

    def page_to_device(self) -> Matrix:
        s = self.s
        if s.map_mode in (7, 8):  # ISOTROPIC / ANISOTROPIC
            wx, wy = s.window_ext
            vx, vy = s.viewport_ext
            sx = vx / wx if wx else 1.0
            sy = vy / wy if wy else 1.0
            if s.map_mode == 7 and sx and sy:
                m = min(abs(sx), abs(sy))
                sx, sy = math.copysign(m, sx), math.copysign(m, sy)
        elif s.map_mode in _FIXED_MODES:
            sx = _FIXED_MODES[s.map_mode] * self.px_per_mm[0]
            sy = -_FIXED_MODES[s.map_mode] * self.px_per_mm[1]  # y grows upwards
        else:
            sx = sy = 1.0
        ox, oy = s.window_org
        px, py = s.viewport_org
        return (sx, 0.0, 0.0, sy, px - ox * sx, py - oy * sy)

    def matrix(self) -> Matrix:
        """Logical units → display-list box."""
        if self._matrix is None:
            self._matrix = multiply(multiply(self.s.world, self.page_to_device()), self._to_box)
        return self._matrix

    def changed(self) -> None:
        self._matrix = None

    def pt(self, x: float, y: float) -> tuple[float, float]:
        return apply(self.matrix(), x, y)

    def _linear_scale(self) -> float:
        a, b, c, d, _, _ = self.matrix()
        return math.sqrt(abs(a * d - b * c))

    def device_scale(self) -> tuple[float, float]:
        """Display-list units per device pixel (x, y)."""
        return abs(self._to_box[0]), abs(self._to_box[3])

    # -- state ----------------------------------------------------------------

    def save(self) -> None:
        if len(self.saved) >= MAX_SAVED:
            raise MetafileError("too many saved states")
        s = self.s
        self.saved.append(State(**{**s.__dict__}))

    def restore(self, n: int = -1) -> None:
        """RestoreDC: ``n`` < 0 counts back from the latest save, ``n`` > 0 is absolute."""
        index = len(self.saved) + n if n < 0 else n - 1
        if not 0 <= index < len(self.saved):
            return
        self.s = self.saved[index]
        del self.saved[index:]
        self.changed()

    def put(self, index: int, obj: object) -> None:
        if not 0 <= index < MAX_OBJECTS:
            raise MetafileError("object index out of range")
        self.objects[index] = obj

    def select(self, index: int) -> None:
        obj = _STOCK.get(index & 0x7FFFFFFF) if index & 0x80000000 else self.objects.get(index)
        if isinstance(obj, Pen):
            self.s.pen = obj
        elif isinstance(obj, Brush):
            self.s.brush = obj
        elif isinstance(obj, Font):
            self.s.font = obj

    def delete(self, index: int) -> None:
        self.objects.pop(index, None)

    # -- clipping -------------------------------------------------------------

    def intersect_clip(self, left: float, top: float, right: float, bottom: float) -> None:
        self.s.clip = (*self.s.clip, self._rect_segs(left, top, right, bottom))

    def set_clip_device_rects(self, rects: list[tuple[float, float, float, float]]) -> None:
        """A clip region given as device rectangles (their union); none resets the clip."""
        if not rects:
            self.s.clip = ()
            return
        segs: list[Seg] = []
        for left, top, right, bottom in rects[:10000]:
            corners = [apply(self._to_box, x, y) for x, y in
                       ((left, top), (right, top), (right, bottom), (left, bottom))]
            segs += [("M", *corners[0]), *(("L", *c) for c in corners[1:]), ("Z",)]
        self.s.clip = (tuple(segs),)

    def clip_to_path(self) -> None:
        if self.done_path:
            self.s.clip = (*self.s.clip, tuple(self.done_path))

    # -- paths ------------------------------------------------------------------

    def _count(self, n: int) -> None:
        self.points += n
        if self.points > MAX_POINTS:
            raise MetafileError("too many points")

    def _rect_segs(self, left: float, top: float, right: float, bottom: float) -> tuple:
        corners = ((left, top), (right, top), (right, bottom), (left, bottom))
        pts = [self.pt(x, y) for x, y in corners]
        return (("M", *pts[0]), *(("L", *p) for p in pts[1:]), ("Z",))

    def emit(self, segs: list[Seg] | tuple, fill: bool, stroke: bool) -> None:
        """Fill and/or stroke ``segs`` (box coordinates) with the current brush and pen,
        or add them to the open path bracket."""
        if not segs:
            return
        if self.path is not None:
            self.path.extend(segs)
            return
        s = self.s
        fill_rgb = s.brush.color if fill and s.brush.style != 1 else None
        pen = s.pen
        stroke_rgb = pen.color if stroke and pen.style != 5 else None
        if fill_rgb is None and stroke_rgb is None:
            return
        width = pen.width * self._linear_scale() if pen.width > 0 else 0.0
        if width <= 0:  # cosmetic: one device pixel
            width = sum(self.device_scale()) / 2
        hatched = fill_rgb is not None and s.brush.style == 2
        self._add(Op("path", s.clip, tuple(segs), fill_rgb, stroke_rgb, width,
                     _DASHES.get(pen.style, ()), not s.winding, pen.cap, pen.join,
                     scale=self.device_scale(), hatch=s.brush.hatch if hatched else -1,
                     hatch_bg=s.bk_color if hatched and s.bk_opaque else None))

    def _add(self, op: Op) -> None:
        if len(self.ops) >= MAX_OPS:
            raise MetafileError("too many drawing records")
        self.ops.append(op)

    def move_to(self, x: float, y: float) -> None:
        self.s.pos = (x, y)
        if self.path is not None:
            self.path.append(("M", *self.pt(x, y)))

    def line_to(self, x: float, y: float) -> None:
        if self.path is not None:
            if not self.path:
                self.path.append(("M", *self.pt(*self.s.pos)))
            self.path.append(("L", *self.pt(x, y)))
        else:
            self.emit([("M", *self.pt(*self.s.pos)), ("L", *self.pt(x, y))], False, True)
        self.s.pos = (x, y)

    def poly(self, pts: list[tuple[float, float]], closed: bool, to: bool = False) -> None:
        """Polyline / polygon (``to``: continue from the current position)."""
        self._count(len(pts))
        if not pts:
            return
        start = [self.s.pos] if to else []
        seq = start + pts
        segs: list[Seg] = []
        if not (to and self.path):
            segs.append(("M", *self.pt(*seq[0])))
        segs += [("L", *self.pt(x, y)) for x, y in seq[1:]]
        if closed:
            segs.append(("Z",))
        if to:
            self.s.pos = pts[-1]
        self.emit(segs, closed, True)

    def poly_polygon(self, polys: list[list[tuple[float, float]]]) -> None:
        segs: list[Seg] = []
        for pts in polys:
            self._count(len(pts))
            if pts:
                segs += [("M", *self.pt(*pts[0])), *(("L", *self.pt(*p)) for p in pts[1:]), ("Z",)]
        self.emit(segs, True, True)

    def poly_polyline(self, lines: list[list[tuple[float, float]]]) -> None:
        segs: list[Seg] = []
        for pts in lines:
            self._count(len(pts))
            if pts:
                segs += [("M", *self.pt(*pts[0])), *(("L", *self.pt(*p)) for p in pts[1:])]
        self.emit(segs, False, True)

    def bezier(self, pts: list[tuple[float, float]], to: bool) -> None:
        self._count(len(pts))
        seq = ([self.s.pos] + pts) if to else pts
        if len(seq) < 4:
            return
        segs: list[Seg] = []
        if not (to and self.path):
            segs.append(("M", *self.pt(*seq[0])))
        for i in range(1, len(seq) - 2, 3):
            segs.append(("C", *self.pt(*seq[i]), *self.pt(*seq[i + 1]), *self.pt(*seq[i + 2])))
        if to:
            self.s.pos = seq[-1]
        self.emit(segs, False, True)

    def rectangle(self, left: float, top: float, right: float, bottom: float) -> None:
        self.emit(list(self._rect_segs(left, top, right, bottom)), True, True)

    def ellipse(self, left: float, top: float, right: float, bottom: float) -> None:
        self.emit(self._arc_segs(left, top, right, bottom, 0.0, 2 * math.pi, True), True, True)

    def round_rect(self, left: float, top: float, right: float, bottom: float,
                   rw: float, rh: float) -> None:
        left, right = min(left, right), max(left, right)
        top, bottom = min(top, bottom), max(top, bottom)
        rx, ry = min(abs(rw) / 2, (right - left) / 2), min(abs(rh) / 2, (bottom - top) / 2)
        k = 0.5523
        p = [(left + rx, top), (right - rx, top), (right - rx + k * rx, top, right,
             top + ry - k * ry, right, top + ry), (right, bottom - ry),
             (right, bottom - ry + k * ry, right - rx + k * rx, bottom, right - rx, bottom),
             (left + rx, bottom), (left + rx - k * rx, bottom, left, bottom - ry + k * ry, left,
             bottom - ry), (left, top + ry), (left, top + ry - k * ry, left + rx - k * rx, top,
             left + rx, top)]  # fmt: skip
        segs: list[Seg] = [("M", *self.pt(*p[0]))]
        for q in p[1:]:
            if len(q) == 2:
                segs.append(("L", *self.pt(*q)))
            else:
                segs.append(("C", *self.pt(q[0], q[1]), *self.pt(q[2], q[3]), *self.pt(q[4], q[5])))
        segs.append(("Z",))
        self.emit(segs, True, True)

    def arc(self, box: tuple[float, float, float, float], start: tuple[float, float],
            end: tuple[float, float], kind: str) -> None:
        """ARC, CHORD or PIE: counter-clockwise (in logical y-down terms) from the
        radial through ``start`` to the radial through ``end``."""
        left, top, right, bottom = box
        cx, cy = (left + right) / 2, (top + bottom) / 2
        a0 = math.atan2(start[1] - cy, start[0] - cx)
        a1 = math.atan2(end[1] - cy, end[0] - cx)
        sweep = a0 - a1  # counter-clockwise on screen = decreasing angle with y down
        while sweep <= 0:
            sweep += 2 * math.pi
        segs = self._arc_segs(left, top, right, bottom, a0, -sweep, False)
        if kind == "pie":
            segs += [("L", *self.pt(cx, cy)), ("Z",)]
        elif kind == "chord":
            segs.append(("Z",))
        self.emit(segs, kind != "arc", True)

    def _arc_segs(self, left: float, top: float, right: float, bottom: float,
                  a0: float, sweep: float, closed: bool) -> list[Seg]:
        cx, cy = (left + right) / 2, (top + bottom) / 2
        rx, ry = abs(right - left) / 2, abs(bottom - top) / 2
        n = max(1, math.ceil(abs(sweep) / (math.pi / 2) - 1e-9))
        step = sweep / n
        k = 4 / 3 * math.tan(step / 4)

        def at(t: float) -> tuple[float, float]:
            return cx + rx * math.cos(t), cy + ry * math.sin(t)

        segs: list[Seg] = [("M", *self.pt(*at(a0)))]
        a = a0
        for _ in range(n):
            b = a + step
            ca, sa, cb, sb = math.cos(a), math.sin(a), math.cos(b), math.sin(b)
            p1 = (cx + rx * (ca - k * sa), cy + ry * (sa + k * ca))
            p2 = (cx + rx * (cb + k * sb), cy + ry * (sb - k * cb))
            segs.append(("C", *self.pt(*p1), *self.pt(*p2), *self.pt(*at(b))))
            a = b
        if closed:
            segs.append(("Z",))
        return segs

    def begin_path(self) -> None:
        self.path = []

    def end_path(self) -> None:
        if self.path is not None:
            self.done_path = self.path
        self.path = None

    def close_figure(self) -> None:
        if self.path:
            self.path.append(("Z",))

    def draw_path(self, fill: bool, stroke: bool) -> None:
        if self.path is not None:
            self.end_path()
        segs, self.done_path = self.done_path, []
        self.emit(segs, fill, stroke)

    # -- text and pictures ----------------------------------------------------

    def text(self, x: float, y: float, text: str, advance: float | None = None) -> None:
        """Text at logical (x, y) aligned by the text-align flags; ``advance`` is
        the logical width the file gives the string (from its spacing array)."""
        if not text.strip():
            return
        s = self.s
        f = s.font
        a, b, c, d, _, _ = multiply(s.world, self.page_to_device())
        dev_y = math.hypot(c, d)
        # a negative height is the em size; a positive one the cell (the replay
        # divides it by the drawing face's ascent + descent + line gap)
        em = abs(f.height) * dev_y if f.height else 12.0
        if s.text_align & 1:  # TA_UPDATECP
            x, y = s.pos
        bx, by = self.pt(x, y)
        flip = a * d - b * c < 0
        # visual angle, counter-clockwise: the escapement, less the world rotation
        # (which turns clockwise on a y-down device)
        angle = f.escapement / 10 - (math.degrees(math.atan2(b, a)) if not flip else 0.0)
        dev_adv = advance * math.hypot(a, b) if advance else None
        self._add(Op("text", s.clip, text=text[:4000], x=bx, y=by, font=f, size=em,
                     color=s.text_color, angle=angle, align=s.text_align, advance=dev_adv,
                     scale=self.device_scale()))

    def image(self, png: bytes, left: float, top: float, right: float, bottom: float) -> None:
        x0, y0 = self.pt(left, top)
        x1, y1 = self.pt(right, bottom)
        self._add(Op("image", self.s.clip, x=min(x0, x1), y=min(y0, y1), w=abs(x1 - x0),
                     h=abs(y1 - y0), png=png))

    def fill_rect(self, left: float, top: float, right: float, bottom: float,
                  color: RGB) -> None:
        if right != left and bottom != top:
            self._add(Op("path", self.s.clip, self._rect_segs(left, top, right, bottom), color))

    def fill_rect_with_brush(self, left: float, top: float, right: float, bottom: float,
                             rop: int = PATCOPY) -> None:
        """A BitBlt with no source bitmap: the brush (PATCOPY), black or white
        painted over the destination; other raster operations are left out."""
        s = self.s
        color = {BLACKNESS: (0.0, 0.0, 0.0), WHITENESS: (1.0, 1.0, 1.0)}.get(rop)
        if rop == PATCOPY and s.brush.style != 1:
            color = s.brush.color
        if color is not None:
            self.fill_rect(left, top, right, bottom, color)


_DASHES = {1: (6.0, 2.0), 2: (1.0, 1.0), 3: (6.0, 2.0, 1.0, 2.0), 4: (6.0, 2.0, 1.0, 2.0, 1.0, 2.0)}


def colorref(value: int) -> RGB:
    """A COLORREF (0x00BBGGRR) as RGB in 0..1."""
    return ((value & 0xFF) / 255, ((value >> 8) & 0xFF) / 255, ((value >> 16) & 0xFF) / 255)


MAX_BITMAP_PIXELS = 8_000_000


def dib_png(
    info: bytes, bits: bytes, rop: int = SRCCOPY, alpha: int | None = None,
    transparent: RGB | None = None,
) -> bytes | None:
    """A device-independent bitmap (BITMAPINFO and its pixel bits) as PNG bytes,
    or None when Pillow cannot read it or it is too large. ``alpha`` (0..255) is an
    AlphaBlend's constant opacity; 32-bit pixels then carry premultiplied alpha.
    ``transparent`` is a TransparentBlt's colour key."""
    if alpha is not None:
        found = _alpha_dib(info, bits, alpha)
        if found is not None:
            return found
    import io
    import struct

    from PIL import Image, ImageChops

    if len(info) < 16:
        return None
    header_size, width, height = struct.unpack_from("<Iii", info)
    if header_size < 12 or abs(width * height) > MAX_BITMAP_PIXELS or not width or not height:
        return None
    bmp = b"BM" + struct.pack("<IHHI", 14 + len(info) + len(bits), 0, 0, 14 + len(info))
    try:
        with Image.open(io.BytesIO(b"".join((bmp, info, bits)))) as im:
            im.load()
            if im.mode not in ("RGB", "RGBA", "L", "P", "1"):
                im = im.convert("RGB")
            elif im.mode == "RGBA" and im.getchannel("A").getextrema()[1] == 0:
                im = im.convert("RGB")  # 32-bit pixels whose fourth byte is unused
            key = _KEY_FOR_ROP.get(rop)
            if key is not None:
                im = im.convert("RGB")
                alpha = im.convert("L").point(lambda v: 0 if v == key else 255)
                im.putalpha(alpha)
            elif transparent is not None:
                im = im.convert("RGB")
                rgb = tuple(round(v * 255) for v in transparent)
                bands = [b.point(lambda v, k=k: 255 if v == k else 0)
                         for b, k in zip(im.split(), rgb, strict=True)]
                keyed = ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])
                im.putalpha(ImageChops.invert(keyed))
            out = io.BytesIO()
            im.save(out, "PNG", compress_level=1)
            return out.getvalue()
    except Exception:
        return None


def _alpha_dib(info: bytes, bits: bytes, alpha: int) -> bytes | None:
    import io
    import struct

    from PIL import Image

    if len(info) < 40:
        return None
    _, width, height, _, bitcount, compression = struct.unpack_from("<IiiHHI", info)
    if bitcount != 32 or compression not in (0, 3) or width <= 0 or not height:
        return None
    h = abs(height)
    if width * h > MAX_BITMAP_PIXELS or len(bits) < width * h * 4:
        return None
    orientation = -1 if height > 0 else 1  # bottom-up rows unless the height is negative
    im = Image.frombuffer("RGBA", (width, h), bits, "raw", "BGRa", width * 4, orientation)
    if alpha < 255:
        im.putalpha(im.getchannel("A").point(lambda v: v * alpha // 255))
    out = io.BytesIO()
    im.save(out, "PNG", compress_level=1)
    return out.getvalue()
