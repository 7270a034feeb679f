"""Graphic frames: tables with styles, charts from cached values, SmartArt, OLE previews."""

from __future__ import annotations

import io

import pptx
import pytest
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.oxml.ns import qn
from pptx.util import Inches
from pypdf import PdfReader
from tests_support import resolve

from deckpipe.render import fonts, render_deck
from deckpipe.render.charts import nice_scale
from deckpipe.render.model import ShapeItem, TextItem
from deckpipe.render.resolve import DeckResolver

ACCENT1 = (0x4F / 255, 0x81 / 255, 0xBD / 255)  # python-pptx default template's accent1
ACCENT2 = (0xC0 / 255, 0x50 / 255, 0x4D / 255)


def blank() -> tuple[pptx.Presentation, object]:
    prs = pptx.Presentation()
    return prs, prs.slides.add_slide(prs.slide_layouts[6])


def texts(page) -> list[str]:
    return ["".join(r.text for p in i.paragraphs for r in p.runs)
            for i in page.items if isinstance(i, TextItem)]  # fmt: skip


def close(a, b, tol=0.02) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


# -- tables ------------------------------------------------------------------------


def test_table_default_style_header_bands_and_text():
    prs, slide = blank()
    shape = slide.shapes.add_table(3, 2, Inches(1), Inches(1), Inches(4), Inches(1.5))
    table = shape.table
    for r in range(3):
        for c in range(2):
            table.cell(r, c).text = f"r{r}c{c}"
    page, warnings = resolve(prs)
    assert not [w for w in warnings if w.code == "table_approximated"]
    fills = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect" and i.fill]
    assert len(fills) == 6
    header = [f for f in fills if f.box.y == pytest.approx(72)]
    assert len(header) == 2 and all(close(f.fill.color, ACCENT1) for f in header)
    # Medium Style 2: band1 rows are a darker tint of accent1 than band2 rows
    row1 = next(f for f in fills if f.box.y > 72 and f.box.x == pytest.approx(72))
    row2 = max((f for f in fills if f.box.x == pytest.approx(72)), key=lambda f: f.box.y)
    assert sum(row1.fill.color) < sum(row2.fill.color) < 3.0
    assert row1.fill.color[2] > row1.fill.color[0]  # still blue
    lines = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"]
    assert lines and all(close(ln.stroke.color, (1, 1, 1)) for ln in lines)  # white rules
    cells = {t: i for i in page.items if isinstance(i, TextItem)
             for t in ["".join(r.text for p in i.paragraphs for r in p.runs)]}  # fmt: skip
    head_run = cells["r0c0"].paragraphs[0].runs[0]
    body_run = cells["r1c1"].paragraphs[0].runs[0]
    # LibreOffice's copies of the built-in styles set no bold (its references)
    assert not head_run.bold and close(head_run.color, (1, 1, 1))
    assert not body_run.bold and close(body_run.color, (0, 0, 0))
    assert cells["r1c1"].box.x == pytest.approx(72 + 144)


def test_themed_style_bands_are_the_accent_at_forty_percent_and_rows_fit_font_metrics():
    prs, slide = blank()
    shape = slide.shapes.add_table(4, 2, Inches(1), Inches(1), Inches(4), Inches(0.4))
    tbl = shape.table._tbl
    tbl.tblPr.find(qn("a:tableStyleId")).text = "{3C2FFA5D-87B4-456A-9821-1D502468CF0F}"
    for tr in tbl.tr_lst:
        tr.set("h", "0")  # as generators write: the height is the text's
    for r in range(4):
        for c in range(2):
            shape.table.cell(r, c).text = f"[{r},{c}]"
    page, _ = resolve(prs)
    rects = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"]
    fills = sorted((i for i in rects if i.fill and i.box.x == pytest.approx(72)),
                   key=lambda f: f.box.y)  # fmt: skip
    header, band1 = fills[0], fills[1]
    assert close(header.fill.color, ACCENT1) and header.fill.alpha == 1.0
    assert close(band1.fill.color, ACCENT1) and band1.fill.alpha == pytest.approx(0.4)
    # Rows are as tall as their laid-out text: the fonts' ascent + descent
    # (no line gap) plus the cell's top and bottom insets, 3.6 pt each.
    face = fonts.primary_face("Calibri", False, False)
    pitch = 18 * (face.ascent + face.descent) + 7.2
    ys = [f.box.y for f in fills]  # rows 0, 1 and 3 (band 2 rows have no fill)
    assert [ys[1] - ys[0], ys[2] - ys[1]] == pytest.approx([pitch, 2 * pitch], abs=0.01)
    assert pitch < 18 * 1.2 + 7.2  # the old estimate, 1.2 x size, was taller


def test_table_merged_cells_explicit_fill_borders_and_growth():
    prs, slide = blank()
    shape = slide.shapes.add_table(2, 3, Inches(1), Inches(1), Inches(3), Inches(0.5))
    table = shape.table
    table.first_row = False
    table.horz_banding = False
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(0, 0).text = "merged"
    table.cell(1, 2).fill.solid()
    table.cell(1, 2).fill.fore_color.rgb = pptx.dml.color.RGBColor(0xFF, 0, 0)
    table.cell(1, 0).text = "a long text " * 12  # forces the row to grow
    tc_pr = table.cell(1, 1)._tc.get_or_add_tcPr()
    ln = tc_pr.makeelement(
        "{http://schemas.openxmlformats.org/drawingml/2006/main}lnL", {"w": "38100"}
    )
    fill = ln.makeelement("{http://schemas.openxmlformats.org/drawingml/2006/main}solidFill", {})
    clr = fill.makeelement(
        "{http://schemas.openxmlformats.org/drawingml/2006/main}srgbClr", {"val": "00FF00"}
    )
    fill.append(clr)
    ln.append(fill)
    tc_pr.insert(0, ln)
    page, _ = resolve(prs)
    merged = next(
        i
        for i in page.items
        if isinstance(i, TextItem) and i.paragraphs[0].runs[0].text == "merged"
    )
    assert merged.box.w == pytest.approx(144)
    red = [
        i
        for i in page.items
        if isinstance(i, ShapeItem) and i.fill and close(i.fill.color, (1, 0, 0))
    ]
    assert len(red) == 1 and red[0].box.x == pytest.approx(72 + 144)
    assert red[0].box.h > 0.25 * 72 + 20  # the row grew to fit the long text
    green = [
        i
        for i in page.items
        if isinstance(i, ShapeItem) and i.stroke and close(i.stroke.color, (0, 1, 0))
    ]
    assert len(green) == 1 and green[0].stroke.width == pytest.approx(3.0)
    assert green[0].box.x == pytest.approx(72 + 72) and green[0].box.w == 0


def test_table_style_carried_in_the_file_wins(corpus):
    path = corpus / "decks/openxml-sdk/Table_Small.pptx"
    prs = pptx.Presentation(path)
    page, warnings = DeckResolver(prs).resolve_slide(prs.slides[0], 1)
    assert not [w for w in warnings if w.code == "table_approximated"]
    assert "Times New Roman" in texts(page)


# -- charts ------------------------------------------------------------------------


def test_nice_scale():
    assert nice_scale(0, 5.2) == (0, 6, 1)
    assert nice_scale(0, 83) == (0, 90, 10)  # LibreOffice: up to 10 intervals
    # Data within 1/21 of the axis end gets one more interval, as LibreOffice adds.
    assert nice_scale(0, 87) == (0, 100, 10)
    assert nice_scale(0, 1, fixed_max=2.5) == (0, 2.5, 0.5)
    lo, hi, step = nice_scale(-3, 14)
    assert lo <= -3 and hi >= 14 and step in (2, 5)


def _column_chart(kind=XL_CHART_TYPE.COLUMN_CLUSTERED):
    prs, slide = blank()
    data = CategoryChartData()
    data.categories = ["East", "West", "North"]
    data.add_series("Sales", (10, 20, 30))
    data.add_series("Costs", (5, 15, 25))
    frame = slide.shapes.add_chart(kind, Inches(1), Inches(1), Inches(6), Inches(4), data)
    return prs, frame.chart


def test_clustered_columns_are_proportional_and_coloured_by_accent():
    prs, chart = _column_chart()
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    page, warnings = resolve(prs)
    assert not [w for w in warnings if w.code.startswith("chart")]
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect" and i.fill
            and i.box.w < 72 and i.box.h > 20]  # fmt: skip
    sales = sorted((b for b in bars if close(b.fill.color, ACCENT1)), key=lambda b: b.box.x)
    costs = sorted((b for b in bars if close(b.fill.color, ACCENT2)), key=lambda b: b.box.x)
    assert len(sales) == 3 and len(costs) == 3
    assert sales[1].box.h == pytest.approx(2 * sales[0].box.h, rel=0.01)
    assert sales[2].box.h == pytest.approx(3 * sales[0].box.h, rel=0.01)
    assert all(s.box.x < c.box.x for s, c in zip(sales, costs, strict=True))  # series side by side
    bottoms = {round(b.box.y + b.box.h, 3) for b in sales + costs}
    assert len(bottoms) == 1  # common baseline
    words = texts(page)
    for w in ("East", "West", "North", "Sales", "Costs", "0", "30"):
        assert w in words
    inside = all(b.box.x >= 72 and b.box.x + b.box.w <= 72 * 7 for b in bars)
    assert inside


def test_stacked_bars_stack():
    prs, _ = _column_chart(XL_CHART_TYPE.BAR_STACKED)
    page, _ = resolve(prs)
    ours = (ACCENT1, ACCENT2)
    bars = [
        i
        for i in page.items
        if isinstance(i, ShapeItem) and i.kind == "rect" and i.fill and i.box.h < 100
        if any(close(i.fill.color, c) for c in ours)
    ]
    assert len(bars) == 6
    first = [b for b in bars if close(b.fill.color, ACCENT1)]
    second = [b for b in bars if close(b.fill.color, ACCENT2)]
    for a in first:  # each Costs bar starts where the Sales bar of its category ends
        b = next(s for s in second if abs(s.box.cy - a.box.cy) < 1)
        assert b.box.x == pytest.approx(a.box.x + a.box.w, abs=0.01)


def test_pie_slices_line_and_scatter_draw_paths():
    prs, slide = blank()
    data = CategoryChartData()
    data.categories = ["a", "b", "c"]
    data.add_series("Share", (1, 1, 2))
    slide.shapes.add_chart(XL_CHART_TYPE.PIE, Inches(1), Inches(1), Inches(4), Inches(4), data)
    data2 = CategoryChartData()
    data2.categories = ["a", "b", "c"]
    data2.add_series("Trend", (1, 3, 2))
    slide.shapes.add_chart(
        XL_CHART_TYPE.LINE_MARKERS, Inches(5), Inches(1), Inches(4), Inches(3), data2
    )
    xy = XyChartData()
    s = xy.add_series("XY")
    s.add_data_point(1, 2)
    s.add_data_point(3, 4)
    slide2 = prs.slides.add_slide(prs.slide_layouts[6])
    slide2.shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER, Inches(1), Inches(1), Inches(4), Inches(3), xy
    )
    page, warnings = resolve(prs)
    assert not [w for w in warnings if w.code.startswith("chart")]
    paths = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "path"]
    slices = [p for p in paths if p.fill is not None and p.box.w > 50]  # not the markers
    assert len(slices) == 3
    assert len({p.fill.color for p in slices}) == 3  # varied colours
    assert slices[0].box.w == pytest.approx(slices[0].box.h)  # round, not oval
    line = [p for p in paths if p.fill is None and p.stroke is not None]
    assert len(line) == 1 and len(line[0].path) == 3
    ys = [pt[1][1] for pt in line[0].path]
    assert ys[1] < ys[2] < ys[0]  # 3 highest, 1 lowest (y grows downwards)
    page2, _ = resolve(prs, 1)
    assert any(
        isinstance(i, ShapeItem) and i.kind in ("rect", "ellipse", "path") and i.box.w < 10
        for i in page2.items
    )


def test_corpus_chart_deck_renders_text_of_the_reference(corpus):
    out = io.BytesIO()
    report = render_deck(corpus / "decks/python-pptx/cht-charts.pptx", out)
    assert not [w for w in report.warnings if w.code == "chart_skipped"]
    text = PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    assert "Category 1" in text and "Series 3" in text


# -- SmartArt and OLE ---------------------------------------------------------------


def test_smartart_saved_drawing_is_drawn(corpus):
    prs = pptx.Presentation(corpus / "decks/poi/smartart-simple.pptx")
    page, warnings = DeckResolver(prs).resolve_slide(prs.slides[0], 1)
    assert not [w for w in warnings if w.code == "diagram_skipped"]
    frame = next(s for s in prs.slides[0].shapes if s.element.tag.endswith("graphicFrame"))
    x0, y0 = frame.left / 12700, frame.top / 12700
    shapes = [i for i in page.items if isinstance(i, ShapeItem) and i.fill]
    assert len(shapes) >= 3
    assert all(s.box.x >= x0 - 1 and s.box.y >= y0 - 1 for s in shapes)
    assert [t for t in texts(page) if t.strip()]


def test_ole_object_vml_preview_is_drawn(corpus):
    prs = pptx.Presentation(corpus / "decks/poi/45541_Footer.pptx")
    page, warnings = DeckResolver(prs).resolve_slide(prs.slides[0], 1)
    assert not [w for w in warnings if w.code == "ole_skipped"]
    images = [i for i in page.items if type(i).__name__ == "ImageItem"]
    assert images and images[0].box.x == pytest.approx(4038600 / 12700)


def test_table_without_style_id_or_with_an_empty_one_has_no_style():
    for empty in (False, True):
        prs, slide = blank()
        shape = slide.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1))
        shape.table.cell(0, 0).text = "x"
        tbl_pr = shape.table._tbl.tblPr
        style_id = tbl_pr.find(
            "{http://schemas.openxmlformats.org/drawingml/2006/main}tableStyleId"
        )
        if empty:
            style_id.text = ""
        else:
            tbl_pr.remove(style_id)
        page, warnings = resolve(prs)
        assert not [i for i in page.items if isinstance(i, ShapeItem)]
        assert texts(page) == ["x"] and not warnings


def test_ole_fallback_picture_without_blip_falls_back_to_vml(corpus):
    prs = pptx.Presentation(corpus / "decks/aspose-py/shapes_accessing_ole_object_frame.pptx")
    page, warnings = DeckResolver(prs).resolve_slide(prs.slides[0], 1)
    images = [i for i in page.items if type(i).__name__ == "ImageItem"]
    assert len(images) == 1 and images[0].box.w == pytest.approx(720)
    assert images[0].data.startswith(b"\x89PNG")


def test_pie_percent_labels():
    prs, slide = blank()
    data = CategoryChartData()
    data.categories = ["a", "b"]
    data.add_series("Share", (1, 3))
    chart = slide.shapes.add_chart(
        XL_CHART_TYPE.PIE, Inches(1), Inches(1), Inches(4), Inches(4), data
    ).chart
    chart.plots[0].has_data_labels = True
    chart.plots[0].data_labels.show_percentage = True
    chart.plots[0].data_labels.show_value = False
    page, _ = resolve(prs)
    assert {"25%", "75%"} <= set(texts(page))
