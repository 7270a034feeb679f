"""Run one conversion in a forked child, so a runaway deck fails its job, not the instance.

A warm worker forks; the child gets an address-space limit and renders from a
deck file to a PDF file, sending progress and its verdict up a pipe. The parent
relays progress (which renews the job's lease), renews the lease while a slow
slide renders, and enforces two clocks: the whole conversion and each slide.
Whatever happens in the child (a memory bomb, an endless loop, a crash in a C
extension), the parent ends it, frees everything with it, and fails the job
with a code. This is how LibreOffice wrappers learned to survive bad
documents; forking a process that has already imported the renderer and its
fonts keeps the per-job cost to a few milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import resource
import select
import signal
import struct
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import logs
from .errors import DeckError

log = logs.get_logger(__name__)

_HEADER = struct.Struct("!I")
MAX_MESSAGE = 64 << 20


@dataclass(frozen=True)
class Limits:
    memory_bytes: int | None  # address space the child may add to what it inherits
    timeout_seconds: float  # the whole conversion
    slide_timeout_seconds: float  # between two progress steps
    heartbeat_seconds: float  # renew the lease at least this often while waiting


@dataclass(frozen=True)
class Rendered:
    """What the child reports back: enough for the job record, nothing live."""

    pages: int
    details: dict[str, Any]


Progress = Callable[[int, int], None]
Render = Callable[..., Any]


def render_in_child(
    render: Render,
    deck_path: str,
    pdf_path: str,
    *,
    progress: Progress,
    heartbeat: Callable[[], None],
    limits: Limits,
) -> Rendered:
    """Render ``deck_path`` to ``pdf_path`` in a child process under ``limits``.

    Raises ``DeckError`` (``too_complex``, ``timeout``, or the renderer's own
    code) for the deck's faults; anything raised by ``progress`` or
    ``heartbeat`` (a lost lease, a job store outage) stops the child and
    propagates; an unexpected failure inside the child raises ``RuntimeError``,
    which the worker treats as transient.
    """
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(render, deck_path, pdf_path, write_fd, limits, parent)
    os.close(write_fd)
    try:
        return _supervise(pid, read_fd, progress, heartbeat, limits)
    finally:
        os.close(read_fd)
        _reap(pid)


# --- the child ------------------------------------------------------------------------


def _child(
    render: Render, deck_path: str, pdf_path: str, fd: int, limits: Limits, parent: int
) -> None:
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # A terminal's Ctrl-C reaches the whole foreground group; the worker decides
        # whether to finish or give the job back, and kills this child if it must.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent(parent)
        if limits.memory_bytes is not None:
            _limit_address_space(limits.memory_bytes)

        def send_progress(done: int, total: int) -> None:
            _send(fd, ("progress", int(done), int(total)))

        with open(deck_path, "rb") as deck, open(pdf_path, "wb") as pdf:
            report = render(deck, pdf, progress=send_progress)
        _send(fd, ("ok", Rendered(int(report.pages), report.as_dict())))
    except DeckError as exc:
        _send_quietly(fd, ("deck_error", exc.code, exc.message))
    except MemoryError:
        _send_quietly(fd, ("deck_error", "too_complex", _MEMORY_MESSAGE))
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent
        _send_quietly(fd, ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no buffers of the parent's flushed twice


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this child if the worker dies, so no orphan renders on."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _limit_address_space(extra_bytes: int) -> None:
    """Cap the child's address space at what it inherited plus ``extra_bytes``.

    The inherited part (interpreter, libraries, fonts) is mostly shared with the
    parent and not new memory; counting from it makes the budget mean what the
    conversion itself may take.
    """
    current = _vm_size()
    limit = current + extra_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _send(fd: int, message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    payload = _HEADER.pack(len(data)) + data
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _send_quietly(fd: int, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(BaseException):
        _send(fd, message)


# --- the parent -----------------------------------------------------------------------

_MEMORY_MESSAGE = (
    "The deck needs more memory than a conversion may use (very large pictures or "
    "too many shapes)."
)


def _supervise(
    pid: int, fd: int, progress: Progress, heartbeat: Callable[[], None], limits: Limits
) -> Rendered:
    started = time.monotonic()
    deadline = started + limits.timeout_seconds
    slide_deadline = started + limits.slide_timeout_seconds
    last_beat = started
    reader = _Reader(fd)
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise DeckError(
                    f"The conversion took longer than {_seconds(limits.timeout_seconds)} "
                    "and was stopped.", code="timeout")
            if now >= slide_deadline:
                raise DeckError(
                    f"A slide took longer than {_seconds(limits.slide_timeout_seconds)} "
                    "to draw and the conversion was stopped.", code="timeout")
            if now - last_beat >= limits.heartbeat_seconds:
                heartbeat()
                last_beat = time.monotonic()
            wait = min(deadline, slide_deadline, last_beat + limits.heartbeat_seconds) - now
            message = reader.next(max(wait, 0.0))
            if message is None:
                continue
            if message is _EOF:
                return _ended_without_verdict(pid)
            kind = message[0]
            if kind == "progress":
                progress(message[1], message[2])
                last_beat = slide_deadline = time.monotonic()
                slide_deadline += limits.slide_timeout_seconds
            elif kind == "ok":
                return message[1]
            elif kind == "deck_error":
                raise DeckError(message[2], code=message[1])
            else:
                log.error("conversion child failed: %s\n%s", message[1], message[2])
                raise RuntimeError(f"the conversion failed unexpectedly: {message[1]}")
    except BaseException:
        _kill(pid)
        raise


def _seconds(value: float) -> str:
    return "1 second" if value == 1 else f"{value:g} seconds"


_EOF = object()


class _Reader:
    """Length-prefixed pickles from the child, read without blocking past a timeout."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def next(self, timeout: float) -> Any:
        while True:
            message = self._take()
            if message is not None:
                return message
            ready, _, _ = select.select([self._fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                return _EOF
            self._buffer += chunk

    def _take(self) -> Any:
        if len(self._buffer) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self._buffer)
        if size > MAX_MESSAGE:
            raise RuntimeError("the conversion child sent an oversized message")
        end = _HEADER.size + size
        if len(self._buffer) < end:
            return None
        data = bytes(self._buffer[_HEADER.size:end])
        del self._buffer[:end]
        return pickle.loads(data)  # noqa: S301 - our own child, over our own pipe


def _ended_without_verdict(pid: int) -> Rendered:
    status = _reap(pid)
    if status is not None and os.WIFSIGNALED(status):
        # Killed from outside (an operator, the kernel's OOM killer) or crashed: not
        # provably the deck's fault, so the job is retried, within its attempt limit.
        name = signal.Signals(os.WTERMSIG(status)).name
        raise RuntimeError(f"the conversion process died ({name})")
    raise RuntimeError("the conversion process ended without a result")


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> int | None:
    """Wait for the child once; later calls find nothing and return None."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return status
