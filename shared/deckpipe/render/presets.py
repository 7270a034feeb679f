"""Preset shape geometries (``a:prstGeom``): all 187 of ECMA-376.

The definitions are the standard's own (``preset_data``, generated from
``presetShapeDefinitions.xml`` by ``bench/gen_presets.py``). Each preset is
three short texts: its adjust values with defaults, its guide formulas (one
``name op args...`` per line) and its path commands. Paths use ``M x y``,
``L x y``, ``A wR hR stAng swAng``, ``Q x1 y1 x y``, ``C x1 y1 x2 y2 x y``
and ``Z``; ``|`` starts another path and may be followed by flags:
``nofill``, ``nostroke``, a shading mode (``darken``, ``darkenLess``,
``lighten``, ``lightenLess``) and ``w=N``/``h=N`` for a path with its own
coordinate space. Adjust values from the shape's ``a:avLst`` replace the
defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from .guides import Guides, PathBuilder
from .model import SubPath
from .preset_data import DEFS

_SHADES = frozenset({"darken", "darkenLess", "lighten", "lightenLess"})
_ARGS = {"M": 2, "L": 2, "A": 4, "Q": 4, "C": 6, "Z": 0}


def _flags(chunk: str) -> list[str]:
    tokens = chunk.split()
    flags = []
    while tokens and tokens[0] not in _ARGS:
        flags.append(tokens.pop(0))
    return flags


# Presets that are open strokes (connectors: every path is unfilled; the
# standard's ``line`` and ``lineInv`` are one open segment without the flag).
_LINES = frozenset(
    name
    for name, (_, _, paths) in DEFS.items()
    if all("nofill" in _flags(chunk) for chunk in paths.split("|") if chunk.strip())
) | {"line", "lineInv"}


def known(name: str) -> bool:
    return name in DEFS


def is_line(name: str) -> bool:
    """Presets that are open strokes (lines, connectors): never filled."""
    return name in _LINES


def preset_paths(name: str, w: float, h: float, adjust: Mapping[str, float]) -> list[SubPath]:
    """The paths of preset ``name`` for a ``w`` × ``h`` box, in box fractions.

    ``adjust`` maps adjust names (``adj``, ``adj1``...) to values as written in
    ``a:avLst``. Raises KeyError for presets not defined here.
    """
    avs, formulas, paths = DEFS[name]
    g = Guides(w, h)
    tokens = avs.split()
    for key, default in zip(tokens[::2], tokens[1::2], strict=True):
        g.values[key] = float(adjust.get(key, float(default)))
    if "adj" in adjust and "adj1" in g.values and "adj" not in tokens:
        g.values["adj1"] = float(adjust["adj"])  # some writers use adj for adj1
    g.define_all(
        (line.split(None, 1)[0], line.split(None, 1)[1])
        for line in formulas.splitlines()
        if line.strip()
    )
    return trace(paths, g, w, h)


def trace(text: str, g: Guides, w: float, h: float) -> list[SubPath]:
    """Run a path text (see the module docstring) against evaluated guides."""
    result: list[SubPath] = []
    for chunk in text.split("|"):
        tokens = chunk.split()
        if not tokens:
            continue
        fill, stroke, pw, ph = "norm", True, 0.0, 0.0
        while tokens and tokens[0] not in _ARGS:
            flag = tokens.pop(0)
            if flag == "nofill":
                fill = "none"
            elif flag == "nostroke":
                stroke = False
            elif flag in _SHADES:
                fill = flag
            elif flag.startswith("w="):
                pw = float(flag[2:])
            elif flag.startswith("h="):
                ph = float(flag[2:])
        b = PathBuilder(g, w, h, pw, ph)
        i = 0
        while i < len(tokens):
            cmd = tokens[i]
            args = tokens[i + 1 : i + 1 + _ARGS[cmd]]
            i += 1 + _ARGS[cmd]
            if cmd == "M":
                b.move(*args)
            elif cmd == "L":
                b.line(*args)
            elif cmd == "A":
                b.arc(*args)
            elif cmd == "Q":
                b.quad(*args)
            elif cmd == "C":
                b.cubic(*args)
            else:
                b.close()
        result.append(SubPath(tuple(b.ops), fill, stroke))
    return result
