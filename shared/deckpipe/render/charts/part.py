"""Reading a chart part: series values from the caches, and small XML helpers.

A chart part stores, next to the formulas into its embedded workbook, the
values PowerPoint last showed (``c:numCache``/``c:strCache``, or literals);
those are what is drawn, so no spreadsheet is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from ..xml import C, flag, local, num
from .numfmt import number_label

MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"

KINDS = {
    "barChart": "bar",
    "bar3DChart": "bar",
    "lineChart": "line",
    "line3DChart": "line",
    "pieChart": "pie",
    "pie3DChart": "pie",
    "ofPieChart": "pie",
    "doughnutChart": "doughnut",
    "areaChart": "area",
    "area3DChart": "area",
    "scatterChart": "scatter",
    "radarChart": "radar",
    "stockChart": "stock",
    "surfaceChart": "line",  # each series a line: approximated, but no value is lost
    "surface3DChart": "line",
    "bubbleChart": "bubble",
}


@dataclass
class Series:
    name: str
    values: list[float | None]
    categories: list[str]
    xs: list[float | None]
    sp_pr: etree._Element | None
    element: etree._Element
    index: int
    format_code: str = "General"
    global_index: int = 0  # place among all the chart's series (automatic markers)


@dataclass
class Group:
    """One chart group (``c:barChart``...): its kind, element, series and axis ids."""

    kind: str
    element: etree._Element
    series: list[Series]
    ax_ids: list[str]

    @property
    def name(self) -> str:
        return local(self.element)

    def val(self, tag: str, default: str | None = None) -> str | None:
        return val(self.element, tag, default)

    @property
    def grouping(self) -> str:
        grouping = self.val("grouping", "clustered" if self.kind == "bar" else "standard") or ""
        if self.kind == "bar" and grouping == "standard":
            # 3-D columns one behind another: flat, they would hide each other
            return "clustered"
        return grouping

    @property
    def stacked(self) -> bool:
        return self.grouping in ("stacked", "percentStacked")

    @property
    def horizontal(self) -> bool:
        return self.kind == "bar" and self.val("barDir", "col") == "bar"

    @property
    def vary_colors(self) -> bool:
        """Points coloured one by one: pies by default, other kinds with one series only."""
        vary = on(self.element, "varyColors", self.kind in ("pie", "doughnut"))
        return vary and (self.kind in ("pie", "doughnut") or len(self.series) == 1)


def val(el: etree._Element | None, tag: str, default: str | None = None) -> str | None:
    found = el.find(C + tag) if el is not None else None
    return found.get("val", default) if found is not None else default


def on(el: etree._Element | None, tag: str, absent: bool = False) -> bool:
    """A boolean child (``<c:delete/>`` alone means true, as in the schema)."""
    found = el.find(C + tag) if el is not None else None
    return absent if found is None else flag(found.get("val"), True)


def chart_style(root: etree._Element) -> int:
    """``c:style`` (1..48; 2 when absent), also when wrapped in ``mc:AlternateContent``."""
    found = root.find(C + "style")
    if found is None:
        found = root.find(f"{MC}AlternateContent/{MC}Fallback/{C}style")
    if found is None:
        for el in root.iter():
            if isinstance(el.tag, str) and el.tag.endswith("}style") and el.get("val"):
                v = int(num(el.get("val"), 2))
                return v - 100 if v > 100 else v
        return 2
    return int(num(found.get("val"), 2))


def _cache_points(el: etree._Element | None) -> list[tuple[int, str]]:
    if el is None:
        return []
    points = []
    for pt_el in el.iter(C + "pt"):
        v = pt_el.findtext(C + "v")
        if v is not None:
            points.append((int(num(pt_el.get("idx"), len(points))), v))
    return points


def strings(el: etree._Element | None) -> list[str]:
    """Category labels from ``c:cat``/``c:tx`` (str/num/multi-level caches or literals)."""
    if el is None:
        return []
    if (v := el.find(C + "v")) is not None:
        return [v.text or ""]
    lvl = el.find(f"{C}multiLvlStrRef/{C}multiLvlStrCache/{C}lvl")
    points = _cache_points(lvl if lvl is not None else el)
    if not points:
        return []
    out = [""] * (max(i for i, _ in points) + 1)
    code = el.findtext(f".//{C}numCache/{C}formatCode") or "General"
    for i, v in points:
        out[i] = number_label(v, code)
    return out


def numbers(el: etree._Element | None) -> tuple[list[float | None], str]:
    """Values of a ``c:val``/``c:yVal``/``c:xVal`` and their cached format code."""
    if el is None:
        return [], "General"
    cache = next(el.iter(C + "numCache", C + "numLit"), None)
    points = _cache_points(cache if cache is not None else el)
    count = max((i + 1 for i, _ in points), default=0)
    declared = cache.find(C + "ptCount") if cache is not None else None
    if declared is not None:
        count = min(int(num(declared.get("val"), count)), 100_000)
    out: list[float | None] = [None] * max(count, 0)
    for i, v in points:
        if 0 <= i < count:
            f = num(v, math.nan)
            out[i] = None if math.isnan(f) else f
    fmt = cache.findtext(C + "formatCode") if cache is not None else None
    return out, fmt or "General"


def read_series(group: etree._Element) -> list[Series]:
    """The group's series in their ``c:order`` (the order PowerPoint draws and lists them)."""
    found = []
    for n, ser in enumerate(group.iterfind(C + "ser")):
        tx = ser.find(C + "tx")
        name = (strings(tx) or [""])[0] if tx is not None else ""
        y_el = ser.find(C + "val")
        vals, fmt = numbers(y_el if y_el is not None else ser.find(C + "yVal"))
        x_el = ser.find(C + "xVal")
        xs, _ = numbers(x_el)
        if x_el is not None and not any(v is not None for v in xs):
            xs = [float(i + 1) for i in range(len(strings(x_el)))]
        cats = strings(ser.find(C + "cat")) or strings(x_el)
        idx = int(num(val(ser, "idx"), n))
        order = num(val(ser, "order"), n)
        series = Series(
            name or f"Series {idx + 1}", vals, cats, xs, ser.find(C + "spPr"), ser, idx, fmt
        )
        found.append((order, n, series))
    return [s for _, _, s in sorted(found, key=lambda t: (t[0], t[1]))]


def read_groups(plot_area: etree._Element | None) -> tuple[list[Group], list[str]]:
    """The drawable chart groups of a plot area, and notes on what is not drawn."""
    groups, notes = [], []
    for g in plot_area if plot_area is not None else []:
        if not isinstance(g.tag, str):
            continue
        name = local(g)
        if name not in KINDS:
            continue
        kind = KINDS[name]
        if kind is None:
            notes.append(f"{name} charts are not drawn.")
            continue
        if name.startswith("surface"):
            notes.append(f"A {name} is drawn as a line chart of its series.")
        elif "3D" in name:
            notes.append(f"A {name} is drawn as its 2-D form.")
        ax_ids = [a.get("val", "") for a in g.iterfind(C + "axId")]
        groups.append(Group(kind, g, read_series(g), ax_ids))
    for n, series in enumerate(s for group in groups for s in group.series):
        series.global_index = n
    return groups, notes


def fmt_code(el: etree._Element | None) -> str | None:
    """An explicit ``c:numFmt`` (not linked to the source) of an axis or labels."""
    nf = el.find(C + "numFmt") if el is not None else None
    if nf is None or flag(nf.get("sourceLinked"), False):
        return None
    return nf.get("formatCode") or None


def fraction_val(value: str | None) -> float:
    """``holeSize``-style percentages (10..90) as a fraction."""
    v = num(value, 50)
    return min(max(v, 1.0), 99.0) / 100
