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
from .style import TITLE_SCALE, Canvas, Font, label, text_width

PAD = 7.0  # the chart's inner margin, pt


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
    """Draw the chart title; returns the height it takes from the top (0 when overlaid)."""
    text, title = title_text(chart, series)
    if not text.strip():
        return 0.0
    base = Font(canvas.font.face, canvas.font.size * TITLE_SCALE, canvas.font.color, True)
    if title is not None:
        rich = title.find(f"{C}tx/{C}rich")
        base = canvas.text_font(rich, base) if rich is not None else base
        base = canvas.text_font(title.find(C + "txPr"), base)
    limit = max(box.w - 2 * PAD, 1.0)
    text = "\n".join(line for part in text.split("\n") for line in wrap(part, base, limit - 10))
    lines = text.count("\n") + 1  # a long title wraps within the chart instead of clipping
    h = base.size * 1.25 * lines
    w = min(text_width(text, base) + 10, limit)
    auto = Box(box.x + (box.w - w) / 2, box.y + PAD + base.size * 0.2, w, h)
    placed = manual(title, box, auto) if title is not None else None
    b = placed if placed is not None else auto
    b = Box(b.x, b.y, max(b.w, w), b.h) if placed is not None else b
    canvas.items.append(label(text, b, base, "ctr", "t", wrap=True))
    # c:overlay is not honoured: LibreOffice always keeps the plot area below the title
    return 0.0 if placed is not None else h + PAD + base.size * 0.2


def wrap(text: str, font: Font, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` (by estimate)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and text_width(trial, font) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines or [""]


Entry = tuple[str, Fill | None, Stroke | None, tuple | None]


def legend_entries(canvas: Canvas, groups: list[Group]) -> list[Entry]:
    """Legend entries: one per series, or one per point when colours vary by point."""
    entries: list[Entry] = []
    for g in groups:
        if g.vary_colors and g.series:
            s = g.series[0]
            n = max(len(s.categories), len(s.values))
            for i in range(n):
                name = s.categories[i] if i < len(s.categories) else str(i + 1)
                entries.append((name, point_fill(canvas, s, i, n, True, None), None, None))
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
    """Draw the legend; returns ``rect`` minus the room it takes."""
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
    pos = val(legend, "legendPos", "r")
    size = font.size
    swatch = size * 0.6
    row_h = size * 1.25
    key_w = swatch * 2 if any(e[2] is not None and e[1] is None for e in entries) else swatch
    widths = [text_width(t, font) + key_w + size * 0.9 for t, _, _, _ in entries]
    overlay = on(legend, "overlay")
    if pos in ("b", "t"):
        col_w = max(widths)
        cols = max(1, min(len(entries), int((rect.w - 2 * PAD) // max(col_w, 1))))
        rows = math.ceil(len(entries) / cols)
        if rows == 1:
            cols = len(entries)
        w = sum(widths) if rows == 1 else col_w * cols
        h = row_h * rows
        auto = Box(
            rect.x + (rect.w - w) / 2,
            rect.y + rect.h - h - PAD if pos == "b" else rect.y + PAD,
            w,
            h,
        )
    else:
        w = min(max(widths), rect.w * 0.45)
        h = row_h * len(entries)
        x = rect.x + rect.w - w - PAD if pos in ("r", "tr") else rect.x + PAD
        # LibreOffice centres a side legend on the whole chart, title included
        y = box.y + (box.h - h) / 2 if pos != "tr" else rect.y + PAD
        y = min(max(y, rect.y), rect.y + rect.h - h) if h <= rect.h else rect.y
        auto = Box(x, y, w, h)
        cols, rows = 1, len(entries)
    placed = manual(legend, box, auto)
    b = placed or auto
    sp_fill, sp_line = canvas.fill(legend.find(C + "spPr")), canvas.line(legend.find(C + "spPr"))
    if isinstance(sp_fill, Fill) or isinstance(sp_line, Stroke):
        canvas.items.append(ShapeItem("rect", b, sp_fill or None, sp_line or None))  # type: ignore[arg-type]
    x0 = b.x + (b.w - (sum(widths) if rows == 1 else max(widths) * cols)) / 2
    y0 = b.y + (b.h - row_h * rows) / 2
    for i, e in enumerate(entries):
        if rows == 1 and pos in ("b", "t"):
            x = x0 + sum(widths[:i])
            y = y0
        else:
            x = x0 + (i % cols) * max(widths) if pos in ("b", "t") else b.x
            y = y0 + (i // cols) * row_h
        _entry(canvas, e, x, y, swatch, key_w, row_h, font)
    if placed is not None or overlay:
        return rect
    gap = PAD
    if pos == "b":
        return Box(rect.x, rect.y, rect.w, max(rect.h - h - gap, 1))
    if pos == "t":
        return Box(rect.x, rect.y + h + gap, rect.w, max(rect.h - h - gap, 1))
    if pos == "l":
        return Box(rect.x + w + gap, rect.y, max(rect.w - w - gap, 1), rect.h)
    return Box(rect.x, rect.y, max(rect.w - w - gap, 1), rect.h)


def _entry(
    canvas: Canvas,
    entry: Entry,
    x: float,
    y: float,
    swatch: float,
    key_w: float,
    row_h: float,
    font: Font,
) -> None:
    text, fill, stroke, marker = entry
    cy = y + row_h / 2
    if fill is not None:
        canvas.items.append(
            ShapeItem(
                "rect", Box(x + (key_w - swatch) / 2, cy - swatch / 2, swatch, swatch), fill, stroke
            )
        )
    else:
        if stroke is not None:
            canvas.items.append(ShapeItem("line", Box(x, cy, key_w, 0), None, stroke))
        if marker is not None:
            symbol, size, mfill, mline = marker
            _marker(canvas, symbol, x + key_w / 2, cy, min(size, 7.0), mfill, mline)
    tx = x + key_w + font.size * 0.3
    canvas.items.append(
        label(text, Box(tx, y, text_width(text, font) + font.size, row_h), font, "l")
    )
