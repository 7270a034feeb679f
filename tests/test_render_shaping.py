"""Text shaping: kerning offsets in TJ arrays, ligatures, joined Arabic, bidi runs,
unwrapped text blocks, and characters no font has."""

from __future__ import annotations

import io
import re
import subprocess

import pptx
import pytest
from pptx.util import Pt
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from deckpipe.render import bidi, fonts, render_deck, shaping


def _deck(lines: list[tuple[str, str]], rtl: bool = False, wrap: bool = True) -> io.BytesIO:
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    for i, (text, face) in enumerate(lines):
        box = slide.shapes.add_textbox(Pt(72), Pt(72 + 60 * i), Pt(400), Pt(50))
        box.text_frame.word_wrap = wrap
        para = box.text_frame.paragraphs[0]
        run = para.add_run()
        run.text, run.font.name, run.font.size = text, face, Pt(24)
        if rtl:
            para._p.get_or_add_pPr().set("rtl", "1")
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    return out


def _render(deck: io.BytesIO) -> tuple[bytes, object]:
    out = io.BytesIO()
    report = render_deck(deck, out)
    return out.getvalue(), report


def _content(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def test_kerning_pairs_become_tj_offsets():
    pdf, _ = _render(_deck([("AVATAR Wave", "Calibri")]))
    tj = re.findall(r"\[(.*?)\] TJ", _content(pdf))
    assert tj, "no TJ array: the text was drawn unkerned"
    offsets = [float(n) for n in re.findall(r"\)\s*(-?\d+(?:\.\d+)?)\s*\(", tj[0])]
    assert offsets and all(n > 0 for n in offsets)  # AV, VA, AT... pull together
    # The kerned width is what the layout measured: narrower than the plain advances.
    face = fonts.face("Carlito-Regular")
    assert shaping.width("AVATAR", face.name, 24) < fonts.text_width("AVATAR", face.name, 24) - 2


def test_ligature_is_one_glyph_and_extracts_as_letters(tmp_path):
    face = fonts.face("Carlito-Regular")
    drawn, _ = shaping.shape("office", face.name)
    assert len(drawn) == 4  # o, ffi, c, e
    pdf, _ = _render(_deck([("office affluent", "Calibri")]))
    assert "office affluent" in _text(pdf, tmp_path)


def test_ligature_glyphs_declare_their_real_width(tmp_path):
    # Carlito's "ti" ligature has no character of its own; its PDF width must be
    # its advance (1/1000 em), or text extraction splits "Section" in two.
    face = fonts.face("Carlito-Regular")
    drawn, _ = shaping.shape("Section", face.name)
    code = ord(drawn[3])
    assert 0xE000 <= code < 0xF900
    assert pdfmetrics.getFont(face.name).face.charWidths[code] == pytest.approx(557, abs=1)
    pdf, _ = _render(_deck([("Section title presentation", "Calibri")]))
    assert "Section title presentation" in _text(pdf, tmp_path)


def test_arabic_letters_are_joined(tmp_path):
    word = "\u0645\u0631\u062d\u0628\u0627"  # marhaba
    face = fonts.face("DejaVuSans")
    drawn, _ = shaping.shape(word, face.name, True)
    isolated = {ord(ch) for ch in word}
    # Joined forms are other glyphs than the isolated letters' (presentation forms).
    assert not isolated.issuperset(ord(ch) for ch in drawn)
    assert any(0xFE70 <= ord(ch) <= 0xFEFF for ch in drawn)
    pdf, _ = _render(_deck([(word, "Arial")], rtl=True))
    assert _content(pdf).count(" Tj") + _content(pdf).count(" TJ") >= 1


def test_bidi_levels_and_run_order():
    text = "abc \u05d0\u05d1 12"
    # UAX #9: the space between a Hebrew letter and a number takes the right-to-
    # left direction (N1), the number an even level above it (I2).
    assert bidi.levels(text, False) == [0, 0, 0, 0, 1, 1, 1, 2, 2]
    units = [(0, "abc "), (1, "\u05d0\u05d1 "), (2, "12")]
    assert [u for _, u in bidi.reorder(units)] == ["abc ", "12", "\u05d0\u05d1 "]


def test_rtl_brackets_are_mirrored_inside_the_run():
    text = "\u05d0 (\u05d1)"
    pdf, _ = _render(_deck([(text, "Arial")], rtl=True))
    # One string in visual order, left to right: "(" (the mirrored ")"), bet
    # (subset code 1, the first non-ASCII glyph drawn), ")", a space, alef (code 2).
    assert "(\\(\\001\\) \\002) Tj" in _content(pdf)


def test_unwrapped_text_is_centred_in_its_box():
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Pt(72), Pt(72), Pt(400), Pt(40))
    box.text_frame.word_wrap = False
    run = box.text_frame.paragraphs[0].add_run()
    run.text, run.font.name, run.font.size = "short", "Calibri", Pt(20)
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    pdf, _ = _render(out)
    x = float(re.search(r"BT 1 0 0 1 (-?[\d.]+) ", _content(pdf)).group(1))
    width = shaping.width("short", fonts.face("Carlito-Regular").name, 20)
    assert abs(x - (-width / 2)) < 0.5  # the origin is the box centre


def test_characters_no_font_has_are_left_out_with_a_warning(tmp_path):
    missing = "\U000e0041\U0001fae0"  # a tag character, a recent emoji: no shipped glyph
    pdf, report = _render(_deck([(f"ok{missing}ok", "Calibri")]))
    content = _content(pdf)
    assert "ok" in _text(pdf, tmp_path)
    codes = [w.code for w in report.warnings]
    assert "glyphs_missing" in codes
    message = next(w.message for w in report.warnings if w.code == "glyphs_missing")
    assert "left out" in message
    assert "\\000" not in content  # no glyph 0 (.notdef) was drawn


def test_shaping_is_cached():
    face = fonts.face("Carlito-Regular")
    first = shaping.shape("cached words", face.name)
    assert shaping.shape("cached words", face.name) is first


def test_emoji_are_drawn_only_where_dejavu_sans_has_them():
    # As in the references (no emoji font): DejaVu Sans's emoji are drawn, the rest
    # are left out with a warning.
    pieces, missing = fonts.split_by_font("\U0001f600 \U0001f680", "Calibri", False, False)
    assert [f.name for _, f in pieces] == ["DejaVuSans", "Carlito-Regular"]
    assert missing == {"\U0001f680"}


def test_placeholder_text_wraps_whatever_wrap_none_says(tmp_path):
    # LibreOffice 7.4 wraps a title placeholder with wrap="none"; a text box keeps it.
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text_frame.word_wrap = False
    slide.shapes.title.text = "Section Header with a rather long title text here"
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    pdf, _ = _render(out)
    lines = [line for line in _text(pdf, tmp_path).splitlines() if line.strip()]
    assert lines[:2] == ["Section Header with a rather long", "title text here"]


def test_shaped_text_keeps_its_own_characters_where_glyphs_are_shared():
    # Carlito draws space and no-break space with one glyph; a shaped (kerned)
    # run must still say "space", or text extraction reads no-break spaces.
    face = fonts.face("Carlito-Regular")
    shaping.shape("AV\xa0AV", face.name)
    drawn, _ = shaping.shape("AV AV", face.name)
    assert str(drawn) == "AV AV"
