"""``render_deck``: the one entry point the rest of deckpipe calls.

It owns the policy (which slides, what to do with no or only hidden slides,
which errors are the deck's fault, slide pages or notes pages, the PDF's
outline and metadata) and wires the two rooms together: the resolver turns
each slide into a ``Page``, the painter draws it.

Output is byte-identical for identical input and options: the canvas runs in
reportlab's invariant mode (fixed dates and document id) and nothing here
depends on time, hash order or the environment.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree
from pptx.opc.package import Part
from pptx.presentation import Presentation
from pptx.slide import Slide
from reportlab.pdfgen.canvas import Canvas

from .. import logs
from ..errors import DeckError, plain_message
from . import fonts
from . import notes as notes_pages
from .model import Page, RenderWarning
from .package import open_deck
from .paint import Painter
from .parts import Budget, package_problems, release, root_attribute, slide_parts
from .resolve import DeckResolver, Limits
from .xml import A, P, flag

log = logs.get_logger(__name__)

PDF_CREATOR = "deckpipe"
MAX_TITLE = 200  # characters of a slide title kept for its bookmark


@dataclass(frozen=True)
class RenderOptions:
    """Knobs and resource bounds for one rendering.

    ``slides`` picks slides by 1-based number over all slides, hidden ones
    included ("1-3,7"); hidden slides among them are still left out unless
    ``include_hidden``. ``notes`` renders notes pages instead of slide pages.
    """

    include_hidden: bool = False
    slides: str | None = None
    notes: bool = False
    max_shapes: int = 100_000
    max_slide_shapes: int = 20_000
    max_image_pixels: int = 50_000_000
    max_uncompressed_bytes: int = 1 << 30
    max_part_bytes: int = 64 << 20

    def budget(self) -> Budget:
        return Budget(
            max_part_bytes=self.max_part_bytes,
            max_xml_part_bytes=min(self.max_part_bytes, Budget.max_xml_part_bytes),
            max_slide_shapes=self.max_slide_shapes,
        )


@dataclass
class RenderReport:
    """What was rendered: page count, which slides (1-based), and warnings.

    ``fonts_substituted`` maps a typeface the deck asks for to the font drawn
    in its place; the font machinery fills it (it also emits
    ``font_substituted`` warnings).
    """

    pages: int
    slides: int
    rendered: list[int] = field(default_factory=list)
    all_hidden: bool = False
    warnings: list[RenderWarning] = field(default_factory=list)
    fonts_substituted: dict[str, str] = field(default_factory=dict)
    notes: bool = False

    def summary(self) -> dict[str, object]:
        """A compact account of fidelity: what a user reads before the warnings."""
        counts = Counter(w.code for w in self.warnings)
        return {
            "slides_rendered": len(self.rendered),
            "all_hidden": self.all_hidden,
            "notes_pages": self.notes,
            "fonts_substituted": dict(sorted(self.fonts_substituted.items())),
            "warning_counts": dict(sorted(counts.items())),
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "pages": self.pages,
            "slides": self.slides,
            "rendered": list(self.rendered),
            "all_hidden": self.all_hidden,
            "summary": self.summary(),
            "warnings": [w.as_dict() for w in self.warnings],
        }


_RANGE_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_slide_range(spec: str, count: int) -> list[int]:
    """0-based slide indices, in deck order, for a spec like ``"1-3,7"``.

    Raises ``ValueError`` saying what is wrong with a malformed spec, a
    reversed range or a number outside 1..count.
    """
    chosen: set[int] = set()
    parts = spec.split(",")
    if not spec.strip():
        raise ValueError("The slide range is empty; use numbers like '1-3,7'.")
    for part in parts:
        m = _RANGE_PART.match(part)
        if not m:
            raise ValueError(
                f"Bad slide range {spec!r}: {part.strip()!r} is not a number or a range "
                "like '2-5'."
            )
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if first > last:
            raise ValueError(f"Bad slide range {spec!r}: {first}-{last} runs backwards.")
        if first < 1 or last > count:
            raise ValueError(
                f"Bad slide range {spec!r}: the deck has {count} slide(s), "
                f"numbered 1 to {count}."
                if count
                else f"Bad slide range {spec!r}: the deck has no slides."
            )
        chosen.update(range(first - 1, last))
    return sorted(chosen)


def _choose(
    slides: list[Part], options: RenderOptions, report: RenderReport
) -> list[int]:
    """Apply the slide range and the hidden-slide policy; warns in ``report``."""
    picked = (
        parse_slide_range(options.slides, len(slides))
        if options.slides is not None
        else list(range(len(slides)))
    )
    hidden = [not flag(root_attribute(s, "show"), True) for s in slides]
    chosen = [i for i in picked if options.include_hidden or not hidden[i]]
    if picked and not chosen:
        chosen = picked
        if len(picked) == len(slides):
            report.all_hidden = True
            report.warnings.append(
                RenderWarning("all_slides_hidden", "Every slide is hidden; all were rendered.")
            )
        else:
            report.warnings.append(
                RenderWarning(
                    "selected_slides_hidden",
                    "Every selected slide is hidden; they were rendered anyway.",
                )
            )
    return chosen


def _core_metadata(prs: Presentation, canvas: Canvas) -> None:
    """Copy title/author/subject/keywords; a bad core.xml only loses metadata."""
    canvas.setCreator(PDF_CREATOR)
    canvas.setProducer(PDF_CREATOR)
    try:
        props = prs.core_properties
        values = (props.title, props.author, props.subject, props.keywords)
    except Exception:
        return
    title, author, subject, keywords = (_clean(v) for v in values)
    if title:
        canvas.setTitle(title)
    if author:
        canvas.setAuthor(author)
    if subject:
        canvas.setSubject(subject)
    if keywords:
        canvas.setKeywords(keywords)


def _paragraph_text(paragraph: etree._Element) -> str:
    """A paragraph's run and field text, a line break as a space."""
    return "".join(
        " " if el.tag == A + "br" else el.text or ""
        for el in paragraph.iter(A + "t", A + "br")
    )


def _clean(value: object) -> str:
    """One line of text: whitespace (incl. PowerPoint's vertical tab) collapsed."""
    return " ".join(str(value or "").replace("\v", " ").split())


def slide_title(slide: Slide, number: int) -> str:
    """The title placeholder's text, else ``"Slide N"``: the slide's bookmark.

    Read from the XML directly: python-pptx's shape proxies kept released
    slides' trees alive (100 MB over a 336-slide deck)."""
    text = ""
    tree = slide.element.find(f"{P}cSld/{P}spTree")
    for shape in tree if tree is not None else ():
        ph = shape.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
        if ph is not None and ph.get("type") in ("title", "ctrTitle"):
            paragraphs = shape.findall(f"{P}txBody/{A}p")
            text = _clean(" ".join(_paragraph_text(p) for p in paragraphs))
            break
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1].rstrip() + "\u2026"
    return text or f"Slide {number}"


def render_deck(
    source: BinaryIO | bytes | str | os.PathLike,
    out: BinaryIO,
    *,
    progress: Callable[[int, int], None] | None = None,
    options: RenderOptions | None = None,
) -> RenderReport:
    """Render a deck to PDF on ``out``: one page per chosen slide, in order.

    Raises ``DeckError`` when the deck cannot be read or exceeds a bound, and
    ``ValueError`` for a bad ``options.slides``; problems confined to a shape or
    a slide become warnings in the report. Pictures over ``max_image_pixels``
    are skipped with a ``picture_too_large`` warning rather than failing the deck.
    """
    options = options or RenderOptions()
    if isinstance(source, str | os.PathLike):  # read from the file, not a copy in memory
        try:
            deck = open(source, "rb")  # noqa: SIM115 (closed below, after the whole render)
        except OSError as exc:
            raise DeckError(f"The deck could not be read: {exc}", code="corrupt_deck") from exc
        with deck:
            return render_deck(deck, out, progress=progress, options=options)
    try:
        prs = open_deck(source, options.max_uncompressed_bytes, options.budget())
        try:
            slides = slide_parts(prs)
        except Exception as exc:
            raise DeckError(f"The deck's slide list cannot be read ({exc}).") from exc
    except DeckError as exc:
        plain = _in_plain_words(exc)
        if plain is exc:
            raise
        raise plain from exc
    report = RenderReport(pages=0, slides=len(slides), notes=options.notes)
    chosen = _choose(slides, options, report)
    resolver = DeckResolver(prs, Limits(options.max_shapes, options.max_image_pixels))

    canvas = notes_pages.FramingCanvas(
        out, pagesize=(resolver.width, resolver.height), invariant=1
    )
    _core_metadata(prs, canvas)
    painter = Painter(canvas)
    fonts.start_recording()  # for report.fonts_substituted
    notes_size = notes_pages.notes_page_size(prs) if options.notes else None
    total = len(chosen)
    if progress:
        progress(0, total)

    if not slides:
        report.warnings.append(RenderWarning("no_slides", "The deck has no slides."))
        painter.paint(resolver.blank_page())
        report.pages = 1
    report.warnings += _recovered(prs, None)  # damaged masters, layouts, themes
    for done, index in enumerate(chosen, start=1):
        number = index + 1
        part = slides[index]
        page, warnings, slide = _resolve(resolver, part, number)
        _bookmark(canvas, slide, number)
        if notes_size is not None and slide is not None:
            problems = _paint_notes(canvas, painter, slide, page, notes_size, warnings, number)
        else:
            problems = painter.paint(page)
        del page
        release(part)  # the slide's XML trees: memory stays flat in the number of slides
        report.warnings += _recovered(prs, number)
        report.warnings += warnings
        report.warnings += [RenderWarning(p.code, p.message, number) for p in problems]
        report.rendered.append(number)
        report.pages += 1
        if progress:
            progress(done, total)
    if report.rendered:
        canvas.showOutline()
    canvas.save()
    report.fonts_substituted = fonts.substitutions()
    return report


def _in_plain_words(exc: DeckError) -> DeckError:
    """The error a user reads: a parser's own words ("AttributeError ... override_lst",
    "negative seek value") go to the log (with the job id), not into the message."""
    message = plain_message(exc.code, exc.message)
    if message == exc.message:
        return exc
    log.warning("the deck cannot be read: %s", exc.message)
    return DeckError(message, code=exc.code)


def _bookmark(canvas: Canvas, slide: Slide | None, number: int) -> None:
    """One outline entry per page, named by the slide's title."""
    key = f"slide{number}"
    canvas.bookmarkPage(key)
    title = slide_title(slide, number) if slide is not None else f"Slide {number}"
    canvas.addOutlineEntry(title, key, level=0, closed=True)


def _recovered(prs: Presentation, number: int | None) -> list[RenderWarning]:
    """``part_recovered`` warnings for XML parts read in lxml's recovery mode."""
    return [
        RenderWarning("part_recovered", f"The deck is damaged: {problem}.", number)
        for problem in package_problems(prs)
    ]


def _paint_notes(
    canvas: notes_pages.FramingCanvas,
    painter: Painter,
    slide: Slide,
    page: Page,
    size: tuple[float, float],
    warnings: list[RenderWarning],
    number: int,
) -> list[RenderWarning]:
    """A notes page; unreadable notes cost the notes text, not the page."""
    try:
        layout = notes_pages.notes_layout(slide, size)
        paragraphs = notes_pages.notes_paragraphs(slide)
    except Exception as exc:
        log.warning("the notes of slide %d cannot be read: %r", number, exc)
        warnings.append(
            RenderWarning(
                "notes_unreadable",
                f"The notes of slide {number} could not be read.",
                number,
            )
        )
        layout = notes_pages.default_layout(size)
        paragraphs = ()
    return notes_pages.paint_notes_page(canvas, painter, page, layout, paragraphs)


def _resolve(
    resolver: DeckResolver, part: Part, number: int
) -> tuple[Page, list[RenderWarning], Slide | None]:
    """Parse and resolve a slide; a slide-level failure yields a blank page and a
    warning (and no ``Slide``)."""
    try:
        slide = part.slide
        page, warnings = resolver.resolve_slide(slide, number)
        return page, warnings, slide
    except DeckError:
        raise
    except Exception as exc:
        log.warning("slide %d cannot be read: %r", number, exc)  # the user reads the warning
        warning = RenderWarning(
            "slide_unreadable",
            f"Slide {number} could not be read and is blank.",
            number,
        )
        return resolver.blank_page(), [warning], None
