"""EMF+ records (stored in EMF comments), for EMF files that draw only with EMF+.

Placeholder until the EMF+ reader lands: such a picture is reported.
"""

from __future__ import annotations

import struct

from . import emf
from .gdi import Device


def comments(data: bytes):  # noqa: ANN201
    """The EMF+ record blocks of an EMF's GDI comments."""
    for kind, rec in emf.records(data):
        if kind == 70 and len(rec) >= 16 and rec[12:16] == b"EMF+":
            (size,) = struct.unpack_from("<I", rec, 8)
            yield rec[16 : 12 + size]


def has_drawing(data: bytes) -> bool:
    return any(True for _ in comments(data))


def play(data: bytes, dev: Device) -> None:
    dev.notes.add("EMF+ drawing is not read")
