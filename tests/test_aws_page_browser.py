"""The upload page in Debian's Chromium against the local AWS stack
(``python -m deckpipe_emulators.aws_stack``: moto, the Lambda handlers behind function URL
fronts, convert on event source mappings): choose a deck, follow it, download its PDF."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, expect
from test_page_browser import Browsing, pdf_pages
from tests_support import visible_slide_count

DECK = "decks/tika/testPPT_groups.pptx"


@pytest.fixture(scope="module")
def aws_stack(tmp_path_factory) -> Iterator[SimpleNamespace]:
    folder = tmp_path_factory.mktemp("aws-stack")
    ports = [f"--{name}-port=0" for name in ("upload", "status", "result", "moto")]
    with (folder / "stack.err").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "deckpipe_emulators.aws_stack", *ports],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=folder, start_new_session=True,
        )
    try:
        urls = next((parsed for line in process.stdout
                     if "upload" in (parsed := json.loads(line))), None)
        assert urls, (folder / "stack.err").read_text()[-2000:]
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield SimpleNamespace(urls=urls)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def tab(browser: Browser, aws_stack) -> Iterator[Browsing]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    browsing = Browsing(page, aws_stack)
    page.on("pageerror", lambda error: browsing.errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: (
        "Content Security Policy" in message.text
        and browsing.errors.append(f"CSP: {message.text}")))
    try:
        yield browsing
    finally:
        context.close()
    assert browsing.errors == []


def test_choose_a_deck_and_download_its_pdf_on_the_aws_stack(tab: Browsing, corpus: Path):
    tab.open()
    expect(tab.page.get_by_text("Up to 4 MiB each")).to_be_visible()  # Lambda's payload
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / DECK)
    name = Path(DECK).name
    card = tab.wait_for_state(name, "done")
    deck = (corpus / DECK).read_bytes()
    expect(card).to_contain_text(f"Done: {visible_slide_count(deck)} pages")
    assert pdf_pages(tab.download(name)) == visible_slide_count(deck)
