"""Where the title, the legend and the plot area go inside the chart frame.

Manual layouts (``c:manualLayout``) give x/y as fractions of the chart
(``edge``) or as offsets from the automatic position (``factor``), and w/h as
fractions of the chart. Without them the title sits centred at the top, the
legend at its side (``c:legendPos``), and the plot area takes the rest.
"""

from __future__ import annotations

import math

from lxml import etree

from ..model import Box, Fill, ShapeItem, Stroke
from ..xml import A, C, num
from .part import Group, Series, on, strings, val
from .plots import _marker, marker_style, point_fill, series_style
from .style import TITLE_SCALE, Canvas, Font, label, line_height, text_width, wrap

PAD = 7.0  # the chart's inner margin, pt (kept for callers; LibreOffice's are below)
MM100 = 72 / 2540  # points per 1/100 mm, LibreOffice's chart unit
PAGE_DISTANCE = 0.02  # margins around the title and diagram, fraction of the chart size
TITLE_OFFSET = 135 * MM100  # added below the top for the main title
TITLE_Y_INSET = 0.30  # a title's text distance above and below, in em (0.18 em at the sides)
LEGEND_X_MARGIN = 210 * MM100  # a side legend's distance from the chart's edge
LEGEND_Y_MARGIN = 185 * MM100  # a top/bottom legend's distance from the chart's edge


def manual(layout_parent: etree._Element | None, chart: Box, auto: Box) -> Box | None:
    """A ``c:layout/c:manualLayout`` applied to the automatic box; None when there is none."""
    ml = layout_parent.find(f"{C}layout/{C}manualLayout") if layout_parent is not None else None
    if ml is None:
        return None
    x_mode, y_mode = val(ml, "xMode", "factor"), val(ml, "yMode", "factor")
    x, y = val(ml, "x"), val(ml, "y")
    w, h = val(ml, "w"), val(ml, "h")
    out_w = num(w) * chart.w if w is not None and 0 < num(w) <= 1.5 else auto.w
    out_h = num(h) * chart.h if h is not None and 0 < num(h) <= 1.5 else auto.h
    out_x = auto.x
    if x is not None:
        out_x = chart.x + num(x) * chart.w if x_mode == "edge" else auto.x + num(x) * chart.w
    out_y = auto.y
    if y is not None:
        out_y = chart.y + num(y) * chart.h if y_mode == "edge" else auto.y + num(y) * chart.h
    return Box(out_x, out_y, max(out_w, 1), max(out_h, 1))


def title_text(chart: etree._Element, series: list[Series]) -> tuple[str, etree._Element | None]:
    """The title's text (rich text, a cell reference, or the automatic one) and its element."""
    title = chart.find(C + "title")
    deleted = on(chart, "autoTitleDeleted")
    if title is None:
        auto = not deleted and len(series) == 1 and val(chart, "autoTitleDeleted") is not None
        return (series[0].name if auto else ""), None
    rich = title.find(f"{C}tx/{C}rich")
    if rich is not None:
        text = "\n".join(
            "".join(t.text or "" for t in p.iter(A + "t")) for p in rich.iterfind(A + "p")
        )
        return text, title
    if (ref := title.find(C + "tx")) is not None:
        return " ".join(strings(ref.find(C + "strRef")) or strings(ref)), title
    return (series[0].name if len(series) == 1 else "Chart Title"), title


def draw_title(canvas: Canvas, chart: etree._Element, box: Box, series: list[Series]) -> float:
    """Draw the chart title; returns the height it takes from the top (0 when placed
    by hand). As LibreOffice: centred, its top 2 % of the chart's height plus
    1.35 mm down, wrapped at 80 % of the chart's width; the rest of the chart
    starts as far again below it."""
    text, title = title_text(chart, series)
    if not text.strip():
        return 0.0
    base = Font(canvas.font.face, canvas.font.size * TITLE_SCALE, canvas.font.color, True)
    if title is not None:
        rich = title.find(f"{C}tx/{C}rich")
        base = canvas.text_font(rich, base) if rich is not None else base
        base = canvas.text_font(title.find(C + "txPr"), base)
    limit = max(box.w * 0.8, 1.0)
    text = "\n".join(line for part in text.split("\n") for line in wrap(part, base, limit))
    lines = text.count("\n") + 1  # a long title wraps within the chart instead of clipping
    h = line_height(base) * lines
    w = min(text_width(text, base) + 2, box.w)
    distance = box.h * PAGE_DISTANCE + TITLE_OFFSET
    auto = Box(box.x + (box.w - w) / 2, box.y + distance + TITLE_Y_INSET * base.size, w, h)
    placed = manual(title, box, auto) if title is not None else None
    b = placed if placed is not None else auto
    b = Box(b.x, b.y, max(b.w, w), b.h) if placed is not None else b
    canvas.items.append(label(text, b, base, "ctr", "t", wrap=True))
    # c:overlay is not honoured: LibreOffice always keeps the plot area below the title.
    # Its text shape has 0.3 em above and below the text (VTitle's text distances).
    shape_h = line_height(base, leading=False) * lines + 2 * TITLE_Y_INSET * base.size
    return 0.0 if placed is not None else shape_h + distance


Entry = tuple[str, Fill | None, Stroke | None, tuple | None]


def legend_entries(canvas: Canvas, groups: list[Group]) -> list[Entry]:
    """Legend entries: one per series, or one per point when colours vary by point."""
    entries: list[Entry] = []
    for g in groups:
        if (g.vary_colors or g.kind in ("pie", "doughnut")) and g.series:
            # one entry per point; a pie lists its points even in one colour (LibreOffice)
            s = g.series[0]
            n = max(len(s.categories), len(s.values))
            same = None if g.vary_colors else series_style(canvas, g, s, 1)[0]
            for i in range(n):
                name = s.categories[i] if i < len(s.categories) else str(i + 1)
                fill = point_fill(canvas, s, i, n, g.vary_colors, same)
                entries.append((name, fill, None, None))
            continue
        # horizontal bars list their series bottom-up, as they are drawn (LibreOffice)
        ordered = list(enumerate(g.series))
        for pos, s in reversed(ordered) if g.horizontal else ordered:
            fill, stroke = series_style(canvas, g, s, len(g.series))
            if g.kind == "bubble":  # keyed by a bubble, as LibreOffice does
                entries.append((s.name, None, None, ("circle", 7.0, fill, stroke)))
                continue
            marker = marker_style(canvas, g, s, pos, stroke)
            if (
                g.kind == "scatter"
                and g.val("scatterStyle") == "marker"
                and (canvas.line(s.sp_pr) is None)
            ):
                stroke = None
            entries.append((s.name, fill, stroke, marker))
    return entries


def draw_legend(
    canvas: Canvas, chart: etree._Element, box: Box, rect: Box, groups: list[Group]
) -> Box:
    """Draw the legend; returns ``rect`` (the room left below the title) minus the
    room it takes. Sizes and places follow LibreOffice's VLegend: paddings from
    the font size, a key 0.6 of the font high (8 mm wide for lines, 16 mm for
    dashed ones), a side legend 2.1 mm from the chart's edge and centred on its
    height, a top/bottom one 1.85 mm from the edge; side legends stack their
    entries (wrapped at 30 % of the width), top/bottom ones lay them in rows."""
    legend = chart.find(C + "legend")
    if legend is None or not groups:
        return rect
    font = canvas.text_font(legend.find(C + "txPr"))
    entries = legend_entries(canvas, groups)
    hidden = {
        int(num(val(e, "idx"), -1)) for e in legend.iterfind(C + "legendEntry") if on(e, "delete")
    }
    entries = [e for i, e in enumerate(entries) if i not in hidden]
    if not entries:
        return rect
    pos = val(legend, "legendPos", "r") or "r"
    view = font.size / MM100  # the font size in 1/100 mm
    x_pad = max(100.0, view * 0.33) * MM100
    x_off = max(100.0, view * 0.66) * MM100
    y_pad = max(100.0, view * 0.2) * MM100
    y_off = y_pad
    gap = max(100.0, view * 0.22) * MM100
    sym_h = font.size * 0.6
    lines = [e for e in entries if e[2] is not None and e[1] is None]
    sym_w = sym_h
    if lines:
        sym_w = max(sym_h, (1600 if any(e[2].dashed for e in lines) else 800) * MM100)  # type: ignore[union-attr]
    line_h = line_height(font, leading=False)
    side = pos not in ("b", "t")
    texts = [e[0] for e in entries]
    if side:  # LibreOffice's "high" legend: texts wrap at 30 % of the width
        limit = max(rect.w * 0.3, font.size)
        texts = ["\n".join(wrap(t, font, limit)) if text_width(t, font) > limit else t
                 for t in texts]  # fmt: skip
    sizes = [(text_width(t, font), line_h * (t.count("\n") + 1)) for t in texts]
    n = len(entries)
    if side:
        row_max = max(h for _, h in sizes) + y_off
        max_rows = max(int((rect.h - 2 * y_pad) // row_max), 1)
        cols = math.ceil(n / max_rows)
        rows = math.ceil(n / cols)
    else:
        col_max = x_off + sym_w + gap + max(w for w, _ in sizes)
        max_cols = max(int((rect.w - 2 * x_pad) // col_max), 1)
        rows = math.ceil(n / max_cols)
        cols = math.ceil(n / rows)
    col_w = [0.0] * cols
    row_h = [0.0] * rows
    for i, (w, h) in enumerate(sizes):
        r, c = divmod(i, cols)
        col_w[c] = max(col_w[c], sym_w + gap + w)
        row_h[r] = max(row_h[r], h)
    w = 2 * x_pad + sum(col_w) + (cols - 1) * x_off
    h = 2 * y_pad + sum(row_h) + (rows - 1) * y_off
    if pos == "l":
        x, y = box.x + LEGEND_X_MARGIN, box.y + (box.h - h) / 2
    elif pos == "t":
        x, y = box.x + (box.w - w) / 2, rect.y + LEGEND_Y_MARGIN
    elif pos == "b":
        x, y = box.x + (box.w - w) / 2, box.y + box.h - LEGEND_Y_MARGIN - h
    elif pos == "tr":
        x, y = box.x + box.w - LEGEND_X_MARGIN - w, rect.y + LEGEND_Y_MARGIN
    else:
        x, y = box.x + box.w - LEGEND_X_MARGIN - w, box.y + (box.h - h) / 2
    auto = Box(x, y, w, h)
    placed = manual(legend, box, auto)
    b = placed or auto
    sp_fill, sp_line = canvas.fill(legend.find(C + "spPr")), canvas.line(legend.find(C + "spPr"))
    if isinstance(sp_fill, Fill) or isinstance(sp_line, Stroke):
        canvas.items.append(ShapeItem("rect", b, sp_fill or None, sp_line or None))  # type: ignore[arg-type]
    x0 = b.x + (b.w - w) / 2 + x_pad
    y0 = b.y + (b.h - h) / 2 + y_pad
    for i, e in enumerate(entries):
        r, c = divmod(i, cols)
        ex = x0 + sum(col_w[:c]) + c * x_off
        ey = y0 + sum(row_h[:r]) + r * y_off
        _entry(canvas, (texts[i], *e[1:]), ex, ey, sym_w, sym_h, gap, line_h, font)  # type: ignore[arg-type]
    if placed is not None or on(legend, "overlay"):
        return rect
    if pos == "b":
        return Box(rect.x, rect.y, rect.w, max(rect.h - h - LEGEND_Y_MARGIN, 1))
    if pos == "t":
        return Box(
            rect.x, rect.y + h + LEGEND_Y_MARGIN, rect.w, max(rect.h - h - LEGEND_Y_MARGIN, 1)
        )
    if pos == "l":
        return Box(
            rect.x + w + LEGEND_X_MARGIN, rect.y, max(rect.w - w - LEGEND_X_MARGIN, 1), rect.h
        )
    return Box(rect.x, rect.y, max(rect.w - w - LEGEND_X_MARGIN, 1), rect.h)


def _entry(
    canvas: Canvas,
    entry: Entry,
    x: float,
    y: float,
    sym_w: float,
    sym_h: float,
    gap: float,
    line_h: float,
    font: Font,
) -> None:
    """One legend entry: its key (a box, a line with its marker, or a marker)
    centred on the first text line, and its text after it."""
    text, fill, stroke, marker = entry
    cy = y + line_h / 2
    if fill is not None:  # a box as wide as the legend's keys (8 mm when lines widen them)
        key = Box(x, cy - sym_h / 2, sym_w, sym_h)
        canvas.items.append(ShapeItem("rect", key, fill, stroke))
    else:
        if stroke is not None:
            canvas.items.append(ShapeItem("line", Box(x, cy, sym_w, 0), None, stroke))
        if marker is not None:
            symbol, _size, mfill, mline = marker
            _marker(canvas, symbol, x + sym_w / 2, cy, sym_h, mfill, mline)
    tx = x + sym_w + gap
    h = line_h * (text.count("\n") + 1)
    canvas.items.append(label(text, Box(tx, y, text_width(text, font) + 2, h), font, "l", "t"))
