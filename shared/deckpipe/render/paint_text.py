"""Text painting: wrapping, alignment, anchoring and drawing of text bodies.

Text layout lives in the painter's room because it needs font metrics; it is
kept apart from shapes and pictures so the font machinery (embedding,
per-character fallback, bidi) can change without touching the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from . import fonts
from .model import Paragraph, TextItem, TextRun


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


class TextPainter:
    """Draws ``TextItem``s on one canvas; remembers whether glyphs were missing."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.glyphs_missing = False

    def draw(self, item: TextItem) -> None:
        """Lay out and draw a text body in the current frame (origin at the box centre)."""
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
        self.glyphs_missing |= missing
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
            self.glyphs_missing |= missing
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
