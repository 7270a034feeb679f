"""Tests for the renderer's fonts and text fidelity: embedded fonts, per-character
fallback, substitution warnings, symbol fonts, right-to-left text, run features
(strike, super/subscript, highlight, spacing, tabs, links) and line metrics."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pptx
import pytest
from lxml import etree
from PIL import Image
from pptx.util import Inches, Pt
from pypdf import PdfReader

from deckpipe.render import RenderReport, bidi, fonts, render_deck, symbols

A_NS = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_WORD = re.compile(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<')


def render(source) -> tuple[RenderReport, bytes]:
    out = io.BytesIO()
    report = render_deck(source, out)
    return report, out.getvalue()


def saved(prs) -> bytes:
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def text_box(prs, text: str = "", font: str | None = None, size: float = 18, w: float = 6):
    """A blank slide with one text box; returns (slide, text frame)."""
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(w), Inches(3))
    tf = box.text_frame
    tf.word_wrap = True
    run = tf.paragraphs[0].add_run()
    run.text = text
    run.font.size = Pt(size)
    if font:
        run.font.name = font
    return slide, tf


def embedded_fonts(data: bytes) -> set[str]:
    """Base names (subset prefix stripped) of fonts with an embedded TrueType file."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if desc is not None and "/FontFile2" in desc.get_object():
                names.add(str(font["/BaseFont"]).split("+")[-1])
    return names


def words(data: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) of page 1, from pdftotext -bbox (y downwards)."""
    pdf = tmp_path / "w.pdf"
    pdf.write_bytes(data)
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    out = []
    for m in _WORD.finditer(html):
        out.append((m.group(5), *(float(m.group(i)) for i in range(1, 5))))
    return out


def raster(data: bytes, tmp_path: Path, dpi: int = 72) -> Image.Image:
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "r")], check=True)  # fmt: skip
    return Image.open(next(tmp_path.glob("r-*.png"))).convert("RGB")


# -- font files and mapping ------------------------------------------------------


def test_every_family_file_is_shipped_with_a_licence():
    for family, files in fonts.FAMILIES.items():
        for name in files:
            assert (fonts.FONT_DIR / f"{name}.ttf").is_file(), (family, name)
    licences = list((fonts.FONT_DIR / "LICENSES").iterdir())
    assert len(licences) >= 5
    assert (fonts.FONT_DIR / "README.md").is_file()


@pytest.mark.parametrize(
    ("typeface", "family", "exact"),
    [
        # metric-compatible aliases (fontconfig 30-metric-aliases.conf)
        ("Calibri", "Carlito", True),
        ("Cambria", "Caladea", True),
        ("Arial", "Liberation Sans", True),
        ("Helvetica", "Liberation Sans", True),
        ("Times New Roman", "Liberation Serif", True),
        ("Times", "Liberation Serif", True),
        ("Courier New", "Liberation Mono", True),
        ("Courier", "Liberation Mono", True),
        ("TimesNewRoman", "Liberation Serif", True),  # fontconfig ignores blanks and case
        ("arial ", "Liberation Sans", True),
        ("Arial-BoldMT", "Liberation Sans", True),  # PostScript-style name
        # everything else: fontconfig's default for the name's class, as in the references
        ("Calibri Light", "DejaVu Sans", False),
        ("Segoe UI", "DejaVu Sans", False),
        ("Verdana", "DejaVu Sans", False),
        ("Aptos", "DejaVu Sans", False),
        ("Georgia", "DejaVu Serif", False),
        ("Garamond", "DejaVu Serif", False),
        ("SimSun", "DejaVu Serif", False),
        ("Consolas", "DejaVu Sans Mono", False),
        ("Andale Mono", "DejaVu Sans Mono", False),
        ("Lucida Console", "DejaVu Sans", False),  # not in fontconfig's monospace list
        ("Some Unknown Serif", "DejaVu Sans", False),  # fontconfig does not read names
        ("Fancy Grotesk", "DejaVu Sans", False),
        # PostScript core names: their URW base35 clones, as fontconfig picks them
        ("Palatino Linotype", "P052", True),
        ("Century Schoolbook", "C059", True),
        ("Bookman Old Style", "URW Bookman", True),
        ("ITC Avant Garde Gothic", "URW Gothic", True),
        ("ITC Zapf Chancery", "Z003", True),
    ],
)
def test_typeface_mapping(typeface, family, exact):
    m = fonts.mapping(typeface)
    assert (m.family, m.exact) == (family, exact)
    assert (fonts.substitution_note(typeface) is None) == exact


def test_arial_narrow_is_liberation_sans_condensed():
    m = fonts.mapping("Arial Narrow")
    assert (m.family, m.scale) == ("Liberation Sans", fonts.NARROW_SCALE)


def test_every_mapped_family_is_shipped():
    families = {m.family for m in fonts.TYPEFACES.values()} | set(fonts.GENERIC.values())
    assert families <= set(fonts.FAMILIES)


def test_calibri_is_embedded_as_carlito_and_arial_as_liberation():
    prs = pptx.Presentation()
    text_box(prs, "Calibri words", "Calibri")
    text_box(prs, "Arial words", "Arial")
    report, data = render(saved(prs))
    used = embedded_fonts(data)
    assert "Carlito" in used
    assert "LiberationSans" in used
    assert not [w for w in report.warnings if w.code == "font_substituted"]


@pytest.mark.parametrize("typeface", ["Calibri", "Verdana", "Cambria"])
def test_single_spacing_is_font_independent(tmp_path, typeface):
    # As PowerPoint and LibreOffice's PPTX import: lines 1.2 x size apart, the
    # first baseline 1.0 x size below the top inset, whatever the font.
    prs = pptx.Presentation()
    _, tf = text_box(prs, "alpha", typeface, size=20)
    for _ in range(3):
        p = tf.add_paragraph()
        r = p.add_run()
        r.text, r.font.size, r.font.name = "alpha", Pt(20), typeface
    page = PdfReader(io.BytesIO(render(saved(prs))[1])).pages[0]
    height = float(page.mediabox.height)
    ys: list[float] = []
    page.extract_text(
        visitor_text=lambda t, cm, tm, *_: ys.append(height - tm[5] - cm[5]) if t.strip() else None
    )
    assert len(ys) == 4
    assert ys[0] == pytest.approx(72 + 3.6 + 20, abs=0.01)
    assert [b - a for a, b in zip(ys, ys[1:], strict=False)] == pytest.approx([24.0] * 3)


def test_preload_registers_common_fonts():
    # How long it takes is measured in bench/ (profile_render.py), not asserted here.
    fonts.preload()
    assert fonts.face("Carlito-Regular").has("A")
    assert fonts.face("DejaVuSans").has("\u2192")


# -- per-character fallback and warnings -------------------------------------------


def test_scripts_fall_back_per_character_without_question_marks():
    prs = pptx.Presentation()
    text_box(prs, "Latin Ελληνικά мир 中文字 한국어 ✓", "Calibri")
    report, data = render(saved(prs))
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for piece in ("Latin", "Ελληνικά", "мир", "中文字", "한국어", "✓"):
        assert piece in text
    assert "?" not in text
    used = embedded_fonts(data)
    assert {"Carlito", "NotoSansCJKjp-Regular", "DejaVuSans"} <= used
    assert not [w for w in report.warnings if w.code == "glyphs_missing"]


def test_cjk_font_is_not_embedded_without_cjk_text():
    prs = pptx.Presentation()
    text_box(prs, "Only Latin here", "Calibri")
    assert "NotoSansCJKjp-Regular" not in embedded_fonts(render(saved(prs))[1])


def test_characters_no_font_has_are_reported_not_replaced():
    prs = pptx.Presentation()
    text_box(prs, "Old \U00010900 script", "Calibri")  # Phoenician: in none of the fonts
    report, data = render(saved(prs))
    missing = [w for w in report.warnings if w.code == "glyphs_missing"]
    assert len(missing) == 1 and "\U00010900" in missing[0].message
    assert "?" not in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_unknown_typeface_is_reported_once_per_deck():
    prs = pptx.Presentation()
    for _ in range(3):
        text_box(prs, "Odd font", "Frobnicator Sans")
    report, _ = render(saved(prs))
    notes = [w for w in report.warnings if w.code == "font_substituted"]
    assert len(notes) == 1
    assert "Frobnicator Sans" in notes[0].message and "DejaVu Sans" in notes[0].message
    assert report.fonts_substituted == {"Frobnicator Sans": "DejaVu Sans"}


# -- symbol fonts --------------------------------------------------------------------


def test_symbol_font_characters_become_unicode():
    assert symbols.to_unicode("\u00d8\u00fc\u00a7", "Wingdings") == "\u27a2\u2713\u25aa"
    assert symbols.to_unicode("\uf0d8", "Wingdings") == "\u27a2"
    assert symbols.to_unicode("\u00b7ab1", "Symbol") == "\u2022\u03b1\u03b21"


def test_wingdings_bullet_is_drawn_as_its_unicode_arrow():
    prs = pptx.Presentation()
    _, tf = text_box(prs, "Arrow bullet", "Calibri")
    ppr = tf.paragraphs[0]._p.get_or_add_pPr()
    ppr.set("marL", "342900")
    ppr.set("indent", "-342900")
    etree.SubElement(ppr, A_NS + "buFont").set("typeface", "Wingdings")
    etree.SubElement(ppr, A_NS + "buChar").set("char", "\u00d8")
    _, data = render(saved(prs))
    assert "\u27a2" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "DejaVuSans" in embedded_fonts(data)


# -- right-to-left ------------------------------------------------------------------------


def test_bidi_visual_order():
    def show(text: str, rtl: bool) -> str:
        return "".join(ch for ch, _ in bidi.visual_order([(c, None) for c in text], rtl))

    assert show("abc \u05d0\u05d1\u05d2 def", False) == "abc \u05d2\u05d1\u05d0 def"
    assert show("\u05d0\u05d1 abc", True) == "abc \u05d1\u05d0"
    assert show("\u05d0 12 \u05d1", True) == "\u05d1 12 \u05d0"
    assert show("\u05d0(\u05d1)", True) == "(\u05d1)\u05d0"  # brackets mirrored
    assert show("plain text", False) == "plain text"


def test_rtl_paragraph_is_right_aligned_in_visual_order(tmp_path):
    # algn="r" with rtl="1", as PowerPoint saves right-to-left paragraphs; "l"
    # and "r" are absolute sides (LibreOffice 7.4 puts a default-aligned
    # right-to-left paragraph on the left: see test_render_layout's bullets).
    prs = pptx.Presentation()
    _, tf = text_box(prs, "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "Arial")
    tf.paragraphs[0]._p.get_or_add_pPr().set("rtl", "1")
    tf.paragraphs[0]._p.get_or_add_pPr().set("algn", "r")
    _, data = render(saved(prs))
    found = words(data, tmp_path)
    assert [w for w, *_ in found] == ["\u05dd\u05dc\u05d5\u05e2", "\u05dd\u05d5\u05dc\u05e9"]
    right_edge = 72 + 6 * 72 - 7.2
    assert abs(found[-1][3] - right_edge) < 3  # ends at the right inset


# -- run features ---------------------------------------------------------------------------


def _rpr(tf):
    return tf.paragraphs[0].runs[0]._r.get_or_add_rPr()


def test_hyperlink_becomes_a_link_annotation():
    prs = pptx.Presentation()
    _, tf = text_box(prs, "Click me", "Calibri")
    tf.paragraphs[0].runs[0].hyperlink.address = "https://example.com/x"
    _, data = render(saved(prs))
    annots = PdfReader(io.BytesIO(data)).pages[0].get("/Annots") or []
    uris = [a.get_object()["/A"]["/URI"] for a in annots]
    assert uris == ["https://example.com/x"]


def test_superscript_is_smaller_and_raised(tmp_path):
    prs = pptx.Presentation()
    _, tf = text_box(prs, "E=mc", "Calibri", size=24)
    r = tf.paragraphs[0].add_run()
    r.text, r.font.size = "2", Pt(24)
    r._r.get_or_add_rPr().set("baseline", "30000")
    found = {w: (y0, y1) for w, _, y0, _, y1 in words(render(saved(prs))[1], tmp_path)}
    base, sup = found.get("E=mc"), found.get("2")
    if base is None:  # pdftotext may glue the two into one word
        pytest.fail(f"words: {found}")
    assert sup[1] - sup[0] < 0.8 * (base[1] - base[0])  # smaller
    assert sup[1] < base[1] - 6  # raised: its bottom well above the line's
    # at LibreOffice's 58 % of the run size (24 pt -> 13.92 pt)
    sizes = [s for t, *_r, s in _span_sizes(render(saved(prs))[1]) if t.strip() == "2"]
    assert sizes and sizes[0] == pytest.approx(24 * 0.58, abs=0.01)


def _span_sizes(pdf: bytes) -> list[tuple[str, float]]:
    from pypdf import PdfReader

    found: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((text, size * (abs(tm[3] * cm[3]) or 1.0)))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_tab_moves_text_to_the_next_stop(tmp_path):
    prs = pptx.Presentation()
    _, tf = text_box(prs, "a\tb", "Calibri")
    ppr = tf.paragraphs[0]._p.get_or_add_pPr()
    tab = etree.SubElement(etree.SubElement(ppr, A_NS + "tabLst"), A_NS + "tab")
    tab.set("pos", str(Inches(3)))
    found = {w: x for w, x, *_ in words(render(saved(prs))[1], tmp_path)}
    # box at 1in, left inset 7.2pt, stop at 3in from the text's left edge
    assert abs(found["b"] - (72 + 7.2 + 216)) < 1


def test_character_spacing_widens_the_run(tmp_path):
    def width(spc: str | None) -> float:
        prs = pptx.Presentation()
        _, tf = text_box(prs, "spacing", "Calibri")
        if spc:
            _rpr(tf).set("spc", spc)
        ((_, x0, _, x1, _),) = words(render(saved(prs))[1], tmp_path)
        return x1 - x0

    assert width("500") - width(None) > 6 * 5 - 1  # 5 pt after each of 6 gaps


def test_strike_and_highlight_are_painted(tmp_path):
    prs = pptx.Presentation()
    _, tf = text_box(prs, "marked", "Calibri", size=40)
    rpr = _rpr(tf)
    rpr.set("strike", "sngStrike")
    hl = etree.SubElement(rpr, A_NS + "highlight")
    etree.SubElement(hl, A_NS + "srgbClr").set("val", "FFFF00")
    img = raster(render(saved(prs))[1], tmp_path)
    yellow = sum(1 for p in img.get_flattened_data() if p[0] > 200 and p[1] > 200 and p[2] < 80)
    assert yellow > 500
    # a strike line: some row inside the text's box is dark across most of the word
    box = img.crop((72, 72, 72 + 140, 72 + 60))
    rows = [sum(1 for x in range(box.width) if box.getpixel((x, y))[2] < 80 and
                box.getpixel((x, y))[0] < 80) for y in range(box.height)]  # fmt: skip
    assert max(rows) > 80


def test_body_rotation_turns_the_text(tmp_path):
    prs = pptx.Presentation()
    _, tf = text_box(prs, "turned text", "Calibri", w=3)
    tf._txBody.find(A_NS + "bodyPr").set("rot", str(90 * 60000))
    found = words(render(saved(prs))[1], tmp_path)
    ((_, x0, y0, x1, y1),) = [w for w in found if w[0] == "turned"]
    assert y1 - y0 > x1 - x0  # vertical


# -- reference-like font choice: styles, theme script fonts, report ------------------


def test_styles_embed_the_matching_dejavu_faces():
    prs = pptx.Presentation()
    _, tf = text_box(prs, "Georgia italic", "Georgia")
    tf.paragraphs[0].runs[0].font.italic = True
    _, tf = text_box(prs, "Segoe bold italic", "Segoe UI")
    tf.paragraphs[0].runs[0].font.bold = True
    tf.paragraphs[0].runs[0].font.italic = True
    text_box(prs, "Consolas code", "Consolas")
    text_box(prs, "Calibri body", "Calibri")
    used = embedded_fonts(render(saved(prs))[1])
    assert {"DejaVuSerif-Italic", "DejaVuSans-BoldOblique", "DejaVuSansMono", "Carlito"} <= used
    assert not used & {"LiberationSerif-Italic", "LiberationMono", "LiberationSans-BoldItalic"}


def test_report_maps_each_typeface_to_the_family_drawn():
    prs = pptx.Presentation()
    text_box(prs, "Calibri words", "Calibri")
    text_box(prs, "Georgia words", "Georgia")
    text_box(prs, "Arial words", "Arial")
    report, _ = render(saved(prs))
    assert report.fonts_substituted == {
        "Calibri": "Carlito", "Georgia": "DejaVu Serif", "Arial": "Liberation Sans"
    }  # fmt: skip
    notes = [w.message for w in report.warnings if w.code == "font_substituted"]
    assert len(notes) == 1 and "Georgia" in notes[0] and "DejaVu Serif" in notes[0]
    assert report.summary()["fonts_substituted"]["Georgia"] == "DejaVu Serif"


def test_east_asian_characters_use_the_ea_font_and_latin_ones_the_latin_font():
    pieces, missing = fonts.split_by_font("Abc \u65e5\u672c\u8a9e, ok", "Calibri", False, False,
                                          ea="SimSun")  # fmt: skip
    # neutral characters (space, comma) take the script of the text before them
    assert [(t, f.name) for t, f in pieces] == [
        ("Abc ", "Carlito-Regular"), ("\u65e5\u672c\u8a9e", "NotoSansCJKjp-Regular"),
        (", ", "DejaVuSerif"), ("ok", "Carlito-Regular"),
    ]  # fmt: skip
    assert not missing
    # Hebrew with a cs font: the cs font's face when it has the glyphs
    pieces, _ = fonts.split_by_font("ab \u05e9\u05dc\u05d5\u05dd", "Calibri", False, False,
                                    cs="Times New Roman")  # fmt: skip
    assert [f.name for _, f in pieces] == ["Carlito-Regular", "LiberationSerif-Regular"]


def _set_theme_fonts(prs, ea: str, cs: str) -> None:
    """Give the default theme's minor font scheme these ea/cs typefaces."""
    theme = prs.slide_masters[0].part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme"
    )
    root = etree.fromstring(theme.blob)
    minor = root.find(f".//{A_NS}minorFont")
    minor.find(A_NS + "ea").set("typeface", ea)
    minor.find(A_NS + "cs").set("typeface", cs)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def test_theme_ea_and_cs_fonts_resolve():
    prs = pptx.Presentation()
    _set_theme_fonts(prs, ea="SimSun", cs="Courier New")
    text_box(prs, "Mixed \u4e2d\u6587 text", "Calibri")
    text_box(prs, "\u05e9\u05dc\u05d5\u05dd", "Calibri")
    report, data = render(saved(prs))
    assert report.fonts_substituted["SimSun"] == "DejaVu Serif"  # +mn-ea -> theme ea
    assert report.fonts_substituted["Courier New"] == "Liberation Mono"  # +mn-cs -> theme cs
    assert {"Carlito", "LiberationMono", "NotoSansCJKjp-Regular"} <= embedded_fonts(data)


def test_empty_theme_ea_font_falls_back_to_the_script_font_of_the_run_language():
    prs = pptx.Presentation()  # default theme: ea/cs empty, Jpan/Hebr script fonts set
    _, tf = text_box(prs, "\u65e5\u672c\u8a9e", "Calibri")
    tf.paragraphs[0].runs[0]._r.get_or_add_rPr().set("lang", "ja-JP")
    _, tf = text_box(prs, "\u05e9\u05dc\u05d5\u05dd", "Calibri")
    tf.paragraphs[0].runs[0]._r.get_or_add_rPr().set("lang", "he-IL")
    report, data = render(saved(prs))
    assert report.fonts_substituted["\uff2d\uff33 \uff30\u30b4\u30b7\u30c3\u30af"] == "DejaVu Sans"
    assert report.fonts_substituted["Arial"] == "Liberation Sans"  # minor font's Hebr entry
    assert "LiberationSans" in embedded_fonts(data)



def test_urw_clone_is_embedded_with_its_own_widths():
    prs = pptx.Presentation()
    text_box(prs, "Palatino words", "Palatino Linotype")
    text_box(prs, "Bookman words", "Bookman Old Style")
    text_box(prs, "Chancery words", "ITC Zapf Chancery")  # a script face, not Zapf Dingbats
    _, data = render(saved(prs))
    embedded = embedded_fonts(data)
    assert {"P052-Roman", "URWBookman-Light", "Z003-MediumItalic"} <= embedded
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Chancery words" in text
    # P052's advance widths are Palatino's (URW's AFM: H = 832, space = 250 per 1000).
    face = fonts.face("P052-Roman")
    assert fonts.text_width("H ", face.name, 1000) == pytest.approx(832 + 250, abs=1)


def test_cjk_text_uses_noto_sans_cjk_bold_included_and_droid_past_its_subset():
    # Noto Sans CJK (the references' font) is shipped cut to the national
    # standard sets; a rarer ideograph (U+4E02) still comes from Droid Sans Fallback.
    pieces, missing = fonts.split_by_font("\u4e2d\u6587\u4e02", "Calibri", True, False)
    assert [(t, f.name) for t, f in pieces] == [
        ("\u4e2d\u6587", "NotoSansCJKjp-Bold"), ("\u4e02", "DroidSansFallback"),
    ]  # fmt: skip
    assert not missing
    cjk = fonts.face("NotoSansCJKjp-Regular")
    # the ideographs' advance is one em, as in the full font
    assert fonts.text_width("\u65e5\u672c", cjk.name, 10) == pytest.approx(20.0)


def test_cjk_subset_keeps_the_national_standard_sets():
    from deckpipe.render import fontbuild

    kept = fontbuild.cjk_characters()
    assert len(kept) > 19_000
    # GB 2312, JIS X 0208 kanji and kana, KS X 1001 Hangul, Big5 traditional forms
    assert {ord(c) for c in "中国語日本語ひらがなカタカナ한국어們體"} <= kept
    shipped = fonts.face("NotoSansCJKjp-Regular").chars
    assert len(shipped & kept) > 0.99 * len(kept & {c for c in kept if c < 0xFF00})


def test_space_between_fallback_words_takes_the_fallback_font():
    # LibreOffice's glyph fallback: the space between two Hebrew words of a
    # Calibri run is drawn (and measured) in the font that has the Hebrew.
    hebrew = "\u05e9\u05dc\u05d5\u05dd"
    pieces, _ = fonts.split_by_font(f"{hebrew} {hebrew} ok", "Calibri", False, False)
    assert [(t, f.name) for t, f in pieces] == [
        (f"{hebrew} {hebrew}", "DejaVuSans"), (" ok", "Carlito-Regular"),
    ]  # fmt: skip
