"""What a step's ``apply`` returns: the word the report prints for a change made."""

from __future__ import annotations


def created(_: None) -> str:
    return "created"


def granted(_: None) -> str:
    return "granted"


def updated(_: None, fields: list[str] | None = None) -> str:
    return "updated" + (f" ({', '.join(fields)})" if fields else "")
