"""Theme background styles, colour maps and what LibreOffice does with gradient text.

Decks are python-pptx's default template edited with lxml; each test checks the
colours the resolver hands the painter, and the pixels of the rendered page.
"""

from __future__ import annotations

import io
import subprocess

import pptx
import pytest
from lxml import etree
from PIL import Image
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Pt

from deckpipe.render import images, render_deck
from deckpipe.render.resolve import DeckResolver

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
NS = f'xmlns:a="{A[1:-1]}" xmlns:p="{P[1:-1]}"'


def _xml(text: str) -> etree._Element:
    return etree.fromstring(text)


def _theme(prs: pptx.Presentation):
    master = prs.slide_masters[0]
    part = master.part.part_related_by(RT.THEME)
    return part, etree.fromstring(part.blob)


def _set_theme(part, root: etree._Element) -> None:
    part._blob = etree.tostring(root)


def _bg_styles(prs: pptx.Presentation, styles: list[str]) -> None:
    """Replace the theme's a:bgFillStyleLst with ``styles`` (inner XML each)."""
    part, root = _theme(prs)
    lst = root.find(f"{A}themeElements/{A}fmtScheme/{A}bgFillStyleLst")
    for child in list(lst):
        lst.remove(child)
    for inner in styles:
        lst.append(_xml(f'<a:x {NS} xmlns:r="http://schemas.openxmlformats.org/'
                        f'officeDocument/2006/relationships">{inner}</a:x>')[0])
    _set_theme(part, root)


def _set_bg(el: etree._Element, inner: str) -> None:
    c_sld = el.find(P + "cSld")
    old = c_sld.find(P + "bg")
    if old is not None:
        c_sld.remove(old)
    c_sld.insert(0, _xml(f"<p:bg {NS}>{inner}</p:bg>"))


def _resolve(prs: pptx.Presentation, index: int = 0):
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    reread = pptx.Presentation(out)
    page, _ = DeckResolver(reread).resolve_slide(reread.slides[index], index + 1)
    return page


def _pixels(prs: pptx.Presentation, tmp_path) -> Image.Image:
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    pdf = tmp_path / "out.pdf"
    with open(pdf, "wb") as fh:
        render_deck(out, fh)
    subprocess.run(["pdftoppm", "-r", "20", "-png", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    return Image.open(tmp_path / "page.png").convert("RGB")


def _blank() -> pptx.Presentation:
    prs = pptx.Presentation()
    prs.slides.add_slide(prs.slide_layouts[6])
    return prs


def test_bgref_gradient_takes_the_reference_colour_for_phclr(tmp_path):
    prs = _blank()
    _bg_styles(prs, [
        '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>',
        '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>',
        '<a:gradFill><a:gsLst>'
        '<a:gs pos="0"><a:schemeClr val="phClr"><a:tint val="50000"/></a:schemeClr></a:gs>'
        '<a:gs pos="100000"><a:schemeClr val="phClr"/></a:gs></a:gsLst>'
        '<a:path path="circle"><a:fillToRect l="50000" t="50000" r="50000" b="50000"/>'
        "</a:path></a:gradFill>",
    ])  # fmt: skip
    _set_bg(prs.slides[0].element,
            '<p:bgRef idx="1003"><a:srgbClr val="003366"/></p:bgRef>')  # fmt: skip
    page = _resolve(prs)
    gradient = page.background.fill.gradient
    assert gradient.kind == "circle"
    assert gradient.focus == (0.5, 0.5, 0.5, 0.5)
    outer = gradient.stops[-1][1]
    assert outer == pytest.approx((0.0, 0.2, 0.4), abs=0.01)  # phClr = the bgRef's colour
    assert gradient.stops[0][1][2] > outer[2]  # the centre is the lighter tint
    im = _pixels(prs, tmp_path)
    corner, centre = im.getpixel((1, 1)), im.getpixel((im.width // 2, im.height // 2))
    assert corner[2] < 120 and centre[2] > corner[2] + 40  # dark edge, light centre


def test_bgref_picture_is_loaded_from_the_theme_part(tmp_path):
    prs = _blank()
    theme_part, _ = _theme(prs)
    pic = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(pic, "PNG")
    from pptx.opc.package import Part
    from pptx.opc.packuri import PackURI

    image_part = Part(PackURI("/ppt/media/themebg.png"), "image/png", prs.part.package,
                      pic.getvalue())  # fmt: skip
    rid = theme_part.relate_to(image_part, RT.IMAGE)
    _bg_styles(prs, [
        '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>',
        f'<a:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></a:blipFill>',
    ])  # fmt: skip
    _set_bg(prs.slide_masters[0].element,
            '<p:bgRef idx="1002"><a:schemeClr val="bg1"/></p:bgRef>')  # fmt: skip
    page = _resolve(prs)
    assert page.background.image == pic.getvalue()
    im = _pixels(prs, tmp_path)
    assert im.getpixel((im.width // 2, im.height // 2))[0] > 150
    assert im.getpixel((im.width // 2, im.height // 2))[1] < 80


def _text_slide(prs: pptx.Presentation, fill: str = "") -> None:
    slide = prs.slides[0]
    box = slide.shapes.add_textbox(Pt(72), Pt(72), Pt(300), Pt(60))
    r = box.text_frame.paragraphs[0].add_run()
    r.text = "Hello"
    if fill:
        r._r.get_or_add_rPr().append(_xml(f"<a:x {NS}>{fill}</a:x>")[0])


def _run_colors(page) -> list[tuple[float, float, float]]:
    return [run.color for item in page.items if hasattr(item, "paragraphs")
            for para in item.paragraphs for run in para.runs]  # fmt: skip


_OVERRIDE = ('<p:clrMapOvr {ns}><a:overrideClrMapping bg1="dk1" tx1="lt1" bg2="dk2" tx2="lt2" '
             'accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" '
             'accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
             "</p:clrMapOvr>")  # fmt: skip


def _set_clr_map_ovr(el: etree._Element, xml: str) -> None:
    old = el.find(P + "clrMapOvr")
    if old is not None:
        el.remove(old)
    el.insert(1, _xml(xml.format(ns=NS)))


def test_slide_override_maps_text_and_background_slots():
    prs = _blank()
    _text_slide(prs)
    _set_clr_map_ovr(prs.slides[0].element, _OVERRIDE)
    _set_bg(prs.slides[0].element, '<p:bgRef idx="1001"><a:schemeClr val="bg1"/></p:bgRef>')
    page = _resolve(prs)
    assert page.background.color == (0.0, 0.0, 0.0)  # bg1 -> dk1
    assert _run_colors(page) == [(1.0, 1.0, 1.0)]  # tx1 -> lt1


def test_layout_override_applies_unless_the_slide_keeps_the_master_mapping():
    prs = _blank()
    _text_slide(prs)
    _set_clr_map_ovr(prs.slide_layouts[6].element, _OVERRIDE)
    assert _run_colors(_resolve(prs)) == [(1.0, 1.0, 1.0)]  # the layout's map
    prs2 = _blank()
    _text_slide(prs2)
    _set_clr_map_ovr(prs2.slide_layouts[6].element, _OVERRIDE)
    _set_clr_map_ovr(
        prs2.slides[0].element,
        '<p:clrMapOvr {ns}><a:overrideClrMapping bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" '
        'accent1="accent1" accent2="accent2" accent3="accent3" accent4="accent4" '
        'accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/></p:clrMapOvr>',
    )
    assert _run_colors(_resolve(prs2)) == [(0.0, 0.0, 0.0)]  # the slide's own map wins


def test_master_clr_map_reaches_table_text():
    prs = _blank()
    master = prs.slide_masters[0].element
    clr_map = master.find(P + "clrMap")
    clr_map.set("tx1", "lt1")
    clr_map.set("bg1", "dk1")
    shape = prs.slides[0].shapes.add_table(1, 1, Pt(72), Pt(72), Pt(200), Pt(40))
    cell = shape.table.cell(0, 0)
    cell.text = "cell"
    rpr = cell.text_frame.paragraphs[0].runs[0]._r.get_or_add_rPr()
    rpr.append(_xml(f'<a:solidFill {NS}><a:schemeClr val="tx1"/></a:solidFill>'))
    page = _resolve(prs)
    assert (1.0, 1.0, 1.0) in _run_colors(page)


_GRAD2 = ('<a:gradFill><a:gsLst><a:gs pos="100000"><a:srgbClr val="0000FF"/></a:gs>'
          '<a:gs pos="0"><a:srgbClr val="FF0000"/></a:gs></a:gsLst></a:gradFill>')
_GRAD3 = ('<a:gradFill><a:gsLst><a:gs pos="0"><a:srgbClr val="FF0000"/></a:gs>'
          '<a:gs pos="100000"><a:srgbClr val="0000FF"/></a:gs>'
          '<a:gs pos="50000"><a:srgbClr val="00FF00"/></a:gs></a:gsLst></a:gradFill>')


@pytest.mark.parametrize(("fill", "expected"), [
    (_GRAD2, (1.0, 0.0, 0.0)),  # two stops: the first by position
    (_GRAD3, (0.0, 1.0, 0.0)),  # more: the second by position
])  # fmt: skip
def test_run_gradient_is_drawn_in_its_best_solid_colour(fill, expected):
    # Measured with LibreOffice 7.4 on the same decks.
    prs = _blank()
    _text_slide(prs, fill)
    assert _run_colors(_resolve(prs)) == [expected]


@pytest.mark.parametrize(("background", "expected"), [
    ("C0C0C0", (0.0, 0.0, 0.0)), ("202020", (1.0, 1.0, 1.0)),
])  # fmt: skip
def test_master_style_gradient_text_takes_the_automatic_colour(background, expected):
    # LibreOffice 7.4 does not apply a gradient from the master's text styles:
    # the title is black on a light background and white on a dark one.
    prs = pptx.Presentation()
    master = prs.slide_masters[0].element
    d_rpr = master.find(f"{P}txStyles/{P}titleStyle/{A}lvl1pPr/{A}defRPr")
    for child in list(d_rpr):
        if child.tag in (A + "solidFill", A + "gradFill"):
            d_rpr.remove(child)
    d_rpr.insert(0, _xml(_GRAD3.replace("<a:gradFill>", f"<a:gradFill {NS}>", 1)))
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "Title"
    _set_bg(slide.element,
            f'<p:bgPr><a:solidFill><a:srgbClr val="{background}"/></a:solidFill></p:bgPr>')
    assert _run_colors(_resolve(prs)) == [expected]


def test_sixteen_bit_grey_png_keeps_its_shades():
    grey = Image.new("I;16", (4, 4), 0x8080)
    out = io.BytesIO()
    grey.save(out, "PNG")
    raster = images.encode(out.getvalue())
    import zlib

    pixels = zlib.decompress(raster.data)
    assert set(pixels) == {0x80}


# -- colour modifiers, as LibreOffice applies them ---------------------------------


def _modified(base: str, mods: str) -> tuple[int, int, int]:
    from deckpipe.render import colors

    el = _xml(f'<a:srgbClr {NS} val="{base}">{mods}</a:srgbClr>')
    rgb, _ = colors.resolve_color(el, colors.Palette())
    return tuple(round(v * 255) for v in rgb)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("mods", "expected"),
    [
        # tint and shade mix with white / black in linear RGB (gamma 2.3): the
        # corpus references draw 156082 at tint 20 % as E7EAEC, at 40 % as CCD2D8
        ('<a:tint val="20000"/>', (231, 234, 236)),
        ('<a:tint val="40000"/>', (204, 210, 216)),
        ('<a:shade val="50000"/>', (15, 71, 96)),
        # lumMod / lumOff work in HSL, where the hue is kept
        ('<a:lumMod val="75000"/>', (16, 72, 98)),
        ('<a:lumMod val="20000"/><a:lumOff val="80000"/>', (193, 229, 245)),
        ("<a:gray/>", (82, 82, 82)),  # 22/72/6 weights of the bytes
        ("<a:inv/>", (254, 242, 229)),  # inverted in linear RGB
    ],
)
def test_colour_modifiers_follow_libreoffice(mods, expected):
    got = _modified("156082", mods)
    assert all(abs(g - e) <= 1 for g, e in zip(got, expected, strict=True)), got


def test_a_slide_title_on_a_title_slide_layout_takes_the_masters_title_box():
    """A ``title`` placeholder on a layout that has only a ``ctrTitle``: LibreOffice
    places it where the master's title is (a ``ctrTitle`` keeps the layout's)."""
    from deckpipe.render.model import TextItem

    boxes = {}
    for kind in ("ctrTitle", "title"):
        prs = pptx.Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[0])  # "Title Slide": ctrTitle
        slide.shapes.title.text = "Heading"
        slide.shapes.title._element.find(f".//{P}ph").set("type", kind)
        page = _resolve(prs)
        boxes[kind] = next(i.box for i in page.items if isinstance(i, TextItem)
                           and i.paragraphs[0].runs[0].text == "Heading")  # fmt: skip
    layout_title = prs.slide_layouts[0].placeholders[0]
    master_title = next(p for p in prs.slide_master.placeholders if p.placeholder_format.idx == 0)
    assert boxes["ctrTitle"].y == pytest.approx(layout_title.top / 12700)
    assert boxes["title"].y == pytest.approx(master_title.top / 12700)
    assert boxes["title"].y != pytest.approx(boxes["ctrTitle"].y)


def test_plain_text_boxes_do_not_take_the_masters_other_style():
    from deckpipe.render.model import TextItem

    prs = pptx.Presentation()
    master = prs.slide_master.element
    other = master.find(f"{P}txStyles/{P}otherStyle")
    lvl1 = other.find(f"{A}lvl1pPr")
    lvl1.set("algn", "r")
    lvl1.find(f"{A}defRPr").set("sz", "1200")
    # a deck default that leaves alignment and size unset, as in decks that show this
    default = prs.part._element.find(f"{P}defaultTextStyle/{A}lvl1pPr")
    default.attrib.pop("algn", None)
    default.find(f"{A}defRPr").attrib.pop("sz", None)
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Pt(72), Pt(72), Pt(300), Pt(50))
    box.text_frame.text = "Plain"
    item = next(i for i in _resolve(prs).items if isinstance(i, TextItem))
    para = item.paragraphs[0]
    assert para.align == "l" and para.runs[0].size == pytest.approx(18)
