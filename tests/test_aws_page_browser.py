"""The upload page in Debian's Chromium against the local AWS stack (``deckpipe dev --cloud
aws``, the session's ``aws_dev_stack``: moto, the Lambda handlers behind function URL fronts,
convert on event source mappings). What only AWS has: a large deck goes from the browser
straight to S3 as one presigned POST form, with byte progress, and its PDF comes back through
``result``'s 303 to a presigned GET. The rest of the page's tests run on this stack too
(``page_stack``'s ``aws`` in test_page_browser.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_dev import BUCKET, AwsDevStack
from playwright.sync_api import Browser, expect
from test_page_browser import (
    Browsing,
    _big_deck,
    pdf_pages,
)
from tests_support import visible_slide_count


@pytest.fixture
def tab(browser: Browser, aws_dev_stack: AwsDevStack) -> Iterator[Browsing]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    browsing = Browsing(page, aws_dev_stack)
    page.on("pageerror", lambda error: browsing.errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: (
        "Content Security Policy" in message.text
        and browsing.errors.append(f"CSP: {message.text}")))
    try:
        yield browsing
    finally:
        context.close()
    assert browsing.errors == []


def test_a_large_deck_goes_straight_to_s3_as_one_form_with_byte_progress(
    tab: Browsing, corpus: Path, tmp_path: Path
) -> None:
    deck = _big_deck(corpus, tmp_path, 12)  # over Lambda's 6 MB, over the 4 MiB threshold
    # On loopback the whole form leaves in one go; a link of 8 MiB/s up (Chromium's own
    # throttling) lets the page report the bytes as a person's connection would.
    devtools = tab.page.context.new_cdp_session(tab.page)
    devtools.send("Network.enable")
    devtools.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": 8 << 20})
    bucket = f"{tab.stack.urls['moto']}/{BUCKET}"
    card, to_bucket, to_upload = tab.upload_direct(
        deck, tab.stack.urls["moto"], lambda r: f"{r.method} {r.url}")
    # One POST of the form to the bucket; the upload function saw only the announce and the
    # completion (JSON), never the deck.
    assert [line for line in to_bucket if line.startswith("POST")] == [f"POST {bucket}"]
    assert to_upload and all(t.startswith("application/json") or t == "" for t in to_upload)
    job_id = card.get_attribute("data-job-id")
    assert tab.stack.deck_stored(job_id)
    pages = visible_slide_count(deck.read_bytes())
    expect(card).to_contain_text(f"Done: {pages} pages")
    assert pdf_pages(tab.download(deck.name)) == pages  # through the 303 to a presigned GET


def test_a_large_file_that_is_no_deck_fails_in_plain_words_after_its_post(
    tab: Browsing, tmp_path: Path
) -> None:
    """Only the stored object shows what a big file is: completion refuses it (and deletes it),
    and the card says why in plain words, with no retry offered."""
    fake = tmp_path / "scan.pptx"
    fake.write_bytes(b"%PDF-1.7\n" + os.urandom(5 << 20))  # over the 4 MiB threshold
    posts: list[str] = []
    tab.page.on("request", lambda r: r.url.startswith(tab.stack.urls["moto"])
                and r.method == "POST" and posts.append(r.url))
    tab.open()
    upload = tab.stack.urls["upload"]
    with tab.page.expect_response(lambda r: r.request.method == "POST"
                                  and r.url.rstrip("/") == upload) as announced:
        tab.page.get_by_label("Choose PowerPoint decks").set_input_files(fake)
    job_id = announced.value.json()["job_id"]
    card = tab.wait_for_state(fake.name, "failed")
    expect(card.locator(".error-line")).to_contain_text(
        "This file is not a PowerPoint presentation.")
    expect(card.get_by_role("button", name="Try again")).to_be_hidden()
    assert posts == [f"{tab.stack.urls['moto']}/{BUCKET}"]  # it did go to the bucket
    assert tab.stack.status(job_id)["error"]["code"] == "not_a_presentation"
    assert not tab.stack.deck_stored(job_id)
