"""Data labels (``c:dLbls``): what a point's label says, in which font, where.

Besides the shown values, names and percentages, a label may be a point's own
rich text (``c:dLbl/c:tx/c:rich``), whose ``CELLRANGE`` fields, and the
"value from cells" option (``c15:showDataLabelsRange``), take their text from
the series' cached label range (``c15:datalabelsRange``), as Office 2013+ and
generators write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ..model import Box
from ..xml import A, C, local, num
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
    custom: dict[int, str] = field(default_factory=dict)  # a point's own rich text
    cells: list[str] = field(default_factory=list)  # "value from cells", by point
    show_cells: bool = False

    def text(self, s: Series, i: int, v: float, total: float = 0.0) -> str:
        if i in self.deleted:
            return ""
        if i in self.custom:
            return self.custom[i]
        parts = []
        if self.show_cells and i < len(self.cells):
            parts.append(self.cells[i])
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
    cells = _cell_range(s.element)
    show_cells = any(_range_shown(el) for el in sources)
    custom: dict[int, str] = {}
    rich = None
    for d in sources[0].iterfind(C + "dLbl"):
        point_rich = d.find(f"{C}tx/{C}rich")
        if point_rich is not None and not on(d, "delete"):
            custom[int(num(val(d, "idx"), -1))] = _rich_text(point_rich, d, cells)
            rich = rich if rich is not None else point_rich
    if on(sources[0], "delete") or not (any(shown.values()) or custom or show_cells):
        return None
    tx_pr = next((el.find(C + "txPr") for el in sources if el.find(C + "txPr") is not None), None)
    font = canvas.text_font(rich) if rich is not None else canvas.text_font(tx_pr)
    point_pos = [val(d, "dLblPos") for d in sources[0].iterfind(C + "dLbl") if val(d, "dLblPos")]
    position = next((val(el, "dLblPos") for el in sources if val(el, "dLblPos")), None)
    position = position or (point_pos[0] if point_pos else default_pos)
    code = next((c for el in sources if (c := fmt_code(el))), s.format_code)
    sep = next(
        (el.findtext(C + "separator") for el in sources if el.find(C + "separator") is not None),
        None,
    )
    separator = sep if sep is not None else ("\n" if position == "bestFit" else ", ")
    return DataLabels(
        shown, font, position or default_pos, code, deleted, separator, custom, cells, show_cells
    )


def _cell_range(series: etree._Element) -> list[str]:
    """The series' cached "value from cells" label texts, by point index."""
    texts: dict[int, str] = {}
    for cache in series.iter("{*}dlblRangeCache"):
        for pt in cache.iterfind(C + "pt"):
            texts[int(num(pt.get("idx"), -1))] = pt.findtext(C + "v") or ""
    return [texts.get(i, "") for i in range(max(texts, default=-1) + 1)]


def _range_shown(dlbls: etree._Element) -> bool:
    flags = dlbls.iterfind("{*}extLst//{*}showDataLabelsRange")
    return any(el.get("val") in ("1", "true") for el in flags)


def _rich_text(rich: etree._Element, dlbl: etree._Element, cells: list[str]) -> str:
    """A label's own text: its runs and fields, ``CELLRANGE`` from the label range."""
    idx = int(num(val(dlbl, "idx"), -1))
    lines = []
    for p in rich.iterfind(A + "p"):
        parts = []
        for el in p:
            name = local(el)
            if name == "fld" and el.get("type") == "CELLRANGE":
                parts.append(cells[idx] if 0 <= idx < len(cells) else "")
            elif name in ("r", "fld"):
                parts.append(el.findtext(A + "t") or "")
            elif name == "br":
                parts.append("\n")
        lines.append("".join(parts))
    return "\n".join(lines).strip()


def element_of(el: etree._Element | None, tag: str) -> etree._Element | None:
    return el.find(C + tag) if el is not None else None
