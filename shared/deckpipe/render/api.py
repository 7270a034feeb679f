"""``render_deck``: the one entry point the rest of deckpipe calls.

It owns the policy (which slides, what to do with no or only hidden slides,
which errors are the deck's fault) and wires the two rooms together: the
resolver turns each slide into a ``Page``, the painter draws it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from pptx.presentation import Presentation
from pptx.slide import Slide
from reportlab.pdfgen.canvas import Canvas

from ..errors import DeckError
from .model import Page, RenderWarning
from .package import open_deck
from .paint import Painter
from .resolve import DeckResolver, Limits
from .xml import flag

PDF_CREATOR = "deckpipe"


@dataclass(frozen=True)
class RenderOptions:
    """Knobs and resource bounds for one rendering."""

    include_hidden: bool = False
    max_shapes: int = 100_000
    max_image_pixels: int = 50_000_000
    max_uncompressed_bytes: int = 1 << 30


@dataclass
class RenderReport:
    """What was rendered: page count, which slides (1-based), and warnings."""

    pages: int
    slides: int
    rendered: list[int] = field(default_factory=list)
    all_hidden: bool = False
    warnings: list[RenderWarning] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "pages": self.pages,
            "slides": self.slides,
            "rendered": list(self.rendered),
            "all_hidden": self.all_hidden,
            "warnings": [w.as_dict() for w in self.warnings],
        }


def _core_metadata(prs: Presentation, canvas: Canvas) -> None:
    """Copy title/author/subject from the deck; a bad core.xml only loses metadata."""
    canvas.setCreator(PDF_CREATOR)
    canvas.setProducer(PDF_CREATOR)
    try:
        props = prs.core_properties
        title, author, subject = props.title, props.author, props.subject
    except Exception:
        return
    if title:
        canvas.setTitle(title)
    if author:
        canvas.setAuthor(author)
    if subject:
        canvas.setSubject(subject)


def render_deck(
    source: BinaryIO | bytes | str | os.PathLike,
    out: BinaryIO,
    *,
    progress: Callable[[int, int], None] | None = None,
    options: RenderOptions | None = None,
) -> RenderReport:
    """Render a deck to PDF on ``out``: one page per visible slide, in order.

    Raises ``DeckError`` when the deck cannot be read or exceeds a bound;
    problems confined to a shape or a slide become warnings in the report.
    Pictures over ``max_image_pixels`` are skipped with a ``picture_too_large``
    warning rather than failing the deck.
    """
    options = options or RenderOptions()
    prs = open_deck(source, options.max_uncompressed_bytes)
    try:
        slides = list(prs.slides)
    except Exception as exc:
        raise DeckError(f"The deck's slide list cannot be read ({exc}).") from exc
    resolver = DeckResolver(prs, Limits(options.max_shapes, options.max_image_pixels))
    report = RenderReport(pages=0, slides=len(slides))

    hidden = [not flag(s.element.get("show"), True) for s in slides]
    chosen = [i for i, h in enumerate(hidden) if options.include_hidden or not h]
    if slides and not chosen:
        chosen = list(range(len(slides)))
        report.all_hidden = True
        report.warnings.append(
            RenderWarning("all_slides_hidden", "Every slide is hidden; all were rendered.")
        )

    canvas = Canvas(out, pagesize=(resolver.width, resolver.height), invariant=1)
    _core_metadata(prs, canvas)
    painter = Painter(canvas)
    total = len(chosen)
    if progress:
        progress(0, total)

    if not slides:
        report.warnings.append(RenderWarning("no_slides", "The deck has no slides."))
        painter.paint(resolver.blank_page())
        report.pages = 1
    for done, index in enumerate(chosen, start=1):
        number = index + 1
        page, warnings = _resolve(resolver, slides[index], number)
        problems = painter.paint(page)
        report.warnings += warnings
        report.warnings += [RenderWarning(p.code, p.message, number) for p in problems]
        report.rendered.append(number)
        report.pages += 1
        if progress:
            progress(done, total)
    canvas.save()
    return report


def _resolve(resolver: DeckResolver, slide: Slide, number: int) -> tuple[Page, list[RenderWarning]]:
    """Resolve a slide; a slide-level failure yields a blank page and a warning."""
    try:
        return resolver.resolve_slide(slide, number)
    except DeckError:
        raise
    except Exception as exc:
        warning = RenderWarning(
            "slide_unreadable",
            f"Slide {number} could not be read and is blank: {type(exc).__name__}: {exc}",
            number,
        )
        return resolver.blank_page(), [warning]
