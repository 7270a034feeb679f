"""Slow and idle clients cannot starve a function of the local stacks.

Connections that open and say nothing, or send half a request and stop, used to hold every
one of a function's 8 threads: `/healthz` and uploads then waited forever. The stack's
functions are served by `deckpipe_emulators.serve` (more threads, socket timeouts).
"""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deckpipe_emulators.processes import free_ports

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
HALF_REQUEST = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"


@contextlib.contextmanager
def open_connections(url: str, count: int, first_bytes: bytes = b"") -> Iterator[list]:
    """`count` connections to url's host and port, each sending `first_bytes` then nothing."""
    host, port = url.removeprefix("http://").split(":")
    sockets = []
    try:
        for _ in range(count):
            connection = socket.create_connection((host, int(port)), timeout=5)
            if first_bytes:
                connection.sendall(first_bytes)
            sockets.append(connection)
        time.sleep(0.5)  # let the server accept them all and hand them to its threads
        yield sockets
    finally:
        for connection in sockets:
            connection.close()


def test_fifty_idle_connections_leave_healthz_and_upload_working(stack, make_deck) -> None:
    deck = make_deck(["Still served"])
    with open_connections(stack.urls["upload"], 50), open_connections(stack.urls["status"], 50):
        health = requests.get(stack.urls["upload"] + "/healthz", timeout=3)
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ready"
        accepted = requests.post(
            stack.urls["upload"],
            files={"file": ("still.pptx", io.BytesIO(deck), PPTX_TYPE)},
            timeout=5,
        )
        assert accepted.status_code == 202, accepted.text
        job = accepted.json()["job_id"]
        status = requests.get(f"{stack.urls['status']}/{job}", timeout=3)
        assert status.status_code == 200, status.text
        assert status.json()["state"] in ("queued", "processing", "done")


def test_fifty_half_sent_requests_leave_healthz_working(stack) -> None:
    with open_connections(stack.urls["upload"], 50, HALF_REQUEST):
        health = requests.get(stack.urls["upload"] + "/healthz", timeout=3)
        assert health.status_code == 200, health.text


ECHO_FUNCTION = """
import functions_framework


@functions_framework.http
def echo(request):
    return {"ok": True}
"""


@pytest.fixture
def tiny_server(tmp_path: Path) -> Iterator[str]:
    """One function on 2 threads with a 1 s socket timeout: easy to starve without timeouts."""
    source = tmp_path / "main.py"
    source.write_text(textwrap.dedent(ECHO_FUNCTION))
    [port] = free_ports(1)
    argv = [
        sys.executable, "-m", "deckpipe_emulators.serve", "--source", str(source),
        "--target", "echo", "--port", str(port), "--threads", "2", "--io-timeout", "1",
    ]  # fmt: skip
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.ConnectionError):
                requests.get(url, timeout=1)
                break
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_stalled_requests_are_dropped_after_the_socket_timeout(tiny_server: str) -> None:
    """More stalled requests than threads: each is cut after 1 s, so the server answers."""
    with open_connections(tiny_server, 6, HALF_REQUEST) as stalled:
        answer = requests.get(tiny_server, timeout=10)
        assert answer.json() == {"ok": True}
        for connection in stalled:
            connection.settimeout(5)
            try:
                leftover = connection.recv(1024)
            except ConnectionResetError:
                leftover = b""
            assert leftover == b"", "a stalled request was answered instead of dropped"
