"""Picture fills of shapes and backgrounds placed as LibreOffice 7.4 places them:
stretch rectangles (outsets only, never on backgrounds), tiles at the
picture's own dpi from their alignment corner and offset, many tiles as one
picture, duotone recolouring."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zlib
from pathlib import Path

import pptx
from lxml import etree
from PIL import Image
from pptx.util import Pt

from deckpipe.render import fills, images, render_deck
from deckpipe.render.model import Fill

A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = f'xmlns:a="{A_NS}" xmlns:p="{P_NS}" xmlns:r="{R_NS}"'

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 170, 60), (40, 60, 210), (240, 220, 40)
BLACK, WHITE = (0, 0, 0), (255, 255, 255)


def _png(im: Image.Image, dpi: float | None = None) -> bytes:
    out = io.BytesIO()
    im.save(out, "PNG", **({"dpi": (dpi, dpi)} if dpi else {}))
    return out.getvalue()


def _bands(colors=(RED, GREEN, BLUE, YELLOW), size=(40, 40)) -> bytes:
    """Horizontal bands, top to bottom."""
    w, h = size
    im = Image.new("RGB", size)
    step = h // len(colors)
    for i, c in enumerate(colors):
        im.paste(c, (0, i * step, w, (i + 1) * step))
    return _png(im)


def _halves(px: int = 40, dpi: float | None = 72) -> bytes:
    """Left half black, right half white."""
    im = Image.new("RGB", (px, px), WHITE)
    im.paste(BLACK, (0, 0, px // 2, px))
    return _png(im, dpi)


def _blip_fill(
    rid: str, inner: str = "", mode: str = "<a:stretch><a:fillRect/></a:stretch>"
) -> str:
    blip = f'<a:blip r:embed="{rid}">{inner}</a:blip>'
    return f'<a:blipFill {NS} rotWithShape="1">{blip}{mode}</a:blipFill>'


def _deck(
    picture: bytes,
    shape_fill: str | None = None,
    background: str | None = None,
    box: tuple[int, int, int, int] | None = None,
) -> bytes:
    """One blank 720 × 540 pt slide: a rectangle at ``box`` with the picture
    fill ``shape_fill`` and/or the background ``background`` (``{rid}`` is
    the picture's relationship)."""
    box = box or (Pt(100), Pt(100), Pt(400), Pt(200))
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    _, rid = slide.part.get_or_add_image_part(io.BytesIO(picture))
    if shape_fill is not None:
        shape = slide.shapes.add_shape(1, *box)  # rectangle
        sp_pr = shape._element.spPr
        for child in list(sp_pr):
            if etree.QName(child).localname in ("solidFill", "noFill", "ln"):
                sp_pr.remove(child)
        geom = sp_pr.find(f"{{{A_NS}}}prstGeom")
        geom.addnext(etree.fromstring(shape_fill.format(rid=rid)))
        geom.getparent().append(etree.fromstring(f"<a:ln {NS}><a:noFill/></a:ln>"))
        style = shape._element.find(f"{{{P_NS}}}style")
        if style is not None:
            shape._element.remove(style)
    if background is not None:
        bg = etree.fromstring(
            f"<p:bg {NS}><p:bgPr>{background.format(rid=rid)}<a:effectLst/></p:bgPr></p:bg>"
        )
        slide._element.cSld.insert(0, bg)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _render(deck: bytes) -> bytes:
    out = io.BytesIO()
    render_deck(deck, out)
    return out.getvalue()


def _page(pdf: bytes, dpi: int = 72) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(path), str(Path(tmp) / "p")],
            check=True,
        )
        return Image.open(Path(tmp) / "p.png").convert("RGB")


def _near(a, b, tol: int = 40) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        raw = pdf[m.end() : end]
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            found.append(raw)
    return found


# -- stretch -------------------------------------------------------------------


def test_background_picture_ignores_fill_rect_and_covers_the_page() -> None:
    """LibreOffice stretches a background picture over the whole page whatever
    its fillRect (PowerPoint would enlarge it 1.96 × and show its middle)."""
    bg = _blip_fill("{rid}", mode='<a:stretch><a:fillRect t="-48000" b="-48000"/></a:stretch>')
    page = _page(_render(_deck(_bands(), background=bg)))
    w, h = page.size  # 720 x 540 px at 72 dpi
    assert _near(page.getpixel((w // 2, int(h * 0.05))), RED)  # the top band at the top
    assert _near(page.getpixel((w // 2, int(h * 0.95))), YELLOW)  # the bottom band at the bottom
    assert _near(page.getpixel((w // 2, int(h * 0.30))), GREEN)


def test_shape_picture_outsets_enlarge_it_and_insets_are_ignored() -> None:
    outset = _blip_fill(
        "{rid}", mode='<a:stretch><a:fillRect t="-100000" b="-100000"/></a:stretch>'
    )
    page = _page(_render(_deck(_bands(), shape_fill=outset)))
    # the box (100..500 x 100..300 pt) shows the middle third of a picture 3 × its height:
    # the 2nd and 3rd bands, the top and bottom bands are outside
    assert _near(page.getpixel((300, 110)), GREEN)
    assert _near(page.getpixel((300, 290)), BLUE)
    assert _near(page.getpixel((300, 95)), WHITE)  # nothing drawn outside the box

    inset = _blip_fill("{rid}", mode='<a:stretch><a:fillRect l="25000" t="25000"/></a:stretch>')
    page = _page(_render(_deck(_bands(), shape_fill=inset)))
    assert _near(page.getpixel((105, 105)), RED)  # the whole box, insets ignored
    assert _near(page.getpixel((495, 295)), YELLOW)


def test_src_rect_of_a_fill_is_ignored() -> None:
    fill = _blip_fill("{rid}", mode='<a:srcRect t="50000"/><a:stretch><a:fillRect/></a:stretch>')
    page = _page(_render(_deck(_bands(), shape_fill=fill)))
    assert _near(page.getpixel((300, 110)), RED)  # not cropped to the lower half


# -- tiles ---------------------------------------------------------------------


def test_tile_size_follows_the_picture_dpi() -> None:
    el = etree.fromstring(_blip_fill("rId1", mode='<a:tile sx="50000" sy="100000"/>'))

    def size(data: bytes) -> tuple[float, float]:  # PNG keeps dots per metre: 72 dpi = 72.009
        return tuple(round(v, 1) for v in fills.picture_fill(el, data).image_size)

    assert size(_halves(40, dpi=72)) == (40.0, 40.0)
    assert size(_halves(40, dpi=144)) == (20.0, 20.0)
    assert size(_halves(40, dpi=None)) == (30.0, 30.0)  # no dpi: 96
    jpeg = io.BytesIO()
    Image.new("RGB", (30, 60)).save(jpeg, "JPEG", dpi=(150, 150))
    assert images.natural_size_pt(jpeg.getvalue()) == (14.4, 28.8)


def test_tile_layout_alignment_and_offset() -> None:
    fill = Fill((0, 0, 0), image=b"x", image_tile=True, image_size=(40.0, 40.0))
    assert fills.tile_layout(fill, 400, 200, (0, 0)) == (0.0, 0.0, 40.0, 40.0, 10, 5)
    centred = Fill((0, 0, 0), image=b"x", image_tile=True, image_size=(40, 40), tile_align="ctr")
    x, y, tw, th, cols, rows = fills.tile_layout(centred, 400, 200, (0, 0))
    assert (x, y) == (-20.0, 0.0)  # a tile centred at (200, 100): 180..220 x 80..120
    assert x + cols * tw >= 400 and y + rows * th >= 200
    right = Fill(
        (0, 0, 0), image=b"x", image_tile=True, image_size=(40, 40), tile_align="br",
        tile_scale=(0.5, 0.5), tile_offset=(0.25, 0.0),
    )  # fmt: skip
    x, y, tw, th, cols, rows = fills.tile_layout(right, 410, 200, (0, 0))
    assert (tw, th) == (20.0, 20.0)
    assert (x, y) == (-5.0, 0.0)  # right edge at 410 (410 = 20.5 tiles) + 5 pt offset


def test_tiles_are_drawn_from_their_alignment_corner() -> None:
    """40-pt tiles (40 px at 72 dpi), left half black: aligned top-left the box's
    first 20 pt are black; centred in the 400-pt box they start 20 pt earlier."""
    for algn, first in (("tl", BLACK), ("ctr", WHITE)):
        tile = f'<a:tile tx="0" ty="0" sx="100000" sy="100000" flip="none" algn="{algn}"/>'
        page = _page(_render(_deck(_halves(), shape_fill=_blip_fill("{rid}", mode=tile))))
        assert _near(page.getpixel((110, 150)), first), algn
        assert not _near(page.getpixel((130, 150)), first), algn
        assert _near(page.getpixel((95, 150)), WHITE)  # clipped to the box


def test_many_small_tiles_are_one_picture() -> None:
    """2-pt tiles over a 400 × 200 pt box: 20,000 tiles drawn as one picture."""
    tile = '<a:tile tx="0" ty="0" sx="100000" sy="100000" flip="none" algn="tl"/>'
    pdf = _render(_deck(_halves(2, dpi=72), shape_fill=_blip_fill("{rid}", mode=tile)))
    # about 200 x 100 tiles of 2 x 2 px (PNG 72 dpi is 2835 dots a metre: 201 x 101 tiles)
    assert re.findall(rb"/Width (\d+)", pdf) == [b"402"]
    assert re.findall(rb"/Height (\d+)", pdf) == [b"202"]
    assert sum(s.count(b" Do") for s in _streams(pdf)) < 20
    page = _page(pdf, dpi=288)  # 4 px a point: each tile is 4 px black, then 4 px white
    row = [page.getpixel((400 + i, 600))[0] for i in range(16)]
    assert row == [0] * 4 + [255] * 4 + [0] * 4 + [255] * 4


def test_background_tiles_follow_the_picture_dpi() -> None:
    tile = '<a:tile tx="0" ty="0" sx="100000" sy="100000" flip="none" algn="tl"/>'
    page = _page(_render(_deck(_halves(40, dpi=48), background=_blip_fill("{rid}", mode=tile))))
    # 40 px at 48 dpi = 60-pt tiles: black 0..30 pt, white 30..60, black again 60..90
    assert _near(page.getpixel((15, 15)), BLACK)
    assert _near(page.getpixel((45, 15)), WHITE)
    assert _near(page.getpixel((75, 15)), BLACK)


# -- recolouring -----------------------------------------------------------------


def test_duotone_maps_dark_to_the_first_colour_and_light_to_the_second() -> None:
    duo = '<a:duotone><a:srgbClr val="FF0000"/><a:srgbClr val="0000FF"/></a:duotone>'
    page = _page(_render(_deck(_halves(), shape_fill=_blip_fill("{rid}", inner=duo))))
    assert _near(page.getpixel((150, 200)), (255, 0, 0))  # black half of the picture
    assert _near(page.getpixel((450, 200)), (0, 0, 255))  # white half


def test_duotone_formula_is_libreoffice_luminance_blend() -> None:
    grey = _png(Image.new("RGB", (2, 2), (128, 128, 128)))
    out = Image.open(io.BytesIO(images.duotone(grey, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))))
    assert abs(out.convert("RGB").getpixel((0, 0))[0] - 128) <= 1
    red = _png(Image.new("RGB", (2, 2), (255, 0, 0)))  # luminance 76
    out = Image.open(io.BytesIO(images.duotone(red, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))))
    assert abs(out.convert("RGB").getpixel((0, 0))[1] - 76) <= 1


# -- pictures (p:pic) ----------------------------------------------------------


def _picture_deck(
    picture: bytes, geometry: str = "rect", blip_inner: str = "", src: str = ""
) -> bytes:
    """One picture at (100, 100) pt, 400 × 200 pt, in ``geometry``."""
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    pic = slide.shapes.add_picture(io.BytesIO(picture), Pt(100), Pt(100), Pt(400), Pt(200))
    el = pic._element
    blip = el.find(f".//{{{A_NS}}}blip")
    for child in etree.fromstring(f"<x {NS}>{blip_inner}</x>"):
        blip.append(child)
    if src:
        blip_fill = blip.getparent()
        old = blip_fill.find(f"{{{A_NS}}}srcRect")
        if old is not None:
            blip_fill.remove(old)
        blip.addnext(etree.fromstring(f"<a:srcRect {NS} {src}/>"))
    el.find(f".//{{{A_NS}}}prstGeom").set("prst", geometry)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def test_picture_in_an_ellipse_is_clipped_to_it() -> None:
    red = _png(Image.new("RGB", (40, 20), RED))
    page = _page(_render(_picture_deck(red, "ellipse")))
    assert _near(page.getpixel((300, 200)), RED)  # the centre
    assert _near(page.getpixel((105, 105)), WHITE)  # the box corner is outside the ellipse
    assert _near(page.getpixel((495, 295)), WHITE)
    page = _page(_render(_picture_deck(red, "rect")))
    assert _near(page.getpixel((105, 105)), RED)  # a rectangle picture fills its corners


def test_shaped_picture_is_cropped_unless_a_side_is_padded() -> None:
    bands = _bands()
    cropped = _page(_render(_picture_deck(bands, "roundRect", src='t="50000"')))
    assert _near(cropped.getpixel((300, 130)), BLUE)  # the lower half fills the shape
    assert _near(cropped.getpixel((300, 280)), YELLOW)
    padded = _page(_render(_picture_deck(bands, "roundRect", src='t="50000" b="-10000"')))
    assert _near(padded.getpixel((300, 130)), RED)  # LibreOffice ignores such a crop


def test_picture_duotone_and_grayscale() -> None:
    duo = '<a:duotone><a:srgbClr val="00FF00"/><a:srgbClr val="FFFF00"/></a:duotone>'
    page = _page(_render(_picture_deck(_halves(), blip_inner=duo)))
    assert _near(page.getpixel((200, 200)), (0, 255, 0))  # black -> first colour
    assert _near(page.getpixel((400, 200)), (255, 255, 0))  # white -> second colour
    red = _png(Image.new("RGB", (40, 20), (255, 0, 0)))
    page = _page(_render(_picture_deck(red, blip_inner="<a:grayscl/>")))
    r, g, b = page.getpixel((300, 200))
    assert r == g == b and abs(r - 76) <= 3  # luminance of pure red


def test_picture_color_change_makes_a_colour_transparent() -> None:
    """``a:clrChange`` to a transparent colour (Office's "set transparent colour"):
    pixels within 9 of the colour on each channel vanish; the slide shows through."""
    im = Image.new("RGB", (40, 20), (250, 250, 250))  # near white: within 9 of FFFFFF
    im.paste(RED, (20, 0, 40, 20))
    change = (
        '<a:clrChange><a:clrFrom><a:srgbClr val="FFFFFF"/></a:clrFrom>'
        '<a:clrTo><a:srgbClr val="FFFFFF"><a:alpha val="0"/></a:srgbClr></a:clrTo></a:clrChange>'
    )
    prs_bytes = _picture_deck(_png(im), blip_inner=change)
    prs = pptx.Presentation(io.BytesIO(prs_bytes))
    slide = prs.slides[0]
    slide.background.fill.solid()
    slide.background.fill.fore_color.rgb = pptx.dml.color.RGBColor(*BLUE)
    out = io.BytesIO()
    prs.save(out)
    page = _page(_render(out.getvalue()))
    assert _near(page.getpixel((200, 200)), BLUE)  # the light half is transparent
    assert _near(page.getpixel((400, 200)), RED)


def test_picture_bilevel_and_brightness() -> None:
    im = Image.new("RGB", (40, 20), (100, 100, 100))  # luminance 100: below the 128 threshold
    im.paste((160, 160, 160), (20, 0, 40, 20))
    page = _page(_render(_picture_deck(_png(im), blip_inner="<a:biLevel thresh='50000'/>")))
    assert page.getpixel((200, 200)) == BLACK and page.getpixel((400, 200)) == WHITE
    # brightness +20%: LibreOffice adds 20 * 2.55 = 51 to every channel
    page = _page(_render(_picture_deck(_png(im), blip_inner='<a:lum bright="20000"/>')))
    assert _near(page.getpixel((200, 200)), (151, 151, 151), 2)
    # Office's washout (70% brighter, 70% less contrast) is LibreOffice's watermark
    washout = '<a:lum bright="70000" contrast="-70000"/>'
    page = _page(_render(_picture_deck(_png(im), blip_inner=washout)))
    slope = (128 - 1.27 * 70) / 128
    expected = round(100 * slope + 50 * 2.55 + 128 - slope * 128)
    assert _near(page.getpixel((200, 200)), (expected,) * 3, 2)


# -- pattern fills ---------------------------------------------------------------


def test_pattern_fill_is_libreoffice_hatch_lines() -> None:
    """``wave`` is LibreOffice's hatch of horizontal hairlines 1 mm apart, in the
    foreground colour over the background colour, the first on the box's top."""
    patt = (
        f'<a:pattFill {NS} prst="wave"><a:fgClr><a:srgbClr val="FF0000"/></a:fgClr>'
        '<a:bgClr><a:srgbClr val="FFFFFF"/></a:bgClr></a:pattFill>'
    )
    page = _page(_render(_deck(_halves(), shape_fill=patt)), dpi=144)  # box y 200..600 px
    column = [page.getpixel((600, y)) for y in range(200, 600)]
    red = "".join("1" if g < 200 and r > 200 else "0" for r, g, _ in column)
    lines = re.findall("1+", red)
    assert 65 <= len(lines) <= 72  # 200 pt / 2.835 pt
    assert red.startswith("1")  # the first line on the top edge
    assert _near(page.getpixel((600, 203)), WHITE, 60)  # background between the lines


# -- shadows ---------------------------------------------------------------------


def test_a_see_through_fill_casts_a_lighter_shadow() -> None:
    """LibreOffice shades what the shape draws: a 50% transparent fill casts its
    shadow at half the shadow's opacity."""
    fill = (
        f'<a:solidFill {NS}><a:srgbClr val="0000FF"><a:alpha val="50000"/></a:srgbClr>'
        "</a:solidFill>"
    )
    deck = _deck(_halves(), shape_fill=fill)
    prs = pptx.Presentation(io.BytesIO(deck))
    sp_pr = prs.slides[0].shapes[0]._element.spPr
    sp_pr.append(
        etree.fromstring(
            f'<a:effectLst {NS}><a:outerShdw dist="254000" dir="0" algn="l">'
            '<a:srgbClr val="000000"/></a:outerShdw></a:effectLst>'
        )
    )
    out = io.BytesIO()
    prs.save(out)
    page = _page(_render(out.getvalue()))
    r, g, b = page.getpixel((510, 200))  # right of the box (100..500 pt): shadow only
    assert r == g == b and 110 <= r <= 145  # black at 50%, not black
