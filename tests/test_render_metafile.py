"""EMF and WMF pictures drawn as vectors: records read, mapped and drawn, checked in the PDF."""

from __future__ import annotations

import gzip
import io
import re
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import pptx
import pytest
from PIL import Image
from pptx.util import Inches

from deckpipe.render import emf, metafile, render_deck
from deckpipe.render.gdi import MetafileError

# -- building metafiles -------------------------------------------------------------


def _rec(kind: int, payload: bytes = b"") -> bytes:
    payload += b"\x00" * (-len(payload) % 4)
    return struct.pack("<II", kind, 8 + len(payload)) + payload


def _emf(*records: bytes, px: int = 1000) -> bytes:
    """An EMF of ``px`` x ``px`` device pixels at 10 pixels per mm (100 mm square)."""
    body = b"".join(records) + _rec(14, struct.pack("<III", 0, 16, 20))
    header = struct.pack(
        "<II4i4i4sIIIHHIIIiiii", 1, 88, 0, 0, px - 1, px - 1, 0, 0, px * 10 - 1, px * 10 - 1,
        b" EMF", 0x10000, 88 + len(body), len(records) + 2, 8, 0, 0, 0, 0,
        1000, 1000, 100, 100,
    )  # fmt: skip
    return header + body


def _color(r: int, g: int, b: int) -> int:
    return r | g << 8 | b << 16


def _brush(index: int, rgb: int, style: int = 0) -> bytes:
    return _rec(39, struct.pack("<IIII", index, style, rgb, 0))


def _pen(index: int, rgb: int, width: int = 0, style: int = 0) -> bytes:
    return _rec(38, struct.pack("<IIiiI", index, style, width, 0, rgb))


def _select(index: int) -> bytes:
    return _rec(37, struct.pack("<I", index))


def _poly16(kind: int, pts: list[tuple[int, int]]) -> bytes:
    return _rec(kind, struct.pack("<4iI", 0, 0, 0, 0, len(pts)) +
                b"".join(struct.pack("<hh", *p) for p in pts))


def _font(index: int, height: int, face: str, weight: int = 400) -> bytes:
    logfont = struct.pack("<5i8B", height, 0, 0, 0, weight, 0, 0, 0, 0, 0, 0, 0, 0)
    logfont += face.encode("utf-16-le").ljust(64, b"\x00")
    return _rec(82, struct.pack("<I", index) + logfont + b"\x00" * 256)


def _text(x: int, y: int, text: str) -> bytes:
    n = len(text)
    off = 8 + 16 + 12 + 40
    emrtext = struct.pack("<iiIII4iI", x, y, n, off, 0, 0, 0, 0, 0, 0)
    fixed = struct.pack("<4iIff", 0, 0, 0, 0, 1, 1.0, 1.0) + emrtext
    return _rec(84, fixed + text.encode("utf-16-le"))


RED, BLUE, GREEN = _color(255, 0, 0), _color(0, 0, 255), _color(0, 128, 0)
TRIANGLE = [(100, 900), (500, 100), (900, 900)]


def _triangle_emf() -> bytes:
    return _emf(_brush(1, RED), _pen(2, BLUE, 10), _select(1), _select(2), _poly16(86, TRIANGLE))


# -- the display list -----------------------------------------------------------------


def test_polygon_is_filled_and_stroked_with_the_selected_brush_and_pen() -> None:
    (op,) = metafile.read(_triangle_emf()).ops
    assert op.kind == "path" and op.fill == (1.0, 0.0, 0.0) and op.stroke == (0.0, 0.0, 1.0)
    assert [s[0] for s in op.segs] == ["M", "L", "L", "Z"]
    assert op.segs[1][1:] == pytest.approx((500 * 1000 / 999.1, 100 * 1000 / 999.1), rel=1e-3)
    assert op.width == pytest.approx(10 * 1000 / 999.1, rel=1e-3)
    assert metafile.size_pt(_triangle_emf()) == pytest.approx((72 * 9999 / 2540,) * 2, rel=1e-3)


def test_path_bracket_with_beziers_is_filled_once() -> None:
    data = _emf(
        _brush(1, GREEN), _select(1), _rec(59),
        _rec(27, struct.pack("<ii", 100, 500)),
        _poly16(88, [(100, 100), (900, 100), (900, 500)]),
        _rec(54, struct.pack("<ii", 500, 900)), _rec(61), _rec(60), _rec(63),
    )  # fmt: skip
    (op,) = metafile.read(data).ops
    assert [s[0] for s in op.segs] == ["M", "C", "L", "Z"]
    assert op.fill == pytest.approx((0.0, 128 / 255, 0.0))


def test_window_viewport_mapping_and_world_transform_scale_the_drawing() -> None:
    rect = _rec(43, struct.pack("<4i", 0, 0, 50, 50))
    data = _emf(
        _rec(17, struct.pack("<I", 8)),  # MM_ANISOTROPIC
        _rec(9, struct.pack("<ii", 100, 100)), _rec(11, struct.pack("<ii", 1000, 1000)),
        rect, _rec(33),  # SaveDC
        _rec(35, struct.pack("<6f", 0.5, 0, 0, 0.5, 0, 0)), rect,
        _rec(34, struct.pack("<i", -1)), rect,  # RestoreDC: back to the full scale
    )  # fmt: skip
    far = [max(s[1] for s in op.segs if len(s) > 1) for op in metafile.read(data).ops]
    assert far == pytest.approx([500.45, 250.2, 500.45], abs=0.5)


def test_intersect_clip_rect_clips_what_follows_until_restored() -> None:
    data = _emf(_rec(33), _rec(30, struct.pack("<4i", 0, 0, 500, 500)),
                _poly16(86, TRIANGLE), _rec(34, struct.pack("<i", -1)), _poly16(86, TRIANGLE))
    first, second = metafile.read(data).ops
    assert len(first.clip) == 1 and second.clip == ()


def test_text_keeps_font_colour_and_alignment() -> None:
    data = _emf(_font(3, -100, "Arial", 700), _select(3),
                _rec(24, struct.pack("<I", GREEN)), _rec(22, struct.pack("<I", 24 | 6)),
                _text(500, 500, "Hi there"))
    (op,) = metafile.read(data).ops
    assert op.kind == "text" and op.text == "Hi there" and op.size == pytest.approx(100)
    assert op.font.face == "Arial" and op.font.weight == 700 and op.align == 30
    assert op.color == pytest.approx((0.0, 128 / 255, 0.0))


def test_rotated_text_turns_with_its_escapement_and_the_world_transform() -> None:
    escaped = _rec(82, struct.pack("<I", 4) + struct.pack("<5i8B", -100, 0, 900, 900, 400,
                                                          *[0] * 8)
                   + "Arial".encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 256)
    turned = _rec(35, struct.pack("<6f", 0, 1, -1, 0, 500, 0))  # 90 degrees clockwise on screen
    up, down = metafile.read(_emf(escaped, _select(4), _text(100, 900, "up"),
                                  _font(3, -100, "Arial"), _select(3), turned,
                                  _text(100, 100, "down"))).ops
    assert up.angle == pytest.approx(90) and down.angle == pytest.approx(-90)


def test_stretched_bitmap_becomes_an_image() -> None:
    info = struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, 16, 0, 0, 0, 0)
    bits = bytes([0, 0, 255, 0, 0, 255, 0, 0]) * 2  # two rows of two red pixels (+ padding)
    fixed = 8 + 16 + 4 * 10 + 8 + 8
    payload = struct.pack("<4i10i", 0, 0, 0, 0, 100, 100, 0, 0, 2, 2, fixed, len(info),
                          fixed + len(info), len(bits))  # fmt: skip
    payload += struct.pack("<IIii", 0, 0xCC0020, 800, 800) + info + bits
    (op,) = metafile.read(_emf(_rec(81, payload))).ops
    assert op.kind == "image" and op.w == pytest.approx(800.7, abs=1)
    with Image.open(io.BytesIO(op.png)) as im:
        assert im.size == (2, 2) and im.convert("RGB").getpixel((0, 0)) == (255, 0, 0)


def test_alpha_blended_bitmap_keeps_its_transparency() -> None:
    info = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 32, 0, 4, 0, 0, 0, 0)
    bits = bytes([0, 0, 128, 128])  # premultiplied: red at half opacity
    fixed = 108
    payload = struct.pack("<4i4iI2i6fII4I2i", 0, 0, 0, 0, 10, 10, 500, 500, 0x01FF0000, 0, 0,
                          1, 0, 0, 1, 0, 0, 0, 0, fixed, len(info), fixed + len(info), len(bits),
                          1, 1)  # fmt: skip
    (op,) = metafile.read(_emf(_rec(114, payload + info + bits))).ops
    with Image.open(io.BytesIO(op.png)) as im:
        assert im.mode == "RGBA" and im.getpixel((0, 0)) == (255, 0, 0, 128)


def test_transparent_blt_keys_out_its_colour_and_gradients_are_banded() -> None:
    info = struct.pack("<IiiHHIIiiII", 40, 2, 1, 1, 24, 0, 8, 0, 0, 0, 0)
    bits = bytes([0, 255, 0, 0, 0, 255, 0, 0])  # green (the key), red, row padding
    payload = struct.pack("<4i4iI2i6fII4I2i", 0, 0, 0, 0, 10, 10, 500, 500, _color(0, 255, 0),
                          0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 108, len(info), 108 + len(info),
                          len(bits), 2, 1)  # fmt: skip
    vertices = struct.pack("<ii4H", 0, 0, 0, 0, 0, 0) + struct.pack("<ii4H", 800, 100,
                                                                     0xFF00, 0, 0, 0)
    gradient = _rec(118, struct.pack("<4iIII", 0, 0, 0, 0, 2, 1, 0) + vertices
                    + struct.pack("<II", 0, 1))
    image, *bands = metafile.read(_emf(_rec(116, payload + info + bits), gradient)).ops
    with Image.open(io.BytesIO(image.png)) as im:
        assert im.convert("RGBA").getpixel((0, 0))[3] == 0  # the key colour is see-through
        assert im.convert("RGBA").getpixel((1, 0)) == (255, 0, 0, 255)
    assert len(bands) == 32 and bands[0].fill[0] < 0.05 and bands[-1].fill[0] > 0.95


def test_wmf_with_placeable_header_is_read() -> None:
    def rec(func: int, *words: int) -> bytes:
        return struct.pack("<IH", 3 + len(words), func) + struct.pack(f"<{len(words)}h", *words)

    records = (rec(0x02FC, 0, 0x00FF, 0, 0) + rec(0x012D, 0)  # red brush, selected
               + rec(0x0324, 3, 0, 100, 50, 0, 100, 100) + struct.pack("<IH", 3, 0))
    header = struct.pack("<HHHIHIH", 1, 9, 0x300, 0, 1, 0, 0)
    placeable = struct.pack("<IH4hHIH", 0x9AC6CDD7, 0, 0, 0, 100, 100, 1440, 0, 0)
    data = placeable + header + records
    assert metafile.kind(data) == "wmf" and metafile.size_pt(data) == pytest.approx((5, 5))
    (op,) = metafile.read(data).ops
    assert op.fill == (1.0, 0.0, 0.0) and op.segs[1][1:] == pytest.approx((500, 0))


def test_compressed_emf_is_inflated() -> None:
    assert metafile.kind(gzip.compress(_triangle_emf())) == "emf"
    assert len(metafile.read(gzip.compress(_triangle_emf())).ops) == 1


def test_damaged_and_oversized_files_raise_metafile_error(monkeypatch) -> None:
    broken = _triangle_emf()[:-12] + struct.pack("<II", 14, 4000)
    with pytest.raises(MetafileError):
        metafile.read(broken)
    monkeypatch.setattr(emf, "MAX_RECORDS", 3)
    with pytest.raises(MetafileError, match="too many"):
        metafile.read(_emf(*[_poly16(86, TRIANGLE)] * 5))


def test_nesting_and_inflation_are_bounded(monkeypatch) -> None:
    with pytest.raises(MetafileError, match="saved states"):
        metafile.read(_emf(*[_rec(33)] * 300, _poly16(86, TRIANGLE)))  # SaveDC without end
    monkeypatch.setattr(metafile, "MAX_INFLATED", 1000)
    bomb = gzip.compress(_emf(_rec(70, bytes(100_000))))
    with pytest.raises(MetafileError, match="size bound"):
        metafile.read(bomb)


def _plus(*records: bytes) -> bytes:
    """An EMF whose drawing is all EMF+ records, in one GDI comment."""
    payload = b"".join(records)
    return _emf(_rec(70, struct.pack("<I", 4 + len(payload)) + b"EMF+" + payload))


def _plus_rec(kind: int, flags: int, data: bytes) -> bytes:
    return struct.pack("<HHII", kind, flags, 12 + len(data), len(data)) + data


def test_emf_plus_only_files_are_drawn_from_their_emf_plus_records() -> None:
    header = _plus_rec(0x4001, 0, struct.pack("<IIII", 0xDBC01002, 0, 96, 96))
    red_brush = _plus_rec(0x4008, 0x0100 | 5, struct.pack("<III", 0xDBC01002, 0, 0xFFFF0000))
    fill_rects = _plus_rec(0x400A, 0, struct.pack("<II4f", 5, 1, 100, 100, 200, 300))
    path = struct.pack("<III", 0xDBC01002, 3, 0) + struct.pack("<6f", 0, 0, 500, 0, 500, 500)
    path += bytes([0, 1, 0x81]) + b"\x00"
    path_obj = _plus_rec(0x4008, 0x0300 | 7, path)
    fill_path = _plus_rec(0x4014, 0x8000 | 7, struct.pack("<I", 0xFF0000FF))  # inline blue
    font = _plus_rec(0x4008, 0x0600 | 2, struct.pack("<IfIIII", 0xDBC01002, 40.0, 2, 1, 0, 2)
                     + "Hi".encode("utf-16-le"))
    string = _plus_rec(0x401C, 0x8000 | 2, struct.pack("<III4f", 0xFF008000, 0xFFFFFFFF, 2,
                                                        10, 20, 0, 0) + "Hi".encode("utf-16-le"))
    glyphs = "Go".encode("utf-16-le") + struct.pack("<4f", 50, 60, 70, 60)
    driver = _plus_rec(0x4036, 0x8000 | 2, struct.pack("<IIII", 0xFF000000, 1, 0, 2) + glyphs)
    data = _plus(header, red_brush, fill_rects, path_obj, fill_path, font, string, driver)
    rect, triangle, text, placed = metafile.read(data).ops
    assert placed.text == "Go" and placed.align == 24 and placed.advance == pytest.approx(40)
    assert rect.fill == (1.0, 0.0, 0.0) and rect.stroke is None
    assert rect.segs[2][1:] == pytest.approx((300 * 1000 / 999.1, 400 * 1000 / 999.1), rel=1e-3)
    assert triangle.fill == (0.0, 0.0, 1.0)
    assert [s[0] for s in triangle.segs] == ["M", "L", "L", "Z"]
    assert text.text == "Hi" and text.font.weight == 700 and text.size == pytest.approx(40)
    assert text.color == pytest.approx((0.0, 128 / 255, 0.0))


# -- in a deck ------------------------------------------------------------------------------


def _deck_with_picture(data: bytes, crop_left: int = 0) -> bytes:
    prs = pptx.Presentation()
    prs.slide_width, prs.slide_height = Inches(4), Inches(3)
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(png, "PNG")
    pic = slide.shapes.add_picture(io.BytesIO(png.getvalue()), Inches(1), Inches(0.5),
                                   Inches(2), Inches(2))
    pic.crop_left = crop_left / 100
    pic.part.related_part(pic._element.blipFill.blip.rEmbed)._blob = data  # now a metafile
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _render(deck: bytes) -> tuple[object, bytes, Image.Image]:
    out = io.BytesIO()
    report = render_deck(io.BytesIO(deck), out)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp, "d.pdf")
        pdf.write_bytes(out.getvalue())
        subprocess.run(["pdftoppm", "-png", "-r", "72", pdf, Path(tmp, "p")], check=True)
        image = Image.open(next(Path(tmp).glob("p*.png"))).convert("RGB")
        image.load()
    return report, out.getvalue(), image


def _streams(pdf: bytes) -> bytes:
    found = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            found.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return b"\n".join(found)


def test_emf_picture_is_drawn_as_vectors_in_its_frame() -> None:
    report, pdf, image = _render(_deck_with_picture(_triangle_emf()))
    assert not [w for w in report.warnings if w.code.startswith("picture")]
    content = _streams(pdf)
    assert b"1 0 0 rg" in content and b"0 0 1 RG" in content  # red fill, blue outline
    assert re.search(rb"\d m [\d.]+ [\d.]+ l [\d.]+ [\d.]+ l h", content)  # the triangle path
    # picture: x 72..216, y 36..180 pt; the triangle's inside is red, its top corners white
    assert image.getpixel((144, 140)) == pytest.approx((255, 0, 0), abs=40)
    assert image.getpixel((80, 45)) == (255, 255, 255)


def test_cropping_a_metafile_picture_shows_the_rest_stretched() -> None:
    _, _, image = _render(_deck_with_picture(_triangle_emf(), crop_left=50))
    # the right half of the triangle fills the frame: its left edge is now the apex column
    assert image.getpixel((76, 60)) == pytest.approx((255, 0, 0), abs=60)
    assert image.getpixel((210, 60)) == (255, 255, 255)


def test_hatched_brush_fills_with_lines_every_eight_device_pixels() -> None:
    data = _emf(_brush(1, RED, style=2), _rec(39, struct.pack("<IIII", 2, 2, BLUE, 1)),
                _pen(3, RED, style=5), _select(3), _select(1),
                _rec(43, struct.pack("<4i", 0, 0, 80, 40)), _select(2),
                _rec(43, struct.pack("<4i", 0, 50, 80, 90)), px=100)
    horizontal, vertical = metafile.read(data).ops
    assert (horizontal.hatch, vertical.hatch) == (0, 1) and horizontal.fill == (1.0, 0.0, 0.0)
    _, _, image = _render(_deck_with_picture(data))
    # the picture spans 144 pt for 100 device pixels: hatch lines 11.5 pt apart
    column = [image.getpixel((110, y))[1] < 128 for y in range(37, 92)]  # red rows (top half)
    runs = [i for i in range(1, len(column)) if column[i] and not column[i - 1]]
    assert len(runs) >= 4 and all(9 <= b - a <= 14 for a, b in zip(runs, runs[1:], strict=False))
    assert image.getpixel((110, 60))[1] > 200 or image.getpixel((110, 61))[1] > 200  # gaps


def test_text_in_an_emf_is_real_text_in_the_pdf() -> None:
    data = _emf(_font(3, -120, "Arial"), _select(3), _rec(24, struct.pack("<I", GREEN)),
                _text(100, 300, "Quarterly figures"))
    _, pdf, _ = _render(_deck_with_picture(data))
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "d.pdf").write_bytes(pdf)
        text = subprocess.run(["pdftotext", Path(tmp, "d.pdf"), "-"], capture_output=True,
                              check=True, text=True).stdout
    assert "Quarterly figures" in text


def test_a_positive_font_height_is_the_cell_not_the_em() -> None:
    def text_matrix_size(height: int) -> float:
        data = _emf(_font(3, height, "Arial"), _select(3), _text(100, 300, "Cell"))
        _, pdf, _ = _render(_deck_with_picture(data))
        found = re.search(rb"([\d.]+) Tf [\d.]+ TL \(Cell\) Tj", _streams(pdf))
        assert found is not None
        return float(found.group(1))

    em, cell = text_matrix_size(-100), text_matrix_size(100)
    assert cell == pytest.approx(em / 1.15, rel=0.03)  # Arial: ascent + descent + gap


def test_symbol_font_text_is_drawn_as_the_symbols_it_shows() -> None:
    data = _emf(_font(3, -200, "Symbol"), _select(3), _text(100, 300, "\uf0e5x"))
    _, pdf, _ = _render(_deck_with_picture(data))
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "d.pdf").write_bytes(pdf)
        text = subprocess.run(["pdftotext", Path(tmp, "d.pdf"), "-"], capture_output=True,
                              check=True, text=True).stdout
    assert "\u2211\u03be" in text  # Symbol's 0xE5 is a sum sign, its "x" a xi


def test_a_damaged_metafile_is_a_grey_box_with_a_warning_not_a_failed_deck() -> None:
    damaged = _triangle_emf()[:100] + struct.pack("<II", 86, 0) + b"\x00" * 40
    report, _, image = _render(_deck_with_picture(damaged))
    assert "picture_unreadable" in [w.code for w in report.warnings]
    assert image.getpixel((144, 108)) == pytest.approx((217, 217, 217), abs=3)
