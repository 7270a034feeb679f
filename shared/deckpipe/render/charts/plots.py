"""The series of each chart kind drawn on a plane: bars, lines, areas, bubbles, stock."""

from __future__ import annotations

import math

from ..model import Box, Fill, ShapeItem, Stroke
from ..xml import C, num
from .axes import Scale
from .geometry import Plane, polygon
from .labels import data_labels
from .part import Group, Series, numbers, on, val
from .style import Canvas

# LibreOffice's standard symbols in its numbering (chart2 StandardSymbol 0..14); an
# automatic marker takes the one numbered by the series' place among all the chart's
# series, one further on for series with x values (VDataSeries::getSymbolProperties).
AUTO_SYMBOLS = (
    "square",
    "diamond",
    "triangle_down",
    "triangle",
    "triangle_right",
    "triangle_left",
    "bowtie",
    "sandglass",
    "circle",
    "star",
    "x",
    "plus",
    "asterisk",
    "dash",
    "vbar",
)


DEFAULT_POINT_COLOR = (0x99 / 255, 0xCC / 255, 1.0)  # chart2's default "Color" (0x99ccff)


def auto_symbol(s: Series) -> str:
    """The automatic marker symbol of series ``s``."""
    index = s.global_index + (1 if s.element.find(C + "xVal") is not None else 0)
    return AUTO_SYMBOLS[index % len(AUTO_SYMBOLS)]


def series_style(
    canvas: Canvas, group: Group, s: Series, n: int
) -> tuple[Fill | None, Stroke | None]:
    """A series' fill and outline: its ``c:spPr`` over the style's automatic colour."""
    auto = canvas.series_color(s.index, n)
    fill = canvas.fill(s.sp_pr)
    line = canvas.line(s.sp_pr)
    if group.kind in ("line", "scatter", "radar", "stock") and not (
        group.kind == "radar" and group.val("radarStyle") == "filled"
    ):
        if line is False:
            return None, None
        if isinstance(line, Stroke):
            return None, line
        width = canvas.line_width(s.sp_pr) or 2.25
        color = fill.color if isinstance(fill, Fill) else auto
        return None, Stroke(color, width, 1.0, False, (), "rnd")
    flat = "3D" not in group.name
    auto_fill = canvas.auto_fill(auto) if flat else Fill(auto)
    out_fill = fill if isinstance(fill, Fill) else None if fill is False else auto_fill
    return out_fill, line if isinstance(line, Stroke) else None


def point_fill(
    canvas: Canvas, s: Series, i: int, count: int, vary: bool, default: Fill | None
) -> Fill | None:
    """A point's own ``c:dPt`` fill, else its automatic colour when colours vary by point."""
    for dpt in s.element.iterfind(C + "dPt"):
        if int(num(val(dpt, "idx"), -1)) == i:
            fill = canvas.fill(dpt.find(C + "spPr"))
            if isinstance(fill, Fill):
                return fill
            if fill is False:
                return None
    return canvas.auto_fill(canvas.series_color(i, count)) if vary else default


def bars(canvas: Canvas, g: Group, plane: Plane, scale: Scale) -> None:
    ss = g.series
    gap = num(g.val("gapWidth", "150"), 150) / 100
    stacked = g.stacked
    overlap = num(g.val("overlap", "100" if stacked else "0"), 0) / 100
    k = 1 if stacked else max(len(ss), 1)
    n_cat = plane.n_cat
    slot = plane.cat_length / max(n_cat, 1)
    bar = slot / (k - (k - 1) * overlap + gap)
    totals = [sum(abs(s.values[i] or 0) for s in ss if i < len(s.values)) for i in range(n_cat)]
    pos_acc, neg_acc = [0.0] * n_cat, [0.0] * n_cat
    base_value = min(max(0.0, scale.lo), scale.hi)
    horizontal = plane.horizontal
    for j, s in enumerate(ss):
        fill, stroke = series_style(canvas, g, s, len(ss))
        invert = on(s.element, "invertIfNegative")
        labels = data_labels(canvas, g, s, "outEnd" if not stacked else "ctr")
        for i, v in enumerate(s.values[:n_cat]):
            if v is None:
                continue
            value = v / totals[i] if g.grouping == "percentStacked" and totals[i] else v
            if stacked:
                acc = pos_acc if value >= 0 else neg_acc
                start, end = (acc[i] or base_value), acc[i] + value
                if acc[i] == 0:
                    start = base_value if value * base_value <= 0 else 0.0
                acc[i] = end
                offset = -bar / 2
            else:
                start, end = base_value, value
                width_all = bar * (k - (k - 1) * overlap)
                offset = -width_all / 2 + j * bar * (1 - overlap)
            c = plane.cat(i)
            p0, p1 = plane.value(start, scale), plane.value(end, scale)
            # the first series sits nearest the start of the category axis
            along = c - offset - bar if plane.cat_reverse != horizontal else c + offset
            if horizontal:
                b = Box(min(p0, p1), along, abs(p1 - p0), bar)
            else:
                b = Box(along, min(p0, p1), bar, abs(p1 - p0))
            f = point_fill(canvas, s, i, n_cat, g.vary_colors, fill)
            st = stroke
            if invert and v < 0 and f is not None:
                st = st or Stroke(f.color, 0.75)
                f = Fill((1.0, 1.0, 1.0))
            canvas.items.append(ShapeItem("rect", b, f, st))
            if labels is not None:
                text = labels.text(s, i, v, totals[i])
                pos = labels.position
                h = labels.height
                if horizontal:
                    w = len(text) * labels.font.size * 0.55 + 6
                    far = b.x + b.w if (end >= start) != plane.cat_reverse else b.x
                    x = {"ctr": b.cx, "inEnd": far - w / 2 - 2, "inBase": b.x + w / 2 + 2}.get(
                        pos, far + w / 2 + 2
                    )
                    labels.place(canvas, text, x, b.cy)
                else:
                    up = (end >= start) != scale.reverse
                    top, bottom = (b.y, b.y + b.h) if up else (b.y + b.h, b.y)
                    d = -1 if up else 1
                    y = {
                        "ctr": b.cy,
                        "inEnd": top - d * (h / 2 + 2),
                        "inBase": bottom + d * (h / 2 + 2),
                    }.get(pos, top + d * (h / 2 + 1))
                    labels.place(canvas, text, b.cx, y)


def areas(canvas: Canvas, g: Group, plane: Plane, scale: Scale) -> None:
    ss, n_cat = g.series, plane.n_cat
    stacked = g.stacked
    floor = min(max(0.0, scale.lo), scale.hi)
    base = [floor] * n_cat
    totals = [sum(abs(s.values[i] or 0) for s in ss if i < len(s.values)) for i in range(n_cat)]
    drawn = []
    for s in ss:
        fill, stroke = series_style(canvas, g, s, len(ss))
        top = []
        for i in range(n_cat):
            v = (s.values[i] if i < len(s.values) else None) or 0.0
            if g.grouping == "percentStacked" and totals[i]:
                v /= totals[i]
            top.append((base[i] if stacked and base[i] != floor else 0.0) + v if stacked else v)
        lower = base if stacked else [floor] * n_cat
        pts = [plane.point(i, top[i], scale) for i in range(n_cat)]
        pts += [plane.point(i, lower[i], scale) for i in reversed(range(n_cat))]
        drawn.append(polygon(pts, fill, stroke, closed=True))
        if stacked:
            base = top
    canvas.items.extend(drawn if stacked else reversed(drawn))  # the first series in front


def _marker(
    canvas: Canvas,
    symbol: str,
    x: float,
    y: float,
    size: float,
    fill: Fill | None,
    stroke: Stroke | None,
) -> None:
    h = size / 2
    box = Box(x - h, y - h, size, size)
    shapes = {
        "diamond": [(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)],
        "triangle": [(0.5, 0), (1, 1), (0, 1)],
        "triangle_down": [(0, 0), (1, 0), (0.5, 1)],
        "triangle_right": [(0, 0), (1, 0.5), (0, 1)],
        "triangle_left": [(1, 0), (0, 0.5), (1, 1)],
        "bowtie": [(0, 0), (1, 1), (1, 0), (0, 1)],
        "sandglass": [(0, 0), (1, 0), (0, 1), (1, 1)],
        "star": [
            (0.5, 0),
            (0.62, 0.38),
            (1, 0.38),
            (0.69, 0.62),
            (0.81, 1),
            (0.5, 0.76),
            (0.19, 1),
            (0.31, 0.62),
            (0, 0.38),
            (0.38, 0.38),
        ],
    }
    if symbol in ("circle", "dot"):
        canvas.items.append(ShapeItem("ellipse", box, fill, stroke))
    elif symbol in shapes:
        pts = [(box.x + u * size, box.y + v * size) for u, v in shapes[symbol]]
        canvas.items.append(polygon(pts, fill, stroke, closed=True))
    elif symbol in ("x", "plus", "dash", "asterisk", "vbar"):
        color = fill.color if fill else stroke.color if stroke else (0.0, 0.0, 0.0)
        pen = Stroke(color, 0.75)
        segs = {
            "x": [(0, 0, 1, 1), (0, 1, 1, 0)],
            "plus": [(0.5, 0, 0.5, 1), (0, 0.5, 1, 0.5)],
            "dash": [(0, 0.5, 1, 0.5)],
            "vbar": [(0.5, 0, 0.5, 1)],
            "asterisk": [(0.5, 0, 0.5, 1), (0.07, 0.25, 0.93, 0.75), (0.07, 0.75, 0.93, 0.25)],
        }[symbol]
        for x0, y0, x1, y1 in segs:
            canvas.items.append(
                polygon(
                    [
                        (box.x + x0 * size, box.y + y0 * size),
                        (box.x + x1 * size, box.y + y1 * size),
                    ],
                    None,
                    pen,
                    False,
                )
            )
    else:
        canvas.items.append(ShapeItem("rect", box, fill, stroke))


def marker_style(
    canvas: Canvas, g: Group, s: Series, pos: int, line: Stroke | None
) -> tuple[str, float, Fill | None, Stroke | None] | None:
    """(symbol, size, fill, outline) of a series' markers, None when it has none."""
    m = s.element.find(C + "marker")
    symbol = val(m, "symbol")
    if g.kind in ("line", "stock"):
        shown = on(g.element, "marker", True) if g.kind == "line" else False
        shown = shown or symbol not in (None, "none")
    elif g.kind == "scatter":
        shown = g.val("scatterStyle", "marker") not in ("line", "smooth") or symbol not in (None,)
    elif g.kind == "radar":
        shown = g.val("radarStyle", "standard") == "marker" or symbol not in (None, "none")
    else:
        shown = False
    if not shown or symbol == "none":
        return None
    if symbol in (None, "auto"):
        symbol = auto_symbol(s)
    size = num(val(m, "size"), 5)
    sp = m.find(C + "spPr") if m is not None else None
    color = line.color if line else canvas.series_color(s.index, len(g.series))
    if canvas.line(s.sp_pr) is False:
        # a series whose line is switched off gets no automatic colour on import:
        # LibreOffice draws its markers in its default data point colour
        color = DEFAULT_POINT_COLOR
    mf = canvas.fill(sp)
    ml = canvas.line(sp)
    fill = mf if isinstance(mf, Fill) else None if mf is False else Fill(color)
    stroke = ml if isinstance(ml, Stroke) else None if ml is False else Stroke(color, 0.75)
    return symbol, size, fill, stroke


def lines(canvas: Canvas, g: Group, plane: Plane, scale: Scale) -> None:
    """Line, scatter and stock series: their paths, markers and data labels."""
    acc: dict[int, float] = {}
    totals: dict[int, float] = {}
    for s in g.series:
        for i, v in enumerate(s.values):
            totals[i] = totals.get(i, 0.0) + abs(v or 0.0)
    scatter = g.kind == "scatter"
    for pos, s in enumerate(g.series):
        _, stroke = series_style(canvas, g, s, len(g.series))
        if scatter and g.val("scatterStyle") in ("marker",) and canvas.line(s.sp_pr) is None:
            stroke = None
        pts, vals = [], []
        for i, v in enumerate(s.values):
            if v is None:
                continue
            if g.stacked:
                acc[i] = acc.get(i, 0.0) + v
                v_plot = acc[i] / (totals[i] or 1.0) if g.grouping == "percentStacked" else acc[i]
            else:
                v_plot = v
            x = s.xs[i] if i < len(s.xs) and s.xs[i] is not None else float(i + 1)
            if scatter and plane.x_scale is not None:
                pts.append((plane.x(x), plane.value(v_plot, scale)))
            elif scatter and not plane.horizontal:
                # in a combination chart the x values run 1..n across the categories'
                # slots, as LibreOffice places such a series on its own x axis
                r = plane.rect
                pts.append(
                    (r.x + (x - 0.5) / max(plane.n_cat, 1) * r.w, plane.value(v_plot, scale))
                )
            else:
                pts.append(plane.point(i, v_plot, scale))
            vals.append((i, v))
        smooth = on(s.element, "smooth")
        if stroke is not None and len(pts) > 1:
            canvas.items.append(polygon(pts, None, stroke, closed=False, smooth=smooth))
        style = marker_style(canvas, g, s, pos, stroke)
        if style is not None:
            symbol, size, mfill, mline = style
            for x, y in pts:
                _marker(canvas, symbol, x, y, size, mfill, mline)
        labels = data_labels(canvas, g, s, "r")
        if labels is not None:
            for (x, y), (i, v) in zip(pts, vals, strict=False):
                text = labels.text(s, i, v, totals.get(i, 0.0))
                w = len(text) * labels.font.size * 0.55 + 6
                dx, dy = {
                    "r": (w / 2 + 4, 0),
                    "l": (-w / 2 - 4, 0),
                    "t": (0, -labels.height),
                    "b": (0, labels.height),
                    "ctr": (0, 0),
                }.get(labels.position, (w / 2 + 4, 0))
                labels.place(canvas, text, x + dx, y + dy)


def stock_extras(canvas: Canvas, g: Group, plane: Plane, scale: Scale) -> None:
    """High-low lines and up/down bars of a stock chart."""
    n = plane.n_cat
    if g.element.find(C + "hiLowLines") is not None:
        line = canvas.line(g.element.find(f"{C}hiLowLines/{C}spPr"))
        stroke = line if isinstance(line, Stroke) else Stroke((0.0, 0.0, 0.0), 0.75)
        for i in range(n):
            vs = [s.values[i] for s in g.series if i < len(s.values) and s.values[i] is not None]
            if len(vs) >= 2 and line is not False:
                (x0, y0), (x1, y1) = plane.point(i, min(vs), scale), plane.point(i, max(vs), scale)  # type: ignore[type-var]
                canvas.items.append(ShapeItem("line", Box(x0, y1, x1 - x0, y0 - y1), None, stroke))
    ud = g.element.find(C + "upDownBars")
    if ud is not None and len(g.series) >= 2:
        gap = num(val(ud, "gapWidth"), 150) / 100
        w = plane.cat_length / max(n, 1) / (1 + gap)
        first, last = g.series[0], g.series[-1]
        up_fill = canvas.fill(ud.find(f"{C}upBars/{C}spPr"))
        down_fill = canvas.fill(ud.find(f"{C}downBars/{C}spPr"))
        for i in range(n):
            o = first.values[i] if i < len(first.values) else None
            c = last.values[i] if i < len(last.values) else None
            if o is None or c is None:
                continue
            up = c >= o
            f = up_fill if up else down_fill
            fill = f if isinstance(f, Fill) else Fill((1.0, 1.0, 1.0) if up else (0.0, 0.0, 0.0))
            y0, y1 = sorted((plane.value(o, scale), plane.value(c, scale)))
            cx = plane.cat(i)
            canvas.items.append(
                ShapeItem(
                    "rect",
                    Box(cx - w / 2, y0, w, max(y1 - y0, 0.5)),
                    fill,
                    Stroke((0.0, 0.0, 0.0), 0.75),
                )
            )


def bubbles(canvas: Canvas, g: Group, plane: Plane, scale: Scale) -> None:
    """Circles whose area follows ``c:bubbleSize`` (LibreOffice ignores
    ``c:sizeRepresents``); the largest is a quarter of the plot. In a combination
    chart whose x axis is a category axis, bubbles sit on the categories."""
    ss = g.series
    sizes = [numbers(s.element.find(C + "bubbleSize"))[0] for s in ss]
    biggest = max((abs(v) for vs in sizes for v in vs if v is not None), default=0.0) or 1.0
    bscale = num(g.val("bubbleScale", "100"), 100) / 100
    r = plane.rect
    for s, vs in zip(ss, sizes, strict=True):
        fill, stroke = series_style(canvas, g, s, len(ss))
        for i, v in enumerate(s.values):
            if v is None:
                continue
            size = abs(vs[i]) if i < len(vs) and vs[i] is not None else biggest
            d = min(r.w, r.h) * 0.25 * bscale * math.sqrt(size / biggest)
            x = s.xs[i] if i < len(s.xs) and s.xs[i] is not None else float(i + 1)
            f = point_fill(canvas, s, i, len(s.values), g.vary_colors, fill)
            cx = plane.x(x) if plane.x_scale is not None else plane.cat(i)
            cy = plane.value(v, scale)
            canvas.items.append(ShapeItem("ellipse", Box(cx - d / 2, cy - d / 2, d, d), f, stroke))
