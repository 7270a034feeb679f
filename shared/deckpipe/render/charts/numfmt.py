"""Numbers shown in Excel number formats, for the common shapes of format."""

from __future__ import annotations

import datetime
import re


def number_label(value: str, code: str) -> str:
    """A cached category number shown in its format (dates as m/d/yyyy)."""
    try:
        v = float(value)
    except ValueError:
        return value
    return fmt(v, code)


def _date(v: float, plain: str) -> str | None:
    if not 0 <= v < 2_958_466:  # Excel's last date is 9999-12-31
        return None
    day = datetime.date(1899, 12, 30) + datetime.timedelta(days=int(v))
    if "mmm" in plain:
        return f"{day:%b} {day.year % 100:02d}" if "d" not in plain else f"{day.day}-{day:%b}"
    year = f"{day.year % 100:02d}" if "yyyy" not in plain else str(day.year)
    return f"{day.month}/{day.day}/{year}"


def fmt(v: float, code: str) -> str:
    """``v`` in the Excel format ``code`` (sections, percent, decimals, thousands, literals)."""
    sections = code.split(";")
    section = sections[0]
    negative_section = v < 0 and len(sections) > 1 and sections[1].strip() != ""
    if negative_section:
        section, v = sections[1], -v
    elif v == 0 and len(sections) > 2 and sections[2].strip():
        section = sections[2]
    plain = re.sub(r'\[[^\]]*\]|"[^"]*"|\\.|_.|\*.', "", section).lower()
    if any(ch in plain for ch in "dmy") and "0" not in plain and "#" not in plain:
        return _date(v, plain) or f"{v:g}"
    if plain.strip() in ("general", ""):
        text = f"{v:.10g}" if abs(v) < 1e15 else f"{v:.4g}"
        text = text if abs(v) >= 1e-4 or v == 0 else f"{v:.2E}"
        if v < 0 and negative_section:
            text = text.lstrip("-")
        pre, post = _literals(re.sub(r"(?i)general", "0", section, count=1))
        return pre + text + post
    pct = "%" in plain
    if pct:
        v *= 100
    decimals = 0
    if "." in plain:
        decimals = min(sum(1 for ch in plain.split(".", 1)[1] if ch in "0#?"), 10)
    body = f"{abs(v):,.{decimals}f}" if "," in plain else f"{abs(v):.{decimals}f}"
    if "e+" in plain:
        body = f"{abs(v):.{decimals}E}"
    if v < 0 and not negative_section:
        body = "-" + body
    prefix, suffix = _literals(section)
    return prefix + body + ("%" if pct else "") + suffix


def _literals(section: str) -> tuple[str, str]:
    """Quoted/escaped literal text before and after the number part of a section."""
    found = list(re.finditer(r'"([^"]*)"|\\(.)|\[\$([^\]-]*)[^\]]*\]|([$€£¥₽()])', section))
    digits = [m.start() for m in re.finditer(r"[0#?]", section)]
    if not digits:
        return "", ""
    first, last = digits[0], digits[-1]
    pre = "".join(next(g for g in m.groups() if g is not None) for m in found if m.end() <= first)
    post = "".join(next(g for g in m.groups() if g is not None) for m in found if m.start() > last)
    return pre, post
