"""Tests for deckpipe.render: page policy, text, resolution, errors, bounds, corpus sweep."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pptx
import pytest
from PIL import Image
from pptx.enum.dml import MSO_THEME_COLOR
from pptx.util import Emu, Inches
from pypdf import PdfReader

from deckpipe.errors import DeckError
from deckpipe.render import RenderOptions, RenderReport, render_deck
from deckpipe.render.frames import Frame
from deckpipe.render.model import Box, ShapeItem, TextItem
from deckpipe.render.resolve import DeckResolver

A_NS = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P_NS = "{http://schemas.openxmlformats.org/presentationml/2006/main}"


# -- helpers -----------------------------------------------------------------


def render(source, **options) -> tuple[RenderReport, bytes]:
    out = io.BytesIO()
    report = render_deck(source, out, options=RenderOptions(**options) if options else None)
    return report, out.getvalue()


def pdf(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def visible_slides(path: Path) -> list:
    prs = pptx.Presentation(path)
    return [s for s in prs.slides if s.element.get("show") not in ("0", "false")]


def shape_texts(shapes) -> list[str]:
    texts = []
    for shape in shapes:
        if shape.shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.GROUP:
            texts += shape_texts(shape.shapes)
        elif shape.has_text_frame:
            texts.append(shape.text_frame.text)
    return texts


def image_count(obj, seen: set | None = None) -> int:
    """Image XObjects reachable from a page or form's resources."""
    seen = set() if seen is None else seen
    resources = obj.get("/Resources")
    if resources is None:
        return 0
    xobjects = resources.get_object().get("/XObject") or {}
    count = 0
    for ref in xobjects.values():
        key = getattr(ref, "idnum", id(ref))
        if key in seen:
            continue
        seen.add(key)
        xobj = ref.get_object()
        if xobj.get("/Subtype") == "/Image":
            count += 1
        elif xobj.get("/Subtype") == "/Form":
            count += image_count(xobj, seen)
    return count


def fonts_used(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def default_deck() -> pptx.Presentation:
    return pptx.Presentation()


def saved(prs) -> bytes:
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# -- page policy -----------------------------------------------------------------


@pytest.mark.parametrize(
    "deck",
    [
        "poi/2411-Performance_Up.pptx",  # 48 slides, 2 hidden
        "poi/60810.pptx",  # 3 hidden
        "aspose-py/presentation_with_hidden_slides.pptx",
        "aspose-py/PresentationDemo.pptx",
        "shapecrawler/009_table.pptx",
    ],
)
def test_one_page_per_visible_slide(corpus, deck):
    path = corpus / "decks" / deck
    visible = visible_slides(path)
    report, data = render(path)
    assert report.pages == len(visible) == len(pdf(data).pages)
    assert report.slides == len(pptx.Presentation(path).slides)
    assert len(report.rendered) == len(visible)
    assert not report.all_hidden


def test_hidden_slides_included_on_request(corpus):
    path = corpus / "decks/aspose-py/presentation_with_hidden_slides.pptx"
    report, data = render(path, include_hidden=True)
    assert report.pages == report.slides == 3 == len(pdf(data).pages)
    assert report.rendered == [1, 2, 3]


def test_all_hidden_renders_every_slide_with_warning(corpus):
    path = corpus / "decks/shapecrawler/031.pptx"  # all 45 slides hidden
    report, data = render(path)
    assert report.all_hidden
    assert report.pages == report.slides == 45 == len(pdf(data).pages)
    assert report.rendered == list(range(1, 46))
    assert [w.code for w in report.warnings].count("all_slides_hidden") == 1


def test_zero_slides_gives_one_blank_page_at_slide_size(corpus):
    path = corpus / "decks/poi/empty.pptx"
    prs = pptx.Presentation(path)
    report, data = render(path)
    assert report.slides == 0 and report.pages == 1 and report.rendered == []
    assert any(w.code == "no_slides" for w in report.warnings)
    page = pdf(data).pages[0]
    assert float(page.mediabox.width) == pytest.approx(prs.slide_width / 12700, abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(prs.slide_height / 12700, abs=0.01)


@pytest.mark.parametrize(
    "deck",
    ["poi/49386-null_dates.pptx", "aspose-py/background.pptx", "poi/bug65228.pptx",
     "poi/smartart-simple.pptx"],
)  # fmt: skip
def test_page_size_is_slide_size(corpus, deck):
    path = corpus / "decks" / deck
    prs = pptx.Presentation(path)
    _, data = render(path)
    for page in pdf(data).pages:
        assert float(page.mediabox.width) == pytest.approx(prs.slide_width / 12700, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(prs.slide_height / 12700, abs=0.01)


def test_progress_reports_each_slide(corpus):
    calls = []
    path = corpus / "decks/poi/60810.pptx"
    report = render_deck(path, io.BytesIO(), progress=lambda *args: calls.append(args))
    n = report.pages
    assert n == 25
    assert calls == [(i, n) for i in range(n + 1)]


def test_output_is_deterministic(corpus):
    path = corpus / "decks/aspose-py/PresentationDemo.pptx"  # pictures, text, shapes
    first = render(path)[1]
    second = render(path.read_bytes())[1]
    assert first == second


def test_accepts_path_bytes_and_stream(corpus):
    path = corpus / "decks/poi/60042.pptx"
    by_path = render(path)[1]
    by_str = render(str(path))[1]
    with path.open("rb") as f:
        by_stream = render(f)[1]
    assert by_path == by_str == by_stream == render(path.read_bytes())[1]


def test_report_as_dict_is_json(corpus):
    report, _ = render(corpus / "decks/poi/60810.pptx")
    encoded = json.loads(json.dumps(report.as_dict()))
    assert encoded["pages"] == report.pages
    assert encoded["warnings"][0]["slide"] == report.warnings[0].slide
    assert {"code", "message", "slide"} == set(encoded["warnings"][0])


def test_metadata_from_core_properties():
    prs = default_deck()
    prs.core_properties.title = "Quarterly numbers"
    prs.core_properties.author = "Ada Lovelace"
    prs.core_properties.subject = "Finance"
    prs.slides.add_slide(prs.slide_layouts[6])
    meta = pdf(render(saved(prs))[1]).metadata
    assert meta.title == "Quarterly numbers"
    assert meta.author == "Ada Lovelace"
    assert meta.subject == "Finance"


# -- text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "deck",
    [
        "poi/2411-Performance_Up.pptx",
        "aspose-py/PresentationDemo.pptx",
        "python-pptx/txt-text.pptx",
        "tika/testPPT_various2.pptx",
    ],
)
def test_deck_text_is_in_pdf_text_layer(corpus, deck):
    path = corpus / "decks" / deck
    expected = [t for s in visible_slides(path) for t in shape_texts(s.shapes)]
    words = {w for t in expected for w in re.findall(r"[A-Za-z0-9]+", t)}
    assert len(words) > 5
    text = squash(" ".join(p.extract_text() for p in pdf(render(path)[1]).pages))
    missing = sorted(w for w in words if w not in text)
    assert not missing


def test_non_latin_text_is_drawn_with_fallback_fonts_without_warnings():
    # Embedded fallback fonts (DejaVu Sans, Droid Sans Fallback) draw CJK and
    # Cyrillic; test_render_fonts.py covers characters no font has.
    prs = default_deck()
    for _ in range(2):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = "Hello 你好 мир"
        box = slide.shapes.add_textbox(Inches(1), Inches(3), Inches(4), Inches(1))
        box.text_frame.text = "日本語 text"
    report, data = render(saved(prs))
    assert not [w for w in report.warnings if w.code == "glyphs_missing"]
    text = pdf(data).pages[0].extract_text()
    assert "Hello" in text and "你好" in text and "日本語" in text


def test_long_text_wraps_inside_the_shape():
    prs = default_deck()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(4))
    box.text_frame.word_wrap = True
    box.text_frame.text = " ".join(["wrapping"] * 40)
    page = pdf(render(saved(prs))[1]).pages[0]
    xs = []
    page.extract_text(visitor_text=lambda t, cm, tm, *_: xs.append(tm[4]) if t.strip() else None)
    assert len(xs) > 5  # many lines
    assert max(xs) < 72 * 4  # every line starts inside the box


# -- resolution ---------------------------------------------------------------------


def _title_style_run(prs):
    master = prs.slide_masters[0]
    return master.element.find(f"{P_NS}txStyles/{P_NS}titleStyle/{A_NS}lvl1pPr/{A_NS}defRPr")


def test_title_colour_bold_and_size_come_from_the_master():
    prs = default_deck()
    def_rpr = _title_style_run(prs)
    def_rpr.set("b", "1")
    def_rpr.set("sz", "5000")
    for old in def_rpr.findall(f"{A_NS}solidFill"):
        def_rpr.remove(old)
    fill = def_rpr.makeelement(f"{A_NS}solidFill", {})
    fill.append(fill.makeelement(f"{A_NS}srgbClr", {"val": "FF0000"}))
    def_rpr.insert(0, fill)
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    slide.shapes.title.text = "Red title"

    reopened = pptx.Presentation(io.BytesIO(saved(prs)))
    page, warnings = DeckResolver(reopened).resolve_slide(reopened.slides[0], 1)
    texts = [i for i in page.items if isinstance(i, TextItem)]
    assert len(texts) == 1
    run = texts[0].paragraphs[0].runs[0]
    assert run.text == "Red title"
    assert run.color == pytest.approx((1.0, 0.0, 0.0))
    assert run.bold and run.size == 50
    # The slide's title has no xfrm: its box comes from the layout placeholder.
    layout_title = reopened.slide_layouts[5].placeholders[0]
    assert texts[0].box.x == pytest.approx(layout_title.left / 12700)
    assert texts[0].box.w == pytest.approx(layout_title.width / 12700)

    assert "Carlito-Bold" in "".join(fonts_used(pdf(render(saved(prs))[1])))


def test_theme_colour_through_clr_map_and_lum_mod():
    prs = default_deck()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    plain = slide.shapes.add_shape(1, Inches(1), Inches(1), Inches(2), Inches(1))  # rectangle
    plain.fill.solid()
    plain.fill.fore_color.theme_color = MSO_THEME_COLOR.TEXT_2  # tx2 -> dk2 via clrMap
    darker = slide.shapes.add_shape(1, Inches(1), Inches(3), Inches(2), Inches(1))
    darker.fill.solid()
    darker.fill.fore_color.theme_color = MSO_THEME_COLOR.ACCENT_1
    darker.fill.fore_color.brightness = -0.5  # lumMod 50000
    reopened = pptx.Presentation(io.BytesIO(saved(prs)))
    page, _ = DeckResolver(reopened).resolve_slide(reopened.slides[0], 1)
    first, second = [i for i in page.items if isinstance(i, ShapeItem)]
    assert first.kind == "rect" and first.box.x == pytest.approx(72)
    assert first.box.w == pytest.approx(144)
    # the default template's theme: dk2 = 1F497D, accent1 = 4F81BD
    assert first.fill.color == pytest.approx((0x1F / 255, 0x49 / 255, 0x7D / 255))
    r, g, b = second.fill.color
    assert b > g > r
    lum = (max(r, g, b) + min(r, g, b)) / 2
    accent1_lum = (0xBD + 0x4F) / 2 / 255
    assert lum == pytest.approx(accent1_lum / 2, abs=0.01)


def test_group_children_map_into_group_frame():
    group = Frame().enter_group(
        _xfrm(off=(1270000, 0), ext=(2540000, 1270000), ch_off=(0, 0), ch_ext=(1270000, 635000))
    )
    child = group.map(Box(50, 25, 50, 25))  # points, in child space
    assert (child.x, child.y, child.w, child.h) == pytest.approx((200, 50, 100, 50))


def _xfrm(off, ext, ch_off, ch_ext):
    from lxml import etree

    x = etree.Element(f"{A_NS}xfrm")
    for tag, (a, b), names in (
        ("off", off, ("x", "y")),
        ("ext", ext, ("cx", "cy")),
        ("chOff", ch_off, ("x", "y")),
        ("chExt", ch_ext, ("cx", "cy")),
    ):
        etree.SubElement(x, f"{A_NS}{tag}", {names[0]: str(a), names[1]: str(b)})
    return x


def test_layout_and_master_decorations_drawn_under_slide_shapes():
    prs = default_deck()
    shown = prs.slides.add_slide(prs.slide_layouts[6])
    logo = shown.shapes.add_shape(1, Emu(0), Emu(0), Inches(1), Inches(1))
    logo.fill.solid()
    logo.fill.fore_color.rgb = pptx.dml.color.RGBColor(0, 0x80, 0)
    prs.slide_masters[0].shapes._spTree.append(logo._element)  # moves it to the master
    shown.shapes.add_textbox(Inches(2), Inches(2), Inches(2), Inches(1)).text_frame.text = "x"
    hidden = prs.slides.add_slide(prs.slide_layouts[6])
    hidden.element.set("showMasterSp", "0")
    reopened = pptx.Presentation(io.BytesIO(saved(prs)))
    resolver = DeckResolver(reopened)
    page1, _ = resolver.resolve_slide(reopened.slides[0], 1)
    page2, _ = resolver.resolve_slide(reopened.slides[1], 2)
    green = [i for i in page1.items if isinstance(i, ShapeItem) and i.fill
             and i.fill.color == pytest.approx((0, 0x80 / 255, 0))]  # fmt: skip
    assert len(green) == 1 and page1.items.index(green[0]) == 0
    assert isinstance(page1.items[-1], TextItem)
    assert not any(isinstance(i, ShapeItem) for i in page2.items)
    # master placeholders (title/body prompts) are never drawn
    assert not any(isinstance(i, TextItem) for i in page2.items)


def test_background_from_master(corpus):
    prs = default_deck()
    bg = prs.slide_masters[0].background.fill
    bg.solid()
    bg.fore_color.rgb = pptx.dml.color.RGBColor(0x10, 0x20, 0x30)
    prs.slides.add_slide(prs.slide_layouts[6])
    reopened = pptx.Presentation(io.BytesIO(saved(prs)))
    page, _ = DeckResolver(reopened).resolve_slide(reopened.slides[0], 1)
    assert page.background.color == pytest.approx((0x10 / 255, 0x20 / 255, 0x30 / 255))


# -- pictures -----------------------------------------------------------------------


def _png(size=(40, 30)) -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    return buf


def _embed_id(pic) -> str:
    blip = pic._element.blipFill.find(f"{A_NS}blip")
    return blip.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed")


def test_picture_becomes_an_image_xobject(corpus):
    report, data = render(corpus / "decks/poi/54542_cropped_bitmap.pptx")
    assert report.pages == 1
    assert image_count(pdf(data).pages[0]) >= 1


def test_picture_over_pixel_limit_is_skipped_with_warning():
    prs = default_deck()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    slide.shapes.add_picture(_png((400, 300)), Inches(1), Inches(1))
    report, data = render(saved(prs), max_image_pixels=100_000)
    assert [w.code for w in report.warnings] == ["picture_too_large"]
    assert image_count(pdf(data).pages[0]) == 0
    report, data = render(saved(prs))
    assert report.warnings == [] and image_count(pdf(data).pages[0]) == 1


def test_unreadable_picture_skips_only_that_picture():
    prs = default_deck()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    pic = slide.shapes.add_picture(_png(), Inches(1), Inches(1))
    slide.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1)).text_frame.text = "kept"
    slide.part.related_part(_embed_id(pic))._blob = b"\x89PNG not really a png"
    report, data = render(saved(prs))
    assert [(w.code, w.slide) for w in report.warnings] == [("picture_unreadable", 1)]
    assert "kept" in pdf(data).pages[0].extract_text()


def test_vector_picture_drawn_as_grey_placeholder():
    prs = default_deck()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    pic = slide.shapes.add_picture(_png(), Inches(1), Inches(1))
    slide.part.related_part(_embed_id(pic))._blob = b"\x01\x00\x00\x00" + bytes(100)  # EMF
    reopened = pptx.Presentation(io.BytesIO(saved(prs)))
    page, warnings = DeckResolver(reopened).resolve_slide(reopened.slides[0], 1)
    assert [w.code for w in warnings] == ["picture_unsupported"]
    (item,) = page.items
    assert isinstance(item, ShapeItem) and item.fill.color == (0.85, 0.85, 0.85)
    assert item.box.x == pytest.approx(72)


# -- errors and bounds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("deck", "code"),
    [
        ("openxml-sdk/encrypted_pptx.pptx", "encrypted"),
        ("tika/testPPT_protected_passtika.pptx", "encrypted"),
        ("poi/Divino_Revelado.pptx", "corrupt_deck"),
        ("poi/clusterfuzz-testcase-minimized-POIXSLFFuzzer-5463285576892416.pptx", "corrupt_deck"),
    ],
)
def test_unreadable_corpus_decks_raise_deck_error(corpus, deck, code):
    with pytest.raises(DeckError) as info:
        render(corpus / "decks" / deck)
    assert info.value.code == code
    assert info.value.message


def test_legacy_ppt_and_non_presentations_are_refused():
    from tests_support import ole2_container

    with pytest.raises(DeckError) as info:
        render(ole2_container("PowerPoint Document", "Current User"))
    assert info.value.code == "legacy_format"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    with pytest.raises(DeckError) as info:
        render(buf.getvalue())
    assert info.value.code == "not_a_presentation"
    with pytest.raises(DeckError) as info:
        render(b"hello, not a deck")
    assert info.value.code == "not_a_presentation"


def test_package_python_pptx_cannot_open_is_corrupt_deck():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("ppt/presentation.xml", "<not-closed")
    with pytest.raises(DeckError) as info:
        render(buf.getvalue())
    assert info.value.code == "corrupt_deck"


@pytest.mark.parametrize(
    "deck",
    [
        "poi/testPPT.ppsx",
        "poi/bug59273.potx",
        "openxml-sdk/Presentation.potx",
        "openxml-sdk/macro_enabled.potm",
        "tika/testPPT.potm",
        "python-pptx/act-props.pptm",
        "poi/stress022.pptx",  # slideshow content type in a .pptx
    ],
)
def test_show_template_and_macro_packages_render(corpus, deck):
    report, data = render(corpus / "decks" / deck)
    assert report.slides > 0
    assert report.pages == len(pdf(data).pages) > 0


@pytest.mark.parametrize(
    "deck", ["openxml-sdk/Accent1sysClr.pptx", "openxml-sdk/sldsz-Slide_Size-type-b4iso.pptx"]
)
def test_strict_packages_render(corpus, deck):
    report, data = render(corpus / "decks" / deck)
    assert report.slides > 0 and report.pages == len(pdf(data).pages)
    assert float(pdf(data).pages[0].mediabox.width) > 100


def test_zip_bomb_is_too_complex():
    prs = default_deck()
    prs.slides.add_slide(prs.slide_layouts[6])
    buf = io.BytesIO(saved(prs))
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ppt/media/padding.bin", b"\0" * (64 << 20))
    assert len(buf.getvalue()) < 1 << 20  # small on disk, 64 MiB inflated
    with pytest.raises(DeckError) as info:
        render(buf.getvalue(), max_uncompressed_bytes=32 << 20)
    assert info.value.code == "too_complex"
    assert render(buf.getvalue())[0].pages == 1  # within the default bound


def test_too_many_shapes_is_too_complex(corpus):
    path = corpus / "decks/aspose-py/PresentationDemo.pptx"
    with pytest.raises(DeckError) as info:
        render(path, max_shapes=20)
    assert info.value.code == "too_complex"


# -- robustness sweep ---------------------------------------------------------------------


def test_every_corpus_deck_renders_or_raises_deck_error(corpus):
    """Every deck: a PDF with one page per reported page, or a DeckError; nothing else."""
    decks = [
        line.split("\t")[0]
        for line in (corpus / "MANIFEST.tsv").read_text().splitlines()[1:]
        if line.strip()
    ]
    assert len(decks) > 400
    failures, refused = [], {}
    for deck in decks:
        out = io.BytesIO()
        try:
            report = render_deck(corpus / deck, out)
        except DeckError as exc:
            refused[deck] = exc.code
        except Exception as exc:  # the bug this test exists to catch
            failures.append(f"{deck}: {type(exc).__name__}: {exc}")
        else:
            if len(PdfReader(io.BytesIO(out.getvalue())).pages) != report.pages:
                failures.append(f"{deck}: page count mismatch")
    assert not failures  # speed is measured in bench/, not asserted here
    assert set(refused.values()) <= {"corrupt_deck", "encrypted"}
    assert len(refused) <= 12
