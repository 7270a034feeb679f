"""Table styles: the parts of an ``a:tblStyle`` (from ``ppt/tableStyles.xml``) or of
one of Office's built-in styles, reduced to fills, borders and text emphasis.

PowerPoint writes a style into ``tableStyles.xml`` only when it was edited
or first used in the file; tables very often name a built-in style by GUID
that the file does not carry. Those are rebuilt here per family (Themed,
Light, Medium, Dark × accent) from the definitions in the OOXML spec's
``presetTableStyles.xml``, which is what PowerPoint draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lxml import etree

from .colors import Palette, fill_color, first_color, resolve_color
from .inherit import Theme
from .model import RGB, Fill, Stroke
from .xml import A, flag, local, num, pt

PART_ORDER = ("wholeTbl", "band1H", "band2H", "band1V", "band2V",
              "lastCol", "firstCol", "lastRow", "firstRow")  # fmt: skip
SIDES = ("left", "right", "top", "bottom", "insideH", "insideV", "tl2br", "tr2bl")


@dataclass
class PartStyle:
    """One part of a table style. ``fill``/border values of None mean
    "explicitly nothing"; a missing key means "not set here"."""

    fill: dict[str, Fill | None] = field(default_factory=dict)  # key "fill" when set
    borders: dict[str, Stroke | None] = field(default_factory=dict)
    text_color: RGB | None = None
    bold: bool | None = None


TableStyle = dict[str, PartStyle]

# -- reading a:tblStyle ---------------------------------------------------------------


def border_stroke(ln: etree._Element, palette: Palette) -> Stroke | None:
    """A cell border's ``a:ln`` (or ``a:lnL`` etc.) as a stroke; None when unfilled."""
    if ln.find(A + "noFill") is not None:
        return None
    width = pt(ln.get("w"), 1.0)
    for c in ln:
        if local(c) in ("solidFill", "gradFill", "pattFill"):
            color = fill_color(c, palette)
            if color is not None:
                return Stroke(color[0], max(width, 0.25), color[1])
    return None


def _line(el: etree._Element, palette: Palette, theme: Theme) -> Stroke | None:
    """``a:left`` etc.: an ``a:ln`` or an ``a:lnRef``."""
    ln = el.find(A + "ln")
    if ln is not None:
        return border_stroke(ln, palette)
    ref = el.find(A + "lnRef")
    if ref is not None and (c := first_color(ref)) is not None:
        color = resolve_color(c, palette)
        idx = int(num(ref.get("idx"), 1))
        widths = theme.line_widths
        width = widths[idx - 1] if 1 <= idx <= len(widths) else 0.75
        if color is not None and idx > 0:
            return Stroke(color[0], max(width, 0.25), color[1])
    return None


def _part(el: etree._Element, palette: Palette, theme: Theme) -> PartStyle:
    part = PartStyle()
    tx = el.find(A + "tcTxStyle")
    if tx is not None:
        if tx.get("b") is not None:
            part.bold = tx.get("b") == "on" or flag(tx.get("b"))
        color_el = first_color(tx)
        if color_el is None:
            color_el = first_color(tx.find(A + "fontRef"))
        if color_el is not None and (c := resolve_color(color_el, palette)) is not None:
            part.text_color = c[0]
    tc = el.find(A + "tcStyle")
    if tc is None:
        return part
    bdr = tc.find(A + "tcBdr")
    if bdr is not None:
        for side_el in bdr:
            name = local(side_el)
            if name in SIDES:
                part.borders[name] = _line(side_el, palette, theme)
    fill = tc.find(A + "fill")
    if fill is not None:
        for c in fill:
            if local(c) == "noFill":
                part.fill["fill"] = None
            elif (rgb := fill_color(c, palette)) is not None:
                part.fill["fill"] = Fill(*rgb)
    ref = tc.find(A + "fillRef")
    if ref is not None and (c := first_color(ref)) is not None:
        rgb = resolve_color(c, palette)
        if rgb is not None:
            part.fill["fill"] = Fill(*rgb)
    return part


def read_style(el: etree._Element, palette: Palette, theme: Theme) -> TableStyle:
    """An ``a:tblStyle`` element as part name → ``PartStyle``."""
    style = {local(p): _part(p, palette, theme) for p in el if local(p) in PART_ORDER}
    bg = el.find(A + "tblBg")
    if bg is not None:
        for c in bg:
            rgb = fill_color(c, palette) if local(c) != "fillRef" else None
            if local(c) == "fillRef" and (ce := first_color(c)) is not None:
                rgb = resolve_color(ce, palette)
            if rgb is not None:
                whole = style.setdefault("wholeTbl", PartStyle())
                whole.fill.setdefault("fill", Fill(*rgb))
    return style


# -- built-in styles -----------------------------------------------------------------

_FAMILIES = {
    "2D5ABB26-0587-4C30-8999-92F81FD0307C": ("none", 0),
    "5940675A-B579-460E-94D1-54222C63F5DA": ("grid", 0),
    "3C2FFA5D-87B4-456A-9821-1D502468CF0F": ("themed1", 1),
    "284E427A-3D55-4303-BF80-6455036E1DE7": ("themed1", 2),
    "69C7853C-536D-4A76-A0AE-DD22124D55A5": ("themed1", 3),
    "775DCB02-9BB8-47FD-8907-85C794F793BA": ("themed1", 4),
    "35758FB7-9AC5-4552-8A53-C91805E547FA": ("themed1", 5),
    "08FB837D-C827-4EFA-A057-4D05807E0F7C": ("themed1", 6),
    "D113A9D2-9D6B-4929-AA2D-F23B5EE8CBE7": ("themed2", 1),
    "18603FDC-E32A-4AB5-989C-0864C3EAD2B8": ("themed2", 2),
    "306799F8-075E-4A3A-A7F6-7FBC6576F1A4": ("themed2", 3),
    "E269D01E-BC32-4049-B463-5C60D7B0CCD2": ("themed2", 4),
    "327F97BB-C833-4FB7-BDE5-3F7075034690": ("themed2", 5),
    "638B1855-1B75-4FBE-930C-398BA8C253C6": ("themed2", 6),
    "9D7B26C5-4107-4FEC-AEDC-1716B250A1EF": ("light1", 0),
    "3B4B98B0-60AC-42C2-AFA5-B58CD77FA1E5": ("light1", 1),
    "0E3FDE45-AF77-4B5C-9715-49D594BDF05E": ("light1", 2),
    "C083E6E3-FA7D-4D7B-A595-EF9225AFEA82": ("light1", 3),
    "D27102A9-8310-4765-A935-A1911B00CA55": ("light1", 4),
    "5FD0F851-EC5A-4D38-B0AD-8093EC10F338": ("light1", 5),
    "68D230F3-CF80-4859-8CE7-A43EE81993B5": ("light1", 6),
    "7E9639D4-E3E2-4D34-9284-5A2195B3D0D7": ("light2", 0),
    "69012ECD-51FC-41F1-AA8D-1B2483CD663E": ("light2", 1),
    "72833802-FEF1-4C79-8D5D-14CF1EAF98D9": ("light2", 2),
    "F2DE63D5-997A-4646-A377-4702673A728D": ("light2", 3),
    "17292A2E-F333-43FB-9621-5CBBE7FDCDCB": ("light2", 4),
    "5A111915-BE36-4E01-A7E5-04B1672EAD32": ("light2", 5),
    "912C8C85-51F0-491E-9774-3900AFEF0FD7": ("light2", 6),
    "616DA210-FB5B-4158-B5E0-FEB733F419BA": ("light3", 0),
    "BC89EF96-8CEA-46FF-86C4-4CE0E7609802": ("light3", 1),
    "5DA37D80-6434-44D0-A028-1B22A696006F": ("light3", 2),
    "8799B23B-EC83-4686-B30A-512413B5E67A": ("light3", 3),
    "ED083AE6-46FA-4A59-8FB0-9F97EB10719F": ("light3", 4),
    "BDBED569-4797-4DF1-A0F4-6AAB3CD982D8": ("light3", 5),
    "E8B1032C-EA38-4F05-BA0D-38AFFFC7BED3": ("light3", 6),
    "793D81CF-94F2-401A-BA57-92F5A7B2D0C5": ("medium1", 0),
    "B301B821-A1FF-4177-AEE7-76D212191A09": ("medium1", 1),
    "9DCAF9ED-07DC-4A11-8D7F-57B35C25682E": ("medium1", 2),
    "1FECB4D8-DB02-4DC6-A0A2-4F2EBAE1DC90": ("medium1", 3),
    "1E171933-4619-4E11-9A3F-F7608DF75F80": ("medium1", 4),
    "FABFCF23-3B69-468F-B69F-88F6DE6A72F2": ("medium1", 5),
    "10A1B5D5-9B99-4C35-A422-299274C87663": ("medium1", 6),
    "073A0DAA-6AF3-43AB-8588-CEC1D06C72B9": ("medium2", 0),
    "5C22544A-7EE6-4342-B048-85BDC9FD1C3A": ("medium2", 1),
    "21E4AEA4-8DFA-4A89-87EB-49C32662AFE0": ("medium2", 2),
    "21E4AEA4-8DFA-4A89-87EB-49C32662AFE8": ("medium2", 2),
    "F5AB1C69-6EDB-4FF4-983F-18BD219EF322": ("medium2", 3),
    "00A15C55-8517-42AA-B614-E9B94910E393": ("medium2", 4),
    "7DF18680-E054-41AD-8BC1-D1AEF772440D": ("medium2", 5),
    "93296810-A885-4BE3-A3E7-6D5BEEA58F35": ("medium2", 6),
    "8EC20E35-A176-4012-BC5E-935CFFF8708E": ("medium3", 0),
    "6E25E649-3F16-4E02-A733-19D2CDBF48F0": ("medium3", 1),
    "85BE263C-DBD7-4A20-BB59-AAB30ACAA65A": ("medium3", 2),
    "EB344D84-9AFB-497E-A393-DC336BA19D2E": ("medium3", 3),
    "EB9631B5-78F2-41C9-869B-9F39066F8104": ("medium3", 4),
    "74C1A8A3-306A-4EB7-A6B1-4F7E0EB9C5D6": ("medium3", 5),
    "2A488322-F2BA-4B5B-9748-0D474271808F": ("medium3", 6),
    "D7AC3CCA-C797-4891-BE02-D94E43425B78": ("medium4", 0),
    "69CF1AB2-1976-4502-BF36-3FF5EA218861": ("medium4", 1),
    "8A107856-5554-42FB-B03E-39F5DBC370BA": ("medium4", 2),
    "0505E3EF-67EA-436B-97B2-0124C06EBD24": ("medium4", 3),
    "C4B1156A-380E-4F78-BDF5-A606A8083BF9": ("medium4", 4),
    "22838BEF-8BB2-4498-84A7-C5851F593DF1": ("medium4", 5),
    "16D9F66E-5EB9-4882-86FB-DCBF35E3C3E4": ("medium4", 6),
    "E8034E78-7F5D-4C2E-B375-FC64B27BC917": ("dark1", 0),
    "125E5076-3810-47DD-B79F-674D7AD40C01": ("dark1", 1),
    "37CE84F3-28C3-443E-9E96-99CF82512B78": ("dark1", 2),
    "D03447BB-5D67-496B-8E87-E561075AD55C": ("dark1", 3),
    "E929F9F4-4A8F-4326-A1B4-22849713DDAB": ("dark1", 4),
    "8FD4443E-F989-4FC4-A0C8-D5A2AF1F390B": ("dark1", 5),
    "AF606853-7671-496A-8E4F-DF71F8EC918B": ("dark1", 6),
    "5202B0CA-FC54-4496-8BCA-5EF66A818D29": ("dark2", 0),
    "0660B408-B3CF-4A94-85FC-2B1E0A45F4A2": ("dark2", 1),
    "91EBBBCC-DAD2-459C-BE2E-F6DE35CF9A28": ("dark2", 3),
    "46F890A9-2807-4EBB-B81D-B2AA78EC7F39": ("dark2", 5),
}


def _lin(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def _srgb(v: float) -> float:
    v = min(1.0, max(0.0, v))
    return v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def tint(rgb: RGB, amount: float) -> RGB:
    """DrawingML ``tint``: keep ``amount`` of the colour, the rest white (linear RGB)."""
    return tuple(_srgb(_lin(c) * amount + (1 - amount)) for c in rgb)  # type: ignore[return-value]


def shade(rgb: RGB, amount: float) -> RGB:
    """DrawingML ``shade``: keep ``amount`` of the colour, the rest black (linear RGB)."""
    return tuple(_srgb(_lin(c) * amount) for c in rgb)  # type: ignore[return-value]


def _builtin(family: str, accent: int, palette: Palette) -> TableStyle:
    acc = palette.slot(f"accent{accent}") if accent else palette.slot("dk1")
    dk, lt = palette.slot("dk1"), palette.slot("lt1")

    def ln(color: RGB, width: float = 1.0) -> Stroke:
        return Stroke(color, width)

    def box(color: RGB, width: float = 1.0, inside: bool = False) -> dict[str, Stroke | None]:
        sides = ("left", "right", "top", "bottom") + (("insideH", "insideV") if inside else ())
        return {s: ln(color, width) for s in sides}

    def part(fill: RGB | None = None, text: RGB | None = None, bold: bool | None = None,
             borders: dict[str, Stroke | None] | None = None,
             alpha: float = 1.0) -> PartStyle:  # fmt: skip
        return PartStyle({"fill": Fill(fill, alpha)} if fill else {}, borders or {}, text, bold)

    header = part(acc, lt, True)
    if family == "none":
        return {"wholeTbl": part(text=dk)}
    if family == "grid":
        return {"wholeTbl": part(text=dk, borders=box(dk, inside=True))}
    if family == "themed1":
        return {"wholeTbl": part(text=dk, borders=box(acc, inside=True)),
                # Office's definition: the accent at 40 % opacity (LibreOffice draws
                # 4F81BD as B8CCE4 over white)
                "band1H": part(acc, alpha=0.4), "band1V": part(acc, alpha=0.4),
                "firstRow": header, "lastRow": part(bold=True, borders={"top": ln(acc, 2.25)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "themed2":
        return {"wholeTbl": part(acc, lt, borders={**box(tint(acc, 0.5)),
                                                   "insideH": ln(lt), "insideV": ln(lt)}),
                "band1H": part(tint(acc, 0.8)), "band1V": part(tint(acc, 0.8)),
                "firstRow": part(bold=True, borders={"bottom": ln(lt, 2.25)}),
                "lastRow": part(bold=True, borders={"top": ln(lt, 2.25)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "light1":
        return {"wholeTbl": part(text=dk, borders={"top": ln(acc), "bottom": ln(acc)}),
                "band1H": part(tint(acc, 0.2)), "band1V": part(tint(acc, 0.2)),
                "firstRow": part(bold=True, borders={"bottom": ln(acc)}),
                "lastRow": part(bold=True, borders={"top": ln(acc)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "light2":
        return {"wholeTbl": part(text=dk, borders=box(acc)),
                "band1H": part(borders={"top": ln(acc), "bottom": ln(acc)}),
                "band1V": part(borders={"left": ln(acc), "right": ln(acc)}),
                "firstRow": header, "lastRow": part(bold=True, borders={"top": ln(acc, 2.25)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "light3":
        return {"wholeTbl": part(text=dk, borders=box(acc, inside=True)),
                "band1H": part(tint(acc, 0.2)), "band1V": part(tint(acc, 0.2)),
                "firstRow": part(text=acc, bold=True, borders={"bottom": ln(acc, 2.25)}),
                "lastRow": part(bold=True, borders={"top": ln(acc, 2.25)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "medium1":
        return {"wholeTbl": part(lt, dk, borders={**box(acc), "insideH": ln(acc)}),
                "band1H": part(tint(acc, 0.2)), "band1V": part(tint(acc, 0.2)),
                "firstRow": header, "lastRow": part(lt, bold=True, borders={"top": ln(acc, 2.25)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "medium2":
        return {"wholeTbl": part(tint(acc, 0.2), dk, borders=box(lt, inside=True)),
                "band1H": part(tint(acc, 0.4)), "band1V": part(tint(acc, 0.4)),
                "firstRow": part(acc, lt, True, {"bottom": ln(lt, 3.0)}),
                "lastRow": part(acc, lt, True, {"top": ln(lt, 3.0)}),
                "firstCol": header, "lastCol": header}  # fmt: skip
    if family == "medium3":
        return {"wholeTbl": part(lt, dk, borders={"top": ln(dk, 2.25), "bottom": ln(dk, 2.25)}),
                "band1H": part(tint(dk, 0.2)), "band1V": part(tint(dk, 0.2)),
                "firstRow": part(acc, lt, True, {"bottom": ln(dk, 2.25)}),
                "lastRow": part(lt, bold=True, borders={"top": ln(dk, 2.25)}),
                "firstCol": header, "lastCol": header}  # fmt: skip
    if family == "medium4":
        return {"wholeTbl": part(tint(acc, 0.2), dk, borders=box(acc, inside=True)),
                "band1H": part(tint(acc, 0.4)), "band1V": part(tint(acc, 0.4)),
                "firstRow": part(tint(acc, 0.2), acc, True),
                "lastRow": part(bold=True, borders={"top": ln(acc, 2.25)}),
                "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip
    if family == "dark1":
        return {"wholeTbl": part(acc, lt),
                "band1H": part(shade(acc, 0.75)), "band1V": part(shade(acc, 0.75)),
                "firstRow": part(dk, lt, True, {"bottom": ln(lt, 2.25)}),
                "lastRow": part(shade(acc, 0.6), lt, True, {"top": ln(lt, 2.25)}),
                "firstCol": part(shade(acc, 0.6), lt, True),
                "lastCol": part(shade(acc, 0.6), lt, True)}  # fmt: skip
    # dark2: a pair of accents, the second for the header
    second = palette.slot(f"accent{accent + 1}") if accent else dk
    return {"wholeTbl": part(tint(acc, 0.2), dk),
            "band1H": part(tint(acc, 0.4)), "band1V": part(tint(acc, 0.4)),
            "firstRow": part(second, lt, True),
            "lastRow": part(tint(acc, 0.2), bold=True, borders={"top": ln(dk, 2.25)}),
            "firstCol": part(bold=True), "lastCol": part(bold=True)}  # fmt: skip


def find_style(
    style_id: str, carried: dict[str, etree._Element], palette: Palette, theme: Theme
) -> TableStyle | None:
    """The style a table names: the file's own definition, else a built-in one."""
    key = style_id.strip().upper()
    if key in carried:
        return read_style(carried[key], palette, theme)
    found = _FAMILIES.get(key.strip("{}"))
    if found is None:
        return None
    # LibreOffice's own copies of the built-in styles set no bold: the
    # references draw their header rows and first columns in regular weight.
    return {name: replace(part, bold=None) for name, part in _builtin(*found, palette).items()}


def carried_styles(root: etree._Element | None) -> dict[str, etree._Element]:
    """The ``a:tblStyle`` elements of a ``tableStyles.xml`` root by upper-case id."""
    if root is None:
        return {}
    return {
        s.get("styleId", "").strip().upper(): s
        for s in root.iterfind(A + "tblStyle")
        if s.get("styleId")
    }


def style_of(
    tbl: etree._Element, root: etree._Element | None, palette: Palette, theme: Theme
) -> tuple[TableStyle | None, bool]:
    """(the style of an ``a:tbl``, whether it named a style we do not know).

    A table without ``a:tableStyleId`` (or with an empty one) has no style:
    the part's ``def`` is only what PowerPoint gives new tables."""
    style_id = tbl.findtext(f"{A}tblPr/{A}tableStyleId") or ""
    if not style_id.strip():
        return None, False
    style = find_style(style_id, carried_styles(root), palette, theme)
    return style, style is None
