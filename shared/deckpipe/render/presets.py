"""Preset shape geometries (``a:prstGeom``), written from the ECMA-376 shape semantics.

Each preset is three short texts: its adjust values with defaults, its guide
formulas (one ``name op args...`` per line) and its path commands. Paths use
``M x y``, ``L x y``, ``A wR hR stAng swAng``, ``Q x1 y1 x y``,
``C x1 y1 x2 y2 x y`` and ``Z``; ``|`` starts another path and may be
followed by flags: ``nofill``, ``nostroke``, a shading mode (``darken``,
``darkenLess``, ``lighten``, ``lightenLess``) and ``w=N``/``h=N`` for a path
with its own coordinate space. Stars, which differ only in point count, are
generated. Adjust values from the shape's ``a:avLst`` replace the defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .guides import Guides, PathBuilder
from .model import SubPath

_SHADES = frozenset({"darken", "darkenLess", "lighten", "lightenLess"})
_ARGS = {"M": 2, "L": 2, "A": 4, "Q": 4, "C": 6, "Z": 0}

_ARROW_V = """
maxAdj2 */ 100000 h ss
a1 pin 0 adj1 100000
a2 pin 0 adj2 maxAdj2
dy2 */ ss a2 100000
dx1 */ w a1 200000
x1 +- hc 0 dx1
x2 +- hc dx1 0
y2 +- t dy2 0
y1 +- b 0 dy2
"""
_ARROW_H = """
maxAdj2 */ 100000 w ss
a1 pin 0 adj1 100000
a2 pin 0 adj2 maxAdj2
dx2 */ ss a2 100000
dy1 */ h a1 200000
y1 +- vc 0 dy1
y2 +- vc dy1 0
x1 +- r 0 dx2
x2 +- l dx2 0
"""
_ANGLES = """
stAng pin 0 adj1 21599999
enAng pin 0 adj2 21599999
sw1 +- enAng 0 stAng
sw2 +- sw1 21600000 0
swAng ?: sw1 sw1 sw2
wt1 sin wd2 stAng
ht1 cos hd2 stAng
dx1 cat2 wd2 ht1 wt1
dy1 sat2 hd2 ht1 wt1
x1 +- hc dx1 0
y1 +- vc dy1 0
"""
_WEDGE = """
dxPos */ w adj1 100000
dyPos */ h adj2 100000
xPos +- hc dxPos 0
yPos +- vc dyPos 0
dq */ dxPos h w
ady abs dyPos
adq abs dq
dz +- adq 0 ady
xg1 ?: dxPos 7 2
xg2 ?: dxPos 10 5
x1 */ w xg1 12
x2 */ w xg2 12
yg1 ?: dyPos 7 2
yg2 ?: dyPos 10 5
y1 */ h yg1 12
y2 */ h yg2 12
t1 ?: dxPos l xPos
xl ?: dz l t1
t2 ?: dyPos x1 xPos
xt ?: dz t2 x1
t3 ?: dxPos xPos r
xr ?: dz r t3
t4 ?: dyPos xPos x1
xb ?: dz t4 x1
t5 ?: dxPos y1 yPos
yl ?: dz y1 t5
t6 ?: dyPos t yPos
yt ?: dz t6 t
t7 ?: dxPos yPos y1
yr ?: dz y1 t7
t8 ?: dyPos yPos b
yb ?: dz t8 b
"""
_ARROW_CALLOUT_V = """
maxAdj2 */ 50000 w ss
a2 pin 0 adj2 maxAdj2
maxAdj1 */ a2 2 1
a1 pin 0 adj1 maxAdj1
maxAdj3 */ 100000 h ss
a3 pin 0 adj3 maxAdj3
q2 */ a3 ss h
maxAdj4 +- 100000 0 q2
a4 pin 0 adj4 maxAdj4
dx1 */ ss a2 100000
dx2 */ ss a1 200000
x1 +- hc 0 dx1
x2 +- hc 0 dx2
x3 +- hc dx2 0
x4 +- hc dx1 0
dy3 */ ss a3 100000
dy2 */ h a4 100000
"""
_ARROW_CALLOUT_H = """
maxAdj2 */ 50000 h ss
a2 pin 0 adj2 maxAdj2
maxAdj1 */ a2 2 1
a1 pin 0 adj1 maxAdj1
maxAdj3 */ 100000 w ss
a3 pin 0 adj3 maxAdj3
q2 */ a3 ss w
maxAdj4 +- 100000 0 q2
a4 pin 0 adj4 maxAdj4
dy1 */ ss a2 100000
dy2 */ ss a1 200000
y1 +- vc 0 dy1
y2 +- vc 0 dy2
y3 +- vc dy2 0
y4 +- vc dy1 0
dx3 */ ss a3 100000
dx2 */ w a4 100000
"""
_ELLIPSE = "M l vc A wd2 hd2 cd2 cd4 A wd2 hd2 3cd4 cd4 A wd2 hd2 0 cd4 A wd2 hd2 cd4 cd4 Z"
_RECT = "M l t L r t L r b L l b Z"
_CLOUD = (
    "M 3900 14370 A 6753 9190 -11429249 7426832 A 5333 7267 -8646143 5396714 "
    "A 4365 5945 -8748475 5983381 A 4857 6595 -7859164 7034504 "
    "A 5333 7273 -4722533 6541615 A 6775 9220 -2776035 7816140 "
    "A 5785 7867 37501 6842000 A 6752 9215 1347096 6910353 "
    "A 7720 10543 3974558 4542661 A 4360 5918 -16496525 8804134 "
    "A 4345 5945 -14809710 9151131 Z"
)

# name: (adjust defaults, guide formulas, paths)
DEFS: dict[str, tuple[str, str, str]] = {
    "rect": ("", "", _RECT),
    "roundRect": ("adj 16667", "a pin 0 adj 50000\nx1 */ ss a 100000\nx2 +- r 0 x1\ny2 +- b 0 x1",
                  "M l x1 A x1 x1 cd2 cd4 L x2 t A x1 x1 3cd4 cd4 L r y2 A x1 x1 0 cd4 "
                  "L x1 b A x1 x1 cd4 cd4 Z"),
    "ellipse": ("", "", _ELLIPSE),
    "triangle": ("adj 50000", "a pin 0 adj 100000\nx2 */ w a 100000", "M l b L x2 t L r b Z"),
    "rtTriangle": ("", "", "M l b L l t L r b Z"),
    "diamond": ("", "", "M l vc L hc t L r vc L hc b Z"),
    "parallelogram": ("adj 25000", "maxAdj */ 100000 w ss\na pin 0 adj maxAdj\n"
                      "x2 */ ss a 100000\nx5 +- r 0 x2", "M l b L x2 t L r t L x5 b Z"),
    "trapezoid": ("adj 25000", "maxAdj */ 50000 w ss\na pin 0 adj maxAdj\n"
                  "x2 */ ss a 100000\nx3 +- r 0 x2", "M l b L x2 t L x3 t L r b Z"),
    "nonIsoscelesTrapezoid": ("adj1 25000 adj2 25000", "maxAdj */ 50000 w ss\n"
                              "a1 pin 0 adj1 maxAdj\na2 pin 0 adj2 maxAdj\nx2 */ ss a1 100000\n"
                              "dx3 */ ss a2 100000\nx3 +- r 0 dx3", "M l b L x2 t L x3 t L r b Z"),
    "pentagon": ("hf 105146 vf 110557", "swd2 */ wd2 hf 100000\nshd2 */ hd2 vf 100000\n"
                 "svc */ vc vf 100000\ndx1 cos swd2 1080000\ndx2 cos swd2 18360000\n"
                 "dy1 sin shd2 1080000\ndy2 sin shd2 18360000\nx1 +- hc 0 dx1\nx2 +- hc 0 dx2\n"
                 "x3 +- hc dx2 0\nx4 +- hc dx1 0\ny1 +- svc 0 dy1\ny2 +- svc 0 dy2",
                 "M x1 y1 L hc t L x4 y1 L x3 y2 L x2 y2 Z"),
    "hexagon": ("adj 25000 vf 115470", "maxAdj */ 50000 w ss\na pin 0 adj maxAdj\n"
                "shd2 */ hd2 vf 100000\nx1 */ ss a 100000\nx2 +- r 0 x1\ndy1 sin shd2 3600000\n"
                "y1 +- vc 0 dy1\ny2 +- vc dy1 0",
                "M l vc L x1 y1 L x2 y1 L r vc L x2 y2 L x1 y2 Z"),
    "octagon": ("adj 29289", "a pin 0 adj 50000\nx1 */ ss a 100000\nx2 +- r 0 x1\ny2 +- b 0 x1",
                "M l x1 L x1 t L x2 t L r x1 L r y2 L x2 b L x1 b L l y2 Z"),
    "homePlate": ("adj 50000", "maxAdj */ 100000 w ss\na pin 0 adj maxAdj\n"
                  "dx1 */ ss a 100000\nx1 +- r 0 dx1", "M l t L x1 t L r vc L x1 b L l b Z"),
    "chevron": ("adj 50000", "maxAdj */ 100000 w ss\na pin 0 adj maxAdj\nx1 */ ss a 100000\n"
                "x2 +- r 0 x1", "M l t L x2 t L r vc L x2 b L l b L x1 vc Z"),
    "rightArrow": ("adj1 50000 adj2 50000", _ARROW_H,
                   "M l y1 L x1 y1 L x1 t L r vc L x1 b L x1 y2 L l y2 Z"),
    "leftArrow": ("adj1 50000 adj2 50000", _ARROW_H,
                  "M l vc L x2 t L x2 y1 L r y1 L r y2 L x2 y2 L x2 b Z"),
    "upArrow": ("adj1 50000 adj2 50000", _ARROW_V,
                "M l y2 L hc t L r y2 L x2 y2 L x2 b L x1 b L x1 y2 Z"),
    "downArrow": ("adj1 50000 adj2 50000", _ARROW_V,
                  "M x1 t L x2 t L x2 y1 L r y1 L hc b L l y1 L x1 y1 Z"),
    "leftRightArrow": ("adj1 50000 adj2 50000", "maxAdj2 */ 50000 w ss\na1 pin 0 adj1 100000\n"
                       "a2 pin 0 adj2 maxAdj2\nx2 */ ss a2 100000\nx3 +- r 0 x2\n"
                       "dy */ h a1 200000\ny1 +- vc 0 dy\ny2 +- vc dy 0",
                       "M l vc L x2 t L x2 y1 L x3 y1 L x3 t L r vc L x3 b L x3 y2 L x2 y2 "
                       "L x2 b Z"),
    "upDownArrow": ("adj1 50000 adj2 50000", "maxAdj2 */ 50000 h ss\na1 pin 0 adj1 100000\n"
                    "a2 pin 0 adj2 maxAdj2\ny2 */ ss a2 100000\ny3 +- b 0 y2\n"
                    "dx1 */ w a1 200000\nx1 +- hc 0 dx1\nx2 +- hc dx1 0",
                    "M l y2 L hc t L r y2 L x2 y2 L x2 y3 L r y3 L hc b L l y3 L x1 y3 "
                    "L x1 y2 Z"),
    "notchedRightArrow": ("adj1 50000 adj2 50000", _ARROW_H + "xn */ dy1 dx2 hd2",
                          "M l y1 L x1 y1 L x1 t L r vc L x1 b L x1 y2 L l y2 L xn vc Z"),
    "stripedRightArrow": ("adj1 50000 adj2 50000", "maxAdj2 */ 84375 w ss\n"
                          "a1 pin 0 adj1 100000\na2 pin 0 adj2 maxAdj2\nx4 */ ss 5 32\n"
                          "dx5 */ ss a2 100000\nx5 +- r 0 dx5\ndy1 */ h a1 200000\n"
                          "y1 +- vc 0 dy1\ny2 +- vc dy1 0",
                          "M l y1 L ssd32 y1 L ssd32 y2 L l y2 Z M ssd16 y1 L ssd8 y1 L ssd8 y2 "
                          "L ssd16 y2 Z M x4 y1 L x5 y1 L x5 t L r vc L x5 b L x5 y2 L x4 y2 Z"),
    "plus": ("adj 25000", "a pin 0 adj 50000\nx1 */ ss a 100000\nx2 +- r 0 x1\ny2 +- b 0 x1",
             "M l x1 L x1 x1 L x1 t L x2 t L x2 x1 L r x1 L r y2 L x2 y2 L x2 b L x1 b "
             "L x1 y2 L l y2 Z"),
    "can": ("adj 25000", "maxAdj */ 50000 h ss\na pin 0 adj maxAdj\ny1 */ ss a 200000\n"
            "y3 +- b 0 y1",
            "|nostroke M l y1 A wd2 y1 cd2 -10800000 L r y3 A wd2 y1 0 cd2 Z "
            "|nostroke lighten M l y1 A wd2 y1 cd2 cd2 A wd2 y1 0 cd2 Z "
            "|nofill M r y1 A wd2 y1 0 cd2 A wd2 y1 cd2 cd2 L r y3 A wd2 y1 0 cd2 L l y1"),
    "cube": ("adj 25000", "a pin 0 adj 100000\ny1 */ ss a 100000\ny4 +- b 0 y1\nx4 +- r 0 y1",
             "|nostroke M l y1 L x4 y1 L x4 b L l b Z "
             "|nostroke darkenLess M x4 y1 L r t L r y4 L x4 b Z "
             "|nostroke lightenLess M l y1 L y1 t L r t L x4 y1 Z "
             "|nofill M l y1 L y1 t L r t L r y4 L x4 b L l b Z M l y1 L x4 y1 L r t "
             "M x4 y1 L x4 b"),
    "bevel": ("adj 12500", "a pin 0 adj 50000\nx1 */ ss a 100000\nx2 +- r 0 x1\ny2 +- b 0 x1",
              "|nostroke M x1 x1 L x2 x1 L x2 y2 L x1 y2 Z "
              "|nostroke lightenLess M l t L r t L x2 x1 L x1 x1 Z "
              "|nostroke darken M l b L x1 y2 L x2 y2 L r b Z "
              "|nostroke lighten M l t L x1 x1 L x1 y2 L l b Z "
              "|nostroke darkenLess M r t L r b L x2 y2 L x2 x1 Z "
              "|nofill M l t L r t L r b L l b Z M x1 x1 L x2 x1 L x2 y2 L x1 y2 Z "
              "M l t L x1 x1 M l b L x1 y2 M r t L x2 x1 M r b L x2 y2"),
    "foldedCorner": ("adj 16667", "a pin 0 adj 50000\ndy2 */ ss a 100000\ndy1 */ dy2 1 5\n"
                     "x1 +- r 0 dy2\nx2 +- x1 dy1 0\ny2 +- b 0 dy2\ny1 +- y2 dy1 0",
                     "|nostroke M l t L r t L r y2 L x1 b L l b Z "
                     "|nostroke darkenLess M x1 b L x2 y1 L r y2 Z "
                     "|nofill M x1 b L x2 y1 L r y2 L x1 b L l b L l t L r t L r y2"),
    "frame": ("adj1 12500", "a1 pin 0 adj1 50000\nx1 */ ss a1 100000\nx4 +- r 0 x1\n"
              "y4 +- b 0 x1", _RECT + " M x1 x1 L x1 y4 L x4 y4 L x4 x1 Z"),
    "halfFrame": ("adj1 33333 adj2 33333", "maxAdj2 */ 100000 w ss\na2 pin 0 adj2 maxAdj2\n"
                  "maxAdj1 */ 100000 h ss\na1 pin 0 adj1 maxAdj1\ny1 */ ss a1 100000\n"
                  "x1 */ ss a2 100000\ndx2 */ y1 w h\nx2 +- r 0 dx2\ndy2 */ x1 h w\n"
                  "y2 +- b 0 dy2", "M l t L r t L x2 y1 L x1 y1 L x1 y2 L l b Z"),
    "corner": ("adj1 50000 adj2 50000", "maxAdj1 */ 100000 h ss\nmaxAdj2 */ 100000 w ss\n"
               "a1 pin 0 adj1 maxAdj1\na2 pin 0 adj2 maxAdj2\nx1 */ ss a2 100000\n"
               "dy1 */ ss a1 100000\ny1 +- b 0 dy1",
               "M l t L x1 t L x1 y1 L r y1 L r b L l b Z"),
    "diagStripe": ("adj 50000", "a pin 0 adj 100000\nx2 */ w a 100000\ny2 */ h a 100000",
                   "M l y2 L x2 t L r t L l b Z"),
    "donut": ("adj 25000", "a pin 0 adj 50000\ndr */ ss a 100000\niwd2 +- wd2 0 dr\n"
              "ihd2 +- hd2 0 dr", _ELLIPSE + " M dr vc A iwd2 ihd2 cd2 -5400000 "
              "A iwd2 ihd2 cd4 -5400000 A iwd2 ihd2 0 -5400000 A iwd2 ihd2 3cd4 -5400000 Z"),
    "pie": ("adj1 0 adj2 16200000", _ANGLES, "M x1 y1 A wd2 hd2 stAng swAng L hc vc Z"),
    "chord": ("adj1 2700000 adj2 16200000", _ANGLES, "M x1 y1 A wd2 hd2 stAng swAng Z"),
    "arc": ("adj1 16200000 adj2 0", _ANGLES,
            "|nostroke M x1 y1 A wd2 hd2 stAng swAng L hc vc Z "
            "|nofill M x1 y1 A wd2 hd2 stAng swAng"),
    "blockArc": ("adj1 10800000 adj2 0 adj3 25000",
                 "stAng pin 0 adj1 21599999\nistAng pin 0 adj2 21599999\na3 pin 0 adj3 50000\n"
                 "sw11 +- istAng 0 stAng\nsw12 +- sw11 21600000 0\nswAng ?: sw11 sw11 sw12\n"
                 "iswAng +- 0 0 swAng\nwt1 sin wd2 stAng\nht1 cos hd2 stAng\n"
                 "dx1 cat2 wd2 ht1 wt1\ndy1 sat2 hd2 ht1 wt1\nx1 +- hc dx1 0\ny1 +- vc dy1 0\n"
                 "dr */ ss a3 100000\niwd2 +- wd2 0 dr\nihd2 +- hd2 0 dr\n"
                 "wt3 sin iwd2 istAng\nht3 cos ihd2 istAng\ndx3 cat2 iwd2 ht3 wt3\n"
                 "dy3 sat2 ihd2 ht3 wt3\nx3 +- hc dx3 0\ny3 +- vc dy3 0",
                 "M x1 y1 A wd2 hd2 stAng swAng L x3 y3 A iwd2 ihd2 istAng iswAng Z"),
    "round1Rect": ("adj 16667", "a pin 0 adj 50000\ndx1 */ ss a 100000\nx1 +- r 0 dx1",
                   "M l t L x1 t A dx1 dx1 3cd4 cd4 L r b L l b Z"),
    "round2SameRect": ("adj1 16667 adj2 0", "a1 pin 0 adj1 50000\na2 pin 0 adj2 50000\n"
                       "tx1 */ ss a1 100000\ntx2 +- r 0 tx1\nbx1 */ ss a2 100000\n"
                       "by1 +- b 0 bx1", "M tx1 t L tx2 t A tx1 tx1 3cd4 cd4 L r by1 "
                       "A bx1 bx1 0 cd4 L bx1 b A bx1 bx1 cd4 cd4 L l tx1 A tx1 tx1 cd2 cd4 Z"),
    "round2DiagRect": ("adj1 16667 adj2 0", "a1 pin 0 adj1 50000\na2 pin 0 adj2 50000\n"
                       "x1 */ ss a1 100000\ny2 +- b 0 x1\nx2 +- r 0 x1\nd */ ss a2 100000\n"
                       "x3 +- r 0 d", "M x1 t L x3 t A d d 3cd4 cd4 L r y2 A x1 x1 0 cd4 "
                       "L d b A d d cd4 cd4 L l x1 A x1 x1 cd2 cd4 Z"),
    "snip1Rect": ("adj 16667", "a pin 0 adj 50000\ndx1 */ ss a 100000\nx1 +- r 0 dx1",
                  "M l t L x1 t L r dx1 L r b L l b Z"),
    "snip2SameRect": ("adj1 16667 adj2 0", "a1 pin 0 adj1 50000\na2 pin 0 adj2 50000\n"
                      "tx1 */ ss a1 100000\ntx2 +- r 0 tx1\nbx1 */ ss a2 100000\n"
                      "bx2 +- r 0 bx1\nby1 +- b 0 bx1", "M tx1 t L tx2 t L r tx1 L r by1 "
                      "L bx2 b L bx1 b L l by1 L l tx1 Z"),
    "snip2DiagRect": ("adj1 0 adj2 16667", "a1 pin 0 adj1 50000\na2 pin 0 adj2 50000\n"
                      "lx1 */ ss a1 100000\nlx2 +- r 0 lx1\nly1 +- b 0 lx1\n"
                      "rx1 */ ss a2 100000\nrx2 +- r 0 rx1\nry1 +- b 0 rx1",
                      "M lx1 t L rx2 t L r rx1 L r ly1 L lx2 b L rx1 b L l ry1 L l lx1 Z"),
    "snipRoundRect": ("adj1 16667 adj2 16667", "a1 pin 0 adj1 50000\na2 pin 0 adj2 50000\n"
                      "x1 */ ss a1 100000\ndx2 */ ss a2 100000\nx2 +- r 0 dx2",
                      "M x1 t L x2 t L r dx2 L r b L l b L l x1 A x1 x1 cd2 cd4 Z"),
    "plaque": ("adj 16667", "a pin 0 adj 50000\nx1 */ ss a 100000\nx2 +- r 0 x1\ny2 +- b 0 x1",
               "M l x1 A x1 x1 cd4 -5400000 L x2 t A x1 x1 cd2 -5400000 L r y2 "
               "A x1 x1 3cd4 -5400000 L x1 b A x1 x1 0 -5400000 Z"),
    "heart": ("", "dx1 */ w 49 48\ndx2 */ w 10 48\nx1 +- hc 0 dx1\nx2 +- hc 0 dx2\n"
              "x3 +- hc dx2 0\nx4 +- hc dx1 0\ny1 +- t 0 hd3",
              "M hc hd4 C x3 y1 x4 hd4 hc b C x1 hd4 x2 y1 hc hd4 Z"),
    "lightningBolt": ("", "", "|w=21600 h=21600 M 8458 0 L 12722 4569 L 11205 5524 "
                      "L 16012 9563 L 14569 10445 L 21600 21600 L 10013 12678 L 11611 11859 "
                      "L 4909 7041 L 6831 6120 L 0 3090 Z"),
    "moon": ("adj 50000", "a pin 0 adj 87500\ng0 */ ss a 100000\ng0w */ g0 w ss\n"
             "iw +- w 0 g0w", "M r b A w hd2 cd4 cd2 A iw hd2 3cd4 -10800000 Z"),
    "teardrop": ("adj 100000", "a pin 0 adj 200000\ndx */ wd2 a 100000\ndy */ hd2 a 100000\n"
                 "tx +- hc dx 0\nty +- vc 0 dy\nqx +/ hc tx 2\nqy +/ vc ty 2",
                 "M l vc A wd2 hd2 cd2 cd4 Q tx t tx ty Q r ty r vc A wd2 hd2 0 cd2 Z"),
    "smileyFace": ("adj 4653", "a pin -4653 adj 4653\nx1 */ w 4969 21699\nx2 */ w 6215 21600\n"
                   "x3 */ w 13135 21600\nx4 */ w 16640 21600\ny1 */ h 7570 21600\n"
                   "y3 */ h 16515 21600\ndy2 */ h a 100000\ny2 +- y3 0 dy2\ny4 +- y3 dy2 0\n"
                   "dy3 */ h a 50000\ny5 +- y4 dy3 0\nwR */ w 1125 21600\nhR */ h 1125 21600",
                   "|nostroke " + _ELLIPSE + " |nostroke darkenLess M x2 y1 A wR hR cd2 21600000 Z "
                   "M x3 y1 A wR hR cd2 21600000 Z |nofill M x1 y2 Q hc y5 x4 y2 "
                   "|nofill " + _ELLIPSE),
    "cloud": ("", "", "|w=43200 h=43200 " + _CLOUD),
    "leftBracket": ("adj 8333", "maxAdj */ 50000 h ss\na pin 0 adj maxAdj\ny1 */ ss a 100000\n"
                    "y2 +- b 0 y1", "|nostroke M r b A w y1 cd4 cd4 L l y1 A w y1 cd2 cd4 Z "
                    "|nofill M r b A w y1 cd4 cd4 L l y1 A w y1 cd2 cd4"),
    "rightBracket": ("adj 8333", "maxAdj */ 50000 h ss\na pin 0 adj maxAdj\ny1 */ ss a 100000\n"
                     "y2 +- b 0 y1", "|nostroke M l t A w y1 3cd4 cd4 L r y2 A w y1 0 cd4 Z "
                     "|nofill M l t A w y1 3cd4 cd4 L r y2 A w y1 0 cd4"),
    "leftBrace": ("adj1 8333 adj2 50000", "a2 pin 0 adj2 100000\nq1 +- 100000 0 a2\n"
                  "q2 min q1 a2\nq3 */ q2 1 2\nmaxAdj1 */ q3 h ss\na1 pin 0 adj1 maxAdj1\n"
                  "y1 */ ss a1 100000\ny3 */ h a2 100000\ny2 +- y3 0 y1\ny4 +- b 0 y1\n"
                  "y5 +- y3 y1 0", "|nostroke M r t A wd2 y1 3cd4 -5400000 L hc y2 "
                  "A wd2 y1 0 cd4 A wd2 y1 3cd4 cd4 L hc y4 A wd2 y1 cd2 -5400000 Z "
                  "|nofill M r t A wd2 y1 3cd4 -5400000 L hc y2 A wd2 y1 0 cd4 "
                  "A wd2 y1 3cd4 cd4 L hc y4 A wd2 y1 cd2 -5400000"),
    "rightBrace": ("adj1 8333 adj2 50000", "a2 pin 0 adj2 100000\nq1 +- 100000 0 a2\n"
                   "q2 min q1 a2\nq3 */ q2 1 2\nmaxAdj1 */ q3 h ss\na1 pin 0 adj1 maxAdj1\n"
                   "y1 */ ss a1 100000\ny3 */ h a2 100000\ny2 +- y3 0 y1\ny4 +- b 0 y1",
                   "|nostroke M l t A wd2 y1 3cd4 cd4 L hc y2 A wd2 y1 cd2 -5400000 "
                   "A wd2 y1 3cd4 -5400000 L hc y4 A wd2 y1 0 cd4 Z "
                   "|nofill M l t A wd2 y1 3cd4 cd4 L hc y2 A wd2 y1 cd2 -5400000 "
                   "A wd2 y1 3cd4 -5400000 L hc y4 A wd2 y1 0 cd4"),
    "bracketPair": ("adj 16667", "a pin 0 adj 50000\nx1 */ ss a 100000\nx2 +- r 0 x1\n"
                    "y2 +- b 0 x1", "|nostroke M l x1 A x1 x1 cd2 cd4 L x2 t A x1 x1 3cd4 cd4 "
                    "L r y2 A x1 x1 0 cd4 L x1 b A x1 x1 cd4 cd4 Z "
                    "|nofill M x1 b A x1 x1 cd4 cd4 L l x1 A x1 x1 cd2 cd4 "
                    "M x2 t A x1 x1 3cd4 cd4 L r y2 A x1 x1 0 cd4"),
    "bracePair": ("adj 8333", "a pin 0 adj 25000\nx1 */ ss a 100000\nx2 */ ss a 50000\n"
                  "x3 +- r 0 x2\nx4 +- r 0 x1\ny2 +- vc 0 x1\ny3 +- vc x1 0\ny4 +- b 0 x1",
                  "|nostroke M x2 b A x1 x1 cd4 cd4 L x1 y3 A x1 x1 0 -5400000 "
                  "A x1 x1 cd4 -5400000 L x1 x1 A x1 x1 cd2 cd4 L x3 t A x1 x1 3cd4 cd4 "
                  "L x4 y2 A x1 x1 cd2 -5400000 A x1 x1 3cd4 -5400000 L x4 y4 "
                  "A x1 x1 0 cd4 Z |nofill M x2 b A x1 x1 cd4 cd4 L x1 y3 "
                  "A x1 x1 0 -5400000 A x1 x1 cd4 -5400000 L x1 x1 A x1 x1 cd2 cd4 "
                  "M x3 t A x1 x1 3cd4 cd4 L x4 y2 A x1 x1 cd2 -5400000 "
                  "A x1 x1 3cd4 -5400000 L x4 y4 A x1 x1 0 cd4"),
    "wedgeRectCallout": ("adj1 -20833 adj2 62500", _WEDGE,
                         "M l t L x1 t L xt yt L x2 t L r t L r y1 L xr yr L r y2 L r b "
                         "L x2 b L xb yb L x1 b L l b L l y2 L xl yl L l y1 Z"),
    "wedgeRoundRectCallout": ("adj1 -20833 adj2 62500 adj3 16667", _WEDGE
                              + "\ndr */ ss adj3 100000\nrx +- r 0 dr\nby +- b 0 dr",
                              "M l dr A dr dr cd2 cd4 L x1 t L xt yt L x2 t L rx t "
                              "A dr dr 3cd4 cd4 L r y1 L xr yr L r y2 L r by A dr dr 0 cd4 "
                              "L x2 b L xb yb L x1 b L dr b A dr dr cd4 cd4 L l y2 L xl yl "
                              "L l y1 Z"),
    "wedgeEllipseCallout": ("adj1 -20833 adj2 62500",
                            "dxPos */ w adj1 100000\ndyPos */ h adj2 100000\n"
                            "xPos +- hc dxPos 0\nyPos +- vc dyPos 0\nsdx */ dxPos h 1\n"
                            "sdy */ dyPos w 1\npang at2 sdx sdy\nstAng +- pang 660000 0\n"
                            "enAng +- pang 0 660000\nx1 cos wd2 stAng\ny1 sin hd2 stAng\n"
                            "x2 cos wd2 enAng\ny2 sin hd2 enAng\nsx1 +- hc x1 0\n"
                            "sy1 +- vc y1 0\nsx2 +- hc x2 0\nsy2 +- vc y2 0\n"
                            "vst at2 x1 y1\nswAng val 20280000",
                            "M sx2 sy2 L xPos yPos L sx1 sy1 A wd2 hd2 vst swAng Z"),
    "cloudCallout": ("adj1 -20833 adj2 62500",
                     "dxPos */ w adj1 100000\ndyPos */ h adj2 100000\nxPos +- hc dxPos 0\n"
                     "yPos +- vc dyPos 0\nr1 */ ss 1 20\nr2 */ ss 1 12\nr3 */ ss 1 8\n"
                     "x1 +- xPos r1 0\nx2a */ dxPos 3 4\nx2 +- hc x2a r2\nya */ dyPos 3 4\n"
                     "y2 +- vc ya 0\nx3a */ dxPos 1 2\nx3 +- hc x3a r3\nyb */ dyPos 1 2\n"
                     "y3 +- vc yb 0",
                     "|w=43200 h=43200 " + _CLOUD + " | M x1 yPos A r1 r1 0 21600000 Z "
                     "M x2 y2 A r2 r2 0 21600000 Z M x3 y3 A r3 r3 0 21600000 Z"),
    "borderCallout1": ("adj1 18750 adj2 -8333 adj3 112500 adj4 -38333",
                       "y1 */ h adj1 100000\nx1 */ w adj2 100000\ny2 */ h adj3 100000\n"
                       "x2 */ w adj4 100000", _RECT + " |nofill M x1 y1 L x2 y2"),
    "callout1": ("adj1 18750 adj2 -8333 adj3 112500 adj4 -38333",
                 "y1 */ h adj1 100000\nx1 */ w adj2 100000\ny2 */ h adj3 100000\n"
                 "x2 */ w adj4 100000", "|nostroke " + _RECT + " |nofill M x1 y1 L x2 y2"),
    "downArrowCallout": ("adj1 25000 adj2 25000 adj3 25000 adj4 64977", _ARROW_CALLOUT_V
                         + "\ny3 +- b 0 dy3\ny2 val dy2",
                         "M l t L r t L r y2 L x3 y2 L x3 y3 L x4 y3 L hc b L x1 y3 L x2 y3 "
                         "L x2 y2 L l y2 Z"),
    "upArrowCallout": ("adj1 25000 adj2 25000 adj3 25000 adj4 64977", _ARROW_CALLOUT_V
                       + "\ny1 val dy3\ny2 +- b 0 dy2",
                       "M l y2 L x2 y2 L x2 y1 L x1 y1 L hc t L x4 y1 L x3 y1 L x3 y2 L r y2 "
                       "L r b L l b Z"),
    "rightArrowCallout": ("adj1 25000 adj2 25000 adj3 25000 adj4 64977", _ARROW_CALLOUT_H
                          + "\nx3 +- r 0 dx3\nx2 val dx2",
                          "M l t L x2 t L x2 y2 L x3 y2 L x3 y1 L r vc L x3 y4 L x3 y3 "
                          "L x2 y3 L x2 b L l b Z"),
    "leftArrowCallout": ("adj1 25000 adj2 25000 adj3 25000 adj4 64977", _ARROW_CALLOUT_H
                         + "\nx1 val dx3\nx2 +- r 0 dx2",
                         "M l vc L x1 y1 L x1 y2 L x2 y2 L x2 t L r t L r b L x2 b L x2 y3 "
                         "L x1 y3 L x1 y4 Z"),
    "flowChartProcess": ("", "", _RECT),
    "flowChartDecision": ("", "", "M l vc L hc t L r vc L hc b Z"),
    "flowChartAlternateProcess": ("", "x2 +- r 0 ssd6\ny2 +- b 0 ssd6",
                                  "M l ssd6 A ssd6 ssd6 cd2 cd4 L x2 t A ssd6 ssd6 3cd4 cd4 "
                                  "L r y2 A ssd6 ssd6 0 cd4 L ssd6 b A ssd6 ssd6 cd4 cd4 Z"),
    "flowChartTerminator": ("", "", "|w=21600 h=21600 M 3475 0 L 18125 0 "
                            "A 3475 10800 3cd4 cd2 L 3475 21600 A 3475 10800 cd4 cd2 Z"),
    "flowChartDocument": ("", "", "|w=21600 h=21600 M 0 0 L 21600 0 L 21600 17322 "
                          "C 10800 17322 10800 23922 0 20172 Z"),
    "flowChartMultidocument": ("", "", "|w=21600 h=21600 M 0 20782 C 9298 23542 9298 18022 "
                               "18595 18022 L 18595 3675 L 0 3675 Z M 1532 3675 L 1532 1815 "
                               "L 20000 1815 L 20000 16252 C 19298 16252 18595 16352 18595 16352 "
                               "L 18595 3675 Z M 2972 1815 L 2972 0 L 21600 0 L 21600 14392 "
                               "C 20800 14392 20000 14467 20000 14467 L 20000 1815 Z"),
    "flowChartPredefinedProcess": ("", "", "|w=8 h=8 M 0 0 L 8 0 L 8 8 L 0 8 Z "
                                   "|nofill w=8 h=8 M 1 0 L 1 8 M 7 0 L 7 8"),
    "flowChartInternalStorage": ("", "", "|w=8 h=8 M 0 0 L 8 0 L 8 8 L 0 8 Z "
                                 "|nofill w=8 h=8 M 1 0 L 1 8 M 0 1 L 8 1"),
    "flowChartInputOutput": ("", "", "|w=5 h=5 M 0 5 L 1 0 L 5 0 L 4 5 Z"),
    "flowChartManualInput": ("", "", "|w=5 h=5 M 0 1 L 5 0 L 5 5 L 0 5 Z"),
    "flowChartManualOperation": ("", "", "|w=5 h=5 M 0 0 L 5 0 L 4 5 L 1 5 Z"),
    "flowChartPreparation": ("", "", "|w=10 h=10 M 0 5 L 2 0 L 8 0 L 10 5 L 8 10 L 2 10 Z"),
    "flowChartConnector": ("", "", _ELLIPSE),
    "flowChartOffpageConnector": ("", "", "|w=10 h=10 M 0 0 L 10 0 L 10 8 L 5 10 L 0 8 Z"),
    "flowChartPunchedCard": ("", "", "|w=5 h=5 M 0 1 L 1 0 L 5 0 L 5 5 L 0 5 Z"),
    "flowChartMerge": ("", "", "|w=2 h=2 M 0 0 L 2 0 L 1 2 Z"),
    "flowChartExtract": ("", "", "|w=2 h=2 M 0 2 L 1 0 L 2 2 Z"),
    "flowChartSort": ("", "", "|w=2 h=2 M 0 1 L 1 0 L 2 1 L 1 2 Z |nofill w=2 h=2 M 0 1 L 2 1"),
    "flowChartCollate": ("", "", "|w=2 h=2 M 0 0 L 2 0 L 1 1 L 2 2 L 0 2 L 1 1 Z"),
    "flowChartDelay": ("", "", "M l t L hc t A wd2 hd2 3cd4 cd2 L l b Z"),
    "flowChartDisplay": ("", "", "|w=6 h=6 M 0 3 L 1 0 L 5 0 A 1 3 3cd4 cd2 L 1 6 Z"),
    "flowChartOnlineStorage": ("", "", "|w=6 h=6 M 1 0 L 6 0 A 1 3 3cd4 -10800000 L 1 6 "
                               "A 1 3 cd4 cd2 Z"),
    "flowChartMagneticDisk": ("", "", "|nostroke w=6 h=6 M 0 1 A 3 1 cd2 cd2 L 6 5 "
                              "A 3 1 0 cd2 Z |nofill w=6 h=6 M 6 1 A 3 1 0 cd2 "
                              "M 0 1 A 3 1 cd2 cd2 L 6 5 A 3 1 0 cd2 Z"),
    "flowChartOr": ("", "", _ELLIPSE + " |nofill M hc t L hc b M l vc L r vc"),
    "actionButtonBlank": ("", "", _RECT),
    "mathMinus": ("adj1 23520", "a1 pin 0 adj1 100000\ndy1 */ h a1 200000\n"
                  "dx1 */ w 73490 200000\ny1 +- vc 0 dy1\ny2 +- vc dy1 0\nx1 +- hc 0 dx1\n"
                  "x2 +- hc dx1 0", "M x1 y1 L x2 y1 L x2 y2 L x1 y2 Z"),
    "mathPlus": ("adj1 23520", "a1 pin 0 adj1 73490\ndx1 */ w 73490 200000\n"
                 "dy1 */ h 73490 200000\ndx2 */ ss a1 200000\nx1 +- hc 0 dx1\nx2 +- hc 0 dx2\n"
                 "x3 +- hc dx2 0\nx4 +- hc dx1 0\ny1 +- vc 0 dy1\ny2 +- vc 0 dx2\n"
                 "y3 +- vc dx2 0\ny4 +- vc dy1 0", "M x1 y2 L x2 y2 L x2 y1 L x3 y1 L x3 y2 "
                 "L x4 y2 L x4 y3 L x3 y3 L x3 y4 L x2 y4 L x2 y3 L x1 y3 Z"),
    # lines and connectors: open paths, never filled
    "line": ("", "", "|nofill M l t L r b"),
    "lineInv": ("", "", "|nofill M l b L r t"),
    "straightConnector1": ("", "", "|nofill M l t L r b"),
    "bentConnector2": ("", "", "|nofill M l t L r t L r b"),
    "bentConnector3": ("adj1 50000", "x1 */ w adj1 100000", "|nofill M l t L x1 t L x1 b L r b"),
    "bentConnector4": ("adj1 50000 adj2 50000", "x1 */ w adj1 100000\ny2 */ h adj2 100000",
                       "|nofill M l t L x1 t L x1 y2 L r y2 L r b"),
    "bentConnector5": ("adj1 50000 adj2 50000 adj3 50000", "x1 */ w adj1 100000\n"
                       "x3 */ w adj3 100000\ny2 */ h adj2 100000",
                       "|nofill M l t L x1 t L x1 y2 L x3 y2 L x3 b L r b"),
    "curvedConnector2": ("", "", "|nofill M l t C wd2 t r hd2 r b"),
    "curvedConnector3": ("adj1 50000", "x2 */ w adj1 100000\nx1 +/ l x2 2\nx3 +/ r x2 2\n"
                         "y3 */ h 3 4", "|nofill M l t C x1 t x2 hd4 x2 vc C x2 y3 x3 b r b"),
    "curvedConnector4": ("adj1 50000 adj2 50000", "x2 */ w adj1 100000\nx1 +/ l x2 2\n"
                         "x3 +/ r x2 2\nx4 +/ x2 x3 2\nx5 +/ x3 r 2\ny4 */ h adj2 100000\n"
                         "y1 +/ t y4 2\ny2 */ y1 1 2\ny3 +/ y1 y4 2\ny5 +/ b y4 2",
                         "|nofill M l t C x1 t x2 y2 x2 y1 C x2 y3 x4 y4 x3 y4 "
                         "C x5 y4 r y5 r b"),
    "curvedConnector5": ("adj1 50000 adj2 50000 adj3 50000", "x3 */ w adj1 100000\n"
                         "x6 */ w adj3 100000\nx1 +/ x3 x6 2\nx2 +/ l x3 2\nx4 +/ x3 x1 2\n"
                         "x5 +/ x6 x1 2\nx7 +/ x6 r 2\ny4 */ h adj2 100000\ny1 +/ t y4 2\n"
                         "y2 */ y1 1 2\ny3 +/ y1 y4 2\ny5 +/ b y4 2\ny6 +/ y5 y4 2\n"
                         "y7 +/ y5 b 2", "|nofill M l t C x2 t x3 y2 x3 y1 C x3 y3 x4 y4 x1 y4 "
                         "C x5 y4 x6 y6 x6 y5 C x6 y7 x7 b r b"),
}  # fmt: skip

# Stars: (default inner ratio adjust, horizontal and vertical stretch, first point angle).
_STARS: dict[str, tuple[int, int, int, float, int]] = {
    "star4": (4, 12500, 100000, 100000, -90), "star5": (5, 19098, 105146, 110557, -90),
    "star6": (6, 28868, 115470, 100000, 0), "star7": (7, 34601, 102572, 105210, -90),
    "star8": (8, 38250, 100000, 100000, 0), "star10": (10, 42533, 105146, 100000, 0),
    "star12": (12, 37500, 100000, 100000, 0), "star16": (16, 37500, 100000, 100000, 0),
    "star24": (24, 37500, 100000, 100000, 0), "star32": (32, 37500, 100000, 100000, 0),
}  # fmt: skip
_CONNECTORS = frozenset(k for k, v in DEFS.items() if v[2].startswith("|nofill"))


def known(name: str) -> bool:
    return name in DEFS or name in _STARS or name == "sun"


def is_line(name: str) -> bool:
    """Presets that are open strokes (lines, connectors): never filled."""
    return name in _CONNECTORS


def preset_paths(name: str, w: float, h: float, adjust: Mapping[str, float]) -> list[SubPath]:
    """The paths of preset ``name`` for a ``w`` × ``h`` box, in box fractions.

    ``adjust`` maps adjust names (``adj``, ``adj1``...) to values as written in
    ``a:avLst``. Raises KeyError for presets not defined here.
    """
    if name in _STARS:
        return [_star(name, w, h, adjust)]
    if name == "sun":
        return [_sun(w, h, adjust)]
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


def _star(name: str, w: float, h: float, adjust: Mapping[str, float]) -> SubPath:
    n, adj, hf, vf, start = _STARS[name]
    a = min(max(float(adjust.get("adj", adj)), 0.0), 50000.0)
    rx, ry = 0.5 * hf / 100000, 0.5 * vf / 100000
    cy = 0.5 * vf / 100000
    ops = []
    for k in range(2 * n):
        ang = math.radians(start + k * 180 / n)
        f = 1.0 if k % 2 == 0 else a / 50000
        ops.append(("L" if k else "M", (0.5 + rx * f * math.cos(ang), cy + ry * f * math.sin(ang))))
    ops.append(("Z", ()))
    return SubPath(tuple(ops))


def _sun(w: float, h: float, adjust: Mapping[str, float]) -> SubPath:
    """A disc and eight triangular rays; the adjust value sets the ray length."""
    a = min(max(float(adjust.get("adj", 25000)), 12500.0), 46875.0) / 100000
    disc = 0.5 - a - 0.04
    ops: list = []
    for k in range(8):
        ang = math.radians(k * 45)
        base = 0.5 - a + 0.02
        spread = math.radians(9)
        tip = (0.5 + 0.5 * math.cos(ang), 0.5 + 0.5 * math.sin(ang))
        p1 = (0.5 + base * math.cos(ang - spread), 0.5 + base * math.sin(ang - spread))
        p2 = (0.5 + base * math.cos(ang + spread), 0.5 + base * math.sin(ang + spread))
        ops += [("M", tip), ("L", p1), ("L", p2), ("Z", ())]
    g = Guides(1.0, 1.0)
    b = PathBuilder(g, 1.0, 1.0)
    b.cur = (0.5 - disc, 0.5)
    b.ops.append(("M", b.cur))
    b.arc_values(disc, disc, 10800000, 21600000)
    b.close()
    return SubPath(tuple(ops + b.ops))
