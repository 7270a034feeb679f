"""Read one file field out of a multipart/form-data body as a stream of chunks.

Werkzeug's form parser spools files to temporary storage, which on Cloud
Functions is memory; this uses its push parser (``MultipartDecoder``) so the
file passes through in bounded chunks and is never held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import NEED_DATA, Data, Epilogue, Field, File, MultipartDecoder

from .errors import DeckpipeError

READ_SIZE = 64 * 1024
MAX_PARTS = 32


class MalformedForm(DeckpipeError):
    """A form we will not read; ``status`` is the HTTP status to answer with."""

    code = "malformed_form"

    def __init__(self, message: str, *, code: str | None = None, status: int = 400) -> None:
        super().__init__(message, code=code)
        self.status = status


class MultipartFile:
    """The first part named ``field`` that carries a file: its name, then its bytes."""

    def __init__(self, stream: BinaryIO, boundary: str, field: str = "file") -> None:
        self._stream = stream
        self._field = field
        self._decoder = MultipartDecoder(boundary.encode("latin-1"), max_parts=MAX_PARTS)
        self._eof = False
        self.filename: str | None = None
        self.found = False

    def _events(self) -> Iterator[object]:
        while True:
            try:
                event = self._decoder.next_event()
            except RequestEntityTooLarge:
                raise MalformedForm(
                    f"The form has too many parts: send at most {MAX_PARTS}, with the deck "
                    "in the field 'file'.",
                    code="too_many_parts",
                    status=413,
                ) from None
            except ValueError as exc:
                raise MalformedForm("The multipart form is malformed.") from exc
            if event is NEED_DATA:
                if self._eof:
                    return
                chunk = self._stream.read(READ_SIZE)
                self._eof = not chunk
                self._decoder.receive_data(chunk or None)
                continue
            yield event
            if isinstance(event, Epilogue):
                return

    def open(self) -> bool:
        """Advance to the file part; False if the form has none."""
        self._iter = self._events()
        for event in self._iter:
            if isinstance(event, File) and event.name == self._field:
                self.filename = event.filename
                self.found = True
                return True
            if isinstance(event, Field) and event.name == self._field:
                return False  # a text field, not a file: treated as "no file"
        return False

    def chunks(self) -> Iterator[bytes]:
        if not self.found:
            return
        for event in self._iter:
            if isinstance(event, Data):
                if event.data:
                    yield event.data
                if not event.more_data:
                    return
            else:
                return
        raise MalformedForm("The multipart form ended in the middle of the file.")
