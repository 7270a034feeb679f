"""Shared fixtures: where the corpus lives."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aws_dev import aws_dev_stack  # noqa: F401 - the session's deckpipe dev --cloud aws
from aws_moto import moto_endpoint  # noqa: F401 - the session's moto server (AWS backends)
from tests_support import STACK_FUNCTION_ENV

from deckpipe import logs

pytest_plugins = ["deckpipe_emulators.pytest_plugin"]

# Log everything in tests, so a bad log call fails here rather than in production.
logs.configure("DEBUG")

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("DECKPIPE_CORPUS", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The read-only corpus beside the checkout; its absence is an error, not a skip."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        raise RuntimeError(f"corpus not found at {CORPUS}; set DECKPIPE_CORPUS")
    return CORPUS


def build_deck(texts: list[str], *, hidden: tuple[int, ...] = ()) -> bytes:
    """A small real deck made with python-pptx: one title slide per text."""
    import io

    from pptx import Presentation

    prs = Presentation()
    for index, text in enumerate(texts):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        slide.shapes.title.text = text
        if index in hidden:
            slide._element.set("show", "0")
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.fixture(scope="session")
def make_deck():
    return build_deck


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """``test-results/<test name>/``: where a test leaves screenshots and logs for a person."""
    name = request.node.nodeid.split("::", 1)[-1]
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return REPO / "test-results" / safe


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain static file server on 127.0.0.1 (a stand-in for a bucket website): (url, folder).

    It starts before the stack, so the functions can be told to allow its origin.
    """
    folder = tmp_path_factory.mktemp("static-site")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def stack_function_env(static_site: tuple[str, Path]) -> dict[str, str]:
    """One environment for the session's functions, whichever test module starts the stack."""
    return {**STACK_FUNCTION_ENV, "DECKPIPE_ALLOWED_ORIGINS": static_site[0]}


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory, stack_function_env: dict[str, str]):
    """One ``deckpipe serve`` (local backend, 2 workers, the functions' test settings) for the
    session's HTTP and browser tests; see tests/local_service.py."""
    from local_service import Service

    folder = tmp_path_factory.mktemp("deckpipe-serve")
    service = Service(folder / "data", folder / "serve.log", workers=2,
                      env=dict(stack_function_env)).start()
    try:
        yield service
    finally:
        service.stop()


CHROMIUM = Path(os.environ.get("DECKPIPE_CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing that phones home: the machine has no internet and Chromium's
# background connections would only be refused.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session, driven by Playwright (it downloads none).

    Defined here, once: a session fixture imported into several test modules would
    be started once per module, and a second Playwright inside the first one's
    event loop refuses to start.
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "(.ci/run does) or set DECKPIPE_CHROMIUM"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
