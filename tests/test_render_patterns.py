"""Preset pattern fills: real 8 x 8 pixel tiles at 96 dpi in their two colours."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zlib
from pathlib import Path

import pptx
import pytest
from lxml import etree
from PIL import Image
from pptx.util import Inches

from deckpipe.render import render_deck
from deckpipe.render.patterns import TILES, ink_share, tile_png

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"

_PRESET_NAMES = (  # ST_PresetPatternVal: 54 values
    "pct5 pct10 pct20 pct25 pct30 pct40 pct50 pct60 pct70 pct75 pct80 pct90 horz vert ltHorz "
    "ltVert dkHorz dkVert narHorz narVert dashHorz dashVert cross dnDiag upDiag ltDnDiag "
    "ltUpDiag dkDnDiag dkUpDiag wdDnDiag wdUpDiag dashDnDiag dashUpDiag diagCross smCheck "
    "lgCheck smGrid lgGrid dotGrid smConfetti lgConfetti horzBrick diagBrick solidDmnd openDmnd "
    "dotDmnd plaid sphere weave divot shingle wave trellis zigZag"
)
ALL_PRESETS = _PRESET_NAMES.split()


def _deck_pdf(prst: str, fg: str = "000000", bg: str = "FFFFFF") -> bytes:
    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = Inches(3), Inches(2)
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    shape = slide.shapes.add_shape(1, Inches(1), Inches(0.5), Inches(1), Inches(1))
    sp_pr = shape._element.spPr
    fill = etree.fromstring(
        f'<a:pattFill xmlns:a="{A[1:-1]}" prst="{prst}"><a:fgClr><a:srgbClr val="{fg}"/>'
        f'</a:fgClr><a:bgClr><a:srgbClr val="{bg}"/></a:bgClr></a:pattFill>'
    )
    sp_pr.find(A + "prstGeom").addnext(fill)
    fill.addnext(etree.fromstring(f'<a:ln xmlns:a="{A[1:-1]}"><a:noFill/></a:ln>'))
    buf = io.BytesIO()
    prs.save(buf)
    out = io.BytesIO()
    render_deck(io.BytesIO(buf.getvalue()), out)
    return out.getvalue()


def _raster(pdf: bytes, dpi: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "d.pdf")
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), path, Path(tmp, "p")], check=True)
        image = Image.open(next(Path(tmp).glob("p*.png"))).convert("RGB")
        image.load()
    return image


def test_every_preset_of_the_standard_has_a_tile() -> None:
    assert sorted(TILES) == sorted(ALL_PRESETS) and len(TILES) == 54
    assert all(len(rows) == 8 and all(0 <= r <= 255 for r in rows) for rows in TILES.values())
    assert ink_share("pct50") == 0.5 and ink_share("pct5") < ink_share("pct25") < 0.3
    assert ink_share("pct90") > 0.85 and ink_share("ltVert") == 0.25


def test_dark_vertical_repeats_every_four_pixels_at_96_dpi() -> None:
    image = _raster(_deck_pdf("dkVert", "C00000", "FFFF00"), 96)
    # the shape spans x 96..192, y 48..144 (pixels at 96 dpi): 2 on, 2 off (0.75 pt pixels)
    row = [image.getpixel((x, 96)) for x in range(100, 132)]
    assert all(px[2] < 60 and px[0] > 180 for px in row)  # only the two colours (and blends)
    red = [px[1] < 128 for px in row]  # nearer red (192, 0, 0) than yellow (255, 255, 0)
    assert red == [red[i % 4] for i in range(len(red))]  # period 4 pixels
    assert sum(red[:4]) == 2


def test_small_checker_board_has_two_pixel_squares() -> None:
    image = _raster(_deck_pdf("smCheck"), 192)  # two device pixels per pattern pixel
    column = [sum(image.getpixel((250, y))) < 384 for y in range(120, 152)]
    runs = [len(m.group()) for m in re.finditer(r"1+|0+", "".join("1" if d else "0"
                                                              for d in column))]
    assert set(runs[1:-1]) == {4}  # 2 pattern pixels = 4 device pixels, alternating


def test_pattern_is_a_small_one_bit_image_in_the_pdf() -> None:
    pdf = _deck_pdf("diagCross", "0000FF", "FFFFFF")
    assert b"/BitsPerComponent 1" in pdf and b"/Indexed" in pdf
    assert b"<ffffff0000ff>" in pdf.lower()  # palette: background, foreground
    assert len(pdf) < 20000


def test_tile_png_rows_repeat_the_tile() -> None:
    png = tile_png("horzBrick", (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), 16, 16)
    idat = png[png.index(b"IDAT") + 4 :]
    raw = zlib.decompress(idat[: idat.index(b"IEND") - 8])
    rows = [raw[i * 3 + 1 : i * 3 + 3] for i in range(16)]  # filter byte, then 2 bytes
    assert rows[0] == b"\xff\xff" and rows[1] == b"\x80\x80" and rows[5] == b"\x08\x08"
    assert rows[8:] == rows[:8]


@pytest.mark.parametrize("prst", ["wave", "pct5", "lgConfetti"])
def test_pattern_renders_both_colours(prst: str) -> None:
    image = _raster(_deck_pdf(prst, "00A000", "FFFFFF"), 96)
    colours = {image.getpixel((x, y)) for x in range(100, 188) for y in range(52, 140)}
    assert any(g > 120 and r < 80 for r, g, _ in colours)  # foreground green
    assert (255, 255, 255) in colours


def test_a_pattern_without_a_preset_is_its_background_colour() -> None:
    from deckpipe.render.fills import fill_of

    el = etree.fromstring(
        f'<a:pattFill xmlns:a="{A[1:-1]}"><a:bgClr><a:srgbClr val="00FF00"/></a:bgClr>'
        "</a:pattFill>"
    )
    fill = fill_of(el, None)  # type: ignore[arg-type] - an RGB colour needs no palette
    assert fill is not None and fill.color == (0.0, 1.0, 0.0) and not fill.pattern
