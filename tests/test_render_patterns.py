"""Preset pattern fills as LibreOffice 7.4 draws them: hatches of hairlines in the
foreground colour over the background colour (the 8 x 8 tiles remain for the
blend colour that stands for a pattern)."""

from __future__ import annotations

import io
import math
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
from deckpipe.render.patterns import HATCHES, TILES, hatch_lines, ink_share, tile_png

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


def _directions(lines: list[tuple[float, float, float, float]]) -> dict[int, list[tuple]]:
    """Lines grouped by their visual angle (degrees, counter-clockwise, mod 180)."""
    groups: dict[int, list[tuple]] = {}
    for x0, y0, x1, y1 in lines:
        angle = round(math.degrees(math.atan2(y0 - y1, x1 - x0))) % 180
        groups.setdefault(angle, []).append((x0, y0, x1, y1))
    return groups


def test_every_preset_has_libreoffice_hatch() -> None:
    assert sorted(HATCHES) == sorted(ALL_PRESETS)
    assert HATCHES["divot"] == (3, 400, 450) and HATCHES["wave"] == (1, 100, 0)


def test_dark_vertical_is_vertical_lines_a_quarter_millimetre_apart() -> None:
    groups = _directions(hatch_lines("dkVert", 72, 72))
    assert list(groups) == [90]
    xs = sorted(x0 for x0, _, _, _ in groups[90])
    gaps = {round(b - a, 3) for a, b in zip(xs, xs[1:], strict=False)}
    assert gaps == {round(0.25 * 72 / 25.4, 3)}  # 0.25 mm


def test_triple_hatch_adds_lines_turned_90_and_45_degrees() -> None:
    """divot: 45 degrees every 4 mm, plus -45 degrees and horizontal lines; the
    horizontal ones start on the box's top edge (LibreOffice's layout)."""
    groups = _directions(hatch_lines("divot", 108, 72))
    assert sorted(groups) == [0, 45, 135]
    ys = sorted(y0 for _, y0, _, _ in groups[0])
    assert ys[0] == 0.0 and abs(ys[1] - 4 * 72 / 25.4) < 1e-9
    for x0, y0, x1, y1 in groups[0]:
        assert (x0, x1) == (0.0, 108.0) and y0 == y1


def test_pattern_is_drawn_as_lines_in_the_pdf() -> None:
    pdf = _deck_pdf("diagCross", "0000FF", "FFFFFF")
    assert b"/Subtype /Image" not in pdf
    content = b"".join(
        zlib.decompress(pdf[m.end() : pdf.index(b"endstream", m.end())])
        for m in re.finditer(rb"/Filter\s*\[?\s*/FlateDecode[^>]*>>\s*stream\r?\n", pdf)
    )
    assert b"0 0 1 RG" in content and b"1 1 1 rg" in content  # hatch colour, background
    assert content.count(b" m ") > 10 and b"\nS\n" in content


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
    assert any(g - r > 40 for r, g, _ in colours)  # foreground green (hairlines: blended)
    assert (255, 255, 255) in colours


def test_a_pattern_without_a_preset_is_its_background_colour() -> None:
    from deckpipe.render.fills import fill_of

    el = etree.fromstring(
        f'<a:pattFill xmlns:a="{A[1:-1]}"><a:bgClr><a:srgbClr val="00FF00"/></a:bgClr></a:pattFill>'
    )
    fill = fill_of(el, None)  # type: ignore[arg-type] - an RGB colour needs no palette
    assert fill is not None and fill.color == (0.0, 1.0, 0.0) and not fill.pattern
