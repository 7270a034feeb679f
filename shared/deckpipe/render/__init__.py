"""PPTX → PDF rendering.

Two rooms: the resolver (``resolve`` and helpers) reads the deck and produces
fully resolved draw items per slide (``model``); the painter (``paint``)
draws them with reportlab. ``render_deck`` ties them together.
"""

from .api import RenderOptions, RenderReport, render_deck
from .model import RenderWarning

__all__ = ["RenderOptions", "RenderReport", "RenderWarning", "render_deck"]
