"""Issue 9, the HTTP side: every answer JSON with a code, Unicode names, RFC 9110 ranges,
outages answered 503 without orphans or double jobs, hostile names, links and OLE2 files.

Most cases call the adapters on the in-memory backends; the refusals that happen in the
server itself (gunicorn, Flask's routing, the body left unread) run against a real
Functions Framework process of the upload function, started once for this module.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from flask import Request
from pypdf import PdfReader
from tests_support import ENV, ole2_container
from werkzeug.test import EnvironBuilder

from deckpipe import jobs, web
from deckpipe.config import load_settings
from deckpipe.errors import TransientError
from deckpipe.runtime import build
from deckpipe.sniff import OleScanner, check_magic
from deckpipe.upload import PPTX_TYPE, clean_filename

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rt():
    return build(load_settings(ENV))


@pytest.fixture
def deck(make_deck):
    return make_deck(["Hello deckpipe"])


def request(method="GET", path="/", **kwargs) -> Request:
    return Request(EnvironBuilder(method=method, path=path, **kwargs).get_environ())


def post_file(rt, data: bytes, filename="talk.pptx", headers=None):
    req = request("POST", data={"file": (io.BytesIO(data), filename)}, headers=headers or {})
    return web.upload(rt, req)


def body(response) -> dict:
    assert response.mimetype == "application/json", response.get_data()[:200]
    return json.loads(response.get_data())


def error_code(response) -> str:
    return body(response)["error"]["code"]


PDF = b"%PDF-1.4\n" + bytes(range(256)) * 10 + b"%%EOF\n"


def done_job(rt, deck: bytes, filename: str, pdf: bytes = PDF) -> str:
    """Upload ``deck`` as ``filename`` and mark its job done with ``pdf`` stored."""
    job_id = body(post_file(rt, deck, filename=filename))["job_id"]
    job = rt.jobs.get(job_id)
    rt.blobs.put(job.result_object, pdf, content_type="application/pdf")
    rt.jobs.jobs[job_id] = job.replace(state=jobs.DONE, pages=1, result_bytes=len(pdf))
    return job_id


# --- Unicode and hostile file names ---------------------------------------------------


@pytest.mark.parametrize(
    ("uploaded", "fallback"),
    [
        ("Quarterly \u2014 Review.pptx", "Quarterly - Review.pdf"),
        ("\u4f1a\u8b70\u8cc7\u6599.pptx", "deck.pdf"),
        ("Party \U0001f389 plan.pptx", "Party _ plan.pdf"),
        ("Cr\u00e8me br\u00fbl\u00e9e.pptx", "Creme brulee.pdf"),
    ],
)
def test_unicode_names_download_with_rfc6266_disposition(rt, deck, uploaded, fallback):
    job_id = done_job(rt, deck, uploaded)
    expected = clean_filename(uploaded).rsplit(".", 1)[0] + ".pdf"
    for method in ("GET", "HEAD"):
        response = web.result(rt, request(method, path=f"/{job_id}"))
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        disposition.encode("latin-1")  # a header a server can send (this was the 500)
        assert disposition.isascii()
        assert f'filename="{fallback}"' in disposition
        star = disposition.split("filename*=", 1)[1]
        assert star.startswith("UTF-8''")
        assert unquote(star[len("UTF-8''"):], encoding="utf-8") == expected
    assert b"".join(web.result(rt, request(path=f"/{job_id}")).response) == PDF


def test_disposition_of_names_with_quotes_semicolons_and_percent_signs():
    header = web.content_disposition('say "hi"; 100% \u00e9t\u00e9.pdf')
    assert header.startswith('attachment; filename="say hi_ 100_ ete.pdf"; ')
    assert header.endswith("filename*=UTF-8''say%20hi%3B%20100%25%20%C3%A9t%C3%A9.pdf")


def test_bidi_and_control_characters_are_removed_at_upload_and_when_answering(rt, deck):
    response = post_file(rt, deck, filename="invoice\u202efdp.exe\u2066\x07.pptx")
    job_id = body(response)["job_id"]
    assert rt.jobs.get(job_id).filename == "invoicefdp.exe.pptx"
    # A job stored before names were cleaned is answered clean too.
    job = rt.jobs.get(job_id)
    rt.jobs.jobs[job_id] = job.replace(filename="old\u202e\u200fname\x1b.pptx")
    assert body(web.status(rt, request(path=f"/{job_id}")))["filename"] == "oldname.pptx"
    rt.blobs.put(job.result_object, PDF, content_type="application/pdf")
    rt.jobs.jobs[job_id] = rt.jobs.jobs[job_id].replace(state=jobs.DONE)
    disposition = web.result(rt, request(path=f"/{job_id}")).headers["Content-Disposition"]
    assert 'filename="oldname.pdf"' in disposition
    assert "%E2%80%AE" not in disposition and "%1B" not in disposition


@pytest.mark.parametrize(
    "name",
    ["a\u202ab", "a\u202bb", "a\u202cb", "a\u202db", "a\u202eb", "a\u2066b", "a\u2067b",
     "a\u2068b", "a\u2069b", "a\u200eb", "a\u200fb", "a\u061cb", "a\x00b", "a\x7fb", "a\x85b",
     "a\u2028b"],
)
def test_each_listed_invisible_character_is_removed(name):
    assert clean_filename(name + ".pptx") == "ab.pptx"


# --- Range per RFC 9110 ---------------------------------------------------------------


N = len(PDF)


@pytest.mark.parametrize(
    ("headers", "status", "content_range"),
    [
        ({"Range": "bytes=0-9"}, 206, f"bytes 0-9/{N}"),
        ({"Range": "bytes=10-"}, 206, f"bytes 10-{N - 1}/{N}"),
        ({"Range": "bytes=-6"}, 206, f"bytes {N - 6}-{N - 1}/{N}"),
        ({"Range": f"bytes=5-{N + 500}"}, 206, f"bytes 5-{N - 1}/{N}"),
        ({"Range": f"bytes=-{N * 3}"}, 206, f"bytes 0-{N - 1}/{N}"),  # suffix over the size
        ({"Range": "bytes=-0"}, 416, f"bytes */{N}"),
        ({"Range": f"bytes={N}-"}, 416, f"bytes */{N}"),
        ({"Range": f"bytes={N}-,{N + 5}-{N + 9}"}, 416, f"bytes */{N}"),
        ({"Range": "items=0-5"}, 200, None),  # unknown unit: ignored
        ({"Range": "bytes=0-1,5-6"}, 200, None),  # several ranges: the whole file
        ({"Range": "bytes=9-3"}, 200, None),  # invalid: ignored
        ({"Range": "bytes=abc"}, 200, None),
        ({"Range": "bytes=-"}, 200, None),
        ({"Range": "bytes=0-9", "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT"}, 200, None),
        ({"Range": "bytes=0-9", "If-Range": '"not-our-etag"'}, 200, None),
    ],
)
def test_ranges_follow_rfc_9110(rt, deck, headers, status, content_range):
    job_id = done_job(rt, deck, "r.pptx")
    for method in ("GET", "HEAD"):
        response = web.result(rt, request(method, path=f"/{job_id}", headers=headers))
        assert response.status_code == status, (method, headers)
        assert response.headers.get("Content-Range") == content_range
        if status == 416:
            assert error_code(response) == "range_not_satisfiable"
            continue
        payload = b"".join(response.response)
        if method == "HEAD":
            assert payload == b""
        else:
            expected = PDF
            if content_range:
                first, last = content_range.split()[1].split("/")[0].split("-")
                expected = PDF[int(first) : int(last) + 1]
            assert payload == expected
        assert int(response.headers["Content-Length"]) == (
            len(PDF) if status == 200 else int(last) - int(first) + 1)


def test_if_range_with_our_strong_etag_and_weak_tags(rt, deck):
    job_id = done_job(rt, deck, "r.pptx")
    etag = web.result(rt, request(path=f"/{job_id}")).headers["ETag"]
    same = web.result(rt, request(path=f"/{job_id}", headers={"Range": "bytes=0-3",
                                                              "If-Range": etag}))
    assert same.status_code == 206 and b"".join(same.response) == PDF[:4]
    weak = web.result(rt, request(path=f"/{job_id}", headers={"Range": "bytes=0-3",
                                                              "If-Range": "W/" + etag}))
    assert weak.status_code == 200 and b"".join(weak.response) == PDF


def test_head_answers_the_same_headers_as_get(rt, deck):
    job_id = done_job(rt, deck, "Caf\u00e9 \u2014 \u65e5\u672c.pptx")
    for headers in ({}, {"Range": "bytes=3-30"}, {"Range": "bytes=-0"}):
        get = web.result(rt, request("GET", path=f"/{job_id}", headers=headers))
        head = web.result(rt, request("HEAD", path=f"/{job_id}", headers=headers))
        assert get.status_code == head.status_code
        for name in ("Content-Type", "Content-Length", "Content-Range", "Content-Disposition",
                     "ETag", "Accept-Ranges", "Cache-Control"):
            assert get.headers.get(name) == head.headers.get(name), name


# --- outages: 503 JSON with Retry-After, no orphan, no double job -------------------


def _down(*args, **kwargs):
    raise TransientError("Firestore unavailable: ServiceUnavailable: 503 connection refused")


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert error_code(response) == "unavailable"
    assert "retry" in body(response)["error"]["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_status_and_result_answer_503_when_the_job_store_is_down(rt, deck, monkeypatch):
    job_id = done_job(rt, deck, "a.pptx")
    monkeypatch.setattr(rt.jobs, "get", _down)
    assert_unavailable(web.status(rt, request(path=f"/{job_id}")))
    assert_unavailable(web.result(rt, request(path=f"/{job_id}")))
    assert_unavailable(web.result(rt, request("HEAD", path=f"/{job_id}")))


def test_result_answers_503_when_storage_is_down(rt, deck, monkeypatch):
    job_id = done_job(rt, deck, "a.pptx")
    monkeypatch.setattr(rt.blobs, "stat", _down)
    assert_unavailable(web.result(rt, request(path=f"/{job_id}")))


def test_upload_answers_503_when_storage_is_down(rt, deck, monkeypatch):
    monkeypatch.setattr(rt.blobs, "upload", _down)
    assert_unavailable(post_file(rt, deck))
    assert rt.jobs.jobs == {} and rt.queue.messages == []


def test_job_store_down_after_the_deck_is_stored_leaves_no_orphan(rt, deck, monkeypatch):
    monkeypatch.setattr(rt.jobs, "create", _down)
    assert_unavailable(post_file(rt, deck, headers={"Idempotency-Key": "k-down"}))
    assert rt.blobs.objects == {} and rt.jobs.jobs == {} and rt.queue.messages == []


def test_a_create_whose_answer_was_lost_is_one_job_not_a_503(rt, deck, monkeypatch):
    """The write landed, the answer did not: the upload finds its own job and goes on,
    and the client's retry with the same key gets that job back, not a second one."""
    real_create = rt.jobs.create

    def lands_then_fails(job, *, idempotency_key=None):
        real_create(job, idempotency_key=idempotency_key)
        raise TransientError("Firestore unavailable: DeadlineExceeded")

    monkeypatch.setattr(rt.jobs, "create", lands_then_fails)
    first = post_file(rt, deck, headers={"Idempotency-Key": "k-lost"})
    assert first.status_code == 202
    monkeypatch.setattr(rt.jobs, "create", real_create)
    again = post_file(rt, deck, headers={"Idempotency-Key": "k-lost"})
    assert body(again)["job_id"] == body(first)["job_id"]
    assert len(rt.jobs.jobs) == 1 and len(rt.queue.messages) == 1
    assert list(rt.blobs.objects) == [f"inputs/{body(first)['job_id']}.pptx"]


def test_store_unreachable_keeps_the_deck_for_the_sweeper(rt, deck, monkeypatch):
    """Whether the job was written is unknown: deleting the deck could strand a real
    job, so it stays, listed with its age for the reaper's sweep."""
    monkeypatch.setattr(rt.jobs, "create", _down)
    monkeypatch.setattr(rt.jobs, "get", _down)
    assert_unavailable(post_file(rt, deck))
    [left] = list(rt.blobs.list("inputs/"))
    assert left.name.startswith("inputs/") and left.size == len(deck)
    assert left.created_at is not None and left.created_at <= datetime.now(UTC)
    assert list(rt.blobs.list("results/")) == []


def test_unexpected_exceptions_are_a_plain_500_with_the_details_logged(rt, deck, monkeypatch,
                                                                      capsys):
    job_id = done_job(rt, deck, "a.pptx")

    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'override_lst'")

    monkeypatch.setattr(rt.blobs, "stat", broken)
    response = web.result(rt, request(path=f"/{job_id}"))
    assert response.status_code == 500 and error_code(response) == "internal"
    assert "override_lst" not in response.get_data(as_text=True)
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()
              if line.startswith("{")]
    [entry] = [e for e in logged if e.get("exception")]
    assert entry["job_id"] == job_id and "override_lst" in entry["exception"]
    monkeypatch.setattr(rt.jobs, "create", broken)
    response = post_file(rt, deck)
    assert response.status_code == 500 and error_code(response) == "internal"


def test_a_failed_job_s_technical_message_is_answered_in_plain_words(rt, deck):
    job_id = body(post_file(rt, deck))["job_id"]
    technical = ("The file is damaged or is not a valid PowerPoint package (AttributeError: "
                 "'CT_Types' object has no attribute 'override_lst').")
    rt.jobs.jobs[job_id] = rt.jobs.get(job_id).replace(
        state=jobs.FAILED, error=jobs.JobError("corrupt_deck", technical))
    for response in (web.status(rt, request(path=f"/{job_id}")),
                     web.result(rt, request(path=f"/{job_id}"))):
        error = body(response)["error"]
        assert error["code"] == "corrupt_deck"
        assert "override_lst" not in error["message"] and "Error" not in error["message"]


# --- forms and bodies ----------------------------------------------------------------


def test_a_form_with_100_parts_is_413_json(rt, deck):
    fields = {f"field{i}": "x" for i in range(99)}
    req = request("POST", data={**fields, "file": (io.BytesIO(deck), "a.pptx")})
    response = web.upload(rt, req)
    assert response.status_code == 413 and error_code(response) == "too_many_parts"
    assert rt.blobs.objects == {}


def test_a_refused_large_body_is_left_unread(rt):
    environ = EnvironBuilder(method="POST", data=b"x" * 100, content_type=PPTX_TYPE).get_environ()
    environ["CONTENT_LENGTH"] = str(200 << 20)  # declared, never sent
    req = Request(environ)
    response = web.upload(rt, req)
    assert response.is_streamed  # Functions Framework drains only unstreamed answers
    assert response.status_code == 413 and error_code(response) == "too_large"
    assert req.environ[web.CLOSE_CONNECTION] is True
    assert req.stream.read(1) == b"x"  # nothing read of the body


# --- what a file is ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("streams", "code"),
    [
        (("WordDocument", "1Table", "\x05SummaryInformation"), "not_a_presentation"),  # .doc
        (("Workbook", "\x05SummaryInformation"), "not_a_presentation"),  # .xls
        (("__substg1.0_0037001F", "__properties_version1.0"), "not_a_presentation"),  # .msg
        (("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"), "encrypted"),
        (("PowerPoint Document", "Current User"), "legacy_format"),
        (("PowerPoint Document", "EncryptedSummary"), "legacy_format"),
    ],
)
def test_ole2_files_are_told_apart(rt, streams, code):
    data = ole2_container(*streams)
    response = post_file(rt, data, filename="file.pptx")
    assert (response.status_code, error_code(response)) == (400, code)
    scanner = OleScanner()  # the same verdict when the bytes arrive a few at a time
    for offset in range(0, len(data), 7):
        scanner.feed(data[offset : offset + 7])
    with pytest.raises(Exception) as raised:
        check_magic(data[:8], scanner)
    assert raised.value.code == code
    assert rt.blobs.objects == {}


def test_stream_names_in_a_document_s_text_do_not_count(rt):
    words = "  EncryptionInfo EncryptedPackage PowerPoint Document " * 20
    response = post_file(rt, ole2_container("WordDocument", text=words))
    assert error_code(response) == "not_a_presentation"


def test_a_real_encrypted_deck_is_still_encrypted(rt, corpus):
    encrypted = (corpus / "decks/openxml-sdk/encrypted_pptx.pptx").read_bytes()
    assert error_code(post_file(rt, encrypted)) == "encrypted"


def test_a_damaged_zip_is_refused_in_plain_words(rt, deck):
    response = post_file(rt, deck[:-200])
    assert error_code(response) == "corrupt_deck"
    assert "(" not in body(response)["error"]["message"]


# --- links in the PDF -----------------------------------------------------------------


def test_only_http_https_and_mailto_links_reach_the_pdf(tmp_path):
    from pptx import Presentation

    from deckpipe.render import render_deck

    addresses = ["https://example.com/a", "http://example.org/b", "mailto:team@example.com",
                 "javascript:alert(1)", " JavaScript:alert(2)", "file:///etc/passwd",
                 "data:text/html,<script>x</script>", "vbscript:msgbox"]
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = slide.shapes.add_textbox(0, 0, prs.slide_width, prs.slide_height).text_frame
    for index, address in enumerate(addresses):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = f"link {index}"
        run.hyperlink.address = address
    deck = io.BytesIO()
    prs.save(deck)
    out = io.BytesIO()
    report = render_deck(io.BytesIO(deck.getvalue()), out)
    uris = []
    for page in PdfReader(io.BytesIO(out.getvalue())).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            if "/URI" in action:
                uris.append(str(action["/URI"]))
    assert sorted(set(uris)) == sorted(addresses[:3])
    assert b"javascript" not in out.getvalue().lower()
    dropped = sorted(w.message for w in report.warnings if w.code == "link_dropped")
    assert len(dropped) == 4 and all(w.slide == 1 for w in report.warnings
                                     if w.code == "link_dropped")
    assert [m.split("(", 1)[1].split(")", 1)[0] for m in dropped] == [
        "data:", "file:", "javascript:", "vbscript:"]  # once each, " JavaScript:" included


# --- the real server: refusals that never reach our handlers --------------------------


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory) -> str:
    """The upload function under Functions Framework (gunicorn), memory backend."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("ff") / "upload.log"
    env = {**os.environ, **ENV, "DECKPIPE_MAX_UPLOAD_BYTES": str(5 << 20)}
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "functions_framework", "--source",
             str(REPO / "functions/upload/main.py"), "--target", "upload",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"upload server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def raw_exchange(url: str, head: bytes, wait: float = 10.0) -> tuple[bytes, bool]:
    """Send ``head`` (and nothing more) on a fresh connection; return what comes back
    until the server closes or ``wait`` passes, and whether the server closed."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(head)
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return received, False
            if not chunk:
                return received, True
            received += chunk
        return received, False


def parse_http(raw: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, payload = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, json.loads(
        payload)


def test_server_refusals_are_json(upload_server):
    raw, _ = raw_exchange(upload_server,
                          b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n")
    status, headers, payload = parse_http(raw)
    assert status == 400 and headers["content-type"] == "application/json"
    assert payload["error"]["code"] == "bad_request" and payload["error"]["message"]
    # A chunked body with a broken chunk size: gunicorn raises it from the body we read.
    raw, _ = raw_exchange(upload_server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          + PPTX_TYPE.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"4\r\nPK\x03\x04\r\nzz\r\nxxxx\r\n0\r\n\r\n")
    status, headers, payload = parse_http(raw)
    assert status == 400 and payload["error"]["code"] == "bad_request"
    for path in ("/favicon.ico", "/robots.txt"):
        response = requests.get(upload_server + path, timeout=10)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "not_found"


def test_a_form_with_100_parts_over_http(upload_server, deck):
    files = {f"field{i}": (None, "x") for i in range(99)}
    files["file"] = ("a.pptx", deck, PPTX_TYPE)
    response = requests.post(upload_server, files=files, timeout=10)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "too_many_parts"


def test_an_oversize_content_length_is_refused_before_the_body(upload_server):
    started = time.monotonic()
    raw, closed = raw_exchange(
        upload_server,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + PPTX_TYPE.encode()
        + b"\r\nContent-Length: 209715200\r\n\r\n" + b"PK\x03\x04" + b"\0" * 1000,
    )
    status, headers, payload = parse_http(raw)
    assert status == 413 and payload["error"]["code"] == "too_large"
    assert headers["connection"] == "close" and closed
    assert time.monotonic() - started < 5  # not waiting for 200 MB that never comes


def test_a_small_refused_body_keeps_the_connection(upload_server):
    with requests.Session() as session:
        first = session.post(upload_server, data=b"hello", timeout=10,
                             headers={"Content-Type": "text/plain"})
        assert first.status_code == 415 and first.json()["error"]["code"]
        assert first.headers.get("Connection", "keep-alive").lower() != "close"
        assert session.get(upload_server + "/healthz", timeout=10).status_code == 200



def test_the_renderer_s_corrupt_deck_errors_are_in_plain_words():
    """python-pptx's own exception for a broken [Content_Types].xml reaches the log only."""
    from deckpipe.errors import DeckError
    from deckpipe.render import render_deck

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("ppt/presentation.xml", "this is not XML")
    with pytest.raises(DeckError) as raised:
        render_deck(io.BytesIO(buf.getvalue()), io.BytesIO())
    assert raised.value.code == "corrupt_deck"
    assert raised.value.message == "The file is damaged or is not a valid PowerPoint package."
    assert raised.value.__cause__ is not None  # the parser's words, for the log


def test_waitress_refusals_are_json_with_a_code():
    """deckpipe serve's server refuses some requests before any Flask code runs."""
    from waitress.utilities import RequestEntityTooLarge

    from deckpipe import webserver

    webserver.json_waitress_errors()
    status, headers, body = RequestEntityTooLarge("body over the limit").to_response("deckpipe")
    assert status == "413 Request Entity Too Large"
    assert dict(headers)["Content-Type"] == "application/json"
    assert json.loads(body) == {"error": {"code": "too_large",
                                          "message": "The request is too large."}}
