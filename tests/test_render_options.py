"""Render options: slide ranges, hidden slides, notes pages, the PDF outline and
metadata, byte-identical output, and the report's summary as a job carries it."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Pt
from pypdf import PdfReader

from deckpipe import jobs, status
from deckpipe.render import RenderOptions, RenderWarning, render_deck
from deckpipe.render.api import RenderReport, parse_slide_range, slide_title


def _deck(titles: list[str | None], *, hidden: tuple[int, ...] = (), notes: dict | None = None,
          red: bool = False, notes_size: tuple[int, int] | None = None) -> bytes:
    prs = Presentation()
    for index, title in enumerate(titles):
        if title is None:
            slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank: no title placeholder
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            slide.shapes.title.text = title
        if red:
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = RGBColor(0xFF, 0, 0)
        if index in hidden:
            slide._element.set("show", "0")
        if notes and index in notes:
            slide.notes_slide.notes_text_frame.text = notes[index]
    if notes_size:
        size = prs.element.find(
            "{http://schemas.openxmlformats.org/presentationml/2006/main}notesSz")
        size.set("cx", str(notes_size[0]))
        size.set("cy", str(notes_size[1]))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _render(deck: bytes, **options) -> tuple[PdfReader, RenderReport, bytes]:
    out = io.BytesIO()
    report = render_deck(deck, out, options=RenderOptions(**options))
    return PdfReader(io.BytesIO(out.getvalue())), report, out.getvalue()


def _texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


# -- slide ranges -------------------------------------------------------------------


def test_a_slide_range_is_parsed_in_deck_order():
    assert parse_slide_range("1-3,7", 8) == [0, 1, 2, 6]
    assert parse_slide_range(" 7 , 2-2,1-2 ", 8) == [0, 1, 6]


@pytest.mark.parametrize(
    ("spec", "says"),
    [("", "empty"), ("0", "numbered 1 to 5"), ("6", "numbered 1 to 5"), ("3-1", "backwards"),
     ("a", "'a' is not a number"), ("1,,2", "'' is not a number"), ("1-", "is not a number"),
     ("-2", "is not a number")],
)
def test_a_bad_slide_range_says_what_is_wrong(spec, says):
    with pytest.raises(ValueError, match=says):
        parse_slide_range(spec, 5)


def test_only_the_chosen_slides_are_rendered():
    reader, report, _ = _render(_deck(["one", "two", "three", "four", "five"]), slides="2,4-5")
    assert report.rendered == [2, 4, 5] and report.pages == 3
    texts = _texts(reader)
    assert ["two" in texts[0], "four" in texts[1], "five" in texts[2]] == [True] * 3


def test_render_deck_rejects_a_range_beyond_the_deck():
    with pytest.raises(ValueError, match="the deck has 2 slide"):
        _render(_deck(["one", "two"]), slides="1-3")


# -- hidden slides ------------------------------------------------------------------


def test_hidden_slides_are_left_out_unless_asked_for():
    deck = _deck(["one", "two", "three"], hidden=(1,))
    assert _render(deck)[1].rendered == [1, 3]
    assert _render(deck, include_hidden=True)[1].rendered == [1, 2, 3]
    assert _render(deck, slides="1-2")[1].rendered == [1]


def test_selecting_only_hidden_slides_renders_them_with_a_warning():
    _, report, _ = _render(_deck(["one", "two", "three"], hidden=(1,)), slides="2")
    assert report.rendered == [2] and not report.all_hidden
    assert [w.code for w in report.warnings] == ["selected_slides_hidden"]


def test_an_all_hidden_deck_is_rendered_and_the_summary_says_so():
    _, report, _ = _render(_deck(["one", "two"], hidden=(0, 1)))
    assert report.rendered == [1, 2]
    summary = report.as_dict()["summary"]
    assert summary["all_hidden"] is True and summary["slides_rendered"] == 2
    assert summary["warning_counts"] == {"all_slides_hidden": 1}


# -- outline and metadata -------------------------------------------------------------


def test_the_outline_has_one_entry_per_page_named_by_the_title():
    deck = _deck(["Intro\vto things", None, "Last  words"], hidden=(2,))
    reader, _, _ = _render(deck, include_hidden=True)
    entries = reader.outline
    assert [e.title for e in entries] == ["Intro to things", "Slide 2", "Last words"]
    assert [reader.get_destination_page_number(e) for e in entries] == [0, 1, 2]
    reader, _, _ = _render(deck, slides="2-3")  # slide 3 hidden: only slide 2 remains
    assert [e.title for e in reader.outline] == ["Slide 2"]


def test_a_long_title_is_shortened():
    prs = Presentation(io.BytesIO(_deck(["x" * 500])))
    title = slide_title(prs.slides[0], 1)
    assert len(title) == 200 and title.endswith("\u2026")


def test_core_properties_become_pdf_metadata():
    prs = Presentation(io.BytesIO(_deck(["one"])))
    props = prs.core_properties
    props.title, props.author = "Quarterly results", "Ada Lovelace"
    props.subject, props.keywords = "Finance", "revenue, costs"
    out = io.BytesIO()
    prs.save(out)
    meta = _render(out.getvalue())[0].metadata
    assert (meta.title, meta.author, meta.subject) == ("Quarterly results", "Ada Lovelace",
                                                       "Finance")
    assert meta["/Keywords"] == "revenue, costs" and meta["/Creator"] == "deckpipe"


# -- notes pages ----------------------------------------------------------------------


def _pixels(pdf: bytes, tmp_path, page: int = 1) -> Image.Image:
    path = tmp_path / "n.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", str(page), "-l", str(page),
                    "-singlefile", str(path), str(tmp_path / "n")], check=True)
    return Image.open(tmp_path / "n.png").convert("RGB")


def _is_red(p: tuple[int, int, int]) -> bool:
    return p[0] > 200 and p[1] < 60 and p[2] < 60


def test_notes_pages_show_the_slide_above_its_notes(tmp_path):
    deck = _deck(["Agenda", "Details"], notes={0: "Remember to smile."}, red=True)
    reader, report, pdf = _render(deck, notes=True)
    assert report.pages == 2 and report.as_dict()["summary"]["notes_pages"] is True
    page = reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (540, 720)
    assert "Remember to smile." in page.extract_text()
    assert "Remember" not in reader.pages[1].extract_text()  # slide 2 has no notes
    image = _pixels(pdf, tmp_path)
    w, h = image.size
    red_rows = [y for y in range(h) if any(_is_red(image.getpixel((x, y))) for x in range(w))]
    red_cols = [x for x in range(w) if _is_red(image.getpixel((x, h // 4)))]
    assert red_rows and red_rows[0] > 0.03 * h and red_rows[-1] < 0.5 * h  # top half only
    assert red_cols[0] > 0.1 * w and red_cols[-1] < 0.9 * w  # scaled, not full width
    # 4:3 slide keeps its aspect ratio within a pixel or two of rounding
    ratio = (red_cols[-1] - red_cols[0] + 1) / (red_rows[-1] - red_rows[0] + 1)
    assert abs(ratio - 4 / 3) < 0.08
    dark_below = [y for y in range(red_rows[-1] + 2, h)
                  if any(sum(image.getpixel((x, y))) < 450 for x in range(w))]
    assert dark_below  # the notes text is drawn below the slide


def test_notes_pages_take_their_size_from_the_deck():
    deck = _deck(["one"], notes_size=(Emu(Pt(600)), Emu(Pt(800))))
    reader, _, _ = _render(deck, notes=True)
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (600, 800)


def test_notes_pages_with_a_slide_range_and_outline():
    deck = _deck(["one", "two", "three"], notes={2: "third notes"})
    reader, report, _ = _render(deck, notes=True, slides="3")
    assert report.rendered == [3] and "third notes" in reader.pages[0].extract_text()
    assert [e.title for e in reader.outline] == ["three"]


# -- byte-identical output ------------------------------------------------------------

_RENDER_TO_HASH = """
import hashlib, io, sys
from deckpipe.render import RenderOptions, render_deck
for path in sys.argv[2:]:
    out = io.BytesIO()
    render_deck(path, out, options=RenderOptions(notes=sys.argv[1] == "notes"))
    print(hashlib.sha256(out.getvalue()).hexdigest())
"""


def _hashes(decks: list[str], seed: str, mode: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _RENDER_TO_HASH, mode, *decks],
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}, check=True)
    return done.stdout.split()


def test_identical_input_gives_identical_bytes_across_processes(corpus, tmp_path):
    built = tmp_path / "built.pptx"
    built.write_bytes(_deck(["one", "two"], notes={0: "n"}, red=True))
    decks = [str(corpus / "decks" / d) for d in (
        "poi/54542_cropped_bitmap.pptx", "poi/testPPT.pptx", "aspose-py/ConvertWithNote.pptx",
        "python-pptx/test.pptx",
    ) if (corpus / "decks" / d).is_file()] + [str(built)]
    assert len(decks) >= 4
    for mode in ("slides", "notes"):
        first = _hashes(decks, "1", mode)
        assert first == _hashes(decks, "2", mode)
        assert len(first) == len(decks)


def test_one_process_rendering_twice_gives_identical_bytes(corpus):
    deck = (corpus / "decks/poi/54542_cropped_bitmap.pptx").read_bytes()
    digests = {hashlib.sha256(_render(deck)[2]).hexdigest() for _ in range(2)}
    assert len(digests) == 1


# -- the report as a job carries it -----------------------------------------------------


def test_the_summary_counts_warnings_and_lists_substituted_fonts():
    report = RenderReport(pages=2, slides=3, rendered=[1, 3], warnings=[
        RenderWarning("glyphs_missing", "x", 1), RenderWarning("glyphs_missing", "y", 3),
        RenderWarning("font_substituted", "z", 1)])
    report.fonts_substituted.update({"Segoe UI": "Carlito", "Arial Narrow": "Liberation Sans"})
    summary = report.as_dict()["summary"]
    assert summary == {
        "slides_rendered": 2, "all_hidden": False, "notes_pages": False,
        "fonts_substituted": {"Arial Narrow": "Liberation Sans", "Segoe UI": "Carlito"},
        "warning_counts": {"font_substituted": 1, "glyphs_missing": 2},
    }


class _Settings:
    def result_url_for(self, job_id: str) -> str:
        return f"https://example.test/{job_id}"


class _Runtime:
    settings = _Settings()


def test_status_returns_the_report_summary_of_a_done_job():
    job = jobs.new_job(jobs.new_job_id(), "talk.pptx", input_bytes=1, input_sha256="0")
    now = datetime.now(UTC)
    job, _ = jobs.claim(job, now, lease_seconds=60, max_attempts=3, token="t")
    summary = {"slides_rendered": 1, "warning_counts": {"glyphs_missing": 1}}
    done, ok = jobs.complete(job, now, token="t", pages=1, result_bytes=10, duration_seconds=1,
                             warnings=({"code": "glyphs_missing"},), report=summary)
    assert ok
    stored = jobs.Job.from_dict(done.to_dict())  # survives the job store's round trip
    result = status.describe(_Runtime(), stored)["result"]
    assert result["report"] == summary and result["warnings"] == [{"code": "glyphs_missing"}]
