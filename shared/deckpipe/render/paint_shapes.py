"""Drawing shapes on a reportlab canvas: paths, gradients, picture fills,
dashed outlines, preset patterns, arrowheads and shadows.

Everything happens in the shape's local frame set up by the painter: the
origin at the box centre, y pointing up. Paths arrive as box fractions
(y down) and are mapped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from . import fills, images, patterns
from .model import RGB, Arrow, Fill, Gradient, PathOp, Shadow, ShapeItem, Stroke, SubPath

_RECT_OPS: tuple[PathOp, ...] = (
    ("M", (0.0, 0.0)), ("L", (1.0, 0.0)), ("L", (1.0, 1.0)), ("L", (0.0, 1.0)), ("Z", ()),
)  # fmt: skip
_K = 0.5522847498  # cubic Bézier handle for a quarter circle
_ELLIPSE_OPS: tuple[PathOp, ...] = (
    ("M", (0.0, 0.5)),
    ("C", (0.0, 0.5 - _K / 2, 0.5 - _K / 2, 0.0, 0.5, 0.0)),
    ("C", (0.5 + _K / 2, 0.0, 1.0, 0.5 - _K / 2, 1.0, 0.5)),
    ("C", (1.0, 0.5 + _K / 2, 0.5 + _K / 2, 1.0, 0.5, 1.0)),
    ("C", (0.5 - _K / 2, 1.0, 0.0, 0.5 + _K / 2, 0.0, 0.5)),
    ("Z", ()),
)
_SHADE = {"darken": -0.4, "darkenLess": -0.2, "lighten": 0.4, "lightenLess": 0.2}
_CAPS = {"flat": 0, "rnd": 1, "sq": 2}
_JOINS = {"miter": 0, "round": 1, "bevel": 2}
_ARROW_SIZE = {"sm": 2.0, "med": 3.0, "lg": 5.0}
# Tiles are drawn one by one, as LibreOffice does (the rasteriser then smooths
# each tile alike); more than this are drawn as one picture of them all
# (``images.tiled``), or stretched when that cannot be made (a metafile).
_MAX_TILES = 2500

ImageForm = Callable[[bytes], str]


def subpaths_of(item: ShapeItem) -> tuple[SubPath, ...]:
    """The item's outline as sub-paths, whatever its kind."""
    if item.subpaths:
        return item.subpaths
    if item.kind == "line":
        return (SubPath((("M", (0.0, 0.0)), ("L", (1.0, 1.0))), "none"),)
    if item.kind == "ellipse":
        return (SubPath(_ELLIPSE_OPS),)
    if item.kind == "roundRect" and item.corner > 0:
        return (SubPath(_round_rect_ops(item.box.w, item.box.h, item.corner)),)
    if item.kind == "path" and item.path:
        return (SubPath(item.path),)
    return (SubPath(_RECT_OPS),)


def _round_rect_ops(w: float, h: float, corner: float) -> tuple[PathOp, ...]:
    r = corner * min(w, h)
    rx, ry = (r / w if w else 0.0), (r / h if h else 0.0)
    kx, ky = rx * (1 - _K), ry * (1 - _K)
    return (
        ("M", (rx, 0.0)), ("L", (1 - rx, 0.0)), ("C", (1 - kx, 0.0, 1.0, ky, 1.0, ry)),
        ("L", (1.0, 1 - ry)), ("C", (1.0, 1 - ky, 1 - kx, 1.0, 1 - rx, 1.0)),
        ("L", (rx, 1.0)), ("C", (kx, 1.0, 0.0, 1 - ky, 0.0, 1 - ry)),
        ("L", (0.0, ry)), ("C", (0.0, ky, kx, 0.0, rx, 0.0)), ("Z", ()),
    )  # fmt: skip


class ShapeDrawer:
    """Draws ``ShapeItem``s; ``image_form`` turns picture bytes into a unit-square form."""

    def __init__(self, canvas: Canvas, image_form: ImageForm, image_size: Callable) -> None:
        self.c = canvas
        self.image_form = image_form
        self.image_size = image_size

    # -- geometry ----------------------------------------------------------

    def _path(self, ops: Sequence[PathOp], w: float, h: float):  # noqa: ANN202
        path = self.c.beginPath()
        x0, y0 = -w / 2, h / 2
        for op, pts in ops:
            xy = [(x0 + pts[i] * w, y0 - pts[i + 1] * h) for i in range(0, len(pts), 2)]
            if op == "M":
                path.moveTo(*xy[0])
            elif op == "L":
                path.lineTo(*xy[0])
            elif op == "C":
                path.curveTo(*xy[0], *xy[1], *xy[2])
            elif op == "Z":
                path.close()
        return path

    # -- the shape ------------------------------------------------------------

    def draw(self, item: ShapeItem, rot: float = 0.0) -> None:
        w, h = item.box.w, item.box.h
        parts = subpaths_of(item)
        if item.shadow is not None:
            self._shadow(item, parts, item.shadow)
        if item.fill is not None:
            for sub in parts:
                if sub.fill != "none" and sub.ops:
                    self._fill(self._path(sub.ops, w, h), item.fill, sub.fill, w, h)
        if item.stroke is not None:
            for sub in parts:
                if sub.stroke and sub.ops:
                    self._stroke(sub.ops, item.stroke, w, h)

    def _shadow(self, item: ShapeItem, parts: tuple[SubPath, ...], shadow: Shadow) -> None:
        c = self.c
        w, h = item.box.w, item.box.h
        # the offset is in slide space; undo the frame's rotation and flips
        a = math.radians(item.box.rot)
        vx, vy = shadow.dx, -shadow.dy
        lx, ly = vx * math.cos(a) - vy * math.sin(a), vx * math.sin(a) + vy * math.cos(a)
        lx *= -1 if item.box.flip_h else 1
        ly *= -1 if item.box.flip_v else 1
        c.saveState()
        c.translate(lx, ly)
        c.setFillColorRGB(*shadow.color)
        c.setStrokeColorRGB(*shadow.color)
        filled = item.fill is not None
        # a see-through fill casts a lighter shadow (LibreOffice shades the drawn content)
        c.setFillAlpha(shadow.alpha * (item.fill.alpha if item.fill is not None else 1.0))
        c.setStrokeAlpha(shadow.alpha * (item.stroke.alpha if item.stroke is not None else 1.0))
        for sub in parts:
            if filled and sub.fill != "none":
                c.drawPath(self._path(sub.ops, w, h), stroke=0, fill=1, fillMode=0)
            elif item.stroke is not None and sub.stroke:
                c.setLineWidth(item.stroke.width)
                c.drawPath(self._path(sub.ops, w, h), stroke=1, fill=0)
        c.restoreState()

    # -- fills ----------------------------------------------------------------

    def _fill(self, path, fill: Fill, shade: str, w: float, h: float) -> None:  # noqa: ANN001
        c = self.c
        if shade in _SHADE or (fill.gradient is None and fill.image is None and not fill.pattern):
            c.saveState()
            c.setFillColorRGB(*_shaded(fill.color, _SHADE.get(shade, 0.0)))
            if fill.alpha < 1:
                c.setFillAlpha(fill.alpha)
            c.drawPath(path, stroke=0, fill=1, fillMode=0)
            c.restoreState()
            return
        c.saveState()
        c.clipPath(path, stroke=0, fill=0, fillMode=0)
        if fill.gradient is not None:
            self.gradient(fill.gradient, w, h)
        elif fill.image is not None:
            self._picture(fill, w, h)
        elif fill.pattern:
            self._pattern(fill, w, h)
        c.restoreState()

    def _pattern(self, fill: Fill, w: float, h: float) -> None:
        """A preset pattern as LibreOffice draws it: the background colour, then
        the pattern's hatch of hairlines in the foreground colour (``patterns``)."""
        c = self.c
        fg, bg = fill.pattern_colors or ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
        if fill.alpha < 1:
            c.setFillAlpha(fill.alpha)
            c.setStrokeAlpha(fill.alpha)
        c.setFillColorRGB(*bg)
        c.rect(-w / 2, -h / 2, w, h, stroke=0, fill=1)
        c.setStrokeColorRGB(*fg)
        c.setLineWidth(patterns.HATCH_WIDTH)
        c.setLineCap(0)
        path = c.beginPath()
        for x0, y0, x1, y1 in patterns.hatch_lines(fill.pattern, w, h):
            path.moveTo(-w / 2 + x0, h / 2 - y0)
            path.lineTo(-w / 2 + x1, h / 2 - y1)
        c.drawPath(path, stroke=1, fill=0)

    def gradient(self, g: Gradient, w: float, h: float) -> None:
        """Paint ``g`` over the box (already clipped) centred at the origin."""
        c = self.c
        stops = sorted(g.stops, key=lambda s: s[0])
        if not stops:
            return
        if stops[0][0] > 0:
            stops.insert(0, (0.0, stops[0][1], stops[0][2]))
        if stops[-1][0] < 1:
            stops.append((1.0, stops[-1][1], stops[-1][2]))
        positions = [min(max(s[0], 0.0), 1.0) for s in stops]
        colors = [Color(*s[1]) for s in stops]
        alpha = sum(s[2] for s in stops) / len(stops)
        if alpha < 1:
            c.setFillAlpha(alpha)
        if g.kind == "linear":
            a = math.radians(g.angle)
            if g.scaled and w > 0 and h > 0:
                c.scale(w, h)
                bw, bh = 1.0, 1.0
            else:
                bw, bh = w, h
            dx, dy = math.cos(a), -math.sin(a)
            e = abs(bw / 2 * dx) + abs(bh / 2 * dy)
            c.linearGradient(-e * dx, -e * dy, e * dx, e * dy, colors, positions, extend=True)
            return
        fl, ft, fr, fb = g.focus
        cx = -w / 2 + (fl + (1 - fr)) / 2 * w
        cy = h / 2 - (ft + (1 - fb)) / 2 * h
        radius = max(math.hypot(cx - x, cy - y) for x in (-w / 2, w / 2) for y in (-h / 2, h / 2))
        c.radialGradient(cx, cy, max(radius, 0.01), colors, positions, extend=True)

    def _picture(self, fill: Fill, w: float, h: float) -> None:
        c = self.c
        assert fill.image is not None
        if fill.alpha < 1:
            c.setFillAlpha(fill.alpha)
        if fill.image_tile:  # tiles placed as LibreOffice does (see ``fills.tile_layout``)
            layout = fills.tile_layout(fill, w, h, self.image_size(fill.image))
            if layout is not None:
                x0, y0, tw, th, cols, rows = layout
                whole = images.tiled(fill.image, cols, rows) if cols * rows > _MAX_TILES else None
                if whole is not None:  # many small tiles: one picture of them all
                    cols, rows, tw, th = 1, 1, tw * cols, th * rows
                if whole is not None or cols * rows <= _MAX_TILES:
                    form = self.image_form(whole or fill.image)
                    for row in range(rows):
                        for col in range(cols):
                            c.saveState()
                            c.translate(-w / 2 + x0 + col * tw, h / 2 - y0 - (row + 1) * th)
                            c.scale(tw, th)
                            c.doForm(form)
                            c.restoreState()
                    return
        form = self.image_form(fill.image)
        left, top, right, bottom = fill.image_rect
        dw, dh = w * (1 - left - right), h * (1 - top - bottom)
        dx, dy = -w / 2 + left * w, h / 2 - top * h - dh
        cl, ct, cr, cb = fill.image_crop
        show_w, show_h = 1 - cl - cr, 1 - ct - cb
        if dw <= 0 or dh <= 0 or show_w <= 0.001 or show_h <= 0.001:
            return
        full_w, full_h = dw / show_w, dh / show_h
        c.translate(dx - cl * full_w, dy + dh + ct * full_h - full_h)
        c.scale(full_w, full_h)
        c.doForm(form)

    # -- outlines ---------------------------------------------------------------

    def _stroke(self, ops: Sequence[PathOp], s: Stroke, w: float, h: float) -> None:
        c = self.c
        c.saveState()
        c.setStrokeColorRGB(*s.color)
        c.setLineWidth(s.width)
        if s.alpha < 1:
            c.setStrokeAlpha(s.alpha)
            c.setFillAlpha(s.alpha)
        c.setLineCap(_CAPS.get(s.cap, 0))
        c.setLineJoin(_JOINS.get(s.join, 1))
        if s.dash:
            c.setDash([max(d * s.width, 0.1) for d in s.dash], 0)
        elif s.dashed:
            c.setDash(3 * s.width, 2 * s.width)
        closed = any(op == "Z" for op, _ in ops)
        ends = None if closed else _ends(ops, w, h)
        if ends is not None and (s.head or s.tail):
            ops = _trim(ops, s, w, h)
        c.drawPath(self._path(ops, w, h), stroke=1, fill=0)
        if ends is not None:
            c.setDash([], 0)
            c.setFillColorRGB(*s.color)
            (p0, d0), (p1, d1) = ends
            if s.head is not None:
                self._arrow(p0, d0, s.head, s.width)
            if s.tail is not None:
                self._arrow(p1, d1, s.tail, s.width)
        c.restoreState()

    def _arrow(self, tip: tuple[float, float], d: tuple[float, float], a: Arrow, lw: float) -> None:
        """An arrowhead with its tip at ``tip`` pointing along unit vector ``d``."""
        c = self.c
        size = max(lw, 1.0)
        length = _ARROW_SIZE.get(a.length, 3.0) * size
        half = _ARROW_SIZE.get(a.width, 3.0) * size / 2
        (tx, ty), (dx, dy) = tip, d
        nx, ny = -dy, dx

        def at(along: float, across: float) -> tuple[float, float]:
            return tx + dx * along + nx * across, ty + dy * along + ny * across

        p = c.beginPath()
        if a.kind == "oval":
            p.ellipse(tx - length / 2, ty - half, length, 2 * half)  # axis-aligned approximation
            c.drawPath(p, stroke=0, fill=1)
            return
        if a.kind == "diamond":
            pts = [at(length / 2, 0), at(0, half), at(-length / 2, 0), at(0, -half)]
        elif a.kind == "stealth":
            pts = [at(0, 0), at(-length, half), at(-0.6 * length, 0), at(-length, -half)]
        elif a.kind == "arrow":
            p.moveTo(*at(-length, half))
            p.lineTo(*at(0, 0))
            p.lineTo(*at(-length, -half))
            c.setLineJoin(0)
            c.drawPath(p, stroke=1, fill=0)
            return
        else:  # triangle
            pts = [at(0, 0), at(-length, half), at(-length, -half)]
        p.moveTo(*pts[0])
        for q in pts[1:]:
            p.lineTo(*q)
        p.close()
        c.drawPath(p, stroke=0, fill=1)


def _shaded(rgb: RGB, amount: float) -> RGB:
    if amount < 0:
        return tuple(v * (1 + amount) for v in rgb)  # type: ignore[return-value]
    return tuple(v + (1 - v) * amount for v in rgb)  # type: ignore[return-value]


def _local(pt: tuple[float, float], w: float, h: float) -> tuple[float, float]:
    return -w / 2 + pt[0] * w, h / 2 - pt[1] * h


def _ends(ops: Sequence[PathOp], w: float, h: float):  # noqa: ANN202
    """((start, outward direction), (end, outward direction)) of an open path."""
    pts: list[tuple[float, float]] = []
    for _, v in ops:
        pts += [_local((v[i], v[i + 1]), w, h) for i in range(0, len(v), 2)]
    if len(pts) < 2:
        return None

    def direction(tip: tuple[float, float], others: list[tuple[float, float]]):  # noqa: ANN202
        for q in others:
            dx, dy = tip[0] - q[0], tip[1] - q[1]
            n = math.hypot(dx, dy)
            if n > 1e-6:
                return dx / n, dy / n
        return None

    d0 = direction(pts[0], pts[1:])
    d1 = direction(pts[-1], pts[-2::-1])
    if d0 is None or d1 is None:
        return None
    return (pts[0], d0), (pts[-1], d1)


def _trim(ops: Sequence[PathOp], s: Stroke, w: float, h: float) -> tuple[PathOp, ...]:
    """Pull a straight first/last segment back under a filled arrowhead so the
    line's end does not poke through the tip."""
    out = list(ops)

    def pull(index: int, point_at: int, toward: tuple[float, float], a: Arrow) -> None:
        if a.kind in ("arrow", "oval", "diamond") or w <= 0 and h <= 0:
            return
        op, v = out[index]
        px, py = v[point_at], v[point_at + 1]
        lx, ly = (px - toward[0]) * w, (py - toward[1]) * h
        n = math.hypot(lx, ly)
        back = _ARROW_SIZE.get(a.length, 3.0) * max(s.width, 1.0) * 0.6
        if n <= back * 1.2:
            return
        f = back / n
        nv = list(v)
        nv[point_at], nv[point_at + 1] = px - (px - toward[0]) * f, py - (py - toward[1]) * f
        out[index] = (op, tuple(nv))

    if len(out) >= 2 and out[0][0] == "M" and out[1][0] == "L" and s.head is not None:
        pull(0, 0, (out[1][1][0], out[1][1][1]), s.head)
    if len(out) >= 2 and out[-1][0] == "L" and s.tail is not None:
        prev = out[-2][1]
        pull(len(out) - 1, 0, (prev[-2], prev[-1]), s.tail)
    return tuple(out)
