"""Charts: scales, default look (as LibreOffice draws them), layout, radar/stock/combo."""

from __future__ import annotations

import re

import pptx
import pytest
from lxml import etree
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Inches, Pt
from tests_support import resolve

from deckpipe.render.charts import nice_scale
from deckpipe.render.charts.numfmt import fmt
from deckpipe.render.model import ShapeItem, TextItem

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
ACCENT1 = (0x4F / 255, 0x81 / 255, 0xBD / 255)


def chart_of(kind, categories=("A", "B", "C", "D"), series=(("S1", (1, 2, 3, 4)),)):
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    data = CategoryChartData()
    data.categories = list(categories)
    for name, values in series:
        data.add_series(name, values)
    frame = slide.shapes.add_chart(kind, Inches(1), Inches(1), Inches(6), Inches(4), data)
    return prs, frame.chart


def texts(page) -> list[str]:
    return ["".join(r.text for p in i.paragraphs for r in p.runs)
            for i in page.items if isinstance(i, TextItem)]  # fmt: skip


def text_item(page, text):
    return next(i for i in page.items if isinstance(i, TextItem)
                and "".join(r.text for p in i.paragraphs for r in p.runs) == text)  # fmt: skip


def test_scale_follows_libreoffice_rules():
    assert nice_scale(0, 8.2) == (0, 9, 1)  # at most 10 intervals of 1/2/5
    assert nice_scale(0.8, 3.2, expand_to_zero=True) == (0, 3.5, 0.5)  # wide range: from 0
    assert nice_scale(0.7, 2.6) == (0.5, 3.0, 0.5)  # 2.6 → 2.6 on a tick adds an interval
    # narrow range: the minimum moves toward zero by half the range (LibreOffice)
    assert nice_scale(90, 100, expand_to_zero=True) == (84, 102, 2)
    assert nice_scale(0, 100, fixed_max=100) == (0, 100, 10)


def test_number_formats():
    assert fmt(0.25, "0%") == "25%"
    assert fmt(1234.5, "#,##0.0") == "1,234.5"
    assert fmt(15, "General\\%") == "15%"
    assert fmt(3, '"$"#,##0') == "$3"
    assert fmt(-3, "0;(0)") == "(3)"


def test_default_text_is_tx1_and_gridlines_mid_grey():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    page, _ = resolve(prs)
    label = text_item(page, "A")
    run = label.paragraphs[0].runs[0]
    assert run.color == (0.0, 0.0, 0.0) and run.size == 18  # python-pptx writes sz=1800
    lines = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"]
    greys = {i.stroke.color for i in lines}
    assert all(0.45 < c[0] < 0.6 and c[0] == c[1] == c[2] for c in greys)
    # horizontal gridlines at 0..4 (+ tick marks); a value axis line is drawn too
    assert any(i.box.w == 0 and i.box.h > 100 for i in lines)


def test_axis_reversed_and_deleted():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.value_axis.reverse_order = True
    chart.category_axis.visible = False
    page, _ = resolve(prs)
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"]
    assert bars and all(b.fill.color == ACCENT1 for b in bars)
    # reversed value axis: bars hang from the top, the longest reaches lowest
    tops = [b.box.y for b in bars]
    assert max(tops) - min(tops) < 1
    assert bars[3].box.h > bars[0].box.h
    assert "A" not in texts(page)  # category labels are gone with the deleted axis


def test_line_markers_use_libreoffice_symbols_and_smooth_lines_curve():
    prs, chart = chart_of(XL_CHART_TYPE.LINE_MARKERS,
                          series=(("S1", (1, 3, 2, 4)), ("S2", (2, 1, 3, 1))))  # fmt: skip
    chart.plots[0].series[1].smooth = True
    chart.has_legend = False
    page, _ = resolve(prs)
    paths = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "path"]
    curves = [p for p in paths if p.fill is None and any(op == "C" for op, _ in p.path)]
    assert len(curves) == 1
    # LibreOffice's automatic symbols by series place: squares, then diamonds
    small = [p for p in paths if p.fill is not None and p.box.w < 8]
    squares = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"
               and i.fill is not None and i.box.w < 8]  # fmt: skip
    assert len(small) == 4 and len(squares) == 4
    diamond = small[0].path
    assert [op for op, _ in diamond] == ["M", "L", "L", "L", "Z"]


def test_legend_entry_deleted_and_bottom_legend_below_plot():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED,
                          series=(("S1", (1, 2, 3, 4)), ("S2", (2, 2, 2, 2))))  # fmt: skip
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    legend = chart._chartSpace.chart.find(C + "legend")
    entry = etree.SubElement(legend, C + "legendEntry")
    etree.SubElement(entry, C + "idx").set("val", "1")
    etree.SubElement(entry, C + "delete").set("val", "1")
    legend.remove(entry)
    legend.insert(1, entry)
    page, _ = resolve(prs)
    t = texts(page)
    assert "S1" in t and "S2" not in t
    s1, cat = text_item(page, "S1"), text_item(page, "A")
    assert s1.box.y > cat.box.y


def test_radar_and_stock_and_secondary_axis():
    prs, chart = chart_of(XL_CHART_TYPE.RADAR_FILLED, categories=("a", "b", "c", "d", "e"),
                          series=(("R", (1, 4, 2, 5, 3)),))  # fmt: skip
    page, warnings = resolve(prs)
    assert not [w for w in warnings if w.code.startswith("chart")]
    filled = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "path"
              and i.fill is not None]  # fmt: skip
    assert len(filled) == 1 and len(filled[0].path) == 6  # 5 corners + close
    assert {"a", "b", "c", "d", "e"} <= set(texts(page))

    # a combo chart: a line group on a second value axis gets its own scale on the right
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED, series=(("Cols", (1, 2, 3, 4)),))
    plot_area = chart._chartSpace.chart.plotArea
    points = "".join(
        f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate((100, 400, 200, 300))
    )
    xml = (
        f'<c:lineChart xmlns:c="{C[1:-1]}"><c:grouping val="standard"/>'
        '<c:ser><c:idx val="1"/><c:order val="1"/><c:val><c:numLit><c:ptCount val="4"/>'
        f'{points}</c:numLit></c:val></c:ser><c:axId val="901"/><c:axId val="902"/></c:lineChart>'
    )
    bar = plot_area.find(C + "barChart")
    bar.addnext(etree.fromstring(xml))
    cat_ax = plot_area.find(C + "catAx")
    sec = etree.fromstring(
        f'<c:valAx xmlns:c="{C[1:-1]}"><c:axId val="902"/><c:scaling><c:orientation val="minMax"/>'
        '</c:scaling><c:delete val="0"/><c:axPos val="r"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="901"/><c:crosses val="max"/></c:valAx>'
    )
    cat2 = etree.fromstring(
        f'<c:catAx xmlns:c="{C[1:-1]}"><c:axId val="901"/><c:scaling><c:orientation val="minMax"/>'
        '</c:scaling><c:delete val="1"/><c:axPos val="b"/><c:crossAx val="902"/></c:catAx>'
    )
    cat_ax.addnext(sec)
    cat_ax.addnext(cat2)
    page, _ = resolve(prs)
    t = texts(page)
    assert "400" in t and "4" in t  # both scales labelled
    right = text_item(page, "400")
    left = text_item(page, "4")
    assert right.box.x > left.box.x + 200
    line = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "path"
            and i.fill is None and i.stroke is not None]  # fmt: skip
    assert line and line[0].box.h > 100  # the line spans its own axis, not squashed


@pytest.mark.parametrize("style,expected", [(2, ACCENT1), (3, None)])
def test_chart_style_colours(style, expected):
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED,
                          series=(("S1", (1, 2, 3, 4)), ("S2", (2, 2, 2, 2))))  # fmt: skip
    chart.chart_style = style
    page, _ = resolve(prs)
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"]
    colors = [b.fill.color for b in bars]
    if expected:
        assert colors[0] == expected
    else:  # monochrome style: two shades of one accent, the first darker
        assert colors[0] != colors[-1] and sum(colors[0]) < sum(colors[-1])


# -- axis titles, turned category labels, long titles (issue 13, item 8) ---------------


def test_axis_titles_sit_outside_the_tick_labels_and_the_vertical_one_is_turned():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "Revenue"
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "Quarter"
    page, _ = resolve(prs)
    value_title, cat_title = text_item(page, "Revenue"), text_item(page, "Quarter")
    assert value_title.box.rot == 270 and cat_title.box.rot == 0
    tick_label, cat_label = text_item(page, "4"), text_item(page, "A")
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"]
    # the turned title's visible extent across the axis is its box's height; tick
    # labels are right-aligned in their boxes, so their text starts near the box's right
    label_text_left = tick_label.box.x + tick_label.box.w - 18 * 0.45
    assert value_title.box.cx + value_title.box.h / 2 < label_text_left
    assert value_title.box.cx < min(b.box.x for b in bars)
    assert cat_title.box.y >= cat_label.box.y + cat_label.box.h - 1
    assert value_title.paragraphs[0].runs[0].bold


def test_a_title_made_horizontal_by_the_file_stays_horizontal():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "Units"
    body = chart.value_axis.axis_title._title.find(f"{C}tx/{C}rich/{A}bodyPr")
    body.set("rot", "0")
    page, _ = resolve(prs)
    assert text_item(page, "Units").box.rot == 0


CROWDED = (
    "Administration",
    "Communications",
    "Development",
    "Engineering",
    "Facilities",
    "Governance",
    "Hospitality",
    "Infrastructure",
    "Journalism",
    "Knowledge",
)


def test_crowded_category_labels_are_turned_45_degrees():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED, categories=CROWDED,
                          series=(("S1", tuple(range(1, 11))),))  # fmt: skip
    page, _ = resolve(prs)
    labels = [text_item(page, name) for name in CROWDED]
    assert {item.box.rot for item in labels} == {315.0}
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"]
    plot_bottom = max(b.box.y + b.box.h for b in bars)
    for item, bar in zip(labels, sorted(bars, key=lambda b: b.box.x), strict=True):
        # the label's right end is at its category, below the axis
        end_x = item.box.cx + item.box.w / 2 * 0.7071
        end_y = item.box.cy - item.box.w / 2 * 0.7071
        assert abs(end_x - bar.box.cx) < 3
        assert end_y > plot_bottom


def test_labels_that_fit_stay_horizontal_and_an_explicit_rotation_is_kept():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    page, _ = resolve(prs)
    assert text_item(page, "A").box.rot == 0
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.category_axis.tick_labels.font.size = Pt(10)  # makes c:txPr
    body = chart.category_axis._element.find(f"{C}txPr/{A}bodyPr")
    body.set("rot", "-5400000")
    page, _ = resolve(prs)
    assert text_item(page, "A").box.rot == 270


def test_turned_labels_are_drawn_with_a_rotated_text_matrix():
    import io
    import zlib

    from deckpipe.render import render_deck

    prs, _ = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED, categories=CROWDED,
                      series=(("S1", tuple(range(1, 11))),))  # fmt: skip
    deck, pdf = io.BytesIO(), io.BytesIO()
    prs.save(deck)
    render_deck(deck.getvalue(), pdf)
    data = pdf.getvalue()
    content = b"".join(_inflate(zlib, data[m.end() :]) for m in re.finditer(rb"stream\r?\n", data))
    # rotate(45): a cm whose first four numbers are cos, sin, -sin, cos of 45 degrees
    turned = rb"0?\.7071\d* 0?\.7071\d* -0?\.7071\d* 0?\.7071\d* [-\d.]+ [-\d.]+ cm"
    assert len(re.findall(turned, content)) >= len(CROWDED)


def _inflate(zlib, data: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(data)
    except zlib.error:
        return b""


def test_a_long_chart_title_wraps_inside_the_chart():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_title = True
    words = "Quarterly revenue by region and product line compared with the previous year"
    chart.chart_title.text_frame.text = words
    page, _ = resolve(prs)
    title = next(i for i in page.items if isinstance(i, TextItem)
                 and "Quarterly" in "".join(r.text for r in i.paragraphs[0].runs))  # fmt: skip
    assert len(title.paragraphs) >= 2
    assert " ".join("".join(r.text for r in p.runs) for p in title.paragraphs) == words
    frame_left, frame_w = Inches(1) / 12700, Inches(6) / 12700
    assert frame_left <= title.box.x and title.box.x + title.box.w <= frame_left + frame_w


def test_3d_columns_one_behind_another_are_drawn_side_by_side():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED,
                          series=(("S1", (1, 2, 3, 4)), ("S2", (4, 3, 2, 1))))  # fmt: skip
    group = chart._chartSpace.find(f"{C}chart/{C}plotArea/{C}barChart")
    group.tag = C + "bar3DChart"  # a 3-D column chart whose series stand one behind another
    group.find(C + "grouping").set("val", "standard")
    for overlap in group.findall(C + "overlap"):
        group.remove(overlap)
    page, warnings = resolve(prs)
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"]
    assert len(bars) == 8  # no bar hidden behind another
    spans = sorted((b.box.x, b.box.x + b.box.w) for b in bars)
    assert all(a[1] <= b[0] + 0.01 for a, b in zip(spans, spans[1:], strict=False))
    assert "chart_approximated" in {w.code for w in warnings}


def test_a_surface_chart_keeps_its_values_as_lines():
    prs, chart = chart_of(XL_CHART_TYPE.LINE, series=(("S1", (1, 2, 3, 4)), ("S2", (2, 3, 1, 2))))
    group = chart._chartSpace.find(f"{C}chart/{C}plotArea/{C}lineChart")
    group.tag = C + "surfaceChart"
    page, warnings = resolve(prs)
    paths = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "path"
             and i.fill is None and i.stroke is not None]  # fmt: skip
    assert len(paths) >= 2
    assert any("surfaceChart" in w.message for w in warnings)


def test_a_combination_chart_with_scatter_after_bars_is_drawn(corpus):
    import io

    from deckpipe.render import render_deck

    deck = corpus / "decks" / "pptxgenjs" / "PptxGenJS_Demo_Node.pptx"
    report = render_deck(deck.read_bytes(), io.BytesIO())
    assert not [w for w in report.warnings if w.code == "shape_skipped" and "Chart" in w.message]


def test_a_right_legend_is_centred_on_the_whole_chart():
    prs, chart = chart_of(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Title"
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.RIGHT
    chart.legend.include_in_layout = False
    page, _ = resolve(prs)
    entry = text_item(page, "S1")
    frame_top, frame_h = Inches(1) / 12700, Inches(4) / 12700
    assert abs(entry.box.cy - (frame_top + frame_h / 2)) < 1


def test_the_scale_gains_an_interval_when_data_come_within_a_21st_of_its_end():
    assert nice_scale(0, 2.9) == (0, 3.5, 0.5)  # 2.9 / 3.0 > 20/21: LibreOffice adds one
    assert nice_scale(0, 2.8) == (0, 3.0, 0.5)
    assert nice_scale(0.7, 2.6) == (0.5, 3.0, 0.5)
    assert nice_scale(0.7, 2.9) == (0.5, 3.5, 0.5)
    assert nice_scale(0.7, 2.9, close_to_border=False) == (0.5, 3.0, 0.5)  # scatter x


def test_horizontal_bars_list_their_series_bottom_up():
    prs, chart = chart_of(XL_CHART_TYPE.BAR_CLUSTERED,
                          series=(("First", (1, 2, 3, 4)), ("Second", (2, 2, 2, 2))))  # fmt: skip
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.RIGHT
    page, _ = resolve(prs)
    assert text_item(page, "Second").box.y < text_item(page, "First").box.y


def test_a_label_from_cells_takes_its_text_from_the_cached_label_range():
    prs, chart = chart_of(XL_CHART_TYPE.LINE_MARKERS)
    ser = chart.plots[0].series[0]._element
    c15 = "http://schemas.microsoft.com/office/drawing/2012/chart"
    ser.append(etree.fromstring(
        f'<c:dLbls xmlns:c="{C[1:-1]}" xmlns:a="{A[1:-1]}"><c:dLbl><c:idx val="1"/><c:tx>'
        '<c:rich><a:bodyPr/><a:p><a:fld id="{0}" type="CELLRANGE"><a:t>[CELLRANGE]</a:t>'
        '</a:fld></a:p></c:rich></c:tx><c:dLblPos val="ctr"/><c:showVal val="0"/></c:dLbl>'
        '<c:showVal val="0"/></c:dLbls>'
    ))  # fmt: skip
    ser.append(etree.fromstring(
        f'<c:extLst xmlns:c="{C[1:-1]}" xmlns:c15="{c15}"><c:ext uri="x"><c15:datalabelsRange>'
        '<c15:f>Sheet1!$D$2:$D$5</c15:f><c15:dlblRangeCache><c:ptCount val="4"/>'
        '<c:pt idx="1"><c:v>Second point, from cells</c:v></c:pt></c15:dlblRangeCache>'
        "</c15:datalabelsRange></c:ext></c:extLst>"
    ))  # fmt: skip
    page, _ = resolve(prs)
    assert "Second point, from cells" in texts(page)


def test_a_3d_pie_is_tilted_with_a_darker_front_wall_and_keeps_every_slice():
    prs, chart = chart_of(XL_CHART_TYPE.PIE, series=(("S1", (5, 3, 2, 1)),))
    chart.plots[0]._element.tag = C + "pie3DChart"
    page, warnings = resolve(prs)
    paths = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "path"]
    colours = {i.fill.color for i in paths}
    faces = [i for i in paths if i.fill.color in {p.fill.color for p in paths[-4:]}][-4:]
    assert len(faces) == 4  # every value has its slice
    walls = [i for i in paths if i not in faces]
    assert walls and all(min(w.fill.color) < max(f.fill.color) for w in walls for f in faces[:1])
    assert len(colours) > 4  # the walls are darker shades of the slices
    box = faces[0].box
    top_share = max(y for op, pts in faces[0].path if op != "Z" for y in pts[1:2])
    assert 0.35 < box.h * top_share / box.w < 0.6  # an ellipse, not a circle


def test_a_category_axis_crossing_at_the_maximum_sits_on_top_with_its_labels_above():
    from pptx.enum.chart import XL_AXIS_CROSSES

    prs, chart = chart_of(XL_CHART_TYPE.LINE)
    chart.value_axis.crosses = XL_AXIS_CROSSES.MAXIMUM  # written on the category axis
    assert chart.category_axis._element.find(C + "crosses").get("val") == "max"
    page, _ = resolve(prs)
    gridlines = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"
                 and i.box.h == 0 and i.box.w > 100]  # fmt: skip
    plot_top = min(g.box.y for g in gridlines)
    label_a = text_item(page, "A")
    assert label_a.box.y + label_a.box.h <= plot_top + 0.5
