"""The upload page in a real browser, against the real emulator stack, ``deckpipe serve`` and
the local AWS stack (``deckpipe dev --cloud aws``).

Debian's Chromium, driven by Playwright (which never downloads a browser of its own here),
does what a person does: picks or drops decks, watches progress, downloads PDFs, reloads,
uses only the keyboard, and meets a server that is down or slow. A failing test leaves a
screenshot and the browser console under ``test-results/<test name>/``.
"""

from __future__ import annotations

import base64
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, FileChooser, Locator, Page, Request, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pypdf import PdfReader
from tests_support import STACK_MAX_UPLOAD, visible_slide_count

from deckpipe import webpage
from deckpipe_emulators.stack import LocalStack

CONVERSION_TIMEOUT_MS = 90_000

SMALL_DECKS = [
    "decks/poi/backgrounds.pptx",
    "decks/poi/testPPT.pptx",
    "decks/tika/testPPT_groups.pptx",
]
LONG_DECK = "decks/poi/2411-Performance_Up.pptx"  # 48 slides: slow enough to reload mid-way
ENCRYPTED_DECK = "decks/aspose-py/test_password.pptx"
DAMAGED_DECK = "decks/poi/Divino_Revelado.pptx"

# Records every text the status line of any card shows, so a test can tell what a person saw
# between two polls. Injected by the browser (not by the page), so the CSP does not apply.
RECORD_STATUS_TEXTS = """
window.__statusTexts = [];
new MutationObserver((records) => {
  for (const record of records) {
    const node = record.target.nodeType === Node.ELEMENT_NODE
      ? record.target : record.target.parentElement;
    const line = node?.closest(".status-line");
    if (line) window.__statusTexts.push(line.textContent);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


@dataclass
class Browsing:
    """One browser tab on the stack's upload page, plus what the tab complained about."""

    page: Page
    stack: LocalStack
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.stack.urls["upload"] + "/"

    def open(self, url: str | None = None) -> None:
        self.page.goto(url or self.url)
        expect(self.page.locator("html")).to_have_attribute("data-ready", "true")

    def card(self, name: str) -> Locator:
        return self.page.get_by_role("listitem", name=name, exact=True)

    def wait_for_state(
        self, name: str, state: str, timeout: float = CONVERSION_TIMEOUT_MS
    ) -> Locator:
        card = self.card(name)
        expect(card).to_have_attribute("data-state", state, timeout=timeout)
        return card

    def upload_direct(
        self, deck: Path, storage: str, describe: Callable[[Request], str]
    ) -> tuple[Locator, list[str], list[str]]:
        """Choose ``deck`` and wait until it is done, recording each request to ``storage``
        (as ``describe`` renders it) and the content type of each POST to the upload
        function; checks on the way that the page showed real, rising byte progress."""
        to_storage: list[str] = []
        to_upload: list[str] = []
        self.page.on("request", lambda r: r.url.startswith(storage)
                     and to_storage.append(describe(r)))  # fmt: skip
        self.page.on("request", lambda r: r.url.startswith(self.stack.urls["upload"])
                     and r.method == "POST"
                     and to_upload.append(r.headers.get("content-type", "")))  # fmt: skip
        self.page.add_init_script(RECORD_STATUS_TEXTS)
        self.open()
        self.page.get_by_label("Choose PowerPoint decks").set_input_files(deck)
        card = self.wait_for_state(deck.name, "done")
        percents = _upload_percents(self.page.evaluate("window.__statusTexts"))
        assert len({p for p in percents if 0 < p < 100}) >= 3, percents  # real byte progress
        assert percents == sorted(percents)
        return card, to_storage, to_upload

    def download(self, name: str) -> bytes:
        link = self.card(name).get_by_role("link", name=f"Download PDF of {name}")
        with self.page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename == Path(name).stem + ".pdf"
        return Path(download.path()).read_bytes()


@pytest.fixture(params=["emulators", "serve", "aws"])
def page_stack(request) -> LocalStack | SimpleNamespace:
    """Where the page and the API are: the emulator stack's functions, ``deckpipe serve``
    with the page at ``BASE/upload/`` (as on a function) and the API on the same origin, or
    ``deckpipe dev --cloud aws`` (the Lambda handlers on moto, PDFs by presigned GET)."""
    if request.param == "emulators":
        return request.getfixturevalue("stack")
    if request.param == "aws":
        return request.getfixturevalue("aws_dev_stack")
    base = request.getfixturevalue("local_service").url
    return SimpleNamespace(urls={name: f"{base}/{name}" for name in ("upload", "status", "result")})


@pytest.fixture
def tab(browser: Browser, page_stack, request, output_dir: Path) -> Iterator[Browsing]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    browsing = Browsing(page, page_stack)
    page.on("console", lambda message: browsing.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: browsing.errors.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and browsing.errors.append(f"CSP: {message.text}")
        ),
    )
    try:
        yield browsing
    finally:
        failed = any(
            getattr(request.node, f"report_{phase}", None) is not None
            and getattr(request.node, f"report_{phase}").failed
            for phase in ("setup", "call")
        )
        if failed:
            output_dir.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output_dir / "failure.png"), full_page=True)
            (output_dir / "console.txt").write_text("\n".join(browsing.console) + "\n")
        context.close()
    # Every test also proves the page ran without script errors or policy violations.
    assert browsing.errors == []


def read_deck(corpus: Path, relpath: str) -> bytes:
    return (corpus / relpath).read_bytes()


def pdf_pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF-")
    return len(PdfReader(io.BytesIO(pdf)).pages)


def drop_files(page: Page, files: list[tuple[str, bytes]]) -> None:
    """Drag files from the desktop onto the page: dragenter, dragover, drop, with real Files."""
    payload = [{"name": name, "b64": base64.b64encode(data).decode()} for name, data in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const file of files) {
              const bytes = Uint8Array.from(atob(file.b64), (c) => c.charCodeAt(0));
              transfer.items.add(new File([bytes], file.name));
            }
            return transfer;
        }""",
        payload,
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#dropzone", event, {"dataTransfer": transfer})


# -- the main job ---------------------------------------------------------------------------


def test_choose_a_deck_follow_progress_and_download_the_pdf(tab: Browsing, corpus: Path) -> None:
    tab.page.add_init_script(RECORD_STATUS_TEXTS)
    tab.open()
    expect(tab.page.get_by_text(f"Up to {STACK_MAX_UPLOAD >> 20} MiB each")).to_be_visible()

    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / LONG_DECK)
    name = Path(LONG_DECK).name
    card = tab.wait_for_state(name, "done")

    upload_bar = card.get_by_role("progressbar", name=f"Upload of {name}")
    convert_bar = card.get_by_role("progressbar", name=f"Conversion of {name}")
    assert upload_bar.evaluate("bar => bar.value") == 100
    assert convert_bar.evaluate("bar => bar.value === bar.max")
    expect(card.locator(".convert-value")).to_have_text("100 %")
    deck = read_deck(corpus, LONG_DECK)
    expect(card).to_contain_text(f"Done: {visible_slide_count(deck)} pages")

    seen = tab.page.evaluate("window.__statusTexts")
    assert any(text.startswith("Uploading") for text in seen), seen
    slides = [re.fullmatch(r"Rendering slide (\d+) of (\d+)", text) for text in seen]
    for match in filter(None, slides):
        assert 1 <= int(match[1]) <= int(match[2]) == 48

    assert pdf_pages(tab.download(name)) == visible_slide_count(deck)
    expect(tab.page.locator("#announcer")).to_have_text(f"{name}: the PDF is ready to download.")


def test_three_dropped_decks_give_three_pdfs(tab: Browsing, corpus: Path) -> None:
    tab.open()
    files = [(Path(rel).name, read_deck(corpus, rel)) for rel in SMALL_DECKS]
    drop_files(tab.page, files)
    expect(tab.page.locator(".card")).to_have_count(3)
    for name, data in files:
        tab.wait_for_state(name, "done")
        assert pdf_pages(tab.download(name)) == visible_slide_count(data)


def test_slide_progress_is_shown_as_rendering_slide_n_of_total(tab: Browsing, corpus: Path) -> None:
    """How a card draws a job in progress: the status answer is held at 6 of 24 slides."""
    tab.open()
    processing = '{"state": "processing", "progress": {"done": 6, "total": 24}}'
    tab.page.route(
        re.compile(re.escape(tab.stack.urls["status"]) + "/.+"),
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=processing,
        ),
    )
    rel = SMALL_DECKS[0]
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / rel)
    card = tab.wait_for_state(Path(rel).name, "processing")
    expect(card.locator(".status-line")).to_have_text("Rendering slide 7 of 24")
    bar = card.get_by_role("progressbar", name=f"Conversion of {Path(rel).name}")
    assert bar.evaluate("bar => [bar.value, bar.max]") == [6, 24]
    expect(card.locator(".convert-value")).to_have_text("25 %")
    tab.page.unroute_all()
    tab.wait_for_state(Path(rel).name, "done")


# -- errors in plain words ------------------------------------------------------------------


def test_bad_files_fail_with_plain_words(tab: Browsing, corpus: Path, tmp_path: Path) -> None:
    tab.open()
    not_a_deck = tmp_path / "notes.pptx"
    not_a_deck.write_bytes(b"these are my speaker notes, not a deck" * 10)
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(
        [not_a_deck, corpus / ENCRYPTED_DECK, corpus / DAMAGED_DECK]
    )
    expected = {
        "notes.pptx": "This file is not a PowerPoint presentation.",
        Path(ENCRYPTED_DECK).name: "This deck is password-protected",
        Path(DAMAGED_DECK).name: "This file is damaged",
    }
    for name, words in expected.items():
        card = tab.wait_for_state(name, "failed")
        expect(card.locator(".error-line")).to_contain_text(words)
        expect(card.get_by_role("link", name=re.compile("Download"))).to_be_hidden()
        expect(card.get_by_role("button", name="Try again")).to_be_hidden()  # retrying cannot help


def test_obvious_mistakes_are_caught_before_any_upload(
    tab: Browsing, corpus: Path, tmp_path: Path
) -> None:
    # Pretend the server allows 1 KiB, so a real deck is "too large" without sending 100 MiB.
    small_limit = '{"uploadUrl": ".", "maxUploadBytes": 1024, "pollIntervalSeconds": 2}'
    tab.page.route(
        "**/config.json",
        lambda route: route.fulfill(status=200, content_type="application/json", body=small_limit),
    )
    posts: list[str] = []
    tab.page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    tab.open()
    expect(tab.page.get_by_text("Up to 1 KiB each")).to_be_visible()
    slides = tmp_path / "slides.key"
    slides.write_bytes(b"keynote")
    legacy = tmp_path / "old.ppt"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    empty = tmp_path / "empty.pptx"
    empty.write_bytes(b"")
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(
        [corpus / SMALL_DECKS[0], slides, legacy, empty]
    )
    expected = {
        Path(SMALL_DECKS[0]).name: "The file is larger than 1 KiB.",
        "slides.key": "This file is not a PowerPoint presentation (.pptx).",
        "old.ppt": "This is an old PowerPoint file (.ppt).",
        "empty.pptx": "The file is empty.",
    }
    for name, words in expected.items():
        card = tab.wait_for_state(name, "rejected", timeout=5_000)
        expect(card.locator(".error-line")).to_contain_text(words)
    assert posts == []


# -- leaving and coming back ----------------------------------------------------------------


def test_reload_mid_conversion_shows_the_card_again(tab: Browsing, corpus: Path) -> None:
    tab.open()
    name = Path(LONG_DECK).name
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / LONG_DECK)
    card = tab.card(name)
    expect(card).to_have_attribute("data-job-id", re.compile(r".+"))
    job_id = card.get_attribute("data-job-id")
    state_before = card.get_attribute("data-state")
    assert state_before in ("queued", "processing")  # the job has not finished yet

    tab.page.reload()
    expect(tab.page.locator("html")).to_have_attribute("data-ready", "true")
    card = tab.card(name)
    expect(card).to_have_attribute("data-job-id", job_id)
    expect(tab.page.locator(".card")).to_have_count(1)
    tab.wait_for_state(name, "done")
    assert pdf_pages(tab.download(name)) == visible_slide_count(read_deck(corpus, LONG_DECK))

    tab.page.reload()  # a finished job stays listed, with its download
    expect(tab.page.locator("html")).to_have_attribute("data-ready", "true")
    expect(tab.card(name).get_by_role("link", name=f"Download PDF of {name}")).to_be_visible()


# -- a server that is down or slow ----------------------------------------------------------


def _fast_polling(tab: Browsing, seconds: float) -> None:
    config = {"uploadUrl": ".", "maxUploadBytes": STACK_MAX_UPLOAD, "pollIntervalSeconds": seconds}
    tab.page.route(
        "**/config.json",
        lambda route: route.fulfill(status=200, content_type="application/json", json=config),
    )


def test_status_outage_shows_reconnecting_backs_off_and_recovers(
    tab: Browsing, corpus: Path
) -> None:
    _fast_polling(tab, 0.2)
    attempts: list[float] = []

    def refuse(route: Route) -> None:
        attempts.append(time.monotonic())
        route.abort("connectionrefused")

    status_pattern = re.compile(re.escape(tab.stack.urls["status"]) + "/.+")
    tab.page.route(status_pattern, refuse)
    tab.open()
    rel = SMALL_DECKS[1]
    name = Path(rel).name
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / rel)
    card = tab.card(name)
    expect(card.locator(".status-line")).to_contain_text("Reconnecting")
    expect(card).to_have_class(re.compile(r"\breconnecting\b"))
    deadline = time.monotonic() + 20
    while len(attempts) < 5 and time.monotonic() < deadline:
        tab.page.wait_for_timeout(200)
    assert len(attempts) >= 5, attempts
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:], strict=False)]
    # Each wait is about twice the one before (with +-20 % jitter): no tight retry loop.
    assert all(later > earlier * 1.2 for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps

    tab.page.unroute(status_pattern)
    tab.page.context.set_offline(True)
    tab.page.context.set_offline(False)  # the "online" event wakes the poller at once
    tab.wait_for_state(name, "done", timeout=60_000)
    expect(card.locator(".status-line")).to_contain_text("Done")
    expect(card).not_to_have_class(re.compile(r"\breconnecting\b"))


def test_a_slow_status_server_never_gets_stacked_requests(tab: Browsing, corpus: Path) -> None:
    _fast_polling(tab, 0.2)
    held: list[Route] = []
    status_pattern = re.compile(re.escape(tab.stack.urls["status"]) + "/.+")
    tab.page.route(status_pattern, lambda route: held.append(route))  # answer nothing yet
    tab.open()
    rel = SMALL_DECKS[1]
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / rel)
    expect(tab.card(Path(rel).name)).to_have_attribute("data-job-id", re.compile(r".+"))
    tab.page.wait_for_timeout(3_000)  # fifteen poll intervals
    assert len(held) == 1  # one request in flight, none queued behind it
    tab.page.unroute(status_pattern)
    for route in held:
        route.continue_()
    tab.wait_for_state(Path(rel).name, "done")


# -- keyboard, screen readers, phones, dark mode --------------------------------------------


def _focused(page: Page) -> str:
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return el.getAttribute('aria-label') || el.id || el.textContent.trim(); }"
    )


def _tab_to(page: Page, target: str, limit: int = 25) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page) == target:
            return
    raise AssertionError(f"Tab never reached {target!r}; last focus: {_focused(page)!r}")


def _choose_by_keyboard(page: Page, tries: int = 3) -> FileChooser:
    """Space on the focused file input opens the chooser.

    Headless Chromium now and then ignores the first key press after focus moved there
    (about one run in ten, with the input focused and no key handler on the page); the
    key is pressed again, with the focus checked each time. A page whose input cannot be
    activated from the keyboard fails every try.
    """
    for attempt in range(tries):
        assert page.evaluate("() => document.activeElement.id") == "file-input"
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press("Space")  # the key that activates a focused file input
            return chooser.value
        except PlaywrightTimeoutError:
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


def test_keyboard_only_walk_through(tab: Browsing, corpus: Path) -> None:
    tab.open()
    page = tab.page
    _tab_to(page, "file-input")
    label_outline = page.locator("#file-label").evaluate("el => getComputedStyle(el).outlineStyle")
    assert label_outline == "solid"  # the focused picker is visibly marked
    rel = SMALL_DECKS[2]
    name = Path(rel).name
    _choose_by_keyboard(page).set_files(corpus / rel)
    tab.wait_for_state(name, "done")
    expect(page.locator("#announcer")).to_have_text(f"{name}: the PDF is ready to download.")

    _tab_to(page, f"Download PDF of {name}")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    assert pdf_pages(Path(info.value.path()).read_bytes()) == visible_slide_count(
        read_deck(corpus, rel)
    )

    page.keyboard.press("Shift+Tab")
    assert _focused(page) == f"Remove {name} from the list"
    page.keyboard.press("Enter")
    expect(page.locator(".card")).to_have_count(0)
    assert _focused(page) == "decks-heading"  # focus lands somewhere sensible, not on <body>
    expect(page.locator("#announcer")).to_have_text(f"{name} removed from the list.")


def test_names_that_screen_readers_announce(tab: Browsing, corpus: Path) -> None:
    tab.open()
    page = tab.page
    picker = page.get_by_label("Choose PowerPoint decks")
    assert picker.evaluate("el => el.type") == "file"
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    rel = SMALL_DECKS[0]
    name = Path(rel).name
    picker.set_input_files(corpus / rel)
    card = tab.wait_for_state(name, "done")
    expect(card.get_by_role("progressbar", name=f"Upload of {name}")).to_be_visible()
    expect(card.get_by_role("progressbar", name=f"Conversion of {name}")).to_be_visible()
    expect(card.get_by_role("button", name=f"Remove {name} from the list")).to_be_visible()
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible()


def test_phone_sized_screen_and_dark_preference(tab: Browsing, corpus: Path) -> None:
    page = tab.page
    page.set_viewport_size({"width": 360, "height": 740})
    page.emulate_media(color_scheme="dark")
    tab.open()
    rel = SMALL_DECKS[0]
    name = Path(rel).name
    page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / rel)
    card = tab.wait_for_state(name, "done")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    download = card.get_by_role("link", name=f"Download PDF of {name}")
    box = download.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["height"] >= 40  # a comfortable touch target
    assert _luminance(page, "body", "backgroundColor") < 0.1
    assert _luminance(page, "body", "color") > 0.7
    page.emulate_media(color_scheme="light")
    assert _luminance(page, "body", "backgroundColor") > 0.8


def _luminance(page: Page, selector: str, prop: str) -> float:
    rgb = page.locator(selector).evaluate(f"el => getComputedStyle(el).{prop}")
    red, green, blue = (int(value) / 255 for value in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


# -- hosted elsewhere -----------------------------------------------------------------------


def test_page_hosted_as_static_files_elsewhere(
    tab: Browsing, corpus: Path, static_site: tuple[str, Path]
) -> None:
    """A bucket-website-like host on another origin: config.json points at the API, CORS lets it."""
    site_url, folder = static_site
    urls = tab.stack.urls
    webpage.export(
        folder,
        upload_url=urls["upload"],
        status_url=urls["status"],
        result_url=urls["result"],
        max_upload_bytes=20 << 20,
    )
    tab.open(site_url + "/index.html")
    rel = SMALL_DECKS[1]
    name = Path(rel).name
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / rel)
    tab.wait_for_state(name, "done")
    assert pdf_pages(tab.download(name)) == visible_slide_count(read_deck(corpus, rel))


def test_an_interrupted_upload_can_be_tried_again(tab: Browsing, corpus: Path) -> None:
    keys: list[str | None] = []

    def cut(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        route.abort("connectionreset")

    tab.page.route(lambda url: url.rstrip("/") == tab.stack.urls["upload"], cut)
    tab.open()
    rel = SMALL_DECKS[2]
    name = Path(rel).name
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(corpus / rel)
    card = tab.wait_for_state(name, "failed")
    expect(card.locator(".error-line")).to_have_text(
        "The upload was interrupted. Check your connection and try again."
    )
    tab.page.unroute_all()

    def record(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        route.continue_()

    tab.page.route(lambda url: url.rstrip("/") == tab.stack.urls["upload"], record)
    card.get_by_role("button", name="Try again").click()
    tab.wait_for_state(name, "done")
    # The same key again: had the cut-off attempt reached the server, no second job is made.
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    assert tab.page.evaluate(
        "() => JSON.parse(localStorage.getItem('deckpipe.jobs.v1')).length"
    ) == 1


# -- direct uploads: large decks go from the browser straight to storage ----------------------


def _big_deck(corpus: Path, folder: Path, megabytes: int) -> Path:
    """A corpus deck plus ``megabytes`` of incompressible media: above the direct threshold."""
    import zipfile

    path = folder / f"big-{megabytes}.pptx"
    with zipfile.ZipFile(corpus / "decks/poi/testPPT.pptx") as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(zipfile.ZipInfo("ppt/media/filler.bin"), os.urandom(megabytes << 20),
                        compress_type=zipfile.ZIP_STORED)
    return path


def _upload_percents(texts: list[str]) -> list[int]:
    return [int(m[1]) for m in map(re.compile(r"Uploading… (\d+) %").fullmatch, texts) if m]


@pytest.mark.parametrize("page_stack", ["emulators"], indirect=True)
def test_a_40_mib_deck_goes_straight_to_storage_with_byte_progress(
    tab: Browsing, corpus: Path, tmp_path: Path
) -> None:
    deck = _big_deck(corpus, tmp_path, 40)
    card, sent, posted = tab.upload_direct(
        deck, tab.stack.urls["storage"],
        lambda r: f"{r.method} {r.headers.get('content-range', '')}")
    # The bytes went to storage in chunks, never through the upload function.
    size = deck.stat().st_size
    puts = [line for line in sent if line.startswith("PUT ")]
    assert len(puts) == -(-size // (8 << 20)) and puts[-1].endswith(f"/{size}")
    assert posted and all(t.startswith("application/json") or t == "" for t in posted)
    expect(card).to_contain_text("Done:")
    assert tab.download(deck.name).startswith(b"%PDF-")


@pytest.mark.parametrize("page_stack", ["emulators"], indirect=True)
def test_a_direct_upload_resumes_after_a_network_cut(
    tab: Browsing, corpus: Path, tmp_path: Path
) -> None:
    """The second chunk's connection is reset; the page waits, asks storage how much it has
    (``Content-Range: bytes */SIZE``) and sends the rest. fake-gcs-server finalises an
    object on that question instead of answering it (measured), so the test answers it as
    Cloud Storage documents: 308 with the persisted ``Range``. Everything else is the
    emulator's."""
    deck = _big_deck(corpus, tmp_path, 17)
    size, chunk = deck.stat().st_size, 8 << 20
    storage = tab.stack.urls["storage"]
    seen: list[str] = []

    def network(route: Route) -> None:
        content_range = route.request.headers.get("content-range", "")
        seen.append(content_range)
        if content_range == f"bytes */{size}":
            route.fulfill(status=308, headers={
                "Range": f"bytes=0-{chunk - 1}", "Access-Control-Allow-Origin": "*",
                "Access-Control-Expose-Headers": "Range"})
        elif content_range.startswith(f"bytes {chunk}-") and seen.count(content_range) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    tab.page.route(lambda url: url.startswith(storage + "/upload/"), network)
    tab.page.add_init_script(RECORD_STATUS_TEXTS)
    tab.open()
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(deck)
    tab.wait_for_state(deck.name, "done")
    second = f"bytes {chunk}-{2 * chunk - 1}/{size}"
    assert seen == [f"bytes 0-{chunk - 1}/{size}", second, f"bytes */{size}", second,
                    f"bytes {2 * chunk}-{size - 1}/{size}"]
    texts = tab.page.evaluate("window.__statusTexts")
    cut = next(i for i, t in enumerate(texts) if t.startswith("Reconnecting"))
    after = _upload_percents(texts[cut:])
    assert after and min(after) >= 100 * chunk // size - 1 and max(after) > 90  # resumed
    assert pdf_pages(tab.download(deck.name)) >= 1


@pytest.mark.parametrize("page_stack", ["emulators"], indirect=True)
def test_a_presigned_post_target_is_sent_as_one_form_with_its_fields_first(
    tab: Browsing, corpus: Path, tmp_path: Path
) -> None:
    """The protocol the AWS backend offers (``s3-post``), played by the test: the announce
    and complete answers and the bucket's POST are routed; the page's part is real."""
    import json

    deck = _big_deck(corpus, tmp_path, 5)
    storage, upload = tab.stack.urls["storage"], tab.stack.urls["upload"]
    job_id = "ab" * 16
    fields = {"key": f"inputs/{job_id}.pptx", "Content-Type": "application/x", "policy": "cG8=",
              "x-amz-signature": "5167"}
    links = {"job_id": job_id, "status_url": f"{tab.stack.urls['status']}/{job_id}",
             "result_url": f"{tab.stack.urls['result']}/{job_id}",
             "complete_url": f"{upload}/{job_id}/complete"}
    calls: list[str] = []

    def api(route: Route) -> None:
        request = route.request
        if request.method == "POST" and request.url.endswith("/complete"):
            calls.append("complete")
            route.fulfill(status=202, content_type="application/json",
                          body=json.dumps({**links, "state": "queued"}))
        elif request.method == "POST":
            calls.append("announce " + json.dumps(request.post_data_json, sort_keys=True))
            target = {"url": f"{storage}/s3-bucket", "protocol": "s3-post", "method": "POST",
                      "headers": {}, "fields": fields, "expires_at": "2099-01-01T00:00:00Z"}
            route.fulfill(status=201, content_type="application/json",
                          body=json.dumps({**links, "state": "awaiting_upload", "upload": target}))
        else:
            route.continue_()

    def bucket(route: Route) -> None:
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers={"Access-Control-Allow-Origin": "*",
                                               "Access-Control-Allow-Methods": "POST"})
            return
        body = route.request.post_data_buffer or b""
        names = re.findall(rb'; name="([^"]+)"', body)
        # Playwright hands over the form's text parts, not the file's bytes: its name then.
        files = re.findall(rb'; filename="([^"]+)"', body)
        calls.append("bucket " + b",".join(names).decode() + " " + b",".join(files).decode())
        route.fulfill(status=204, headers={"Access-Control-Allow-Origin": "*"})

    tab.page.route(lambda url: url.startswith(upload), api)
    tab.page.route(f"{storage}/s3-bucket", bucket)
    tab.open()
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(deck)
    expect(tab.card(deck.name)).to_have_attribute("data-job-id", job_id)
    size = deck.stat().st_size
    announced = json.loads(calls[0].removeprefix("announce "))
    assert announced["filename"] == deck.name and announced["size"] == size
    assert announced["type"] in ("", "application/vnd.openxmlformats-officedocument."
                                     "presentationml.presentation")
    assert calls[1] == f"bucket {','.join([*fields, 'file'])} {deck.name}"  # the file last
    assert calls[2:] == ["complete"]
