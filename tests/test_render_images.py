"""Pictures: every encoding path draws the right pixels, pass-through streams
go into the PDF unchanged, a picture used many times is stored once."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pptx
import pytest
from PIL import Image

from deckpipe.render import images, render_deck

QUADRANTS = ((200, 30, 30), (30, 160, 60), (40, 60, 200), (240, 220, 40))  # TL TR BL BR


def _quadrants(mode: str = "RGB", size: int = 40) -> Image.Image:
    im = Image.new("RGB", (size, size))
    half = size // 2
    for i, color in enumerate(QUADRANTS):
        x, y = (i % 2) * half, (i // 2) * half
        im.paste(color, (x, y, x + half, y + half))
    if mode == "P":  # an exact 4-colour palette: no dithering
        return im.convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return im.convert(mode) if mode != "RGB" else im


def _encoded(im: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kw)
    return out.getvalue()


def _deck(pictures: list[bytes], background: tuple[int, int, int] | None = None) -> bytes:
    """One slide per picture, the picture covering the whole slide."""
    prs = pptx.Presentation()
    for data in pictures:
        slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
        if background:
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = pptx.dml.color.RGBColor(*background)
        slide.shapes.add_picture(io.BytesIO(data), 0, 0, prs.slide_width, prs.slide_height)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _render(deck: bytes) -> tuple[bytes, object]:
    out = io.BytesIO()
    report = render_deck(deck, out)
    return out.getvalue(), report


def _page(pdf: bytes, page: int = 1) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "20", "-png", "-f", str(page), "-l", str(page), str(path),
             str(Path(tmp) / "p")], check=True)
        (png,) = Path(tmp).glob("p*.png")
        return Image.open(png).convert("RGB")


def _quadrant_colors(page: Image.Image) -> list[tuple[int, int, int]]:
    w, h = page.size
    return [page.getpixel((int(w * fx), int(h * fy)))
            for fy in (0.25, 0.75) for fx in (0.25, 0.75)]


def _close(a, b, tol: int) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def _idat(png: bytes) -> bytes:
    parts, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            parts.append(png[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(parts)


RGB_CASES = {
    "png-rgb": lambda: _encoded(_quadrants(), "PNG"),
    "png-palette": lambda: _encoded(_quadrants("P"), "PNG"),
    "png-interlaced": lambda: _encoded(_quadrants(), "PNG", interlace=1),
    "png-rgba-opaque": lambda: _encoded(_quadrants("RGBA"), "PNG"),
    "png-16bit": lambda: _encoded(_quadrants().convert("RGB"), "PNG", bits=16),
    "jpeg-rgb": lambda: _encoded(_quadrants(), "JPEG", quality=95),
    "jpeg-cmyk": lambda: _encoded(_quadrants("CMYK"), "JPEG", quality=95),
    "gif": lambda: _encoded(_quadrants("P"), "GIF"),
    "bmp": lambda: _encoded(_quadrants(), "BMP"),
    "tiff": lambda: _encoded(_quadrants(), "TIFF"),
}


@pytest.mark.parametrize("kind", sorted(RGB_CASES))
def test_each_picture_encoding_draws_its_pixels(kind: str) -> None:
    data = RGB_CASES[kind]()
    pdf, report = _render(_deck([data]))
    assert not [w for w in report.warnings if w.code.startswith("picture")]
    expected = _quadrant_colors(Image.open(io.BytesIO(data)).convert("RGB"))
    if kind == "jpeg-cmyk":  # poppler converts CMYK its own way; inverted would be far off
        expected, tol = list(QUADRANTS), 70
    else:
        tol = 30 if "jpeg" in kind else 12
    got = _quadrant_colors(_page(pdf))
    for color, want in zip(got, expected, strict=True):
        assert _close(color, want, tol), (kind, got, expected)


def test_grey_pngs_of_every_bit_depth_draw_grey_levels() -> None:
    levels = (0, 85, 170, 255)
    im = Image.new("L", (40, 40))
    for i, level in enumerate(levels):
        im.paste(level, ((i % 2) * 20, (i // 2) * 20, (i % 2) * 20 + 20, (i // 2) * 20 + 20))
    pictures = [_encoded(im, "PNG"), _encoded(im.convert("1", dither=Image.Dither.NONE), "PNG")]
    for bits in (2, 4):
        pictures.append(_encoded(im, "PNG", bits=bits))
    pdf, _ = _render(_deck(pictures))
    for page in range(1, len(pictures) + 1):
        got = [c[0] for c in _quadrant_colors(_page(pdf, page))]
        expected = [0, 0, 255, 255] if page == 2 else list(levels)  # "1" thresholds at 128
        assert all(abs(g - e) <= 12 for g, e in zip(got, expected, strict=True)), (page, got)


def test_transparency_shows_the_slide_behind() -> None:
    rgba = _quadrants("RGBA")
    rgba.paste((0, 0, 0, 0), (20, 0, 40, 20))  # top right fully transparent
    rgba.paste((40, 60, 200, 128), (0, 20, 20, 40))  # bottom left half transparent
    keyed = _quadrants("P")
    key = keyed.getpixel((30, 5))  # the top right colour is see-through
    pictures = [_encoded(rgba, "PNG"), _encoded(keyed, "PNG", transparency=key)]
    pdf, _ = _render(_deck(pictures, (255, 255, 255)))
    first = _quadrant_colors(_page(pdf, 1))
    assert _close(first[0], QUADRANTS[0], 12)
    assert _close(first[1], (255, 255, 255), 12)
    assert _close(first[2], (147, 157, 227), 14)  # blended half-way with white
    second = _quadrant_colors(_page(pdf, 2))
    assert _close(second[1], (255, 255, 255), 12)
    assert _close(second[3], QUADRANTS[3], 12)


def test_opaque_png_and_jpeg_streams_go_into_the_pdf_unchanged() -> None:
    png = _encoded(_quadrants(size=64), "PNG")
    jpeg = _encoded(_quadrants(size=64), "JPEG")
    pdf, _ = _render(_deck([png, jpeg]))
    assert _idat(png) in pdf
    assert jpeg in pdf
    raster = images.encode(png)
    assert (raster.filter, raster.predictor_colors, raster.smask) == ("FlateDecode", 3, None)


def test_alpha_becomes_a_soft_mask_only_when_some_pixel_is_not_opaque() -> None:
    opaque = images.encode(_encoded(_quadrants("RGBA"), "PNG"))
    assert opaque.smask is None and opaque.color_space == "DeviceRGB"
    see_through = _quadrants("RGBA")
    see_through.putpixel((0, 0), (0, 0, 0, 10))
    raster = images.encode(_encoded(see_through, "PNG"))
    assert raster.smask is not None and raster.smask.color_space == "DeviceGray"
    assert zlib.decompress(raster.smask.data)[0] == 10


def test_a_damaged_png_is_decoded_not_passed_through() -> None:
    png = _encoded(_quadrants(), "PNG")
    idat = _idat(png)
    assert images._png_as_is(png) is not None
    broken = png.replace(idat, idat[:-8] + b"\0" * 8)  # bad deflate tail, same length
    assert images._png_as_is(broken) is None


def test_a_picture_on_every_slide_is_stored_once_and_output_is_stable() -> None:
    logo = _encoded(_quadrants("RGBA", size=64), "PNG")
    deck = _deck([logo, logo, logo])
    pdf, report = _render(deck)
    assert report.pages == 3
    assert pdf.count(b"/Subtype /Image") == 1
    assert _render(deck)[0] == pdf


def test_huge_picture_is_downsampled_when_decoded() -> None:
    big = Image.new("RGBA", (images.MAX_EDGE * 2, 100), (10, 20, 30, 128))
    raster = images.encode(_encoded(big, "PNG"))
    assert raster.width == images.MAX_EDGE and raster.smask is not None


def test_convert_does_not_import_the_emulator_stack(tmp_path: Path) -> None:
    deck = tmp_path / "one.pptx"
    deck.write_bytes(_deck([_encoded(_quadrants(), "PNG")]))
    code = (
        "import sys; from deckpipe.cli import main; "
        f"rc = main(['convert', {str(deck)!r}, '-q']); "
        "print(rc, any(m.startswith('deckpipe_emulators') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]
    assert (tmp_path / "one.pdf").stat().st_size > 0
