"""Charts on two axes (bar, line, area, scatter, bubble, stock): scales, layout, drawing.

Each chart group names its axes (``c:axId``); a group whose value axis is not
the first group's is drawn against that secondary axis, with its own scale
and tick labels on the far side.
"""

from __future__ import annotations

import math

from lxml import etree

from ..model import Box, ShapeItem
from ..xml import C, local, num
from . import plots
from .axes import (
    LABEL_GAP,
    MAX_INTERVALS,
    TICK,
    Scale,
    axis_stroke,
    deleted,
    draw_ticks,
    gridlines,
    nice_scale,
    tick_labels_shown,
    tick_texts,
    value_labels,
    value_scale,
)
from .axis_titles import (
    axis_title,
    crowded,
    draw_axis_title,
    fit_title,
    label_rotation,
    rotated_depth,
    rotated_label,
    rotated_skip,
)
from .geometry import Plane
from .layout import manual
from .part import Group, fmt_code, val
from .style import Canvas, Font, label, line_height, text_width, wrap

# a tick mark (1.5 mm) and the tick-label spacing (1 mm), LibreOffice's 2-D axis defaults
MM = 72 / 2540  # points per 1/100 mm


def _axes_by_id(plot_area: etree._Element) -> dict[str, etree._Element]:
    found = {}
    for el in plot_area:
        if isinstance(el.tag, str) and local(el) in ("catAx", "valAx", "dateAx", "serAx"):
            found[val(el, "axId", "") or ""] = el
    return found


def _data_range(groups: list[Group]) -> tuple[float, float, bool]:
    lo, hi, percent, seen = 0.0, 0.0, False, False
    for g in groups:
        if g.grouping == "percentStacked":
            percent = True
            lo, hi = min(lo, 0.0), max(hi, 1.0)
            seen = True
        elif g.stacked and g.kind in ("bar", "area", "line"):
            n = max((len(s.values) for s in g.series), default=0)
            for i in range(n):
                pos = sum(max(s.values[i] or 0, 0) for s in g.series if i < len(s.values))
                neg = sum(min(s.values[i] or 0, 0) for s in g.series if i < len(s.values))
                lo, hi = (min(lo, neg), max(hi, pos)) if seen else (neg, pos)
                seen = True
        else:
            vals = [v for s in g.series for v in s.values if v is not None]
            if vals:
                lo, hi = (
                    (min(lo, min(vals)), max(hi, max(vals))) if seen else (min(vals), max(vals))
                )
                seen = True
    return lo, hi, percent


def draw(
    canvas: Canvas, plot_area: etree._Element, groups: list[Group], rect: Box, box: Box
) -> None:
    axes = _axes_by_id(plot_area)
    first = groups[0]
    scatter = first.kind in ("scatter", "bubble")
    ids = first.ax_ids + ["", ""]
    cat_ax, val_ax = axes.get(ids[0]), axes.get(ids[1])
    horizontal = first.horizontal
    sec_groups = [
        g for g in groups if len(g.ax_ids) > 1 and g.ax_ids[1] != ids[1] and g.ax_ids[1] in axes
    ]
    prim_groups = [g for g in groups if g not in sec_groups]
    sec_ax = axes.get(sec_groups[0].ax_ids[1]) if sec_groups else None

    # LibreOffice adds no interval for data close to an axis end in 3-D charts
    flat = not any("3D" in g.name for g in groups)

    def scale_for(
        gs: list[Group], axis: etree._Element | None, steps: float = MAX_INTERVALS
    ) -> tuple[Scale, str]:
        lo, hi, percent = _data_range(gs)
        scale = value_scale(axis, lo, hi, percent=percent, close_to_border=flat, steps=steps)
        s0 = next((s for g in gs for s in g.series), None)
        code = "0%" if percent else fmt_code(axis) or (s0.format_code if s0 else "General")
        return scale, code

    vscale, vcode = scale_for(prim_groups, val_ax)
    sscale, scode = scale_for(sec_groups, sec_ax) if sec_groups else (vscale, vcode)

    def x_scale_for(steps: float = MAX_INTERVALS) -> Scale:
        xs = [x for g in groups for s in g.series for x in s.xs if x is not None] or [0.0, 1.0]
        scaling = cat_ax.find(C + "scaling") if cat_ax is not None else None
        fmin, fmax = val(scaling, "min"), val(scaling, "max")
        lo, hi, step = nice_scale(
            min(xs),
            max(xs),
            float(fmin) if fmin else None,
            float(fmax) if fmax else None,
            float(val(cat_ax, "majorUnit") or 0) or None,
            steps=steps,
            expand_to_zero=False,  # LibreOffice: only y axes reach to zero
            close_to_border=flat,
        )
        return Scale(lo, hi, step, val(scaling, "orientation", "minMax") == "maxMin")

    x_scale, xcode = None, "General"
    if scatter:
        x_scale = x_scale_for()
        s0 = next((s for g in groups for s in g.series), None)
        xcode = fmt_code(cat_ax) or "General"
        if s0 is not None and fmt_code(cat_ax) is None:
            from .part import numbers

            xcode = numbers(s0.element.find(C + "xVal"))[1]

    categories = next((s.categories for g in groups for s in g.series if s.categories), [])
    n_cat = max([len(categories)] + [len(s.values) for g in groups for s in g.series] + [1])
    categories = categories + [str(i + 1) for i in range(len(categories), n_cat)]

    vfont = canvas.text_font(val_ax.find(C + "txPr") if val_ax is not None else None)
    sfont = canvas.text_font(sec_ax.find(C + "txPr") if sec_ax is not None else None)
    cfont = canvas.text_font(cat_ax.find(C + "txPr") if cat_ax is not None else None)
    show_val, show_cat = tick_labels_shown(val_ax), tick_labels_shown(cat_ax)
    show_sec = sec_ax is not None and tick_labels_shown(sec_ax)
    vtexts = tick_texts(vscale, vcode)
    stexts = tick_texts(sscale, scode) if show_sec else []
    if scatter and x_scale is not None:
        ctexts = tick_texts(x_scale, xcode)
        cat_labels = [t for _, t in ctexts]
    else:
        cat_labels = categories[:n_cat]

    # automatic plot rect: room for tick labels
    def widest(texts: list[str], font: Font) -> float:
        return max((text_width(t, font) for t in texts), default=0.0) + LABEL_GAP

    left = right = bottom = 0.0
    top = line_height(vfont, leading=False) / 2  # the top value label's overhang
    angle = 0.0  # category labels turned counter-clockwise (crowded or as the file says)
    # labels centred on the ends of a horizontal value axis reach half their width past it
    overhang = text_width(vtexts[-1][1], vfont) / 2 if show_val and vtexts else 0.0
    if horizontal:
        top = 0.0  # the category labels sit beside their bars: nothing reaches above
        left = min(widest(cat_labels, cfont), rect.w * 0.4) if show_cat else 0
        bottom = line_height(vfont, leading=False) + LABEL_GAP if show_val else 0
        top = max(top, sfont.size * 1.3 + TICK) if show_sec else top
        right = max(overhang, TICK)
    else:
        left = widest([t for _, t in vtexts], vfont) if show_val else 0
        right = widest([t for _, t in stexts], sfont) if show_sec else TICK
        on_edges = val(val_ax, "crossBetween", "between") == "midCat"
        if (scatter or on_edges) and show_cat and cat_labels and not show_sec:
            # the last label is centred on the plot's right end: half of it reaches out
            right = max(right, text_width(cat_labels[-1], cfont) / 2)
        if show_cat:
            # labels on the category edges (midCat) stand one n-1th of the width apart
            slot = (rect.w - left - right) / max(n_cat - (1 if on_edges else 0), 1)
            explicit = label_rotation(cat_ax)
            if explicit is not None:
                angle = explicit
            elif not scatter and crowded(cat_labels, cfont, slot):
                angle = 45.0
            if angle and not scatter:
                depth = rotated_depth(cat_labels, cfont, angle)
                bottom = min(depth, rect.h * 0.4) + TICK + 2
                if angle > 0 and cat_labels:  # the first label reaches left of the plot
                    reach = (text_width(cat_labels[0], cfont) + 4) * math.cos(math.radians(angle))
                    left = max(left, min(reach, rect.w * 0.3))
            else:
                angle = 0.0
                lines = max((len(wrap(c, cfont, slot)) for c in cat_labels), default=1)
                bottom = line_height(cfont, leading=False) * min(lines, 3) + LABEL_GAP
    if not horizontal and show_cat and val(cat_ax, "crosses") == "max" and not deleted(cat_ax):
        top, bottom = max(top, bottom), TICK  # the x axis and its labels sit at the top
    elif flat and not horizontal and show_cat and val(cat_ax, "tickLblPos", "nextTo") == "nextTo":
        # an x axis crossing inside the plot keeps its labels there: only what reaches
        # below the plot takes room (LibreOffice sizes the diagram by the labels' extent)
        lift = vscale.frac(_crossing(cat_ax, vscale))
        if 0 < lift < 1:
            plot_h = max(rect.h - top - bottom, 1.0)
            bottom = max(vfont.size * 0.6 if show_val else 0.0, bottom - lift * plot_h)
    # axis titles go outside the tick labels: (title, side of the plot, tick-label room)
    titles = [
        (t, side, room)
        for t, side, room in (
            (
                axis_title(canvas, val_ax, not horizontal),
                "b" if horizontal else "l",
                bottom if horizontal else left,
            ),
            (
                axis_title(canvas, cat_ax, horizontal),
                "l" if horizontal else "b",
                left if horizontal else bottom,
            ),
            (
                axis_title(canvas, sec_ax, not horizontal),
                "t" if horizontal else "r",
                top if horizontal else right,
            ),
        )
        if t is not None
    ]
    titles = [(fit_title(t, side, box), side, room) for t, side, room in titles]
    # LibreOffice keeps 4.5 mm beside a y-axis title and 4.2 mm below an x-axis title
    # from the chart's edge, and draws each 2 % of the chart's size from the labels
    dist = {"l": 450 * MM, "b": 420 * MM, "r": box.w * 0.02, "t": box.h * 0.02}
    gap = {"l": box.w * 0.02, "r": box.w * 0.02, "b": box.h * 0.02, "t": box.h * 0.02}
    for t, side, _ in titles:
        room = t.across(side) + dist[side]
        if side == "l":
            left += room
        elif side == "r":
            right += room
        elif side == "b":
            bottom += room
        else:
            top += room
    auto = Box(
        rect.x + left, rect.y + top, max(rect.w - left - right, 1), max(rect.h - top - bottom, 1)
    )
    plot = auto
    placed = manual(plot_area, box, auto)
    if placed is not None:
        inner = val(plot_area.find(f"{C}layout/{C}manualLayout"), "layoutTarget") == "inner"
        plot = (
            placed
            if inner
            else Box(
                placed.x + left,
                placed.y + top,
                max(placed.w - left - right, 1),
                max(placed.h - top - bottom, 1),
            )
        )

    # LibreOffice's second pass: an automatic axis gets no more intervals than its
    # labels (as measured in the first pass) fit along it (estimateMaximumAutoMainIncrementCount)
    if show_val and vtexts:
        if horizontal:
            cap = _interval_cap(plot.w, max(text_width(t, vfont) for _, t in vtexts))
        else:
            cap = _interval_cap(plot.h, line_height(vfont, leading=False))
        if cap < MAX_INTERVALS:
            vscale, vcode = scale_for(prim_groups, val_ax, cap)
            vtexts = tick_texts(vscale, vcode)
            if not sec_groups:
                sscale, scode = vscale, vcode
    if scatter and show_cat and x_scale is not None and cat_labels:
        cap = _interval_cap(plot.w, max(text_width(t, cfont) for t in cat_labels))
        if cap < MAX_INTERVALS:
            x_scale = x_scale_for(cap)
            ctexts = tick_texts(x_scale, xcode)
            cat_labels = [t for _, t in ctexts]

    for t, side, room in titles:
        edge = {
            "l": plot.x - room - gap["l"] - t.across("l"),
            "r": plot.x + plot.w + room + gap["r"] + t.across("r"),
            "b": plot.y + plot.h + room + gap["b"] + t.across("b"),
            "t": plot.y - room - gap["t"] - t.across("t"),
        }[side]
        draw_axis_title(canvas, t, plot, edge, side)

    sp = plot_area.find(C + "spPr")
    pf, pl = canvas.fill(sp), canvas.line(sp)
    if pf or pl:
        canvas.items.append(ShapeItem("rect", plot, pf or None, pl or None))  # type: ignore[arg-type]

    cat_scaling = cat_ax.find(C + "scaling") if cat_ax is not None else None
    between = val(val_ax, "crossBetween", "between") != "midCat" if not scatter else False
    plane = Plane(
        plot,
        n_cat,
        horizontal,
        between,
        val(cat_scaling, "orientation", "minMax") == "maxMin",
        x_scale,
    )

    # gridlines (value axis, then category axis)
    r = plot
    for tag in ("minorGridlines", "majorGridlines"):
        stroke = gridlines(canvas, val_ax, tag)
        if stroke is not None:
            ticks = vscale.ticks() if tag == "majorGridlines" else vscale.minor_ticks(val_ax)
            for t in ticks:
                p = plane.value(t, vscale)
                b = Box(p, r.y, 0, r.h) if horizontal else Box(r.x, p, r.w, 0)
                canvas.items.append(ShapeItem("line", b, None, stroke))
        stroke = gridlines(canvas, cat_ax, tag)
        if stroke is not None and tag == "majorGridlines":
            if scatter and x_scale is not None:
                positions = [plane.x(t) for t in x_scale.ticks()]
            else:
                positions = _cat_edges(plane)
            for p in positions:
                b = Box(r.x, p, r.w, 0) if horizontal else Box(p, r.y, 0, r.h)
                canvas.items.append(ShapeItem("line", b, None, stroke))

    for g in groups:
        scale = sscale if g in sec_groups else vscale
        if g.kind == "bar":
            plots.bars(canvas, g, plane, scale)
        elif g.kind == "area":
            plots.areas(canvas, g, plane, scale)
        elif g.kind == "bubble":
            plots.bubbles(canvas, g, plane, scale)
        elif g.kind == "stock":
            plots.stock_extras(canvas, g, plane, scale)
            plots.lines(canvas, g, plane, scale)
        else:
            plots.lines(canvas, g, plane, scale)

    # axis lines, tick marks and labels
    cross = _crossing(cat_ax, vscale)
    cat_line_at = plane.value(cross, vscale)
    if scatter and x_scale is not None:
        val_line_at = plane.x(_crossing(val_ax, x_scale))
    else:
        val_line_at = r.y + r.h if horizontal else r.x
        if plane.cat_reverse:
            val_line_at = r.y if horizontal else r.x + r.w
    cstroke, vstroke = axis_stroke(canvas, cat_ax), axis_stroke(canvas, val_ax)

    def value_ticks(vertical: bool, direction: int) -> None:
        positions = [plane.value(t, vscale) for t in vscale.ticks()]
        draw_ticks(canvas, val_ax, vstroke, positions, val_line_at, vertical, direction)

    if horizontal:
        if cstroke:
            canvas.items.append(ShapeItem("line", Box(cat_line_at, r.y, 0, r.h), None, cstroke))
            draw_ticks(canvas, cat_ax, cstroke, _cat_edges(plane), cat_line_at, True, -1)
        if vstroke:
            canvas.items.append(ShapeItem("line", Box(r.x, val_line_at, r.w, 0), None, vstroke))
            value_ticks(False, 1)
    else:
        if cstroke:
            canvas.items.append(ShapeItem("line", Box(r.x, cat_line_at, r.w, 0), None, cstroke))
            positions = (
                [plane.x(t) for t in x_scale.ticks()] if scatter and x_scale else _cat_edges(plane)
            )
            draw_ticks(canvas, cat_ax, cstroke, positions, cat_line_at, False, 1)
        if vstroke:
            canvas.items.append(ShapeItem("line", Box(val_line_at, r.y, 0, r.h), None, vstroke))
            value_ticks(True, -1)
    if sec_ax is not None and not deleted(sec_ax):
        sstroke = axis_stroke(canvas, sec_ax)
        if sstroke:
            at = r.x + r.w if not horizontal else r.y
            b = Box(at, r.y, 0, r.h) if not horizontal else Box(r.x, at, r.w, 0)
            canvas.items.append(ShapeItem("line", b, None, sstroke))
    low = {"low": True, "high": False}
    if show_val:
        pos = val(val_ax, "tickLblPos", "nextTo")
        if horizontal:
            at = r.y + r.h if pos != "high" else r.y
            value_labels(
                canvas,
                [(plane.value(t, vscale), s) for t, s in vtexts],
                vfont,
                at,
                False,
                1 if pos != "high" else -1,
            )
        else:
            at = val_line_at if pos == "nextTo" else (r.x if pos == "low" else r.x + r.w)
            value_labels(
                canvas,
                [(plane.value(t, vscale), s) for t, s in vtexts],
                vfont,
                at,
                True,
                -1 if pos != "high" else 1,
            )
    if show_sec:
        texts = [(plane.value(t, sscale), s) for t, s in stexts]
        if horizontal:
            value_labels(canvas, texts, sfont, r.y, False, -1)
        else:
            value_labels(canvas, texts, sfont, r.x + r.w, True, 1)
    if show_cat:
        pos = val(cat_ax, "tickLblPos", "nextTo")
        if scatter and x_scale is not None:
            at = cat_line_at if pos == "nextTo" else r.y + r.h
            at = max(at, r.y) if low.get(pos or "", True) else r.y
            on_top = at <= r.y + 0.5 and (pos == "high" or cat_line_at <= r.y + 0.5)
            value_labels(
                canvas,
                [(plane.x(t), s) for t, s in ctexts],
                cfont,
                at,
                False,
                -1 if on_top else 1,  # an x axis at the top has its labels above it
            )
        else:
            _category_labels(
                canvas,
                plane,
                cat_labels,
                cfont,
                cat_ax,
                cat_line_at,
                pos or "nextTo",
                vscale,
                angle,
            )


def _interval_cap(length: float, label: float) -> int:
    """How many intervals of labels ``label`` long fit along ``length`` (2 to 10)."""
    if label <= 0:
        return MAX_INTERVALS
    return max(2, min(MAX_INTERVALS, int(length // label)))


def _crossing(axis: etree._Element | None, scale: Scale) -> float:
    """Where ``axis`` sits on the perpendicular axis's ``scale``: its ``c:crossesAt``,
    or ``c:crosses`` min/max, else zero (clipped to the scale)."""
    lo, hi = min(scale.lo, scale.hi), max(scale.lo, scale.hi)
    at = val(axis, "crossesAt")
    if at is not None:
        return min(max(num(at), lo), hi)
    crosses = val(axis, "crosses", "autoZero")
    if crosses == "max":
        return hi
    if crosses == "min":
        return lo
    return min(max(0.0, lo), hi)


def _cat_edges(plane: Plane) -> list[float]:
    n = plane.n_cat
    if plane.between:
        return [plane.cat(i - 0.5) for i in range(n + 1)]
    return [plane.cat(i) for i in range(n)]


def _category_labels(
    canvas: Canvas,
    plane: Plane,
    labels: list[str],
    font: Font,
    axis: etree._Element | None,
    at: float,
    pos: str,
    vscale: Scale,
    angle: float = 0.0,
) -> None:
    r = plane.rect
    slot = plane.cat_length / max(plane.n_cat, 1)
    skip = int(float(val(axis, "tickLblSkip") or 0)) or 1
    if plane.horizontal:
        x = at if pos == "nextTo" else (r.x if pos != "high" else r.x + r.w)
        if pos == "nextTo" and vscale.lo < 0 and not vscale.reverse:
            x = r.x
        for i, text in enumerate(labels):
            if i % skip:
                continue
            c = plane.cat(i)
            w = text_width(text, font) + 8
            canvas.items.append(
                label(
                    text, Box(x - LABEL_GAP - w, c - font.size * 0.7, w, font.size * 1.4), font, "r"
                )
            )
        return
    y = at if pos == "nextTo" else (r.y + r.h if pos != "high" else r.y)
    if pos == "nextTo" and vscale.lo < 0 < vscale.hi:
        y = at
    if angle:
        if skip == 1:
            skip = rotated_skip(font, slot, angle)
        for i, text in enumerate(labels):
            if not i % skip:
                rotated_label(canvas, text, font, plane.cat(i), y + TICK + 2, angle)
        return
    if skip == 1 and labels:
        widest = max(max((text_width(w, font) for w in t.split()), default=0) for t in labels)
        if widest > slot * 1.05:
            skip = max(1, int(-(-widest // max(slot, 1))))
    for i, text in enumerate(labels):
        if i % skip:
            continue
        c = plane.cat(i)
        lines = wrap(text, font, slot * skip)
        h = font.size * 1.25 * len(lines)
        w = max(slot * skip, max(text_width(t, font) for t in lines) + 6)
        above = pos == "nextTo" and y <= r.y + 0.5  # an axis at the top: labels over it
        top = y - LABEL_GAP - h if above else y + LABEL_GAP
        canvas.items.append(
            label("\n".join(lines), Box(c - w / 2, top, w, h), font, "ctr", "b" if above else "t")
        )
