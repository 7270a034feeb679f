"""Errors that cross layer boundaries, each with a stable machine-readable code.

Two families matter to the worker: a ``DeckError`` is the deck's fault and is
final (retrying cannot help), a ``TransientError`` is the platform's fault and
must be retried. Everything else is a bug and is treated as transient, so a
fix plus a redelivery can still finish the job.
"""

from __future__ import annotations


class DeckpipeError(Exception):
    """Base class: carries a ``code`` clients can switch on and a plain message."""

    code = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class DeckError(DeckpipeError):
    """The deck itself cannot be converted; the job fails and is not retried.

    Codes: ``corrupt_deck`` (not a readable zip/OPC package), ``encrypted``
    (password-protected OLE2 container), ``legacy_format`` (binary .ppt),
    ``not_a_presentation`` (a zip that holds no presentation part),
    ``too_complex`` (exceeds a resource bound such as pixels or shape count).
    """

    code = "corrupt_deck"


CORRUPT_DECK_MESSAGE = "The file is damaged or is not a valid PowerPoint package."


def plain_message(code: str, message: str) -> str:
    """The words a user sees for a job's error ``code`` and stored ``message``.

    A corrupt deck's message may quote the parser's own exception ("AttributeError:
    ... override_lst", "negative seek value"): worth having in the log, meaningless
    to a user, so that code always reads the same. Other codes' messages are
    written for users where they are raised, and pass through.
    """
    return CORRUPT_DECK_MESSAGE if code == "corrupt_deck" else message


class TransientError(DeckpipeError):
    """A dependency (storage, job store, queue) failed; the work should be retried."""

    code = "unavailable"


class ConfigError(DeckpipeError):
    """A setting is missing or malformed; raised at start-up, never per request."""

    code = "bad_config"
