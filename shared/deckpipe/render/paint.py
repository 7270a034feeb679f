"""The painter: draws resolved ``Page``s on a reportlab canvas.

It knows nothing about decks. Each item is drawn in its own local frame:
the origin moved to the box centre, rotated clockwise by the box rotation
and flipped as the box says (text is never mirrored). PDF's y axis points
up, so slide y becomes ``height - y``. Text layout (wrapping, alignment,
anchoring) happens here because it needs font metrics.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from . import fonts, images
from .model import (
    Box,
    DrawItem,
    ImageItem,
    Page,
    Paragraph,
    RenderWarning,
    ShapeItem,
    TextItem,
    TextRun,
)

# Binary image streams: ASCII85 only inflates the PDF, and reportlab's
# pure-Python encoder dominated render time on picture-heavy decks.
rl_config.useA85 = 0


@dataclass
class _Frag:
    """A piece of one run on one line, with its PDF font."""

    run: TextRun
    text: str
    font: str
    width: float


@dataclass
class _Line:
    frags: list[_Frag]
    width: float  # without trailing spaces
    size: float


class Painter:
    """Paints pages onto one canvas; caches decoded images across pages."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._images: dict[bytes, str] = {}  # image digest -> form name
        self._glyphs_missing = False

    def paint(self, page: Page) -> list[RenderWarning]:
        """Draw one page and finish it; returns problems (without slide numbers)."""
        c = self.canvas
        c.setPageSize((page.width, page.height))
        self._glyphs_missing = False
        problems: list[RenderWarning] = []
        self._background(page, problems)
        for item in page.items:
            c.saveState()
            try:
                self._item(item, page.height)
            except Exception as exc:
                problems.append(
                    RenderWarning(
                        "picture_unreadable" if isinstance(item, ImageItem) else "shape_skipped",
                        f"A {type(item).__name__} could not be painted: "
                        f"{type(exc).__name__}: {exc}",
                    )
                )
            finally:
                c.restoreState()
        if self._glyphs_missing:
            problems.append(
                RenderWarning(
                    "glyphs_missing",
                    "Some characters cannot be shown with the standard PDF fonts "
                    "and were replaced by '?'.",
                )
            )
        c.showPage()
        return problems

    # -- helpers --------------------------------------------------------------

    def _background(self, page: Page, problems: list[RenderWarning]) -> None:
        c = self.canvas
        c.setFillColorRGB(*page.background.color)
        c.rect(0, 0, page.width, page.height, stroke=0, fill=1)
        if page.background.image:
            try:
                form = self._image_form(page.background.image)
                c.saveState()
                c.scale(page.width, page.height)
                c.doForm(form)
                c.restoreState()
            except Exception as exc:
                problems.append(RenderWarning("picture_unreadable", f"Background image: {exc}"))

    def _image_form(self, data: bytes) -> str:
        """A form XObject drawing the image in the unit square, made once per image.

        Reusing the form keeps a logo repeated on every slide to one decode
        and one image stream (drawImage alone re-hashes the pixels per use).
        """
        key = hashlib.sha1(data).digest()
        if key not in self._images:
            reader, has_alpha = images.prepare(data)
            name = f"img{len(self._images)}"
            c = self.canvas
            c.beginForm(name, 0, 0, 1, 1)
            c.drawImage(reader, 0, 0, 1, 1, mask="auto" if has_alpha else None)
            c.endForm()
            self._images[key] = name
        return self._images[key]

    def _enter(self, box: Box, page_height: float, mirror: bool = True) -> None:
        c = self.canvas
        c.translate(box.cx, page_height - box.cy)
        if box.rot:
            c.rotate(-box.rot)
        if mirror and (box.flip_h or box.flip_v):
            c.scale(-1 if box.flip_h else 1, -1 if box.flip_v else 1)

    def _item(self, item: DrawItem, page_height: float) -> None:
        if isinstance(item, ShapeItem):
            self._enter(item.box, page_height)
            self._shape(item)
        elif isinstance(item, ImageItem):
            self._enter(item.box, page_height)
            self._image(item)
        elif isinstance(item, TextItem):
            self._enter(item.box, page_height, mirror=False)
            self._text(item)

    # -- shapes and images ---------------------------------------------------------

    def _shape(self, item: ShapeItem) -> None:
        c = self.canvas
        w, h = item.box.w, item.box.h
        fill = item.fill is not None and item.kind != "line"
        stroke = item.stroke is not None
        if not (fill or stroke):
            return
        if item.fill is not None:
            c.setFillColorRGB(*item.fill.color)
            if item.fill.alpha < 1:
                c.setFillAlpha(item.fill.alpha)
        if item.stroke is not None:
            c.setStrokeColorRGB(*item.stroke.color)
            c.setLineWidth(item.stroke.width)
            if item.stroke.alpha < 1:
                c.setStrokeAlpha(item.stroke.alpha)
            if item.stroke.dashed:
                c.setDash(3 * item.stroke.width, 2 * item.stroke.width)
        x0, y0 = -w / 2, -h / 2
        if item.kind == "line":
            c.line(-w / 2, h / 2, w / 2, -h / 2)
        elif item.kind == "ellipse":
            c.ellipse(x0, y0, w / 2, h / 2, stroke=int(stroke), fill=int(fill))
        elif item.kind == "roundRect" and item.corner > 0:
            radius = item.corner * min(w, h)
            c.roundRect(x0, y0, w, h, radius, stroke=int(stroke), fill=int(fill))
        elif item.kind == "path" and item.path:
            path = c.beginPath()
            for op, pts in item.path:
                xy = [(x0 + pts[i] * w, h / 2 - pts[i + 1] * h) for i in range(0, len(pts), 2)]
                if op == "M":
                    path.moveTo(*xy[0])
                elif op == "L":
                    path.lineTo(*xy[0])
                elif op == "C":
                    path.curveTo(*xy[0], *xy[1], *xy[2])
                elif op == "Z":
                    path.close()
            c.drawPath(path, stroke=int(stroke), fill=int(fill))
        else:
            c.rect(x0, y0, w, h, stroke=int(stroke), fill=int(fill))

    def _image(self, item: ImageItem) -> None:
        c = self.canvas
        w, h = item.box.w, item.box.h
        left, top, right, bottom = item.crop
        show_w, show_h = 1 - left - right, 1 - top - bottom
        if show_w <= 0.001 or show_h <= 0.001 or w <= 0 or h <= 0:
            return
        form = self._image_form(item.data)
        full_w, full_h = w / show_w, h / show_h
        x = -w / 2 - left * full_w
        y = h / 2 + top * full_h - full_h
        if any(item.crop):
            clip = c.beginPath()
            clip.rect(-w / 2, -h / 2, w, h)
            c.clipPath(clip, stroke=0, fill=0)
        if item.alpha < 1:
            c.setFillAlpha(item.alpha)
        c.translate(x, y)
        c.scale(full_w, full_h)
        c.doForm(form)

    # -- text -------------------------------------------------------------------------

    def _text(self, item: TextItem) -> None:
        w, h = item.box.w, item.box.h
        left, top, right, bottom = item.insets
        avail = max(w - left - right, 1.0)
        laid = [self._layout(p, avail, item.wrap) for p in item.paragraphs]
        total = 0.0
        for i, (para, lines) in enumerate(zip(item.paragraphs, laid, strict=True)):
            total += (para.space_before if i else 0.0) + para.space_after
            total += sum(_line_height(para, line) for line in lines)
        if item.anchor == "ctr":
            cursor = top + (h - top - bottom - total) / 2
        elif item.anchor == "b":
            cursor = h - bottom - total
        else:
            cursor = top
        for i, (para, lines) in enumerate(zip(item.paragraphs, laid, strict=True)):
            cursor += para.space_before if i else 0.0
            for n, line in enumerate(lines):
                height = _line_height(para, line)
                baseline = cursor + height - 0.22 * line.size
                start = left + para.margin_left + (para.indent if n == 0 and not para.bullet else 0)
                if n == 0 and para.bullet is not None and line.frags:
                    self._bullet(para, -w / 2 + left + para.margin_left + para.indent,
                                 h / 2 - baseline)  # fmt: skip
                room = max(w - right - start, 0.0)
                if para.align == "ctr":
                    x = start + (room - line.width) / 2
                elif para.align == "r":
                    x = start + room - line.width
                else:
                    x = start
                self._draw_line(line, -w / 2 + x, h / 2 - baseline)
                cursor += height
            cursor += para.space_after

    def _bullet(self, para: Paragraph, x: float, y: float) -> None:
        bullet = para.bullet
        assert bullet is not None
        text, missing = fonts.encodable(bullet.text)
        self._glyphs_missing |= missing
        c = self.canvas
        c.setFillColorRGB(*bullet.color)
        c.setFont(fonts.pdf_font(bullet.font, False, False), bullet.size)
        c.drawString(x, y, text)

    def _draw_line(self, line: _Line, x: float, y: float) -> None:
        """Draw a line, one string per run so the text layer reads naturally."""
        c = self.canvas
        merged: list[_Frag] = []
        for frag in line.frags:
            if merged and merged[-1].run is frag.run:
                last = merged[-1]
                text, width = last.text + frag.text, last.width + frag.width
                merged[-1] = _Frag(frag.run, text, frag.font, width)
            else:
                merged.append(frag)
        for frag in merged:
            run, text = frag.run, frag.text.rstrip()
            if text.strip():
                c.setFillColorRGB(*run.color)
                c.setFont(frag.font, run.size)
                c.drawString(x, y, text)
                if run.underline:
                    end = x + fonts.text_width(text, frag.font, run.size)
                    c.setStrokeColorRGB(*run.color)
                    c.setLineWidth(max(0.5, run.size / 18))
                    c.line(x, y - 0.12 * run.size, end, y - 0.12 * run.size)
            x += frag.width

    def _layout(self, para: Paragraph, avail: float, wrap: bool) -> list[_Line]:
        """Greedy word wrap of one paragraph into lines of at most ``avail`` points."""
        first_room = avail - para.margin_left - (0 if para.bullet else para.indent)
        rest_room = avail - para.margin_left
        lines: list[_Line] = []
        current: list[_Frag] = []
        width = 0.0
        last_size = para.runs[0].size if para.runs else para.empty_size

        def finish() -> None:
            nonlocal current, width
            trimmed = width - _trailing_space(current)
            size = max((f.run.size for f in current if f.text), default=last_size)
            lines.append(_Line(current, trimmed, size))
            current, width = [], 0.0

        for word in self._words(para):
            if word is None:
                finish()
                continue
            word_w = sum(f.width for f in word)
            room = first_room if not lines else rest_room
            if wrap and current and width + word_w - _trailing_space(word) > room:
                finish()
                room = rest_room
            if wrap and not current and word_w - _trailing_space(word) > room:
                for piece in _split_long(word, room):
                    current = piece
                    width = sum(f.width for f in piece)
                    finish()
                lines.pop()
                current, width = piece, sum(f.width for f in piece)
                continue
            current.extend(word)
            width += word_w
            last_size = word[-1].run.size
        if current or not lines:
            finish()
        return lines

    def _words(self, para: Paragraph) -> list[list[_Frag] | None]:
        """Unbreakable units (word plus its trailing spaces, possibly spanning runs);
        None marks a forced line break."""
        words: list[list[_Frag] | None] = []
        current: list[_Frag] = []
        after_space = False
        for run in para.runs:
            if run.text == "\n" or run.text == "\x0b":
                if current:
                    words.append(current)
                words.append(None)
                current, after_space = [], False
                continue
            text, missing = fonts.encodable(run.text.replace("\n", " ").replace("\x0b", " "))
            self._glyphs_missing |= missing
            font = fonts.pdf_font(run.font, run.bold, run.italic)
            for token in _tokens(text):
                is_space = token.isspace()
                if not is_space and after_space and current:
                    words.append(current)
                    current = []
                current.append(_Frag(run, token, font, fonts.text_width(token, font, run.size)))
                after_space = is_space
        if current:
            words.append(current)
        return words


def _tokens(text: str) -> list[str]:
    """Split into alternating runs of non-space and space characters."""
    out: list[str] = []
    for ch in text:
        if out and out[-1][-1].isspace() == ch.isspace():
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _trailing_space(frags: list[_Frag]) -> float:
    return frags[-1].width if frags and frags[-1].text.isspace() else 0.0


def _split_long(word: list[_Frag], room: float) -> list[list[_Frag]]:
    """Break a word wider than the line at character boundaries."""
    pieces: list[list[_Frag]] = [[]]
    width = 0.0
    for frag in word:
        for ch in frag.text:
            cw = fonts.text_width(ch, frag.font, frag.run.size)
            if width + cw > room and pieces[-1]:
                pieces.append([])
                width = 0.0
            piece = pieces[-1]
            if piece and piece[-1].run is frag.run:
                last = piece[-1]
                piece[-1] = _Frag(frag.run, last.text + ch, frag.font, last.width + cw)
            else:
                piece.append(_Frag(frag.run, ch, frag.font, cw))
            width += cw
    return pieces


def _line_height(para: Paragraph, line: _Line) -> float:
    if para.line_spacing_pt is not None:
        return para.line_spacing_pt
    return 1.2 * line.size * para.line_spacing
