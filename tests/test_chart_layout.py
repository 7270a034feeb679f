"""Chart layout and scales as LibreOffice draws them: legend geometry, title and
diagram margins, value-axis automatic scaling, automatic marker symbols."""

from __future__ import annotations

import pptx
from lxml import etree
from pptx.chart.data import BubbleChartData, CategoryChartData, XyChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.util import Inches, Pt
from tests_support import resolve

from deckpipe.render.charts import nice_scale
from deckpipe.render.model import ShapeItem, TextItem

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
MM100 = 72 / 2540
LEFT, TOP, WIDTH, HEIGHT = 72.0, 72.0, 432.0, 288.0  # the chart frame, pt


def _deck(kind, data):
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = slide.shapes.add_chart(kind, Inches(1), Inches(1), Inches(6), Inches(4), data)
    return prs, frame.chart


def category_chart(kind, series=(("S1", (1, 2, 3, 4)),)):
    data = CategoryChartData()
    data.categories = ["A", "B", "C", "D"]
    for name, values in series:
        data.add_series(name, values)
    return _deck(kind, data)


def text_of(item: TextItem) -> str:
    return "".join(r.text for p in item.paragraphs for r in p.runs)


def text_items(page, text: str) -> list[TextItem]:
    """Items showing ``text``, rightmost first (a one-series chart's automatic
    title repeats the series name; its legend entry is further right)."""
    found = [i for i in page.items if isinstance(i, TextItem) and text_of(i) == text]
    return sorted(found, key=lambda i: -i.box.x)


def size_of(item: TextItem) -> float:
    return item.paragraphs[0].runs[0].size


def test_a_right_legend_sits_2_1_mm_from_the_edge_with_an_8_mm_line_key():
    prs, chart = category_chart(XL_CHART_TYPE.LINE, series=(("Series", (1, 3, 2, 4)),))
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.RIGHT
    chart.legend.include_in_layout = False
    page, _ = resolve(prs)
    entry = text_items(page, "Series")[0]
    # text + padding (max(1 mm, 0.33 em)) ends 2.1 mm inside the frame's right edge
    pad = max(100.0, size_of(entry) / MM100 * 0.33) * MM100
    right = entry.box.x + entry.box.w - 2 + pad
    assert abs(right - (LEFT + WIDTH - 210 * MM100)) < 0.5
    # the key: a line 8 mm long, ending max(1 mm, 0.22 em) before the text
    keys = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"
            and abs(i.box.w - 800 * MM100) < 0.01]  # fmt: skip
    assert len(keys) == 1
    gap = max(100.0, size_of(entry) / MM100 * 0.22) * MM100
    assert abs(keys[0].box.x + keys[0].box.w + gap - entry.box.x) < 0.01
    assert abs(keys[0].box.y - entry.box.cy) < 1.0  # centred on the text line


def test_a_bottom_legend_lays_entries_in_a_row_1_85_mm_above_the_edge():
    prs, chart = category_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, series=(("S1", (1, 2, 3, 4)), ("S2", (2, 2, 2, 2)))
    )
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    page, _ = resolve(prs)
    s1, s2 = text_items(page, "S1")[0], text_items(page, "S2")[0]
    assert abs(s1.box.y - s2.box.y) < 0.01 and s2.box.x > s1.box.x + s1.box.w
    pad = max(100.0, size_of(s1) / MM100 * 0.2) * MM100
    assert abs(s1.box.y + s1.box.h + pad - (TOP + HEIGHT - 185 * MM100)) < 0.5
    # the square keys are 0.6 of the legend's font size
    key = 0.6 * size_of(s1)
    keys = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"
            and abs(i.box.w - key) < 0.01 and abs(i.box.h - key) < 0.01]  # fmt: skip
    assert len(keys) == 2


def test_the_title_text_sits_2_percent_plus_1_35_mm_and_its_inset_from_the_top():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_title = True
    chart.chart_title.text_frame.text = "Title"
    chart.has_legend = False
    page, _ = resolve(prs)
    title = text_items(page, "Title")[0]
    # its text shape's top, then the 0.3 em text distance inside it
    assert abs(title.box.y - (TOP + HEIGHT * 0.02 + 135 * MM100 + 0.3 * size_of(title))) < 0.01
    assert abs(title.box.cx - (LEFT + WIDTH / 2)) < 0.5


def test_a_long_title_wraps_at_80_percent_of_the_chart_width():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_title = True
    chart.chart_title.text_frame.text = " ".join(["Quarterly revenue by region"] * 4)
    page, _ = resolve(prs)
    title = next(i for i in page.items if isinstance(i, TextItem) and "Quarterly" in text_of(i))
    assert len(title.paragraphs) >= 2
    assert title.box.w <= WIDTH * 0.8 + 3


def test_y_axes_start_at_zero_or_move_toward_it_x_axes_of_xy_charts_do_not():
    assert nice_scale(0.7, 2.6, expand_to_zero=True) == (0.0, 3.0, 0.5)  # wide: from zero
    assert nice_scale(90, 100, expand_to_zero=True) == (84, 102, 2)  # narrow: half the range
    assert nice_scale(0.7, 2.6) == (0.5, 3.0, 0.5)  # an x axis keeps its minimum
    assert nice_scale(-5, -2, expand_to_zero=True) == (-6.0, 0.0, 1.0)  # mirrored negatives
    # the minimum's close-to-border test uses the unrounded maximum: no extra interval
    assert nice_scale(-17, 41, expand_to_zero=True) == (-20, 50, 10)
    assert nice_scale(0, 9.6, close_to_border=False) == (0, 10, 1)  # 3-D: nothing added
    assert nice_scale(0, 9.6) == (0, 12, 2)  # 0..11 is 11 intervals: 2 at a time


def test_a_bubble_chart_x_axis_starts_at_its_rounded_minimum():
    data = BubbleChartData()
    series = data.add_series("Y-Values")
    for x, y, size in ((0.7, 2.7, 10), (1.8, 3.2, 4), (2.6, 0.8, 8)):
        series.add_data_point(x, y, size)
    prs, chart = _deck(XL_CHART_TYPE.BUBBLE, data)
    page, _ = resolve(prs)
    labels = {text_of(i): i for i in page.items if isinstance(i, TextItem)}
    assert "0.5" in labels and "3" in labels
    # the x labels run 0.5 .. 3 from left to right along the bottom: no "0" below the plot
    bottom = labels["0.5"].box.y
    assert all(not (text_of(i) == "0" and abs(i.box.y - bottom) < 1) for i in labels.values())
    assert labels["0.5"].box.cx < labels["3"].box.cx
    # bubbles: the largest is a quarter of the plot's smaller side across
    chart.has_legend = False
    page, _ = resolve(prs)
    circles = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "ellipse"]
    big = max(circles, key=lambda c: c.box.w)
    small = min(circles, key=lambda c: c.box.w)
    assert abs(small.box.w / big.box.w - (4 / 10) ** 0.5) < 1e-6


def test_a_bubble_legend_key_is_a_circle_0_6_em_across():
    data = BubbleChartData()
    data.add_series("B").add_data_point(1, 2, 3)
    prs, chart = _deck(XL_CHART_TYPE.BUBBLE, data)
    chart.has_legend = True
    page, _ = resolve(prs)
    entry = text_items(page, "B")[0]
    keys = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "ellipse"
            and i.box.x < entry.box.x and abs(i.box.cy - entry.box.cy) < 1]  # fmt: skip
    assert len(keys) == 1 and abs(keys[0].box.w - 0.6 * size_of(entry)) < 0.01


def _markers(page, max_size=8.0):
    return [i for i in page.items if isinstance(i, ShapeItem) and i.fill is not None
            and i.box.w < max_size and i.box.h < max_size]  # fmt: skip


def test_automatic_markers_follow_the_series_place_square_first_on_line_charts():
    prs, chart = category_chart(
        XL_CHART_TYPE.LINE_MARKERS, series=(("S1", (1, 3, 2, 4)), ("S2", (2, 1, 3, 1)))
    )
    chart.has_legend = False
    for ser in chart._chartSpace.iter(C + "ser"):  # automatic symbols
        marker = ser.find(C + "marker")
        if marker is not None:
            ser.remove(marker)
    page, _ = resolve(prs)
    marks = _markers(page)
    squares = [m for m in marks if m.kind == "rect"]
    diamonds = [m for m in marks if m.kind == "path" and len(m.path) == 5]
    assert len(squares) == 4 and len(diamonds) == 4
    assert {round(s.box.w, 3) for s in squares} == {5.0}


def test_automatic_markers_of_xy_series_start_one_further_on_with_a_diamond():
    data = XyChartData()
    series = data.add_series("XY")
    series.add_data_point(1, 2)
    series.add_data_point(2, 3)
    prs, chart = _deck(XL_CHART_TYPE.XY_SCATTER, data)
    chart.has_legend = False
    for ser in chart._chartSpace.iter(C + "ser"):
        marker = ser.find(C + "marker")
        if marker is not None:
            ser.remove(marker)
    page, _ = resolve(prs)
    marks = _markers(page)
    assert len(marks) == 2 and all(m.kind == "path" for m in marks)
    xs = sorted(round(p[0], 3) for op, p in marks[0].path if op != "Z")
    assert xs == [0.0, 0.5, 0.5, 1.0]  # a diamond's corners


def test_the_diagram_keeps_2_percent_of_the_chart_from_the_edges():
    prs, chart = category_chart(XL_CHART_TYPE.BAR_CLUSTERED)
    chart.has_legend = False
    chart.has_title = False
    vax = chart._chartSpace.find(f".//{C}valAx")
    etree.SubElement(vax, C + "tickLblPos").set("val", "none")
    cax = chart._chartSpace.find(f".//{C}catAx")
    cax.find(C + "delete").set("val", "1")
    page, _ = resolve(prs)
    bars = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect" and i.fill]
    # the longest bar (4 of an axis to 4.5? no: 0..4 + close-to-border -> 0..4.5) starts at
    # the plot's left edge, 2 % of the width inside the frame
    assert abs(min(b.box.x for b in bars) - (LEFT + WIDTH * 0.02)) < 0.01


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_a_picture_fill_of_the_chart_area_is_drawn_from_the_chart_parts_package():
    import io

    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    png = _png()
    image_part = chart.part.package.get_or_add_image_part(io.BytesIO(png))
    rid = chart.part.relate_to(image_part, RT.IMAGE)
    space = chart._chartSpace
    sp = etree.fromstring(
        '<c:spPr xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
        ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<a:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></a:blipFill>'
        "</c:spPr>"
    )
    space.insert(list(space).index(space.find(C + "chart")) + 1, sp)
    page, _ = resolve(prs)
    pictures = [i for i in page.items if isinstance(i, ShapeItem) and i.fill is not None
                and i.fill.image is not None]  # fmt: skip
    assert len(pictures) == 1
    frame = pictures[0].box
    assert (frame.x, frame.y, frame.w, frame.h) == (LEFT, TOP, WIDTH, HEIGHT)
    assert pictures[0].fill.image == png
    assert page.items.index(pictures[0]) < min(
        page.items.index(i) for i in page.items if isinstance(i, TextItem)
    )  # behind everything else of the chart


def test_a_rich_titles_run_formatting_wins_over_its_paragraph_default():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_title = True
    tf = chart.chart_title.text_frame
    tf.text = "Run title"
    run = tf.paragraphs[0].runs[0]
    run.font.size, run.font.italic, run.font.bold = Pt(16), True, False
    page, _ = resolve(prs)
    title = text_items(page, "Run title")[0].paragraphs[0].runs[0]
    assert (title.size, title.italic, title.bold) == (16.0, True, False)


def _xy_bottom_gridline(page) -> float:
    lines = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"
             and i.box.h == 0 and i.box.w > 100]  # fmt: skip
    return max(i.box.y for i in lines)


def test_an_x_axis_crossing_inside_the_plot_keeps_no_label_room_below_it():
    def deck(crosses_at):
        data = XyChartData()
        series = data.add_series("XY")
        for x, y in ((0.7, 2.7), (1.8, 3.2), (2.6, 0.8)):
            series.add_data_point(x, y)
        prs, chart = _deck(XL_CHART_TYPE.XY_SCATTER, data)
        chart.has_legend = False
        if crosses_at is not None:
            x_axis = chart._chartSpace.findall(f".//{C}valAx")[0]
            crosses = x_axis.find(C + "crosses")
            crosses.tag = C + "crossesAt"
            crosses.set("val", str(crosses_at))
        return resolve(prs)[0]

    low, inside = deck(None), deck(2.0)
    # the x labels sit by the axis at y = 2: the plot reaches further down
    assert _xy_bottom_gridline(inside) > _xy_bottom_gridline(low) + 10
    x_label = text_items(inside, "0.5")[0]
    assert x_label.box.y < _xy_bottom_gridline(inside) - 10


def _top_gridline(page) -> float:
    lines = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"
             and i.box.h == 0 and i.box.w > 100]  # fmt: skip
    return min(i.box.y for i in lines)


def test_a_title_takes_its_text_plus_0_3_em_above_and_below_and_its_distances():
    def page(title: bool):
        prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
        chart.has_legend = False
        chart.has_title = title
        if title:
            chart.chart_title.text_frame.text = "Title"
        return resolve(prs)[0]

    with_title, without = page(True), page(False)
    size = size_of(text_items(with_title, "Title")[0])
    # Carlito's ascent + descent is 1 em: text 1 em + 0.6 em insets, then 2 % + 1.35 mm
    expected = 1.6 * size + HEIGHT * 0.02 + 135 * MM100
    assert abs(_top_gridline(with_title) - _top_gridline(without) - expected) < 0.01


def test_horizontal_bars_keep_no_room_above_the_plot():
    prs, chart = category_chart(XL_CHART_TYPE.BAR_CLUSTERED)
    chart.has_legend = False
    chart.has_title = False
    page, _ = resolve(prs)
    verticals = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"
                 and i.box.w == 0 and i.box.h > 100]  # fmt: skip
    assert abs(min(v.box.y for v in verticals) - (TOP + HEIGHT * 0.02)) < 0.01


def test_axis_titles_keep_libreoffices_distances_from_the_edge_and_the_labels():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_legend = False
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "Values"
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "Categories"
    page, _ = resolve(prs)
    y_title, x_title = text_items(page, "Values")[0], text_items(page, "Categories")[0]
    size = size_of(y_title)
    # the turned y title: 1 em of text + 0.3 em each side across, 4.5 mm from the frame
    assert y_title.box.rot == 270.0
    assert abs(y_title.box.cx - (LEFT + 450 * MM100 + 0.8 * size)) < 0.01
    # the x title's text sits 0.3 em inside its shape, whose bottom is 4.2 mm above the edge
    text_bottom = x_title.box.y + x_title.box.h
    assert abs(text_bottom + 0.3 * size_of(x_title) - (TOP + HEIGHT - 420 * MM100)) < 0.01


def test_chart_texts_are_spaced_by_their_fonts_metrics():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_legend = True
    page, _ = resolve(prs)
    items = [i for i in page.items if isinstance(i, TextItem)]
    assert items and all(i.font_line_height for i in items)
    entry = text_items(page, "S1")[0]  # the legend's (rightmost)
    assert abs(entry.box.h - size_of(entry)) < 1e-9  # Carlito's ascent + descent: 1 em


def test_markers_of_a_series_with_its_line_switched_off_take_the_default_point_colour():
    data = XyChartData()
    series = data.add_series("XY")
    series.add_data_point(1, 2)
    series.add_data_point(2, 3)
    prs, chart = _deck(XL_CHART_TYPE.XY_SCATTER, data)
    chart.has_legend = False
    chart.plots[0].series[0].format.line.fill.background()  # a:ln/a:noFill
    page, _ = resolve(prs)
    marks = _markers(page)
    assert len(marks) == 2
    assert all(m.fill.color == (0x99 / 255, 0xCC / 255, 1.0) for m in marks)


def test_a_radar_value_axis_has_at_most_two_automatic_intervals():
    prs, chart = category_chart(
        XL_CHART_TYPE.RADAR, series=(("S1", (31, 28, 25, 9)), ("S2", (10, 12, 14, 22)))
    )
    chart.has_legend = False
    page, _ = resolve(prs)
    labels = {text_of(i) for i in page.items if isinstance(i, TextItem)}
    assert {"0", "20", "40"} <= labels and "10" not in labels and "5" not in labels


def test_two_digit_years_keep_their_leading_zero():
    from deckpipe.render.charts.numfmt import fmt

    assert fmt(37261, "m/d/yy") == "1/5/02"
    assert fmt(37261, "m/d/yyyy") == "1/5/2002"


def test_a_short_value_axis_gets_only_as_many_intervals_as_its_labels_fit():
    def value_labels(height):
        prs = pptx.Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        data = CategoryChartData()
        data.categories = ["A", "B", "C", "D"]
        data.add_series("S1", (1, 5, 7, 9))
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(1), Inches(6), height, data
        )
        frame.chart.has_legend = False
        page, _ = resolve(prs)
        return [t for t in (text_of(i) for i in page.items if isinstance(i, TextItem))
                if t.replace(".", "").isdigit()]  # fmt: skip

    assert len(value_labels(Inches(4))) == 11  # 0..10 by 1
    short = value_labels(Inches(1.6))  # about 80 pt of axis for 18 pt labels
    assert short == ["0", "5", "10"]  # fewer, wider intervals (max 9: 1, 2, 5 steps)


def test_labels_on_the_category_edges_reserve_the_last_ones_overhang_and_their_spacing():
    def page(mid: bool):
        prs = pptx.Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        data = CategoryChartData()
        data.categories = ["1/5/2002", "1/6/2002", "1/7/2002", "1/8/2002", "1/9/2002"]
        data.add_series("S1", (32, 32, 28, 12, 15))
        frame = slide.shapes.add_chart(
            XL_CHART_TYPE.AREA, Inches(1), Inches(1), Inches(6), Inches(4), data
        )
        frame.chart.has_legend = False
        frame.chart._chartSpace.find(f".//{C}crossBetween").set(
            "val", "midCat" if mid else "between"
        )
        return resolve(prs)[0]

    def right_end(pg):
        lines = [i for i in pg.items if isinstance(i, ShapeItem) and i.kind == "line"
                 and i.box.h == 0 and i.box.w > 100]  # fmt: skip
        return max(i.box.x + i.box.w for i in lines)

    mid, between = page(True), page(False)
    last = text_items(mid, "1/9/2002")[0]
    assert right_end(mid) < right_end(between) - 10
    assert abs(last.box.cx - right_end(mid)) < 0.5  # centred on the plot's right end
    assert last.box.rot == 0  # five labels fit the four spaces between the edges


def test_a_chart_without_series_draws_no_axes_or_legend():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_legend = True
    bar = chart._chartSpace.find(f".//{C}barChart")
    for ser in bar.findall(C + "ser"):
        bar.remove(ser)
    page, _ = resolve(prs)
    assert not [i for i in page.items if isinstance(i, (ShapeItem, TextItem))]


def test_a_horizontal_y_axis_title_wraps_at_a_fifth_of_the_chart_width():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_legend = False
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "Height of the top layer of foam in cm"
    body = chart._chartSpace.find(f".//{C}valAx/{C}title/{C}tx/{C}rich").find(
        "{http://schemas.openxmlformats.org/drawingml/2006/main}bodyPr"
    )
    body.set("rot", "0")
    page, _ = resolve(prs)
    title = next(i for i in page.items if isinstance(i, TextItem) and "Height" in text_of(i))
    assert title.box.rot == 0 and len(title.paragraphs) >= 3
    assert title.box.w <= WIDTH * 0.2 + 0.01


def test_a_pie_in_one_colour_still_lists_its_points_in_the_legend():
    prs, chart = category_chart(XL_CHART_TYPE.PIE, series=(("Share", (4, 3, 2, 1)),))
    chart.has_legend = True
    chart._chartSpace.find(f".//{C}varyColors").set("val", "0")
    page, _ = resolve(prs)
    entries = [text_items(page, c)[0] for c in "ABCD"]
    assert not [i for i in text_items(page, "Share") if i.box.x > entries[0].box.x]
    keys = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"
            and i.fill is not None and i.box.x < entries[0].box.x
            and abs(i.box.cy - entries[0].box.cy) < 40]  # fmt: skip
    assert len({k.fill.color for k in keys}) == 1 and len(keys) >= 1


def test_chart_styles_17_to_32_fill_series_with_the_themes_intense_fill_style():
    def bar_fills(style):
        prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
        chart.has_legend = False
        chart.chart_style = style
        page, _ = resolve(prs)
        return [i.fill for i in page.items if isinstance(i, ShapeItem) and i.kind == "rect"
                and i.fill is not None and i.box.h > 5 and i.box.w < 100]  # fmt: skip

    plain, intense = bar_fills(2), bar_fills(18)
    assert len(plain) == len(intense) == 4
    assert all(f.gradient is None for f in plain)
    assert all(f.gradient is not None for f in intense)  # the Office theme's is a gradient


def test_tick_labels_stand_a_tick_and_the_label_spacing_off_their_axis():
    prs, chart = category_chart(XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart.has_legend = False
    page, _ = resolve(prs)
    gap = 250 * MM100  # 1.5 mm tick + 1 mm spacing
    axis_y = _xy_bottom_gridline(page)
    assert abs(text_items(page, "A")[0].box.y - (axis_y + gap)) < 0.01
    zero = text_items(page, "0")[0]
    verticals = [i for i in page.items if isinstance(i, ShapeItem) and i.kind == "line"
                 and i.box.w == 0 and i.box.h > 100]  # fmt: skip
    axis_x = min(v.box.x for v in verticals)
    assert abs(zero.box.x + zero.box.w - (axis_x - gap)) < 0.01  # right-aligned before it
