"""Round charts: pie and doughnut slices, radar webs."""

from __future__ import annotations

import math

from ..model import Box, Fill, ShapeItem, Stroke
from ..xml import C, num
from .axes import gridlines, tick_labels_shown, tick_texts, value_scale
from .geometry import polygon, sector
from .labels import data_labels
from .part import Group, fmt_code, fraction_val
from .plots import _marker, marker_style, point_fill, series_style
from .style import Canvas, label, text_width


def pie(canvas: Canvas, g: Group, rect: Box) -> None:
    """The first series of a pie/doughnut group as slices starting at ``firstSliceAng``."""
    if not g.series:
        return
    hole = fraction_val(g.val("holeSize", "50")) if g.kind == "doughnut" else 0.0
    if g.name == "pie3DChart" and len(g.series[0].values) > 0:
        _pie_3d(canvas, g, rect)
        return
    d = min(rect.w, rect.h)
    pie_box = Box(rect.x + (rect.w - d) / 2, rect.y + (rect.h - d) / 2, d, d)
    rings = g.series if g.kind == "doughnut" else g.series[:1]
    ring_w = (1 - hole) / max(len(rings), 1)
    for k, s in enumerate(rings):
        values = [max(v or 0.0, 0.0) for v in s.values]
        total = sum(values)
        if total <= 0:
            continue
        outer = 1 - k * ring_w
        inner = outer - ring_w if g.kind == "doughnut" else 0.0
        box = Box(pie_box.cx - d * outer / 2, pie_box.cy - d * outer / 2, d * outer, d * outer)
        angle = float(g.val("firstSliceAng", "0") or 0)
        line = canvas.line(s.sp_pr)
        outline = (
            line
            if isinstance(line, Stroke)
            else None
            if line is False
            else Stroke((1.0, 1.0, 1.0), 0.75)
        )
        labels = data_labels(canvas, g, s, "bestFit")
        series_fill = series_style(canvas, g, s, len(rings))[0]
        for i, v in enumerate(values):
            if v <= 0:
                continue
            sweep = v / total * 360
            fill = point_fill(canvas, s, i, len(values), g.vary_colors, series_fill)
            path = sector(angle, sweep, inner / outer if outer else 0.0)
            canvas.items.append(ShapeItem("path", box, fill, outline, 0.0, path))
            if labels is not None:
                text = labels.text(s, i, s.values[i] or 0.0, total)
                mid = math.radians(angle + sweep / 2)
                r = d * outer / 2
                if labels.position == "outEnd":
                    w = text_width(text, labels.font)
                    dist = r + labels.height * 0.8 + abs(math.sin(mid)) * w / 2
                elif labels.position == "inEnd":
                    dist = r * 0.8
                elif labels.position == "ctr" or hole:
                    dist = r * (1 + inner / outer) / 2 if outer else r / 2
                else:
                    dist = r * 0.65
                labels.place(
                    canvas,
                    text,
                    pie_box.cx + dist * math.sin(mid),
                    pie_box.cy - dist * math.cos(mid),
                )
            angle += sweep


DEPTH = 0.11  # a tilted 3-D pie's height, as a fraction of its width (LibreOffice's look)


def _pie_3d(canvas: Canvas, g: Group, rect: Box) -> None:
    """A 3-D pie as LibreOffice shows it: tilted by the view's ``rotX`` (an
    ellipse) with a darker side wall along its front half; no value is lost."""
    chart = g.element.getparent().getparent() if g.element.getparent() is not None else None
    view = chart.find(C + "view3D") if chart is not None else None
    rot_x = float(num(view.find(C + "rotX").get("val") if view is not None
                      and view.find(C + "rotX") is not None else None, 30))  # fmt: skip
    squash = max(0.9 * math.sin(math.radians(min(max(rot_x, 10.0), 90.0))), 0.2)
    w = 0.9 * min(rect.w, rect.h / (squash + DEPTH))
    h, depth = w * squash, w * DEPTH
    box = Box(rect.x + (rect.w - w) / 2, rect.y + (rect.h - h - depth) / 2, w, h + depth)
    top = h / (h + depth)  # the top ellipse's share of the box's height
    s = g.series[0]
    values = [max(v or 0.0, 0.0) for v in s.values]
    total = sum(values)
    if total <= 0:
        return
    series_fill = series_style(canvas, g, s, 1)[0]
    line = canvas.line(s.sp_pr)
    outline = line if isinstance(line, Stroke) else None

    def at(angle: float, drop: float = 0.0) -> tuple[float, float]:
        a = math.radians(angle)
        return 0.5 + 0.5 * math.sin(a), (0.5 - 0.5 * math.cos(a)) * top + drop

    slices, angle = [], float(g.val("firstSliceAng", "0") or 0)
    for i, v in enumerate(values):
        if v > 0:
            sweep = v / total * 360
            slices.append((angle, sweep, point_fill(canvas, s, i, len(values), g.vary_colors,
                                                    series_fill)))  # fmt: skip
            angle += sweep
    walls, faces = [], []
    for start, sweep, fill in slices:
        steps = max(2, int(sweep / 3) + 1)
        arc = [start + sweep * k / steps for k in range(steps + 1)]
        front = [a for a in arc if 90 <= a % 360 <= 270]
        if len(front) > 1 and fill is not None:
            side = [at(a) for a in front] + [at(a, 1 - top) for a in reversed(front)]
            dark = Fill(tuple(c * 0.7 for c in fill.color))  # type: ignore[arg-type]
            walls.append(ShapeItem("path", box, dark, outline, 0.0, _closed(side)))
        face = [at(a) for a in arc] + ([] if sweep >= 359.99 else [(0.5, 0.5 * top)])
        faces.append(ShapeItem("path", box, fill, outline, 0.0, _closed(face)))
    canvas.items.extend(walls + faces)


def _closed(points: list[tuple[float, float]]) -> tuple:
    return (("M", points[0]), *(("L", p) for p in points[1:]), ("Z", ()))


def radar(canvas: Canvas, g: Group, rect: Box, cat_ax, val_ax) -> None:  # type: ignore[no-untyped-def]
    """A radar web: category spokes clockwise from the top, rings at the value ticks."""
    n = max([len(s.values) for s in g.series] + [len(s.categories) for s in g.series] + [1])
    cats = next((s.categories for s in g.series if s.categories), [])
    cats = cats + [str(i + 1) for i in range(len(cats), n)]
    vals = [v for s in g.series for v in s.values if v is not None] or [0.0, 1.0]
    scale = value_scale(
        val_ax,
        min(min(vals), 0.0),
        max(vals),
        expand_to_zero=True,
        close_to_border=False,
        steps=2,  # LibreOffice's radius axis asks for at most two main intervals
    )
    scale.reverse = False
    font = canvas.text_font(cat_ax.find(C + "txPr") if cat_ax is not None else None)
    show_cats = tick_labels_shown(cat_ax)
    margin = font.size * 1.6 if show_cats else 0
    longest = max((text_width(c, font) for c in cats), default=0) if show_cats else 0
    radius = max(min(rect.w / 2 - longest - 4, rect.h / 2 - margin), 4)
    cx, cy = rect.cx, rect.cy

    def at(i: float, v: float) -> tuple[float, float]:
        a = 2 * math.pi * i / n
        r = radius * min(max(scale.frac(v), 0.0), 1.2)
        return cx + r * math.sin(a), cy - r * math.cos(a)

    grid = gridlines(canvas, val_ax, "majorGridlines")
    spokes = gridlines(canvas, cat_ax, "majorGridlines") or Stroke(canvas.line_grey, 0.75)
    for t in scale.ticks()[1:] if grid is not None else []:
        canvas.items.append(polygon([at(i, t) for i in range(n)], None, grid, closed=True))
    for i in range(n):
        x, y = at(i, scale.hi)
        canvas.items.append(polygon([(cx, cy), (x, y)], None, spokes, closed=False))
        if show_cats:
            a = 2 * math.pi * i / n
            w = text_width(cats[i], font) + 8
            lx = cx + (radius + 4) * math.sin(a) + math.sin(a) * w / 2
            ly = cy - (radius + font.size * 0.9) * math.cos(a)
            canvas.items.append(
                label(cats[i], Box(lx - w / 2, ly - font.size * 0.7, w, font.size * 1.4), font)
            )
    filled = g.val("radarStyle") == "filled"
    for pos, s in enumerate(g.series):
        fill, stroke = series_style(canvas, g, s, len(g.series))
        pts = [at(i, v) for i, v in enumerate(s.values) if v is not None]
        if len(pts) < 2:
            continue
        if filled:
            canvas.items.append(
                polygon(pts, fill or Fill(canvas.series_color(s.index, 2)), stroke, closed=True)
            )
        elif stroke is not None:
            canvas.items.append(polygon(pts + pts[:1], None, stroke, closed=False))
        style = marker_style(canvas, g, s, pos, stroke)
        if style is not None and not filled:
            symbol, size, mfill, mline = style
            for x, y in pts:
                _marker(canvas, symbol, x, y, size, mfill, mline)
    if tick_labels_shown(val_ax):
        vfont = canvas.text_font(val_ax.find(C + "txPr"))
        code = fmt_code(val_ax) or (g.series[0].format_code if g.series else "General")
        for t, text in tick_texts(scale, code):
            x, y = at(0, t)
            w = text_width(text, vfont) + 6
            canvas.items.append(
                label(text, Box(x + 3, y - vfont.size * 0.7, w, vfont.size * 1.4), vfont, "l")
            )
