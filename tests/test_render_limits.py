"""The renderer's own bounds (issue 9): hostile decks fail cleanly or convert within
their budgets, slides are parsed one at a time and released, damaged XML is
recovered and reported (issue 13, item 11).

The hostile decks come from ``bench/hostile_decks.py``, the same builders the
chaos campaign and ``bench/render_memory.py`` use. Memory is checked where it
can be decided without timing: the gigabyte-of-zeros deck converts in a child
process whose address space is capped below what holding the zeros would need.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Inches
from pypdf import PdfReader

from deckpipe.errors import DeckError
from deckpipe.render import RenderOptions, render_deck
from deckpipe.render import images as render_images
from deckpipe.render.package import open_deck
from deckpipe.render.parts import release, root_attribute, slide_parts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import hostile_decks  # noqa: E402


def _render(deck: bytes, **options):
    out = io.BytesIO()
    report = render_deck(deck, out, options=RenderOptions(**options))
    return report, out.getvalue()


def _text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _codes(report) -> set[str]:
    return {w.code for w in report.warnings}


# -- resource bounds ------------------------------------------------------------------


def test_a_gigabyte_of_zeros_as_a_picture_is_skipped_without_being_inflated(tmp_path):
    """In a child limited to 900 MiB of address space: inflating the part would
    need a gigabyte, so converting at all proves it was never held."""
    deck = tmp_path / "zeros.pptx"
    deck.write_bytes(hostile_decks.zeros_media())
    script = (
        "import sys, resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (900 << 20, 900 << 20))\n"
        "from deckpipe.render import render_deck\n"
        "report = render_deck(sys.argv[1], open(sys.argv[2], 'wb'))\n"
        "print(report.pages, sorted({w.code for w in report.warnings}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(deck), str(tmp_path / "out.pdf")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1 ['picture_unreadable']"


@pytest.mark.parametrize("build", [hostile_decks.huge_png, hostile_decks.huge_jpeg])
def test_a_picture_declaring_50000_by_50000_pixels_is_not_decoded(build):
    report, pdf = _render(build())
    assert report.pages == 1
    assert "picture_too_large" in _codes(report)
    assert "50000x50000" in " ".join(w.message for w in report.warnings)
    assert b"/Subtype /Image" not in pdf


def test_a_picture_that_needs_decoding_is_bounded_in_pixels(monkeypatch):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (40, 30), (10, 20, 30, 128)).save(buf, "PNG")
    assert render_images.encode(buf.getvalue()).width == 40
    monkeypatch.setattr(render_images, "MAX_DECODE_PIXELS", 1000)
    with pytest.raises(ValueError, match="40x30 pixels, too large to decode"):
        render_images.encode(buf.getvalue())


def test_a_slide_of_200000_shapes_is_refused_before_it_is_parsed():
    with pytest.raises(DeckError) as caught:
        _render(hostile_decks.many_shapes(200_000))
    assert caught.value.code == "too_complex"
    assert "limit for one part" in str(caught.value)


def test_shapes_are_counted_in_the_slide_xml_before_the_tree_is_built():
    with pytest.raises(DeckError) as caught:
        _render(hostile_decks.many_shapes(3_000), max_slide_shapes=2_000)
    assert caught.value.code == "too_complex"
    assert "3,000 shapes" in str(caught.value)


def test_the_deck_wide_shape_limit_holds_across_slides():
    with pytest.raises(DeckError) as caught:
        _render(hostile_decks.many_shapes(3_000, per_slide=500), max_shapes=2_000)
    assert caught.value.code == "too_complex"


def test_groups_nested_300_deep_fail_as_too_complex():
    with pytest.raises(DeckError) as caught:
        _render(hostile_decks.deep_groups(300))
    assert caught.value.code == "too_complex"
    assert "nested too deeply" in str(caught.value)


def test_groups_nested_200_deep_are_drawn():
    report, pdf = _render(hostile_decks.deep_groups(200))
    assert report.pages == 1
    assert "deep" in _text(pdf)


# -- XML without entities or network ------------------------------------------------


def test_an_external_entity_naming_a_local_file_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("DECKPIPE-SECRET-MARKER")
    report, pdf = _render(hostile_decks.xxe_file(str(secret)))
    text = _text(pdf)
    assert "before" in text  # the entity stays an unexpanded reference
    assert "DECKPIPE-SECRET-MARKER" not in text
    assert b"DECKPIPE-SECRET-MARKER" not in pdf


def test_an_external_entity_naming_a_url_is_never_fetched():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.setblocking(False)
        port = server.getsockname()[1]
        report, pdf = _render(hostile_decks.xxe_network(f"http://127.0.0.1:{port}/x"))
        with pytest.raises(BlockingIOError):
            server.accept()  # nobody connected
    assert report.pages == 1
    assert "before" in _text(pdf)


def test_billion_laughs_is_not_expanded():
    report, pdf = _render(hostile_decks.billion_laughs())
    assert report.pages == 1
    assert "lollollol" not in _text(pdf)
    assert len(pdf) < 200_000


def test_external_and_out_of_package_relationships_are_ignored():
    report, pdf = _render(hostile_decks.external_relationships())
    assert report.pages == 1
    messages = [w for w in report.warnings if w.code.startswith("picture_")]
    assert {w.code for w in messages} <= {"picture_unreadable", "picture_unsupported"}
    assert len(messages) == 4
    assert b"root:" not in pdf


# -- one slide at a time --------------------------------------------------------------


def _three_slides() -> bytes:
    prs = Presentation()
    for n in range(3):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = f"Slide {n}"
    prs.slides[2]._element.set("show", "0")
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def test_slides_are_parsed_on_demand_and_released():
    prs = open_deck(_three_slides(), 1 << 30)
    parts = slide_parts(prs)
    assert len(parts) == 3
    assert all(part._tree is None for part in parts)  # opening parsed no slide
    assert [root_attribute(part, "show") for part in parts] == [None, None, "0"]
    assert all(part._tree is None for part in parts)  # nor did reading the flags
    assert parts[0].slide.shapes.title.text == "Slide 0"
    assert parts[0]._tree is not None
    release(parts[0])
    assert parts[0]._tree is None and "slide" not in parts[0].__dict__
    assert parts[0].slide.shapes.title.text == "Slide 0"  # parsed again on demand


def test_a_long_deck_renders_every_slide_with_trees_released(monkeypatch):
    from deckpipe.render import api

    released = []
    monkeypatch.setattr(api, "release", lambda part: released.append(part) or release(part))
    prs = Presentation()
    for n in range(40):
        prs.slides.add_slide(prs.slide_layouts[1]).shapes.title.text = f"Title {n}"
    buf = io.BytesIO()
    prs.save(buf)
    report, pdf = _render(buf.getvalue())
    assert report.pages == 40
    assert len(released) == 40 and all(part._tree is None for part in released)


# -- damaged parts -----------------------------------------------------------------------


def _damaged(slide_xml_edit) -> bytes:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1))
    box.text_frame.text = "Recovered words"
    buf = io.BytesIO()
    prs.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "ppt/slides/slide1.xml":
                data = slide_xml_edit(data)
            dst.writestr(name, data)
    return out.getvalue()


def test_a_slide_with_a_syntax_error_is_recovered_and_reported():
    deck = _damaged(lambda xml: xml.replace(b"</p:spTree>", b"<a:bad attr=oops/></p:spTree>"))
    report, pdf = _render(deck)
    assert report.pages == 1
    recovered = [w for w in report.warnings if w.code == "part_recovered"]
    assert len(recovered) == 1 and recovered[0].slide == 1
    assert "slide1.xml" in recovered[0].message
    assert "Recovered words" in _text(pdf).replace("\xa0", " ")


def test_a_slide_with_nothing_recoverable_is_a_blank_page_with_a_warning():
    report, _ = _render(_damaged(lambda xml: b"\x00\x01 not xml at all"))
    assert report.pages == 1
    assert "slide_unreadable" in _codes(report)


def test_a_damaged_presentation_part_fails_as_corrupt():
    prs = Presentation()
    buf = io.BytesIO()
    prs.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = b"garbage" if name == "ppt/presentation.xml" else src.read(name)
            dst.writestr(name, data)
    with pytest.raises(DeckError) as caught:
        _render(out.getvalue())
    assert caught.value.code == "corrupt_deck"


def test_generator_charts_with_xml_errors_are_drawn(corpus):
    deck = corpus / "decks" / "officegen" / "out_charts.pptx"
    report, _ = _render(deck.read_bytes())
    assert report.pages == 6
    codes = [w.code for w in report.warnings]
    assert codes.count("part_recovered") == 6
    assert "chart_skipped" not in codes


def test_finished_pages_are_held_compressed_until_the_pdf_is_saved():
    import zlib

    from deckpipe.render.notes import FramingCanvas

    out = io.BytesIO()
    canvas = FramingCanvas(out, invariant=1)
    for n in range(3):
        canvas.drawString(72, 72, f"page {n} " * 50)
        canvas.showPage()
    pages = canvas._doc.Pages.pages
    assert len(pages) == 3
    assert all(page.stream is None and page.Contents is not None for page in pages)
    assert b"page 1" in zlib.decompress(pages[1].Contents.content)
    canvas.save()
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(out.getvalue())).pages]
    assert [t.split()[:2] for t in texts] == [["page", "0"], ["page", "1"], ["page", "2"]]


class _RecordingSink(io.BytesIO):
    """An output file that remembers the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, data) -> int:
        self.sizes.append(len(data))
        return super().write(data)


def _picture_deck(count: int) -> bytes:
    import os

    from PIL import Image

    prs = Presentation()
    for _ in range(count):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        picture = io.BytesIO()
        Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3)).save(picture, "JPEG")
        picture.seek(0)
        slide.shapes.add_picture(picture, Inches(1), Inches(1), Inches(4), Inches(3))
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def test_the_pdf_is_written_object_by_object_and_unchanged(monkeypatch):
    from reportlab.pdfgen.canvas import Canvas

    from deckpipe.render import notes

    deck = _picture_deck(8)
    sink = _RecordingSink()
    render_deck(deck, sink)
    streamed = sink.getvalue()
    assert len(sink.sizes) > 20  # many writes, none holding the whole document
    assert max(sink.sizes) < len(streamed) / 4
    monkeypatch.setattr(notes.FramingCanvas, "save", Canvas.save)
    whole = io.BytesIO()
    render_deck(deck, whole)
    assert whole.getvalue() == streamed  # reportlab's own save gives the same bytes
    assert len(PdfReader(io.BytesIO(streamed)).pages) == 8


def test_layouts_bloated_with_elements_are_refused_before_they_are_parsed():
    with pytest.raises(DeckError) as caught:
        _render(hostile_decks.bloated_layouts())
    assert caught.value.code == "too_complex"
    assert "XML tags" in str(caught.value)


def test_a_linked_picture_is_never_fetched_and_draws_nothing():
    deck = hostile_decks._zip(hostile_decks._with_slide(
        hostile_decks._picture("rId2").replace('r:embed="rId2"', 'r:link="rId2"'),
        hostile_decks._image_rel("rId2", "http://127.0.0.1:9/linked.png", external=True),
    ))  # fmt: skip
    report, pdf = _render(deck)
    assert [(w.code, w.message) for w in report.warnings] == [
        ("picture_unsupported", "A linked (external) picture is not drawn.")
    ]
    assert b"/Subtype /Image" not in pdf and b"/Subtype /Form" not in pdf
