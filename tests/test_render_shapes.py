"""Shapes, fills, outlines and effects: what the renderer draws, read back as pixels."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pptx
import pytest
from lxml import etree
from PIL import Image
from pptx.util import Inches

from deckpipe.render import render_deck
from deckpipe.render.guides import Guides, PathBuilder
from deckpipe.render.model import ShapeItem
from deckpipe.render.presets import preset_paths
from deckpipe.render.resolve import DeckResolver

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
NO_LINE = "<a:ln><a:noFill/></a:ln>"
DPI = 72  # one pixel per point: slide coordinates are pixel coordinates


def _deck() -> tuple[pptx.Presentation, object]:
    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = Inches(4), Inches(3)  # 288 x 216 pt
    return prs, prs.slides.add_slide(prs.slide_layouts[6])


def _xml(fragment: str) -> etree._Element:
    return etree.fromstring(f'<r xmlns:a="{A[1:-1]}">{fragment}</r>')[0]


def _set_fill(shape, fragment: str) -> None:
    """Replace a shape's spPr fill (and outline) with the given XML."""
    sp_pr = shape._element.spPr
    for child in list(sp_pr):
        if child.tag.endswith(("Fill", "}ln")):
            sp_pr.remove(child)
    geom = next(c for c in sp_pr if c.tag.endswith("Geom"))
    for el in reversed([_xml(f) for f in fragment.split("|")]):
        geom.addnext(el)


def _render(prs) -> tuple[object, Image.Image]:
    buf = io.BytesIO()
    prs.save(buf)
    out = io.BytesIO()
    report = render_deck(io.BytesIO(buf.getvalue()), out)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp, "d.pdf")
        pdf.write_bytes(out.getvalue())
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", pdf, Path(tmp, "p")],
            check=True,
        )
        png = next(Path(tmp).glob("p*.png"))
        image = Image.open(png).convert("RGB")
        image.load()
    return report, image


def _close(rgb, expected, tol=40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, expected, strict=True))


def _items(prs) -> list:
    buf = io.BytesIO()
    prs.save(buf)
    deck = pptx.Presentation(io.BytesIO(buf.getvalue()))
    page, _ = DeckResolver(deck).resolve_slide(deck.slides[0], 1)
    return [i for i in page.items if isinstance(i, ShapeItem)]


# -- guide formulas and presets --------------------------------------------------


def test_guide_formulas_follow_the_spec() -> None:
    g = Guides(200.0, 100.0)
    g.define("a", "pin 0 70000 50000")
    g.define("x1", "*/ ss a 100000")
    g.define("c", "?: -1 10 20")
    g.define("ang", "at2 0 10")
    g.define("m", "mod 3 4 0")
    g.define("ct", "cat2 10 0 5")
    assert g.values["a"] == 50000 and g.values["x1"] == 50.0
    assert g.values["c"] == 20 and g.values["ang"] == pytest.approx(5400000)
    assert g.values["m"] == 5 and g.values["ct"] == pytest.approx(0.0, abs=1e-9)
    assert g.get("wd2") == 100 and g.get("hd4") == 25 and g.get("3cd4") == 16200000


def test_arcs_are_bezier_curves_ending_where_the_spec_says() -> None:
    g = Guides(100.0, 100.0)
    b = PathBuilder(g, 100.0, 100.0)
    b.move("l", "vc")
    b.arc("wd2", "hd2", "cd2", "cd2")  # left point, half way round over the top
    assert all(op == "C" for op, _ in b.ops[1:]) and len(b.ops) == 3
    assert b.ops[-1][1][-2:] == pytest.approx((1.0, 0.5))
    assert b.ops[1][1][-2:] == pytest.approx((0.5, 0.0))  # passes the top


def test_preset_adjust_values_change_the_outline() -> None:
    def first_corner(adjust: dict) -> tuple[float, float]:
        (sub,) = preset_paths("roundRect", 200.0, 100.0, adjust)
        return sub.ops[0][1]

    assert first_corner({})[1] == pytest.approx(100 * 0.16667 / 100, rel=1e-3)
    assert first_corner({"adj": 50000})[1] == pytest.approx(0.5)
    (arrow,) = preset_paths("rightArrow", 300.0, 100.0, {"adj1": 20000, "adj2": 100000})
    xs = {round(pts[0], 4) for op, pts in arrow.ops if op != "Z"}
    assert 0.6667 in xs  # the head is one short side (100 of 300) long


# -- drawn geometry -----------------------------------------------------------------


def test_triangle_preset_is_drawn_as_a_triangle() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    shape._element.spPr.find(A + "prstGeom").set("prst", "triangle")
    _set_fill(shape, '<a:solidFill><a:srgbClr val="FF0000"/></a:solidFill>|' + NO_LINE)
    report, img = _render(prs)
    assert not [w for w in report.warnings if w.code == "geometry_approximated"]
    assert _close(img.getpixel((144, 140)), (255, 0, 0))  # bottom middle
    assert _close(img.getpixel((76, 76)), (255, 255, 255))  # top-left corner of the box: empty
    assert _close(img.getpixel((211, 76)), (255, 255, 255))


def test_unknown_preset_falls_back_to_rectangle_with_warning() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    shape._element.spPr.find(A + "prstGeom").set("prst", "notAPreset")
    report, _ = _render(prs)
    assert [w.code for w in report.warnings].count("geometry_approximated") == 1


def test_custom_geometry_with_guides_is_exact() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    sp_pr = shape._element.spPr
    sp_pr.remove(sp_pr.find(A + "prstGeom"))
    sp_pr.find(A + "xfrm").addnext(
        _xml(
            '<a:custGeom><a:avLst/><a:gdLst><a:gd name="half" fmla="*/ w 1 2"/></a:gdLst>'
            '<a:pathLst><a:path><a:moveTo><a:pt x="0" y="0"/></a:moveTo>'
            '<a:lnTo><a:pt x="half" y="0"/></a:lnTo><a:lnTo><a:pt x="half" y="h"/></a:lnTo>'
            '<a:lnTo><a:pt x="0" y="h"/></a:lnTo><a:close/></a:path></a:pathLst></a:custGeom>'
        )
    )
    _set_fill(shape, '<a:solidFill><a:srgbClr val="0000FF"/></a:solidFill>|' + NO_LINE)
    _, img = _render(prs)
    assert _close(img.getpixel((100, 108)), (0, 0, 255))  # left half filled
    assert _close(img.getpixel((190, 108)), (255, 255, 255))  # right half empty


# -- fills --------------------------------------------------------------------------


def test_linear_gradient_runs_from_first_to_last_stop() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    _set_fill(
        shape,
        '<a:gradFill><a:gsLst><a:gs pos="0"><a:srgbClr val="FF0000"/></a:gs>'
        '<a:gs pos="100000"><a:srgbClr val="0000FF"/></a:gs></a:gsLst>'
        '<a:lin ang="0" scaled="0"/></a:gradFill>|<a:ln><a:noFill/></a:ln>',
    )
    _, img = _render(prs)
    left, right = img.getpixel((75, 108)), img.getpixel((213, 108))
    assert left[0] > 220 and left[2] < 40
    assert right[2] > 220 and right[0] < 40
    middle = img.getpixel((144, 108))
    assert 90 < middle[0] < 170 and 90 < middle[2] < 170


def test_background_gradient_is_drawn_not_averaged() -> None:
    prs, slide = _deck()
    bg = slide._element.cSld.get_or_add_bg()
    bg.append(
        etree.fromstring(
            '<p:bgPr xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
            f'xmlns:a="{A[1:-1]}"><a:gradFill><a:gsLst>'
            '<a:gs pos="0"><a:srgbClr val="000000"/></a:gs>'
            '<a:gs pos="100000"><a:srgbClr val="FFFFFF"/></a:gs></a:gsLst>'
            '<a:lin ang="5400000" scaled="1"/></a:gradFill><a:effectLst/></p:bgPr>'
        )
    )
    _, img = _render(prs)
    assert sum(img.getpixel((144, 3))) < 60  # dark at the top
    assert sum(img.getpixel((144, 212))) > 700  # light at the bottom


def test_pattern_fill_blends_foreground_and_background() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    _set_fill(
        shape,
        '<a:pattFill prst="pct50"><a:fgClr><a:srgbClr val="000000"/></a:fgClr>'
        '<a:bgClr><a:srgbClr val="FFFFFF"/></a:bgClr></a:pattFill>',
    )
    (item,) = _items(prs)
    assert item.fill.color == pytest.approx((0.5, 0.5, 0.5))


def test_theme_fill_reference_uses_the_style_with_placeholder_colour() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))
    sp_pr = shape._element.spPr
    for child in list(sp_pr):
        if child.tag.endswith("Fill"):
            sp_pr.remove(child)
    ref = shape._element.find(
        "{http://schemas.openxmlformats.org/presentationml/2006/main}style/" + A + "fillRef"
    )
    ref.set("idx", "1")
    for child in list(ref):
        ref.remove(child)
    ref.append(_xml('<a:srgbClr val="00FF00"/>'))
    (item,) = _items(prs)
    assert item.fill is not None and item.fill.color == pytest.approx((0.0, 1.0, 0.0), abs=0.05)


# -- outlines and effects ------------------------------------------------------------


def test_dashed_outline_has_gaps_and_arrowhead_is_drawn() -> None:
    prs, slide = _deck()
    line = slide.shapes.add_connector(1, Inches(0.5), Inches(1.5), Inches(3.5), Inches(1.5))
    ln = line._element.spPr.get_or_add_ln()
    ln.set("w", "38100")  # 3 pt
    for frag in (
        '<a:solidFill><a:srgbClr val="000000"/></a:solidFill>',
        '<a:prstDash val="dash"/>',
        '<a:tailEnd type="triangle" w="lg" len="lg"/>',
    ):
        ln.append(_xml(frag))
    _, img = _render(prs)
    row = [sum(img.getpixel((x, 108))) < 300 for x in range(40, 230)]
    transitions = sum(1 for a, b in zip(row, row[1:], strict=False) if a != b)
    assert transitions >= 8  # several dashes along the line
    # the arrowhead (5 x 3 pt = 15 pt wide) is much wider than the 3 pt line
    assert sum(img.getpixel((240, 104))) < 300 and sum(img.getpixel((240, 112))) < 300


def test_outer_shadow_is_drawn_below_and_right() -> None:
    prs, slide = _deck()
    shape = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(1), Inches(1))
    _set_fill(
        shape,
        '<a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>|<a:ln><a:noFill/></a:ln>|'
        '<a:effectLst><a:outerShdw dist="127000" dir="2700000">'
        '<a:srgbClr val="000000"><a:alpha val="50000"/></a:srgbClr></a:outerShdw></a:effectLst>',
    )
    _, img = _render(prs)
    shadow = img.getpixel((148, 148))  # beyond the shape's bottom-right corner
    assert 100 < shadow[0] < 160
    assert _close(img.getpixel((100, 100)), (255, 255, 255), 5)  # the shape covers it


def test_undrawn_effects_warn_once_per_deck() -> None:
    prs, slide = _deck()
    for n in range(3):
        shape = slide.shapes.add_shape(1, Inches(0.2 + n), Inches(1), Inches(0.8), Inches(0.8))
        _set_fill(
            shape,
            '<a:solidFill><a:srgbClr val="FF0000"/></a:solidFill>|'
            '<a:effectLst><a:glow rad="63500"><a:srgbClr val="FFFF00"/></a:glow></a:effectLst>',
        )
    slide2 = prs.slides.add_slide(prs.slide_layouts[6])
    shape = slide2.shapes.add_shape(1, Inches(1), Inches(1), Inches(1), Inches(1))
    _set_fill(shape, '<a:effectLst><a:glow rad="63500"/></a:effectLst>')
    report, _ = _render(prs)
    assert [w.code for w in report.warnings].count("effect_approximated") == 1


def test_flipped_connector_runs_between_the_other_corners() -> None:
    prs, slide = _deck()
    line = slide.shapes.add_connector(1, Inches(1), Inches(1), Inches(3), Inches(2))
    line._element.spPr.find(A + "xfrm").set("flipV", "1")
    ln = line._element.spPr.get_or_add_ln()
    ln.set("w", "50800")
    ln.append(_xml('<a:solidFill><a:srgbClr val="000000"/></a:solidFill>'))
    _, img = _render(prs)
    assert sum(img.getpixel((75, 143))) < 200  # bottom-left end
    assert sum(img.getpixel((210, 74))) < 200  # top-right end
    assert sum(img.getpixel((75, 74))) > 700  # not top-left
