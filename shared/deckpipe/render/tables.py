"""Tables (``a:tbl``): a grid of cells with the table style applied, as plain draw items.

Each cell's look is layered as PowerPoint does: the style's ``wholeTbl``,
then row/column bands, last/first column, last/first row (each only where
``a:tblPr`` switches it on), then the cell's own ``a:tcPr``. Rows grow to
fit their laid-out text, as LibreOffice grows them: a stored row height is a
minimum (PowerPoint stores it before growth; generators often write 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lxml import etree

from .colors import Palette, fill_color
from .frames import Frame
from .inherit import Lineage, Theme
from .model import Box, DrawItem, Fill, ShapeItem, Stroke, TextItem
from .paint_text import text_height
from .table_styles import PART_ORDER, PartStyle, TableStyle, border_stroke
from .text import TextContext, resolve_text
from .xml import A, flag, local, num, pt

_CELL_FILLS = frozenset(A + t for t in ("noFill", "solidFill", "gradFill", "pattFill", "blipFill"))
_EDGE_TAGS = {"lnL": "left", "lnR": "right", "lnT": "top", "lnB": "bottom",
              "lnTlToBr": "tl2br", "lnBlToTr": "tr2bl"}  # fmt: skip


@dataclass(frozen=True)
class TableContext:
    palette: Palette
    theme: Theme
    slide_number: int
    text_styles: tuple[etree._Element, ...]  # the master-wide list styles for table text


@dataclass
class _Cell:
    tc: etree._Element
    row: int
    col: int
    rows: int
    cols: int
    text: TextItem | None = None


def _parts_for(cell: _Cell, n_rows: int, n_cols: int, tbl_pr: etree._Element | None) -> list[str]:
    """The style parts that apply to a cell, lowest priority first."""

    def on(name: str) -> bool:
        return tbl_pr is not None and flag(tbl_pr.get(name))

    first_row, first_col = on("firstRow"), on("firstCol")
    parts = ["wholeTbl"]
    if on("bandRow"):
        band = cell.row - (1 if first_row else 0)
        parts.append("band1H" if band % 2 == 0 else "band2H")
    if on("bandCol"):
        band = cell.col - (1 if first_col else 0)
        parts.append("band1V" if band % 2 == 0 else "band2V")
    if on("lastCol") and cell.col + cell.cols >= n_cols:
        parts.append("lastCol")
    if first_col and cell.col == 0:
        parts.append("firstCol")
    if on("lastRow") and cell.row + cell.rows >= n_rows:
        parts.append("lastRow")
    if first_row and cell.row == 0:
        parts.append("firstRow")
    return sorted(parts, key=PART_ORDER.index)


def _edges(
    cell: _Cell, parts: list[str], style: TableStyle, n_rows: int, n_cols: int
) -> dict[str, Stroke | None]:
    """Each side's border from the style: a part's outer sides apply at its
    region's edge, its ``insideH``/``insideV`` between its cells."""
    top, left = cell.row == 0, cell.col == 0
    bottom, right = cell.row + cell.rows >= n_rows, cell.col + cell.cols >= n_cols
    result: dict[str, Stroke | None] = {}
    for name in parts:
        part = style.get(name)
        if part is None:
            continue
        b = part.borders
        row_part = name.endswith("H") or name in ("firstRow", "lastRow")
        col_part = name.endswith("V") or name in ("firstCol", "lastCol")
        at = {
            "top": "top" if (top or row_part) else "insideH",
            "bottom": "bottom" if (bottom or row_part) else "insideH",
            "left": "left" if (left or col_part) else "insideV",
            "right": "right" if (right or col_part) else "insideV",
        }
        for side, source in at.items():
            if source in b:
                result[side] = b[source]
        for diag in ("tl2br", "tr2bl"):
            if diag in b:
                result[diag] = b[diag]
    return result


def table_items(
    tbl: etree._Element,
    box: Box,
    frame: Frame,
    ctx: TableContext,
    style: TableStyle | None,
) -> list[DrawItem]:
    """The table in ``box`` (in the frame's space) as fills, borders and text."""
    cols = [pt(g.get("w")) for g in tbl.iterfind(f"{A}tblGrid/{A}gridCol")]
    rows = list(tbl.iterfind(A + "tr"))
    heights = [pt(r.get("h")) for r in rows]
    n_rows, n_cols = len(rows), len(cols)
    tbl_pr = tbl.find(A + "tblPr")
    style = style or {}

    cells: list[_Cell] = []
    for r, row in enumerate(rows):
        for c, tc in enumerate(row.iterfind(A + "tc")):
            if c >= n_cols:
                break
            if not (flag(tc.get("hMerge")) or flag(tc.get("vMerge"))):
                span = max(1, min(int(num(tc.get("gridSpan"), 1)), n_cols - c))
                rspan = max(1, min(int(num(tc.get("rowSpan"), 1)), n_rows - r))
                cells.append(_Cell(tc, r, c, rspan, span))

    for cell in cells:
        parts = _parts_for(cell, n_rows, n_cols, tbl_pr)
        cell.text = _cell_text(cell, parts, style, ctx)
        if cell.text is not None and cell.rows == 1:
            width = sum(cols[cell.col : cell.col + cell.cols])
            heights[cell.row] = max(heights[cell.row], text_height(cell.text, width))

    xs = [box.x + sum(cols[:i]) for i in range(n_cols + 1)]
    ys = [box.y + sum(heights[:i]) for i in range(n_rows + 1)]
    fills: list[DrawItem] = []
    lines: list[DrawItem] = []
    texts: list[DrawItem] = []
    for cell in cells:
        parts = _parts_for(cell, n_rows, n_cols, tbl_pr)
        x0, x1 = xs[cell.col], xs[cell.col + cell.cols]
        y0, y1 = ys[cell.row], ys[cell.row + cell.rows]
        cell_box = Box(x0, y0, x1 - x0, y1 - y0)
        tc_pr = cell.tc.find(A + "tcPr")
        fill = _cell_fill(tc_pr, parts, style, ctx.palette)
        if fill is not None:
            fills.append(ShapeItem("rect", frame.map(cell_box), fill))
        edges = _edges(cell, parts, style, n_rows, n_cols)
        if tc_pr is not None:
            for tag, side in _EDGE_TAGS.items():
                el = tc_pr.find(A + tag)
                if el is not None:
                    edges[side] = border_stroke(el, ctx.palette)
        lines += _edge_items(edges, cell_box, frame)
        if cell.text is not None:
            texts.append(replace(cell.text, box=frame.map(cell_box)))
    return fills + lines + texts


def _cell_fill(
    tc_pr: etree._Element | None, parts: list[str], style: TableStyle, palette: Palette
) -> Fill | None:
    if tc_pr is not None:
        own = next((c for c in tc_pr if c.tag in _CELL_FILLS), None)
        if own is not None:
            if local(own) in ("noFill", "blipFill"):
                return None
            resolved = fill_color(own, palette)
            return Fill(*resolved) if resolved else None
    fill: Fill | None = None
    for name in parts:
        part = style.get(name)
        if part is not None and "fill" in part.fill:
            fill = part.fill["fill"]
    return fill


def _edge_items(edges: dict[str, Stroke | None], b: Box, frame: Frame) -> list[DrawItem]:
    items: list[DrawItem] = []
    segments = {
        "top": (b.x, b.y, b.x + b.w, b.y),
        "bottom": (b.x, b.y + b.h, b.x + b.w, b.y + b.h),
        "left": (b.x, b.y, b.x, b.y + b.h),
        "right": (b.x + b.w, b.y, b.x + b.w, b.y + b.h),
    }
    for side, (x0, y0, x1, y1) in segments.items():
        stroke = edges.get(side)
        if stroke is not None:
            items.append(ShapeItem("line", frame.map(Box(x0, y0, x1 - x0, y1 - y0)), None, stroke))
    for side, path in (("tl2br", (("M", (0.0, 0.0)), ("L", (1.0, 1.0)))),
                       ("tr2bl", (("M", (0.0, 1.0)), ("L", (1.0, 0.0))))):  # fmt: skip
        stroke = edges.get(side)
        if stroke is not None:
            items.append(ShapeItem("path", frame.map(b), None, stroke, 0.0, path))
    return items


def _cell_text(
    cell: _Cell, parts: list[str], style: TableStyle, ctx: TableContext
) -> TextItem | None:
    tx_body = cell.tc.find(A + "txBody")
    if tx_body is None:
        return None
    color, bold = None, None
    for name in parts:
        part: PartStyle | None = style.get(name)
        if part is None:
            continue
        color = part.text_color if part.text_color is not None else color
        bold = part.bold if part.bold is not None else bold
    styles = ctx.text_styles
    own = 0
    if bold:
        emphasis = etree.Element(A + "lstStyle")
        for lvl in range(1, 10):
            ppr = etree.SubElement(emphasis, f"{A}lvl{lvl}pPr")
            etree.SubElement(ppr, A + "defRPr", b="1")
        styles = (emphasis, *styles)
        own = 1
    lin = Lineage(cell.tc, (), styles, own)
    text_ctx = TextContext(ctx.palette, ctx.theme, ctx.slide_number, color)
    text = resolve_text(tx_body, Box(0, 0, 0, 0), lin, text_ctx)
    if text is None:
        return None
    tc_pr = cell.tc.find(A + "tcPr")

    def margin(name: str, default: float) -> float:
        return pt(tc_pr.get(name), default) if tc_pr is not None else default

    anchor = tc_pr.get("anchor", "t") if tc_pr is not None else "t"
    return replace(
        text,
        insets=(margin("marL", 7.2), margin("marT", 3.6), margin("marR", 7.2), margin("marB", 3.6)),
        anchor={"ctr": "ctr", "b": "b"}.get(anchor, "t"),
        wrap=True,
        font_line_height=True,  # LibreOffice spaces table text by the fonts' own metrics
    )
