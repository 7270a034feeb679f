"""Data labels (``c:dLbls``): what a point's label says, in which font, where."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ..model import Box
from ..xml import C, num
from .numfmt import fmt
from .part import Group, Series, fmt_code, on, val
from .style import Canvas, Font, label, text_width

_SHOW = ("showVal", "showPercent", "showCatName", "showSerName")


@dataclass
class DataLabels:
    shown: dict[str, bool]
    font: Font
    position: str
    code: str
    deleted: set[int]
    separator: str

    def text(self, s: Series, i: int, v: float, total: float = 0.0) -> str:
        if i in self.deleted:
            return ""
        parts = []
        if self.shown["showSerName"]:
            parts.append(s.name)
        if self.shown["showCatName"] and i < len(s.categories):
            parts.append(s.categories[i])
        if self.shown["showVal"]:
            parts.append(fmt(v, self.code))
        if self.shown["showPercent"] and total:
            parts.append(fmt(v / total, "0%"))
        return self.separator.join(p for p in parts if p)

    def place(self, canvas: Canvas, text: str, x: float, y: float) -> None:
        """Draw ``text`` centred on (x, y)."""
        if not text:
            return
        w = text_width(text, self.font) + 8
        h = self.font.size * 1.3 * (text.count("\n") + 1)
        canvas.items.append(label(text, Box(x - w / 2, y - h / 2, w, h), self.font))

    @property
    def height(self) -> float:
        return self.font.size * 1.3


def data_labels(canvas: Canvas, group: Group, s: Series, default_pos: str) -> DataLabels | None:
    """The series' data labels (series ``c:dLbls`` over the group's), None when none show."""
    sources = [
        el
        for el in (s.element.find(C + "dLbls"), group.element.find(C + "dLbls"))
        if el is not None
    ]
    if not sources:
        return None
    shown = {}
    for what in _SHOW:
        shown[what] = next((on(el, what) for el in sources if el.find(C + what) is not None), False)
    deleted = set()
    for el in sources[:1]:
        for d in el.iterfind(C + "dLbl"):
            if on(d, "delete"):
                deleted.add(int(num(val(d, "idx"), -1)))
    if on(sources[0], "delete") or not any(shown.values()):
        return None
    tx_pr = next((el.find(C + "txPr") for el in sources if el.find(C + "txPr") is not None), None)
    font = canvas.text_font(tx_pr)
    position = next((val(el, "dLblPos") for el in sources if val(el, "dLblPos")), default_pos)
    code = next((c for el in sources if (c := fmt_code(el))), s.format_code)
    sep = next(
        (el.findtext(C + "separator") for el in sources if el.find(C + "separator") is not None),
        None,
    )
    separator = sep if sep is not None else ("\n" if position == "bestFit" else ", ")
    return DataLabels(shown, font, position or default_pos, code, deleted, separator)


def element_of(el: etree._Element | None, tag: str) -> etree._Element | None:
    return el.find(C + tag) if el is not None else None
