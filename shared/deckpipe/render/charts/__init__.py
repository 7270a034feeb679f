"""Charts (``c:chartSpace`` parts) drawn from their cached values as plain shapes and text.

Supported: bar/column (clustered, stacked, percent-stacked), line, area,
pie, doughnut, scatter, bubble, radar and stock (high-low lines, up/down
bars), with titles, legends, axes (secondary value axes of combo charts
too), gridlines and data labels. 3-D variants are drawn as their 2-D forms;
surface charts are reported. The look follows the defaults LibreOffice
applies where the part says nothing (see ``style``), as the references were
made with it.

Modules: ``part`` reads the XML, ``style`` holds colours and fonts,
``layout`` places title/legend/plot area, ``axes`` computes scales and
draws axes, ``cartesian`` draws charts on two axes, ``plots`` their series,
``polar`` pies and radar webs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from ..colors import Palette, clr_map_from
from ..inherit import Theme
from ..model import Box, DrawItem, Fill, ShapeItem, Stroke
from ..xml import C
from . import cartesian, polar
from .axes import nice_scale
from .layout import PAGE_DISTANCE, draw_legend, draw_title, manual
from .part import chart_style, on, read_groups, val
from .style import BASE_SIZE, Canvas, Font


@dataclass(frozen=True)
class ChartContext:
    palette: Palette
    theme: Theme
    # the bytes of a ``blipFill``'s picture, from the chart part's relationships
    load_blip: Callable[[etree._Element], bytes | None] | None = None


@dataclass
class Drawn:
    items: list[DrawItem] = field(default_factory=list)
    approximations: list[str] = field(default_factory=list)


def chart_items(root: etree._Element, box: Box, ctx: ChartContext) -> Drawn:
    """Draw a chart part's root (``c:chartSpace``) into ``box`` (slide points)."""
    override = root.find(C + "clrMapOvr")
    palette = ctx.palette.with_map(clr_map_from(override) if override is not None else {})
    canvas = Canvas(palette, ctx.theme, chart_style(root), load_blip=ctx.load_blip)
    base = Font(ctx.theme.minor_font, BASE_SIZE, palette.slot("tx1"))
    canvas.font = canvas.text_font(root.find(C + "txPr"), base)
    chart = root.find(C + "chart")
    if chart is None:
        return Drawn([], ["A chart part without c:chart is not drawn."])
    _chart_area(canvas, root, box)
    plot_area = chart.find(C + "plotArea")
    groups, notes = read_groups(plot_area)
    canvas.approximations.extend(notes)
    series = [s for g in groups for s in g.series]
    top = draw_title(canvas, chart, box, series)
    if not series:  # no data: LibreOffice draws neither the diagram nor a legend
        return Drawn(canvas.items, canvas.approximations)
    rest = Box(box.x, box.y + top, box.w, max(box.h - top, 1))
    rest = draw_legend(canvas, chart, box, rest, groups)
    # the diagram keeps 2 % of the chart's size from what is left (LibreOffice)
    dx, dy = box.w * PAGE_DISTANCE, box.h * PAGE_DISTANCE
    rect = Box(rest.x + dx, rest.y + dy, max(rest.w - 2 * dx, 1), max(rest.h - 2 * dy, 1))
    if groups and plot_area is not None:
        first = groups[0]
        if first.kind in ("pie", "doughnut"):
            placed = manual(plot_area, box, rect)
            polar.pie(canvas, first, placed or rect)
        elif first.kind == "radar":
            axes = {
                val(a, "axId"): a
                for a in plot_area
                if isinstance(a.tag, str)
                and a.find(C + "axId") is not None
                and a is not first.element
            }
            ids = first.ax_ids + ["", ""]
            placed = manual(plot_area, box, rect)
            polar.radar(canvas, first, placed or rect, axes.get(ids[0]), axes.get(ids[1]))
        else:
            cartesian.draw(canvas, plot_area, groups, rect, box)
    return Drawn(canvas.items, canvas.approximations)


def _chart_area(canvas: Canvas, root: etree._Element, box: Box) -> None:
    """The chart space's fill and outline (none unless ``c:spPr`` gives them)."""
    sp = root.find(C + "spPr")
    fill, line = canvas.fill(sp), canvas.line(sp)
    if not (isinstance(fill, Fill) or isinstance(line, Stroke)):
        return
    rounded = on(root, "roundedCorners", True) and isinstance(line, Stroke)
    canvas.items.append(
        ShapeItem(
            "roundRect" if rounded else "rect",
            box,
            fill or None,
            line or None,
            0.08 if rounded else 0.0,
        )
    )  # type: ignore[arg-type]


__all__ = ["ChartContext", "Drawn", "chart_items", "nice_scale"]
