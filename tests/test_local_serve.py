"""End to end over HTTP against a real ``deckpipe serve`` (local backend, worker processes).

The same decks, checks and bad inputs as the emulator tests, on one origin; and the upload
page in Chromium, as test_page_browser drives it against the emulator stack.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from local_service import PPTX_TYPE
from pypdf import PdfReader
from test_e2e_emulators import E2E_DECKS, deck_words, pdf_text
from test_page_browser import (
    SMALL_DECKS,
    Browsing,
    drop_files,
    pdf_pages,
    read_deck,
)
from tests_support import STACK_MAX_UPLOAD, visible_slide_count


@pytest.mark.parametrize("relpath", E2E_DECKS)
def test_upload_convert_download(local_service, corpus, relpath):
    service = local_service
    deck = (corpus / relpath).read_bytes()
    name = Path(relpath).name
    response = service.upload(deck, name=name)
    assert response.status_code == 202, response.text
    body = response.json()
    job_id = body["job_id"]
    assert body["status_url"] == f"{service.url}/status/{job_id}"
    assert body["result_url"] == f"{service.url}/result/{job_id}"
    assert response.headers["Location"] == body["status_url"]

    view = service.wait_for(job_id)
    assert view["state"] == "done", view
    assert view["progress"]["done"] == view["progress"]["total"] == view["result"]["pages"]
    pdf = requests.get(view["result_url"], timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert int(pdf.headers["Content-Length"]) == len(pdf.content) == view["result"]["bytes"]
    assert Path(name).stem + ".pdf" in pdf.headers["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == visible_slide_count(deck)
    if name.endswith(".pptx"):
        text = pdf_text(pdf.content)
        missing = {word for word in deck_words(deck) if word not in text}
        assert not missing, f"words missing from the PDF: {sorted(missing)[:20]}"
    ranged = requests.get(view["result_url"], headers={"Range": "bytes=0-7"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == pdf.content[:8]
    stored = service.data_dir / "blobs" / "results" / f"{job_id}.pdf"
    assert stored.read_bytes() == pdf.content


def test_upload_rejections_match_the_cloud_functions(local_service, corpus):
    """The cases of test_e2e_emulators.test_upload_rejections_over_http, on /upload."""
    service, url = local_service, local_service.url + "/upload"
    before = sorted((service.data_dir / "blobs").rglob("*.pptx"))
    cases = [
        (requests.post(url, timeout=10), 400, "no_file"),
        (requests.post(url, files={"other": ("a.txt", b"x")}, timeout=10), 400, "no_file"),
        (service.upload(b"plain text, not a deck", name="fake.pptx"), 400, "not_a_presentation"),
        (service.upload((corpus / "decks/openxml-sdk/encrypted_pptx.pptx").read_bytes()), 400,
         "encrypted"),
        (service.upload((corpus / "decks/poi/Divino_Revelado.pptx").read_bytes()), 400,
         "corrupt_deck"),
        (requests.post(url, data=b"{}", headers={"Content-Type": "application/json"},
                       timeout=10), 415, "unsupported_media_type"),
        (requests.put(url, data=b"x", timeout=10), 405, "method_not_allowed"),
        (service.upload(b"PK\x03\x04" + b"\0" * (STACK_MAX_UPLOAD + 1)), 413, "too_large"),
        (service.upload(b"x", headers={"Idempotency-Key": "k" * 300}), 400,
         "bad_idempotency_key"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (code, response.text)
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
    assert sorted((service.data_dir / "blobs").rglob("*.pptx")) == before
    assert list((service.data_dir / "blobs" / ".tmp").iterdir()) == []


def test_status_result_and_unknown_paths_answer_json(local_service):
    unknown = "0123456789abcdef" * 2
    for base in ("/status", "/result"):
        for path in (unknown, "nonsense", ""):
            response = requests.get(f"{local_service.url}{base}/{path}", timeout=10)
            assert response.status_code == 404, (base, path)
            assert response.json()["error"]["code"] == "not_found"
    for path in ("/nothing/here", "/favicon.ico"):
        response = requests.get(local_service.url + path, timeout=10)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/json"


def test_idempotency_key_and_raw_body(local_service, corpus):
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    headers = {"Content-Type": PPTX_TYPE, "Idempotency-Key": "local-1", "X-Filename": "raw.pptx"}
    first = requests.post(local_service.url + "/upload", data=deck, headers=headers, timeout=30)
    again = requests.post(local_service.url + "/upload", data=deck, headers=headers, timeout=30)
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert local_service.wait_for(first.json()["job_id"])["filename"] == "raw.pptx"


def test_the_page_is_served_on_the_same_origin(local_service):
    page = requests.get(local_service.url + "/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]
    config = requests.get(local_service.url + "/config.json", timeout=10).json()
    assert config["uploadUrl"] == "upload"  # resolved against the page: POST /upload
    for asset in ("app.js", "app.css"):
        assert requests.get(f"{local_service.url}/{asset}", timeout=10).status_code == 200


def test_idle_connections_do_not_block_health_or_uploads(local_service, make_deck):
    host, port = local_service.url.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(50)]
    try:
        for sock in idle[:25]:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        assert requests.get(local_service.url + "/healthz", timeout=10).status_code == 200
        response = local_service.upload(make_deck(["while others idle"]))
        assert response.status_code == 202, response.text  # within its 60 s timeout
    finally:
        for sock in idle:
            sock.close()


# --- the upload page in a real browser, on the one origin ------------------------------


@pytest.fixture
def tab(browser, local_service, request, output_dir):
    """test_page_browser's tab, pointed at deckpipe serve's page (``/``)."""
    stack = SimpleNamespace(urls={"upload": local_service.url, "status": local_service.url,
                                  "result": local_service.url})
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    browsing = Browsing(page, stack)
    page.on("console", lambda message: browsing.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: browsing.errors.append(f"uncaught: {error}"))
    page.on("console", lambda message: "Content Security Policy" in message.text
            and browsing.errors.append(f"CSP: {message.text}"))
    try:
        yield browsing
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            output_dir.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output_dir / "failure.png"), full_page=True)
            (output_dir / "console.txt").write_text("\n".join(browsing.console) + "\n")
        context.close()
    assert browsing.errors == []  # no script errors, no policy violations


def test_the_page_converts_a_chosen_deck_and_downloads_the_pdf(tab, corpus):
    tab.open()
    deck = corpus / "decks/poi/testPPT.pptx"
    tab.page.get_by_label("Choose PowerPoint decks").set_input_files(deck)
    tab.wait_for_state(deck.name, "done")
    assert pdf_pages(tab.download(deck.name)) == visible_slide_count(deck.read_bytes())


def test_the_page_converts_three_dropped_decks(tab, corpus):
    tab.open()
    files = [(Path(rel).name, read_deck(corpus, rel)) for rel in SMALL_DECKS]
    drop_files(tab.page, files)
    for name, data in files:
        tab.wait_for_state(name, "done")
        assert pdf_pages(tab.download(name)) == visible_slide_count(data)


def test_a_declared_oversize_body_is_refused_before_it_is_sent(local_service):
    """The server refuses it by its Content-Length (waitress's own refusal, as JSON): the
    client sends the headers alone and still gets its answer."""
    from urllib.parse import urlsplit

    address = urlsplit(local_service.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(b"POST /upload HTTP/1.1\r\nHost: deckpipe\r\n"
                     b"Content-Type: application/octet-stream\r\n"
                     b"Content-Length: 209715200\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = conn.recv(65536)  # a server waiting for the body times this out: a failure
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body)["error"]["code"] == "too_large"
