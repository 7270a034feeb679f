"""Notes pages: the slide scaled into the top of a portrait page, its notes below.

The slide is drawn by the ordinary ``Painter`` inside a scaled, clipped frame
of the notes page, so notes pages and slide pages can never drift apart. The
painter finishes every page it paints (``setPageSize`` + ``showPage``); a
``FramingCanvas`` lets the notes page suspend both while it composes the
slide image and the notes text on one page.

Where the slide image and the notes text go comes from the notes slide's
``sldImg`` and ``body`` placeholders (python-pptx inherits their positions from
the notes master); a slide without notes, or placeholders without positions,
get PowerPoint's default notes layout scaled to the notes page.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.presentation import Presentation
from pptx.slide import Slide
from reportlab import rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from .model import Box, Page, Paragraph, RenderWarning, TextItem, TextRun
from .paint import Painter
from .xml import P, pt

NOTES_FONT = "Calibri"
NOTES_SIZE = 12.0
DEFAULT_NOTES_SIZE = (540.0, 720.0)  # 7.5 x 10 in, PowerPoint's default p:notesSz
# PowerPoint's default notes master, as fractions of the notes page (x, y, w, h).
_DEFAULT_IMAGE = (1 / 6, 0.075, 2 / 3, 0.375)
_DEFAULT_BODY = (0.1, 0.475, 0.8, 0.45)
_BORDER = (0.0, 0.0, 0.0)


class FramingCanvas(Canvas):
    """A canvas whose page setup and page breaks can be suspended for a while.

    It also keeps memory down on long decks: each page's content stream is
    compressed as soon as the page is finished (reportlab keeps every page's
    drawing operators as text until the PDF is saved), and ``save`` writes the
    PDF object by object to the output file instead of assembling it all in
    memory first (reportlab's ``PDFFile`` joins every object into one string).
    """

    _framing = False

    @contextlib.contextmanager
    def framing(self) -> Iterator[None]:
        """Within this block ``setPageSize`` and ``showPage`` do nothing."""
        self._framing = True
        try:
            yield
        finally:
            self._framing = False

    def setPageSize(self, size: tuple[float, float]) -> None:  # noqa: N802 (reportlab's name)
        if not self._framing:
            super().setPageSize(size)

    def showPage(self) -> None:  # noqa: N802
        if not self._framing:
            super().showPage()
            self._seal_last_page()

    def save(self) -> None:
        """Save, streaming each formatted object straight to the output file.

        reportlab's ``PDFDocument.format`` creates its ``PDFFile`` by module-level
        name; it is swapped for ``_StreamingFile`` for the length of the save,
        under a lock, so concurrent saves in one process stay apart."""
        sink = self._filename
        if not callable(getattr(sink, "write", None)):
            super().save()
            return
        with _SAVE_LOCK:
            original = pdfdoc.PDFFile
            _StreamingFile.sink = sink
            pdfdoc.PDFFile = _StreamingFile
            try:
                super().save()
            finally:
                pdfdoc.PDFFile = original
                _StreamingFile.sink = None

    def _seal_last_page(self) -> None:
        """Replace the finished page's text stream by its deflated bytes, exactly as
        reportlab would write them at save (``PDFZCompress``), with the filter named."""
        pages = self._doc.Pages.pages
        page = pages[-1] if pages else None
        if page is None or page.Contents or not page.stream or not page.compression:
            return
        if rl_config.useA85:
            return  # reportlab would add ASCII85 too; leave such pages to it
        code = page.stream.encode("utf8") if isinstance(page.stream, str) else page.stream
        stream = pdfdoc.PDFStream(content=zlib.compress(code))
        stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        stream.__Comment__ = "page stream"
        page.Contents = stream
        page.stream = None


_SAVE_LOCK = threading.Lock()


class _StreamingFile(pdfdoc.PDFFile):
    """reportlab's PDF output collector, writing through to ``sink`` as objects
    are added (offsets stay exact: ``add`` counts what it writes)."""

    sink: BinaryIO | None = None

    def __init__(self, pdfVersion: tuple[int, int] = pdfdoc.PDF_VERSION_DEFAULT) -> None:  # noqa: N803
        super().__init__(pdfVersion)  # collects the header in self.strings
        sink = type(self).sink
        assert sink is not None
        sink.write(b"".join(self.strings))
        self.strings = []
        self.write = sink.write

    def format(self, document: pdfdoc.PDFDocument) -> bytes:
        return b""  # everything is written already


@dataclass(frozen=True)
class NotesLayout:
    """Where the slide image and the notes text go on the notes page, in points."""

    width: float
    height: float
    image: Box
    body: Box


def notes_page_size(prs: Presentation) -> tuple[float, float]:
    """``p:notesSz`` in points; a missing or absurd value gives the default."""
    size = prs.element.find(f"{P}notesSz")
    if size is None:
        return DEFAULT_NOTES_SIZE
    w, h = pt(size.get("cx")), pt(size.get("cy"))
    if not (36 <= w <= 4000 and 36 <= h <= 4000):
        return DEFAULT_NOTES_SIZE
    return w, h


def _scaled(fractions: tuple[float, float, float, float], w: float, h: float) -> Box:
    x, y, bw, bh = fractions
    return Box(x * w, y * h, bw * w, bh * h)


def default_layout(size: tuple[float, float]) -> NotesLayout:
    """PowerPoint's default notes layout on a page of this size."""
    w, h = size
    return NotesLayout(w, h, _scaled(_DEFAULT_IMAGE, w, h), _scaled(_DEFAULT_BODY, w, h))


def notes_layout(slide: Slide, size: tuple[float, float]) -> NotesLayout:
    """The slide-image and body boxes of this slide's notes page."""
    w, h = size
    default = default_layout(size)
    image, body = default.image, default.body
    if slide.has_notes_slide:
        for ph in slide.notes_slide.placeholders:
            box = _box_of(ph, w, h)
            if box is None:
                continue
            kind = ph.placeholder_format.type
            if kind == PP_PLACEHOLDER.SLIDE_IMAGE:
                image = box
            elif kind == PP_PLACEHOLDER.BODY:
                body = box
    return NotesLayout(w, h, image, body)


def _box_of(shape: object, page_w: float, page_h: float) -> Box | None:
    """A placeholder's position in points if it has a sane one on the page."""
    try:
        x, y, w, h = shape.left, shape.top, shape.width, shape.height  # type: ignore[attr-defined]
    except Exception:
        return None
    if None in (x, y, w, h):
        return None
    box = Box(x / 12700, y / 12700, w / 12700, h / 12700)
    if box.w < 10 or box.h < 10 or box.x + box.w / 2 > page_w or box.y + box.h / 2 > page_h:
        return None
    return box


def notes_paragraphs(slide: Slide) -> tuple[Paragraph, ...]:
    """The notes text as paragraphs: run sizes, bold and italic kept, the rest plain."""
    if not slide.has_notes_slide:
        return ()
    frame = slide.notes_slide.notes_text_frame
    if frame is None:
        return ()
    paragraphs = []
    for para in frame.paragraphs:
        runs = []
        for run in para.runs:
            if not run.text:
                continue
            font = run.font
            size = font.size.pt if font.size is not None else NOTES_SIZE
            runs.append(
                TextRun(
                    run.text.replace("\v", " "),
                    NOTES_FONT,
                    size,
                    bold=bool(font.bold),
                    italic=bool(font.italic),
                )
            )
        paragraphs.append(Paragraph(tuple(runs), empty_size=NOTES_SIZE, space_after=2.0))
    while paragraphs and not paragraphs[-1].runs:
        paragraphs.pop()
    return tuple(paragraphs)


def paint_notes_page(
    canvas: FramingCanvas, painter: Painter, slide_page: Page, layout: NotesLayout,
    paragraphs: tuple[Paragraph, ...],
) -> list[RenderWarning]:
    """Paint one notes page: white page with the notes text, then the slide
    fitted (aspect kept, centred) into the image box, then a thin border."""
    canvas.setPageSize((layout.width, layout.height))
    text = TextItem(layout.body, paragraphs) if paragraphs else None
    notes = Page(layout.width, layout.height, items=(text,) if text else ())
    box = layout.image
    scale = min(box.w / slide_page.width, box.h / slide_page.height)
    w, h = slide_page.width * scale, slide_page.height * scale
    left = box.x + (box.w - w) / 2
    bottom = layout.height - (box.y + (box.h - h) / 2) - h
    with canvas.framing():
        problems = painter.paint(notes)
        canvas.saveState()
        canvas.translate(left, bottom)
        canvas.scale(scale, scale)
        clip = canvas.beginPath()
        clip.rect(0, 0, slide_page.width, slide_page.height)
        canvas.clipPath(clip, stroke=0, fill=0)
        problems += painter.paint(slide_page)
        canvas.restoreState()
        canvas.setStrokeColorRGB(*_BORDER)
        canvas.setLineWidth(0.5)
        canvas.rect(left, bottom, w, h, stroke=1, fill=0)
    canvas.showPage()
    return problems
