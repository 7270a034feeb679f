"""Charts (``c:chartSpace`` parts) drawn from their cached values as plain shapes and text.

A chart part stores, next to the formulas into its embedded workbook, the
values PowerPoint last showed (``c:numCache``/``c:strCache``); those are
drawn here, so no spreadsheet is needed. Supported: bar/column (clustered,
stacked, percent-stacked), line, area, pie, doughnut and scatter, with
title, legend, axes, gridlines and value labels. 3-D variants are drawn as
their 2-D forms; other kinds (radar, stock, surface, bubble) are reported.
Layout follows PowerPoint's automatic layout loosely (title on top, legend
at its side, plot area with axis labels) unless a manual layout is given.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field, replace

from lxml import etree

from .colors import Palette, clr_map_from, fill_color
from .inherit import Theme
from .model import RGB, Box, DrawItem, Fill, Paragraph, ShapeItem, Stroke, TextItem, TextRun
from .xml import A, C, flag, local, num, pt

_KINDS = {
    "barChart": "bar", "bar3DChart": "bar", "lineChart": "line", "line3DChart": "line",
    "pieChart": "pie", "pie3DChart": "pie", "ofPieChart": "pie", "doughnutChart": "doughnut",
    "areaChart": "area", "area3DChart": "area", "scatterChart": "scatter",
    "radarChart": None, "stockChart": None, "surfaceChart": None, "surface3DChart": None,
    "bubbleChart": "bubble",
}  # fmt: skip
_GRID: RGB = (0.85, 0.85, 0.85)
_AXIS: RGB = (0.75, 0.75, 0.75)
_LABEL: RGB = (0.35, 0.35, 0.35)


@dataclass(frozen=True)
class ChartContext:
    palette: Palette
    theme: Theme


@dataclass
class Drawn:
    items: list[DrawItem] = field(default_factory=list)
    approximations: list[str] = field(default_factory=list)


@dataclass
class Series:
    name: str
    values: list[float | None]
    categories: list[str]
    xs: list[float | None]
    sp_pr: etree._Element | None
    element: etree._Element
    index: int


# -- reading -------------------------------------------------------------------------


def _cache_points(el: etree._Element | None) -> list[tuple[int, str]]:
    if el is None:
        return []
    points = []
    for pt_el in el.iter(C + "pt"):
        v = pt_el.findtext(C + "v")
        if v is not None:
            points.append((int(num(pt_el.get("idx"), len(points))), v))
    return points


def _strings(el: etree._Element | None) -> list[str]:
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
        out[i] = _number_label(v, code)
    return out


def _number_label(value: str, code: str) -> str:
    """A cached category number shown in its format (dates as m/d/yyyy)."""
    try:
        v = float(value)
    except ValueError:
        return value
    plain = code.split(";")[0].lower().replace("[$-409]", "")
    if any(ch in plain for ch in "dmy") and "0" not in plain and "#" not in plain:
        if not 0 <= v < 2_958_466:  # Excel's last date is 9999-12-31
            return value
        day = datetime.date(1899, 12, 30) + datetime.timedelta(days=int(v))
        if "mmm" in plain:
            return f"{day:%b} {day.year % 100:02d}" if "d" not in plain else f"{day.day}-{day:%b}"
        year = day.year % 100 if "yyyy" not in plain else day.year
        return f"{day.month}/{day.day}/{year}"
    return _fmt(v, code)


def _numbers(el: etree._Element | None) -> tuple[list[float | None], str]:
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
            out[i] = num(v, math.nan)
            if math.isnan(out[i]):  # type: ignore[arg-type]
                out[i] = None
    fmt = cache.findtext(C + "formatCode") if cache is not None else None
    return out, fmt or "General"


def _series(group: etree._Element) -> list[Series]:
    found = []
    for n, ser in enumerate(group.iterfind(C + "ser")):
        tx = ser.find(C + "tx")
        name = (_strings(tx) or [""])[0] if tx is not None else ""
        vals, _ = _numbers(
            ser.find(C + "val") if ser.find(C + "val") is not None else ser.find(C + "yVal")
        )
        x_el = ser.find(C + "xVal")
        xs, _ = _numbers(x_el)
        if x_el is not None and not any(v is not None for v in xs):
            xs = [float(i + 1) for i in range(len(_strings(x_el)))]
        cats = _strings(ser.find(C + "cat")) or _strings(x_el)
        idx = int(
            num(ser.find(C + "idx").get("val") if ser.find(C + "idx") is not None else None, n)
        )
        found.append(
            Series(name or f"Series {idx + 1}", vals, cats, xs, ser.find(C + "spPr"), ser, idx)
        )
    return found


def _val(el: etree._Element | None, tag: str, default: str | None = None) -> str | None:
    found = el.find(C + tag) if el is not None else None
    return found.get("val", default) if found is not None else default


# -- colours and text ------------------------------------------------------------------


def _auto_color(i: int, palette: Palette) -> RGB:
    """Office's automatic series colours: accents 1..6, then darker and lighter cycles."""
    base = palette.slot(f"accent{i % 6 + 1}")
    cycle = i // 6
    if cycle == 0:
        return base
    factor = (0.6, 1.4, 0.8, 1.2)[(cycle - 1) % 4]
    if factor < 1:
        return tuple(c * factor for c in base)  # type: ignore[return-value]
    return tuple(c + (1 - c) * (factor - 1) for c in base)  # type: ignore[return-value]


def _sp_fill(sp_pr: etree._Element | None, palette: Palette) -> Fill | None | bool:
    """The fill of a ``c:spPr``: a Fill, False for ``noFill``, None when not given."""
    if sp_pr is None:
        return None
    for c in sp_pr:
        name = local(c)
        if name == "noFill":
            return False
        if name in ("solidFill", "gradFill", "pattFill"):
            resolved = fill_color(c, palette)
            return Fill(*resolved) if resolved else None
    return None


def _sp_line(sp_pr: etree._Element | None, palette: Palette) -> Stroke | None | bool:
    ln = sp_pr.find(A + "ln") if sp_pr is not None else None
    if ln is None:
        return None
    if ln.find(A + "noFill") is not None:
        return False
    width = pt(ln.get("w"), 0.75)
    for c in ln:
        if local(c) in ("solidFill", "gradFill", "pattFill"):
            resolved = fill_color(c, palette)
            if resolved:
                return Stroke(resolved[0], max(width, 0.25), resolved[1])
    return None


@dataclass(frozen=True)
class _Font:
    face: str
    size: float
    color: RGB
    bold: bool = False


def _font(tx_pr: etree._Element | None, base: _Font, palette: Palette) -> _Font:
    """A ``c:txPr`` (or ``c:rich``) first-paragraph ``defRPr`` on top of ``base``."""
    if tx_pr is None:
        return base
    d = tx_pr.find(f"{A}p/{A}pPr/{A}defRPr")
    if d is None:
        d = tx_pr.find(f"{A}p/{A}r/{A}rPr")
    if d is None:
        return base
    size = num(d.get("sz"), base.size * 100) / 100
    bold = flag(d.get("b"), base.bold) if d.get("b") is not None else base.bold
    color = base.color
    fill = d.find(A + "solidFill")
    if fill is not None and (resolved := fill_color(fill, palette)) is not None:
        color = resolved[0]
    latin = d.find(A + "latin")
    face = latin.get("typeface", base.face) if latin is not None else base.face
    if face.startswith("+"):
        face = base.face
    return _Font(face, max(size, 1.0), color, bold)


def _label(text: str, box: Box, font: _Font, align: str = "ctr", anchor: str = "ctr") -> TextItem:
    run = TextRun(text, font.face, font.size, font.bold, False, False, font.color)
    return TextItem(box, (Paragraph((run,), align),), (0.0, 0.0, 0.0, 0.0), anchor, False)


def _fmt(v: float, code: str) -> str:
    """A value in an Excel number format, for the common shapes of format."""
    pct = "%" in code
    if pct:
        v *= 100
    decimals = 0
    if "." in code:
        decimals = len(code.split(".", 1)[1].split(";")[0].rstrip('%"_ )').replace("#", "0"))
        decimals = min(sum(1 for ch in code.split(".", 1)[1].split(";")[0] if ch in "0#"), 6)
    if code == "General" or (not pct and "0" not in code and "#" not in code):
        text = f"{v:.10g}" if abs(v) < 1e15 else f"{v:.4g}"
    else:
        text = f"{v:,.{decimals}f}" if "," in code else f"{v:.{decimals}f}"
    return text + ("%" if pct else "")


# -- scales --------------------------------------------------------------------------


def nice_scale(
    lo: float,
    hi: float,
    fixed_min: float | None = None,
    fixed_max: float | None = None,
    unit: float | None = None,
    steps: float = 6,
) -> tuple[float, float, float]:
    """(min, max, major unit) with round steps covering [lo, hi], as Excel picks them."""
    if fixed_min is not None:
        lo = fixed_min
    if fixed_max is not None:
        hi = fixed_max
    if hi <= lo:
        hi = lo + 1
    if unit is None or unit <= 0:
        raw = (hi - lo) / steps
        mag = 10 ** math.floor(math.log10(raw))
        unit = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = fixed_min if fixed_min is not None else math.floor(lo / unit + 1e-9) * unit
    end = fixed_max if fixed_max is not None else math.ceil(hi / unit - 1e-9) * unit
    if end <= start:
        end = start + unit
    return start, end, unit


# -- the chart -------------------------------------------------------------------------


def chart_items(root: etree._Element, box: Box, ctx: ChartContext) -> Drawn:
    """Draw a chart part's root (``c:chartSpace``) into ``box`` (slide points)."""
    return _Chart(root, box, ctx).draw()


class _Chart:
    def __init__(self, root: etree._Element, box: Box, ctx: ChartContext) -> None:
        self.root, self.box, self.theme = root, box, ctx.theme
        self.palette = ctx.palette.with_map(
            clr_map_from(root.find(f"{C}clrMapOvr"))
            if root.find(f"{C}clrMapOvr") is not None
            else {}
        )
        self.chart = root.find(C + "chart")
        self.out = Drawn()
        base = _Font(ctx.theme.minor_font, 10.0, _LABEL)
        self.font = _font(root.find(C + "txPr"), base, self.palette)

    def draw(self) -> Drawn:
        if self.chart is None:
            self.out.approximations.append("A chart part without c:chart is not drawn.")
            return self.out
        self._area(self.root.find(C + "spPr"), self.box)
        plot_area = self.chart.find(C + "plotArea")
        groups = []
        for g in plot_area if plot_area is not None else []:
            name = local(g)
            if name in _KINDS:
                if _KINDS[name] is None:
                    self.out.approximations.append(f"{name} charts are not drawn.")
                    continue
                if "3D" in name:
                    self.out.approximations.append(f"A {name} is drawn as its 2-D form.")
                groups.append((_KINDS[name], g))
        series = [s for _, g in groups for s in _series(g)]
        rect = self._title(self.box, series)
        rect = self._legend(rect, groups, series)
        if not groups:
            return self.out
        pad = min(rect.w, rect.h) * 0.04
        rect = Box(rect.x + pad, rect.y + pad, max(rect.w - 2 * pad, 1), max(rect.h - 2 * pad, 1))
        self._last_rect = rect
        kind = groups[0][0]
        if kind in ("pie", "doughnut"):
            self._pie(groups[0][1], kind, rect)
        else:
            self._axes_chart(groups, self._manual(plot_area, rect))
        return self.out

    # -- frame pieces ---------------------------------------------------------

    def _area(self, sp_pr: etree._Element | None, box: Box) -> None:
        fill = _sp_fill(sp_pr, self.palette)
        line = _sp_line(sp_pr, self.palette)
        if fill or line:
            self.out.items.append(
                ShapeItem("rect", box, fill or None, line or None)  # type: ignore[arg-type]
            )

    def _manual(self, plot_area: etree._Element | None, rect: Box) -> Box | None:
        ml = plot_area.find(f"{C}layout/{C}manualLayout") if plot_area is not None else None
        if ml is None or _val(ml, "w") is None or _val(ml, "h") is None:
            return None
        b = self.box
        x, y = num(_val(ml, "x", "0")), num(_val(ml, "y", "0"))
        w, h = num(_val(ml, "w", "1")), num(_val(ml, "h", "1"))
        if not (0 < w <= 1.01 and 0 < h <= 1.01):
            return None
        inner = _val(ml, "layoutTarget") == "inner"
        found = Box(b.x + x * b.w, b.y + y * b.h, w * b.w, h * b.h)
        return (
            found
            if inner
            else Box(found.x + 30, found.y + 5, max(found.w - 35, 1), max(found.h - 25, 1))
        )

    def _title(self, rect: Box, series: list[Series]) -> Box:
        title = self.chart.find(C + "title")
        deleted = flag(_val(self.chart, "autoTitleDeleted", "0"))
        text = ""
        font = _Font(self.font.face, self.font.size * 1.4, self.font.color, True)
        if title is not None:
            rich = title.find(f"{C}tx/{C}rich")
            if rich is not None:
                text = "\n".join(
                    "".join(t.text or "" for t in p.iter(A + "t")) for p in rich.iterfind(A + "p")
                )
                font = _font(rich, font, self.palette)
            elif (ref := title.find(C + "tx")) is not None:
                text = " ".join(_strings(ref.find(C + "strRef")) or _strings(ref))
            font = _font(title.find(C + "txPr"), font, self.palette)
            if not text and len(series) == 1:
                text = series[0].name
        elif not deleted and len(series) == 1 and _val(self.chart, "autoTitleDeleted") is not None:
            text = series[0].name
        if not text.strip():
            return rect
        lines = text.count("\n") + 1
        h = font.size * 1.3 * lines + 8
        self.out.items.append(_label(text, Box(rect.x, rect.y + 4, rect.w, h - 4), font))
        return Box(rect.x, rect.y + h, rect.w, max(rect.h - h, 1))

    def _legend(
        self, rect: Box, groups: list[tuple[str, etree._Element]], series: list[Series]
    ) -> Box:
        legend = self.chart.find(C + "legend")
        if legend is None or not groups:
            return rect
        font = _font(legend.find(C + "txPr"), self.font, self.palette)
        kind, group = groups[0]
        entries: list[tuple[str, Fill | None, Stroke | None]] = []
        if kind in ("pie", "doughnut") or (
            flag(_val(group, "varyColors", "0")) and len(series) == 1
        ):
            s = series[0] if series else None
            for i, cat in enumerate(s.categories if s else []):
                entries.append((cat, Fill(self._point_color(s, i)), None))  # type: ignore[arg-type]
        else:
            for s in series:
                fill, stroke = self._series_style(s, kind)
                entries.append((s.name, fill, stroke))
        if not entries:
            return rect
        pos = _val(legend, "legendPos", "r")
        size = font.size
        swatch = size * 0.7
        row_h = size * 1.5
        widths = [len(t) * size * 0.5 + swatch + size * 0.8 for t, _, _ in entries]
        if pos in ("b", "t"):
            total = sum(widths)
            lines = max(1, math.ceil(total / max(rect.w * 0.9, 1)))
            per_line = math.ceil(len(entries) / lines)
            h = row_h * lines + 6
            y0 = rect.y + rect.h - h + 3 if pos == "b" else rect.y + 3
            for ln in range(lines):
                chunk = list(range(ln * per_line, min(len(entries), (ln + 1) * per_line)))
                x = rect.x + (rect.w - sum(widths[i] for i in chunk)) / 2
                for i in chunk:
                    self._entry(entries[i], x, y0 + ln * row_h, swatch, row_h, font)
                    x += widths[i]
            return Box(rect.x, rect.y + (0 if pos == "b" else h), rect.w, max(rect.h - h, 1))
        w = min(max(widths) + 8, rect.w * 0.4)
        height = row_h * len(entries)
        x0 = rect.x + rect.w - w if pos in ("r", "tr") else rect.x + 4
        y0 = rect.y + (rect.h - height) / 2 if pos != "tr" else rect.y
        for i, e in enumerate(entries):
            self._entry(e, x0, y0 + i * row_h, swatch, row_h, font)
        return Box(rect.x + (w if pos == "l" else 0), rect.y, max(rect.w - w, 1), rect.h)

    def _entry(self, entry: tuple[str, Fill | None, Stroke | None], x: float, y: float,
               swatch: float, row_h: float, font: _Font) -> None:  # fmt: skip
        text, fill, stroke = entry
        sy = y + (row_h - swatch) / 2
        if fill is not None:
            self.out.items.append(ShapeItem("rect", Box(x, sy, swatch, swatch), fill))
        elif stroke is not None:
            self.out.items.append(
                ShapeItem("line", Box(x - 2, y + row_h / 2, swatch + 4, 0), None, stroke)
            )
        width = len(text) * font.size * 0.6 + 10
        self.out.items.append(
            _label(text, Box(x + swatch + font.size * 0.4, y, width, row_h), font, "l")
        )  # fmt: skip

    # -- series styling -------------------------------------------------------

    def _series_style(self, s: Series, kind: str) -> tuple[Fill | None, Stroke | None]:
        auto = _auto_color(s.index, self.palette)
        fill = _sp_fill(s.sp_pr, self.palette)
        line = _sp_line(s.sp_pr, self.palette)
        if kind in ("line", "scatter"):
            if line is False:
                return None, None
            return None, line or Stroke(fill.color if isinstance(fill, Fill) else auto, 2.25)
        return (fill if isinstance(fill, Fill) else None if fill is False else Fill(auto),
                line if isinstance(line, Stroke) else None)  # fmt: skip

    def _point_color(self, s: Series, i: int) -> RGB:
        for dpt in s.element.iterfind(C + "dPt"):
            if int(num(_val(dpt, "idx", "-1"))) == i:
                fill = _sp_fill(dpt.find(C + "spPr"), self.palette)
                if isinstance(fill, Fill):
                    return fill.color
        return _auto_color(i, self.palette)

    def _show_values(self, group: etree._Element, s: Series, what: str = "showVal") -> bool:
        """Whether data labels show ``what`` (series ``c:dLbls`` first, then the chart's)."""
        for el in (s.element.find(C + "dLbls"), group.find(C + "dLbls")):
            if el is not None and el.find(C + what) is not None:
                return flag(_val(el, what))
        return False

    # -- pie ----------------------------------------------------------------------

    def _pie(self, group: etree._Element, kind: str, rect: Box) -> None:
        series = _series(group)
        if not series:
            return
        s = series[0]
        values = [max(v or 0.0, 0.0) for v in s.values]
        total = sum(values)
        if total <= 0:
            return
        d = min(rect.w, rect.h)
        pie = Box(rect.x + (rect.w - d) / 2, rect.y + (rect.h - d) / 2, d, d)
        hole = fraction_val(_val(group, "holeSize", "50")) if kind == "doughnut" else 0.0
        angle = num(_val(group, "firstSliceAng", "0"))
        outline = Stroke((1.0, 1.0, 1.0), 0.75)
        labels = self._show_values(group, s)
        percents = self._show_values(group, s, "showPercent")
        names = self._show_values(group, s, "showCatName")
        _, fmt = _numbers(s.element.find(C + "val"))
        for i, v in enumerate(values):
            if v <= 0:
                continue
            sweep = v / total * 360
            path = _sector(angle, sweep, hole)
            self.out.items.append(
                ShapeItem("path", pie, Fill(self._point_color(s, i)), outline, 0.0, path)
            )
            parts = [s.categories[i] if names and i < len(s.categories) else "",
                     _fmt(v, fmt) if labels else "",
                     f"{v / total:.0%}" if percents else ""]  # fmt: skip
            text = "; ".join(p for p in parts if p)
            if text:
                mid = math.radians(angle + sweep / 2)
                r = d / 2 * (0.7 if not hole else (1 + hole) / 2)
                cx, cy = pie.cx + r * math.sin(mid), pie.cy - r * math.cos(mid)
                w = max(60.0, len(text) * self.font.size * 0.55)
                self.out.items.append(_label(text, Box(cx - w / 2, cy - 8, w, 16), self.font))
            angle += sweep

    # -- bar, line, area, scatter ------------------------------------------------------

    def _axes_chart(self, groups: list[tuple[str, etree._Element]], manual: Box | None) -> None:
        plot_area = self.chart.find(C + "plotArea")
        val_axes = plot_area.findall(C + "valAx")
        cat_ax = plot_area.find(C + "catAx")
        if cat_ax is None:
            cat_ax = plot_area.find(C + "dateAx")
        kind0, group0 = groups[0]
        horizontal = kind0 == "bar" and _val(group0, "barDir", "col") == "bar"
        scatter = kind0 in ("scatter", "bubble")
        steps = min(max(self.box.h / 30, 4.0), 10.0)  # taller charts get more gridlines
        val_ax = (
            val_axes[-1] if scatter and len(val_axes) > 1 else (val_axes[0] if val_axes else None)
        )
        x_ax = val_axes[0] if scatter and len(val_axes) > 1 else cat_ax

        # value range over all groups
        lo, hi = 0.0, 0.0
        percent = False
        all_series: list[tuple[str, etree._Element, list[Series]]] = []
        for kind, g in groups:
            ss = _series(g)
            all_series.append((kind, g, ss))
            grouping = _val(g, "grouping", "clustered" if kind == "bar" else "standard")
            if grouping == "percentStacked":
                percent = True
                lo, hi = min(lo, 0.0), max(hi, 1.0)
            elif grouping == "stacked" and kind in ("bar", "area", "line"):
                n = max((len(s.values) for s in ss), default=0)
                for i in range(n):
                    pos = sum(max(s.values[i] or 0, 0) for s in ss if i < len(s.values))
                    neg = sum(min(s.values[i] or 0, 0) for s in ss if i < len(s.values))
                    lo, hi = min(lo, neg), max(hi, pos)
            else:
                vals = [v for s in ss for v in s.values if v is not None]
                if vals:
                    lo, hi = min(lo, min(vals)), max(hi, max(vals))
                    if (
                        kind in ("line", "scatter")
                        and min(vals) > 0
                        and min(vals) > (max(vals) - min(vals))
                    ):
                        lo = min(v for v in vals)
        scaling = val_ax.find(C + "scaling") if val_ax is not None else None
        fmin = num(_val(scaling, "min"), 0) if _val(scaling, "min") is not None else None
        fmax = num(_val(scaling, "max"), 0) if _val(scaling, "max") is not None else None
        unit = num(_val(val_ax, "majorUnit"), 0) or None if val_ax is not None else None
        if lo > 0 and fmin is None and not scatter:
            lo = 0.0 if lo < hi * 0.7 else lo
        if fmax is None and not percent and hi > 0:  # Excel keeps some headroom over the top value
            hi += (hi - lo) * 0.05
        vmin, vmax, vstep = nice_scale(lo, hi, fmin, fmax, unit, steps)
        first = next((s for _, _, ss in all_series for s in ss), None)
        val_fmt = (
            "0%"
            if percent
            else _fmt_code(val_ax)
            or (_numbers(first.element.find(C + "val"))[1] if first is not None else "General")
        )

        # scatter x range
        xmin, xmax, xstep = 0.0, 1.0, 1.0
        if scatter:
            xs = [x for _, _, ss in all_series for s in ss for x in s.xs if x is not None] or [
                0.0,
                1.0,
            ]
            xscaling = x_ax.find(C + "scaling") if x_ax is not None else None
            x_min, x_max = _val(xscaling, "min"), _val(xscaling, "max")
            xmin, xmax, xstep = nice_scale(min(0.0, min(xs)), max(xs),
                                           num(x_min) if x_min else None,
                                           num(x_max) if x_max else None,
                                           None, min(max(self.box.w / 50, 4.0), 10.0))  # fmt: skip
        categories = next((s.categories for _, _, ss in all_series for s in ss if s.categories), [])
        n_cat = max(
            [len(categories)] + [len(s.values) for _, _, ss in all_series for s in ss] + [1]
        )
        if len(categories) < n_cat:
            categories = categories + [str(i + 1) for i in range(len(categories), n_cat)]

        val_font = _font(
            val_ax.find(C + "txPr") if val_ax is not None else None, self.font, self.palette
        )
        cat_font = _font(
            x_ax.find(C + "txPr") if x_ax is not None else None, self.font, self.palette
        )
        show_val = val_ax is not None and not flag(_val(val_ax, "delete", "0"))
        show_cat = x_ax is not None and not flag(_val(x_ax, "delete", "0"))
        ticks = []
        v = vmin
        while v <= vmax + vstep * 1e-6 and len(ticks) < 60:
            ticks.append(v)
            v += vstep
        tick_texts = [_fmt(t, val_fmt) for t in ticks]

        plot = manual or self._plot_rect(horizontal, show_val, show_cat, tick_texts, categories,
                                         val_font, cat_font)  # fmt: skip
        self._area(plot_area.find(C + "spPr"), plot)

        def vpos(value: float) -> float:
            f = (value - vmin) / (vmax - vmin)
            return plot.x + f * plot.w if horizontal else plot.y + plot.h - f * plot.h

        def xpos(value: float) -> float:
            return plot.x + (value - xmin) / (xmax - xmin) * plot.w

        # gridlines and value labels
        if val_ax is not None and val_ax.find(C + "majorGridlines") is not None:
            grid = _sp_line(val_ax.find(f"{C}majorGridlines/{C}spPr"), self.palette)
            stroke = grid if isinstance(grid, Stroke) else Stroke(_GRID, 0.75)
            if grid is not False:
                for t in ticks:
                    p = vpos(t)
                    b = Box(p, plot.y, 0, plot.h) if horizontal else Box(plot.x, p, plot.w, 0)
                    self.out.items.append(ShapeItem("line", b, None, stroke))
        if show_val:
            for t, text in zip(ticks, tick_texts, strict=True):
                p = vpos(t)
                if horizontal:
                    b = Box(p - 40, plot.y + plot.h + 3, 80, val_font.size * 1.4)
                    self.out.items.append(_label(text, b, val_font))
                else:
                    b = Box(plot.x - 124, p - val_font.size * 0.7, 120, val_font.size * 1.4)
                    self.out.items.append(_label(text, b, val_font, "r"))
        between = (
            _val(val_ax, "crossBetween", "between") != "midCat" if val_ax is not None else True
        )

        def cpos(i: float) -> float:
            """Centre of category ``i`` along the category axis."""
            length = plot.h if horizontal else plot.w
            f = (i + 0.5) / n_cat if between or n_cat < 2 else i / (n_cat - 1)
            return plot.y + plot.h - f * length if horizontal else plot.x + f * length

        if scatter:
            first = next((s for _, _, ss in all_series for s in ss), None)
            x_fmt = _fmt_code(x_ax) or (
                _numbers(first.element.find(C + "xVal"))[1] if first is not None else "General"
            )
            if show_cat:
                xt = xmin
                while xt <= xmax + xstep * 1e-6:
                    b = Box(xpos(xt) - 40, plot.y + plot.h + 3, 80, cat_font.size * 1.4)
                    self.out.items.append(_label(_fmt(xt, x_fmt), b, cat_font))
                    xt += xstep
        elif show_cat:
            slot = (plot.h if horizontal else plot.w) / n_cat
            longest = max(len(c) for c in categories) * cat_font.size * 0.5
            skip = (
                1
                if horizontal
                else max(1, math.ceil(min(longest, cat_font.size * 4) / max(slot, 1)))
            )
            for i, cat in enumerate(categories[:n_cat]):
                if i % skip:
                    continue
                c = cpos(i)
                if horizontal:
                    b = Box(plot.x - 124, c - cat_font.size * 0.7, 120, cat_font.size * 1.4)
                    self.out.items.append(_label(cat, b, cat_font, "r"))
                else:
                    w = max(slot * skip, cat_font.size * 3)
                    b = Box(c - w / 2, plot.y + plot.h + 3, w, cat_font.size * 2.8)
                    item = _label(cat, b, cat_font, anchor="t")
                    self.out.items.append(replace(item, wrap=True))

        # category axis line at value 0 (or the minimum)
        base = vpos(min(max(0.0, vmin), vmax))
        axis_b = Box(base, plot.y, 0, plot.h) if horizontal else Box(plot.x, base, plot.w, 0)
        if show_cat or scatter:
            self.out.items.append(ShapeItem("line", axis_b, None, Stroke(_AXIS, 0.75)))

        n_bar_groups = [g for k, g, _ in all_series if k == "bar"]
        for kind, g, ss in all_series:
            grouping = _val(g, "grouping", "clustered" if kind == "bar" else "standard")
            if kind == "bar":
                self._bars(g, ss, grouping, n_cat, horizontal, cpos, vpos, plot, len(n_bar_groups))
            elif kind == "area":
                self._areas(ss, grouping, n_cat, cpos, vpos, plot)
            elif kind == "bubble":
                self._bubbles(g, ss, xpos, vpos, plot)
            elif kind in ("line", "scatter"):
                self._lines(g, ss, grouping, kind, cpos, vpos, xpos, plot)

    def _plot_rect(self, horizontal: bool, show_val: bool, show_cat: bool, ticks: list[str],
                   categories: list[str], vf: _Font, cf: _Font) -> Box:  # fmt: skip
        r = self._last_rect
        left = bottom = 0.0
        val_w = max((len(t) for t in ticks), default=1) * vf.size * 0.55 + 8 if show_val else 0
        cat_w = min(max((len(c) for c in categories), default=1) * cf.size * 0.55 + 8, r.w * 0.35)
        if horizontal:
            left = cat_w if show_cat else 0
            bottom = vf.size * 1.6 if show_val else 0
        else:
            left = val_w
            bottom = cf.size * 1.6 if show_cat else 0
        return Box(
            r.x + left,
            r.y + cf.size * 0.5,
            max(r.w - left - 4, 1),
            max(r.h - bottom - cf.size * 0.5, 1),
        )

    # the rect left for the plot after title and legend
    _last_rect: Box

    def _bars(  # type: ignore[no-untyped-def]
        self,
        g: etree._Element,
        ss: list[Series],
        grouping: str,
        n_cat: int,
        horizontal: bool,
        cpos,
        vpos,
        plot: Box,
        n_groups: int,
    ) -> None:
        gap = num(_val(g, "gapWidth", "150")) / 100
        stacked = grouping in ("stacked", "percentStacked")
        overlap = num(_val(g, "overlap", "100" if stacked else "0")) / 100
        k = 1 if stacked else max(len(ss), 1)
        slot = (plot.h if horizontal else plot.w) / n_cat
        bar = slot / (k - (k - 1) * overlap + gap)
        totals = [sum(abs(s.values[i] or 0) for s in ss if i < len(s.values)) for i in range(n_cat)]
        pos_acc, neg_acc = [0.0] * n_cat, [0.0] * n_cat
        vary = flag(_val(g, "varyColors", "0")) and len(ss) == 1
        for j, s in enumerate(ss):
            fill, stroke = self._series_style(s, "bar")
            show = self._show_values(g, s)
            _, fmt = _numbers(s.element.find(C + "val"))
            for i, v in enumerate(s.values[:n_cat]):
                if v is None:
                    continue
                value = v / totals[i] if grouping == "percentStacked" and totals[i] else v
                if stacked:
                    acc = pos_acc if value >= 0 else neg_acc
                    start, end = acc[i], acc[i] + value
                    acc[i] = end
                    offset = -bar / 2
                else:
                    start, end = 0.0, value
                    width_all = bar * (k - (k - 1) * overlap)
                    offset = -width_all / 2 + j * bar * (1 - overlap)
                c = cpos(i)
                p0, p1 = vpos(start), vpos(end)
                if horizontal:  # the first series sits lowest, as the axis runs upwards
                    b = Box(min(p0, p1), c - offset - bar, abs(p1 - p0), bar)
                else:
                    b = Box(c + offset, min(p0, p1), bar, abs(p1 - p0))
                f = Fill(self._point_color(s, i)) if vary else fill
                f = self._dpt_fill(s, i) or f
                self.out.items.append(ShapeItem("rect", b, f, stroke))
                if show:
                    if horizontal:
                        tb = Box(b.x + b.w + 2, b.y, 60, b.h)
                    else:
                        top = b.cy - 8 if stacked else b.y - 16
                        tb = Box(b.x - 20, top, b.w + 40, 16)
                    self.out.items.append(
                        _label(_fmt(v, fmt), tb, self.font, "l" if horizontal else "ctr")
                    )

    def _dpt_fill(self, s: Series, i: int) -> Fill | None:
        for dpt in s.element.iterfind(C + "dPt"):
            if int(num(_val(dpt, "idx", "-1"))) == i:
                fill = _sp_fill(dpt.find(C + "spPr"), self.palette)
                if isinstance(fill, Fill):
                    return fill
        return None

    def _areas(self, ss: list[Series], grouping: str, n_cat: int, cpos, vpos, plot: Box) -> None:  # type: ignore[no-untyped-def]
        base = [0.0] * n_cat
        totals = [sum(abs(s.values[i] or 0) for s in ss if i < len(s.values)) for i in range(n_cat)]
        for s in ss:
            fill, stroke = self._series_style(s, "area")
            top = []
            for i in range(n_cat):
                v = (s.values[i] if i < len(s.values) else None) or 0.0
                if grouping == "percentStacked" and totals[i]:
                    v /= totals[i]
                top.append(base[i] + v if grouping in ("stacked", "percentStacked") else v)
            lower = base if grouping in ("stacked", "percentStacked") else [0.0] * n_cat
            pts = [(cpos(i), vpos(top[i])) for i in range(n_cat)]
            pts += [(cpos(i), vpos(lower[i])) for i in reversed(range(n_cat))]
            self.out.items.append(_polygon(pts, plot, fill, stroke, closed=True))
            if grouping in ("stacked", "percentStacked"):
                base = top

    def _bubbles(self, g: etree._Element, ss: list[Series], xpos, vpos, plot: Box) -> None:  # type: ignore[no-untyped-def]
        """Circles whose area follows ``c:bubbleSize``; the largest is a quarter of the plot."""
        sizes = [_numbers(s.element.find(C + "bubbleSize"))[0] for s in ss]
        biggest = max((abs(v) for vs in sizes for v in vs if v is not None), default=0.0) or 1.0
        scale = num(_val(g, "bubbleScale", "100"), 100) / 100
        vary = flag(_val(g, "varyColors", "0")) and len(ss) == 1
        for s, vs in zip(ss, sizes, strict=True):
            fill, stroke = self._series_style(s, "bubble")
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                size = abs(vs[i]) if i < len(vs) and vs[i] is not None else biggest
                d = min(plot.w, plot.h) * 0.25 * scale * math.sqrt(size / biggest)
                x = s.xs[i] if i < len(s.xs) and s.xs[i] is not None else float(i + 1)
                f = Fill(self._point_color(s, i)) if vary else (self._dpt_fill(s, i) or fill)
                cx, cy = xpos(x), vpos(v)
                self.out.items.append(
                    ShapeItem("ellipse", Box(cx - d / 2, cy - d / 2, d, d), f, stroke)
                )

    def _lines(self, g: etree._Element, ss: list[Series], grouping: str, kind: str,
               cpos, vpos, xpos, plot: Box) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
        acc: dict[int, float] = {}
        totals: dict[int, float] = {}
        for s in ss:
            for i, v in enumerate(s.values):
                totals[i] = totals.get(i, 0.0) + abs(v or 0.0)
        markers_on = kind == "scatter" or flag(_val(g, "marker", "0"))
        for s in ss:
            _, stroke = self._series_style(s, kind)
            pts = []
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                if grouping in ("stacked", "percentStacked"):
                    acc[i] = acc.get(i, 0.0) + v
                    v = acc[i] / (totals[i] or 1.0) if grouping == "percentStacked" else acc[i]
                if kind == "scatter":
                    x = s.xs[i] if i < len(s.xs) and s.xs[i] is not None else float(i + 1)
                    pts.append((xpos(x), vpos(v)))
                else:
                    pts.append((cpos(i), vpos(v)))
            if stroke is not None and len(pts) > 1:
                self.out.items.append(_polygon(pts, plot, None, stroke, closed=False))
            symbol = _val(s.element.find(C + "marker"), "symbol", None)
            if markers_on and symbol != "none" or symbol not in (None, "none"):
                color = stroke.color if stroke else _auto_color(s.index, self.palette)
                mfill = _sp_fill(s.element.find(f"{C}marker/{C}spPr"), self.palette)
                fill = mfill if isinstance(mfill, Fill) else Fill(color)
                size = num(_val(s.element.find(C + "marker"), "size", "5"), 5)
                for x, y in pts:
                    kind_m = "ellipse" if symbol == "circle" else "rect"
                    self.out.items.append(
                        ShapeItem(kind_m, Box(x - size / 2, y - size / 2, size, size), fill)
                    )
            if self._show_values(g, s):
                _, fmt = _numbers(s.element.find(C + "val"))
                vals = [v for v in s.values if v is not None]
                for (x, y), v in zip(pts, vals, strict=False):
                    self.out.items.append(
                        _label(_fmt(v, fmt), Box(x - 30, y - 18, 60, 14), self.font)
                    )


def _polygon(points: list[tuple[float, float]], plot: Box, fill: Fill | None,
             stroke: Stroke | None, closed: bool) -> ShapeItem:  # fmt: skip
    """A path item in the plot's box (path coordinates are fractions of it)."""
    w, h = max(plot.w, 1e-6), max(plot.h, 1e-6)
    ops = [
        ("M" if i == 0 else "L", ((x - plot.x) / w, (y - plot.y) / h))
        for i, (x, y) in enumerate(points)
    ]
    if closed:
        ops.append(("Z", ()))
    return ShapeItem("path", plot, fill, stroke, 0.0, tuple(ops))


def _sector(start: float, sweep: float, hole: float) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """A pie slice (or doughnut segment) in a unit box; angles clockwise from 12 o'clock."""
    steps = max(2, int(sweep / 3) + 1)

    def at(angle: float, r: float) -> tuple[float, float]:
        a = math.radians(angle)
        return 0.5 + r * math.sin(a), 0.5 - r * math.cos(a)

    outer = [at(start + sweep * i / steps, 0.5) for i in range(steps + 1)]
    if hole > 0:
        inner = [at(start + sweep * i / steps, 0.5 * hole) for i in reversed(range(steps + 1))]
    else:
        inner = [(0.5, 0.5)]
    pts = outer + inner
    if sweep >= 359.99 and hole <= 0:
        pts = outer
    ops: list[tuple[str, tuple[float, ...]]] = [("M", pts[0])]
    ops += [("L", p) for p in pts[1:]]
    ops.append(("Z", ()))
    return tuple(ops)


def fraction_val(value: str | None) -> float:
    """``holeSize``-style percentages (10..90) as a fraction."""
    v = num(value, 50)
    return min(max(v, 1.0), 99.0) / 100


def _fmt_code(axis: etree._Element | None) -> str | None:
    nf = axis.find(C + "numFmt") if axis is not None else None
    if nf is None or flag(nf.get("sourceLinked"), False):
        return None
    return nf.get("formatCode") or None


__all__ = ["ChartContext", "Drawn", "chart_items", "nice_scale"]
