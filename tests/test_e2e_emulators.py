"""The whole path over HTTP and real Pub/Sub push, on the official emulators.

Nothing of Google's clients is mocked: the stack fixture starts fake-gcs-server,
the Firestore and Pub/Sub emulators and the four functions, and these tests
talk to them as a user (HTTP) or as a second worker (the same backends
in-process) would.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from google.cloud import storage
from pypdf import PdfReader
from tests_support import STACK_MAX_UPLOAD, visible_slide_count

from deckpipe import convert, jobs
from deckpipe.config import load_settings
from deckpipe.jobqueue import JobMessage
from deckpipe.runtime import Runtime, build
from deckpipe_emulators.stack import LocalStack

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
WAIT = 90.0

# Real decks from several corpus sources: text, pictures, groups, a master with
# graphics, a hidden slide, and a macro-enabled package.
E2E_DECKS = [
    "decks/poi/testPPT.pptx",
    "decks/python-pptx/txt-font-props.pptx",
    "decks/tika/testPPT_groups.pptx",
    "decks/aspose-py/presentation_with_hidden_slides.pptx",
    "decks/poi/testPPT.pptm",
    "decks/shapecrawler/001.pptx",
]


@pytest.fixture
def rt(stack) -> Runtime:
    """The same Google backends the functions use, in this process (a second worker)."""
    cfg = stack.config
    return build(
        load_settings(
            {
                "GOOGLE_CLOUD_PROJECT": cfg.project,
                "DECKPIPE_BUCKET": cfg.bucket,
                "DECKPIPE_TOPIC": cfg.topic,
                "DECKPIPE_STATUS_URL": stack.urls["status"],
                "DECKPIPE_RESULT_URL": stack.urls["result"],
            }
        )
    )


# --- helpers -----------------------------------------------------------------------


def upload(stack, data: bytes, name="deck.pptx", headers=None) -> requests.Response:
    return requests.post(
        stack.urls["upload"], files={"file": (name, io.BytesIO(data), PPTX_TYPE)},
        headers=headers or {}, timeout=60,
    )


def status_of(stack, job_id: str) -> dict:
    response = requests.get(f"{stack.urls['status']}/{job_id}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(stack, job_id: str, states=("done", "failed"), timeout=WAIT) -> dict:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        view = status_of(stack, job_id)
        seen.append((view["state"], view["progress"]["done"], view["progress"]["total"]))
        if view["state"] in states:
            view["seen"] = seen
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {seen[-1:]} after {timeout} s")


def result_objects(stack) -> list[str]:
    client = storage.Client(project=stack.config.project)
    return [b.name for b in client.list_blobs(stack.config.bucket, prefix="results/")]


def convert_log(stack, job_id: str) -> list[dict]:
    lines = []
    for raw in (Path(stack.log_dir) / "convert.log").read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            entry = json.loads(raw)
            if entry.get("job_id") == job_id:
                lines.append(entry)
    return lines


def deck_words(deck: bytes) -> set[str]:
    """Words of the visible slides' text frames, as python-pptx reads them."""
    from pptx import Presentation

    words: set[str] = set()

    def walk(shapes):
        for shape in shapes:
            if shape.shape_type == 6:  # group
                walk(shape.shapes)
            elif shape.has_text_frame:
                words.update(re.findall(r"[A-Za-z0-9]{3,}", shape.text_frame.text))

    for slide in Presentation(io.BytesIO(deck)).slides:
        if slide._element.get("show") != "0":
            walk(slide.shapes)
    return words


def pdf_text(pdf: bytes) -> str:
    """The PDF's text layer with all whitespace removed: a word the renderer had to
    break across lines (as PowerPoint does when it cannot fit) still counts."""
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


# --- end to end --------------------------------------------------------------------


@pytest.mark.parametrize("relpath", E2E_DECKS)
def test_upload_convert_download(stack, corpus, relpath):
    deck = (corpus / relpath).read_bytes()
    name = Path(relpath).name
    response = upload(stack, deck, name=name)
    assert response.status_code == 202, response.text
    body = response.json()
    job_id = body["job_id"]
    assert response.headers["Location"] == body["status_url"]

    view = wait_for(stack, job_id)
    assert view["state"] == "done", view
    assert view["error"] is None
    assert view["progress"]["done"] == view["progress"]["total"] == view["result"]["pages"]
    assert view["result_url"] == body["result_url"]
    report = view["result"]["report"]  # the renderer's fidelity report, stored on the job
    assert report["slides_rendered"] == view["result"]["pages"]
    counted = sum(report["warning_counts"].values())
    assert counted == len(view["result"]["warnings"])

    pdf = requests.get(view["result_url"], timeout=30)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert int(pdf.headers["Content-Length"]) == len(pdf.content) == view["result"]["bytes"]
    assert Path(name).stem + ".pdf" in pdf.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == visible_slide_count(deck) == view["result"]["pages"]
    if name.endswith(".pptx"):
        text = pdf_text(pdf.content)
        missing = {word for word in deck_words(deck) if word not in text}
        assert not missing, f"words missing from the PDF: {sorted(missing)[:20]}"

    ranged = requests.get(view["result_url"], headers={"Range": "bytes=0-7"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == pdf.content[:8]
    assert ranged.content.startswith(b"%PDF-")


def test_progress_is_reported_per_slide(stack, corpus):
    deck = (corpus / "decks/shapecrawler/001.pptx").read_bytes()
    job_id = upload(stack, deck).json()["job_id"]
    view = wait_for(stack, job_id)
    totals = {total for state, _, total in view["seen"] if state == "processing" and total}
    assert totals <= {view["result"]["pages"]}
    dones = [done for _, done, _ in view["seen"]]
    assert dones == sorted(dones), "progress never goes backwards"


# --- at-least-once delivery ---------------------------------------------------------


def test_the_same_job_published_twice_converts_once(stack, corpus, rt):
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    job_id = upload(stack, deck).json()["job_id"]
    rt.queue.publish(JobMessage(job_id))  # a duplicate of the upload's own message
    first = wait_for(stack, job_id)
    assert first["state"] == "done"
    time.sleep(2.5)  # time for the duplicate (and any redelivery) to arrive and be handled
    later = status_of(stack, job_id)
    assert later["updated_at"] == first["updated_at"] and later["attempts"] == 1
    assert result_objects(stack) == [f"results/{job_id}.pdf"]
    messages = [e["message"] for e in convert_log(stack, job_id)]
    assert messages.count("done") == 1
    assert any("duplicate delivery" in m for m in messages) or messages.count("claimed") == 1


def test_delivery_while_another_worker_holds_the_job(stack, corpus, rt):
    """Worker A (in this process) holds the lease; the pushed delivery must wait for it."""
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    release = threading.Event()
    outcomes = []

    def slow_renderer(source, out, *, progress):
        from deckpipe.render import render_deck

        release.wait(30)
        return render_deck(source, out, progress=progress)

    # Create the job without publishing, so worker A claims it first.
    job = jobs.new_job(jobs.new_job_id(), "held.pptx", input_bytes=len(deck), input_sha256="-")
    rt.blobs.put(job.input_object, deck, content_type=PPTX_TYPE)
    rt.jobs.create(job)
    worker_a = threading.Thread(
        target=lambda: outcomes.append(
            convert.handle(rt, convert.Delivery(job.job_id, jobs.utcnow()), render=slow_renderer)
        )
    )
    worker_a.start()
    try:
        _until(lambda: rt.jobs.get(job.job_id).state == "processing")
        rt.queue.publish(JobMessage(job.job_id))  # delivered to the convert function
        _until(lambda: any("redelivery" in e["message"] for e in convert_log(stack, job.job_id)))
        assert rt.jobs.get(job.job_id).state == "processing"
        assert result_objects(stack) == []
    finally:
        release.set()
        worker_a.join(60)
    assert outcomes == ["done"]
    time.sleep(3)  # the redelivered message now finds the job done
    final = rt.jobs.get(job.job_id)
    assert final.state == "done" and final.attempts == 1
    assert result_objects(stack) == [f"results/{job.job_id}.pdf"]
    assert [e["message"] for e in convert_log(stack, job.job_id)].count("done") == 0


def test_worker_death_the_next_delivery_finishes_the_job(stack, corpus, rt):
    """A worker claimed the job and died; once its lease lapses, a redelivery takes over."""
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    job = jobs.new_job(jobs.new_job_id(), "orphan.pptx", input_bytes=len(deck), input_sha256="-")
    rt.blobs.put(job.input_object, deck, content_type=PPTX_TYPE)
    rt.jobs.create(job)
    lapse = jobs.utcnow() + timedelta(seconds=3)
    claimed = rt.jobs.transact(
        job.job_id,
        lambda j: (j.replace(state="processing", attempts=1,
                             lease=jobs.Lease("dead-worker", lapse)), True),
    )
    assert claimed
    rt.queue.publish(JobMessage(job.job_id))  # the dead worker's message, redelivered
    view = wait_for(stack, job.job_id)
    assert view["state"] == "done" and view["attempts"] == 2
    assert jobs.utcnow() >= lapse, "nobody may take the job while the lease is live"
    assert len(PdfReader(io.BytesIO(requests.get(view["result_url"], timeout=30).content)).pages)


def test_a_job_out_of_attempts_fails_instead_of_looping(stack, corpus, rt):
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    job = jobs.new_job(jobs.new_job_id(), "tired.pptx", input_bytes=len(deck), input_sha256="-")
    rt.blobs.put(job.input_object, deck, content_type=PPTX_TYPE)
    rt.jobs.create(job.replace(attempts=3))  # the stack allows 3
    rt.queue.publish(JobMessage(job.job_id))
    view = wait_for(stack, job.job_id)
    assert view["state"] == "failed" and view["error"]["code"] == "too_many_attempts"


def test_poison_deck_fails_fast_with_a_specific_code(stack):
    # A zip that passes the upload's checks but whose presentation part is garbage.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("ppt/presentation.xml", "this is not XML")
    job_id = upload(stack, buf.getvalue(), name="poison.pptx").json()["job_id"]
    view = wait_for(stack, job_id)
    assert view["state"] == "failed"
    assert view["error"]["code"] in {"corrupt_deck", "not_a_presentation"}
    assert view["attempts"] == 1
    time.sleep(2.5)  # acknowledged: no redelivery claims it again
    assert status_of(stack, job_id)["attempts"] == 1
    assert [e["message"] for e in convert_log(stack, job_id)].count("claimed (attempt 1)") == 1
    result = requests.get(f"{stack.urls['result']}/{job_id}", timeout=10)
    assert result.status_code == 409 and result.json()["error"] == view["error"]


# --- HTTP error paths ---------------------------------------------------------------


def test_upload_rejections_over_http(stack, corpus):
    url = stack.urls["upload"]
    cases = [
        (requests.post(url, timeout=10), 400, "no_file"),
        (requests.post(url, files={"other": ("a.txt", b"x")}, timeout=10), 400, "no_file"),
        (upload(stack, b"plain text, not a deck", name="fake.pptx"), 400, "not_a_presentation"),
        (upload(stack, (corpus / "decks/openxml-sdk/encrypted_pptx.pptx").read_bytes()), 400,
         "encrypted"),
        (upload(stack, (corpus / "decks/poi/Divino_Revelado.pptx").read_bytes()), 400,
         "corrupt_deck"),
        (requests.post(url, data=b"<deck/>", headers={"Content-Type": "application/xml"},
                       timeout=10), 415, "unsupported_media_type"),
        # JSON announces a direct upload (deckpipe.direct): without a size it is refused.
        (requests.post(url, data=b"{}", headers={"Content-Type": "application/json"},
                       timeout=10), 400, "bad_request"),
        (requests.put(url, data=b"x", timeout=10), 405, "method_not_allowed"),
        (upload(stack, b"PK\x03\x04" + b"\0" * (STACK_MAX_UPLOAD + 1)), 413, "too_large"),
        (upload(stack, b"x", headers={"Idempotency-Key": "k" * 300}), 400, "bad_idempotency_key"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (code, response.text)
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"]
    assert result_objects(stack) == []


def test_raw_body_upload_and_idempotency_key_over_http(stack, corpus):
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    first = requests.post(stack.urls["upload"], data=deck, timeout=30, headers={
        "Content-Type": PPTX_TYPE, "Idempotency-Key": "abc-123", "X-Filename": "raw.pptx"})
    again = requests.post(stack.urls["upload"], data=deck, timeout=30, headers={
        "Content-Type": PPTX_TYPE, "Idempotency-Key": "abc-123", "X-Filename": "raw.pptx"})
    assert first.status_code == again.status_code == 202
    assert first.json()["job_id"] == again.json()["job_id"]
    other_deck = (corpus / "decks/python-pptx/txt-font-props.pptx").read_bytes()
    other = upload(stack, other_deck, headers={"Idempotency-Key": "abc-123"})
    assert other.status_code == 409
    assert wait_for(stack, first.json()["job_id"])["state"] == "done"
    assert status_of(stack, first.json()["job_id"])["filename"] == "raw.pptx"
    # A body of unknown length (chunked transfer encoding) streams the same way.
    chunked = requests.post(
        stack.urls["upload"], data=(deck[i : i + 4096] for i in range(0, len(deck), 4096)),
        headers={"Content-Type": PPTX_TYPE}, timeout=30,
    )
    assert chunked.status_code == 202, chunked.text
    assert wait_for(stack, chunked.json()["job_id"])["result"]["pages"] == 3


def test_status_and_result_error_paths_over_http(stack, corpus, rt):
    unknown = "0123456789abcdef" * 2
    for base in (stack.urls["status"], stack.urls["result"]):
        for path in (unknown, "nonsense", ""):
            response = requests.get(f"{base}/{path}", timeout=10)
            assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert requests.get(f"{stack.urls['status']}/{unknown}", timeout=10).headers[
        "Cache-Control"] == "no-store"
    # A queued job: result is 409 with its state.
    job = jobs.new_job(jobs.new_job_id(), "q.pptx", input_bytes=1, input_sha256="-")
    rt.jobs.create(job)
    response = requests.get(f"{stack.urls['result']}/{job.job_id}", timeout=10)
    assert response.status_code == 409
    assert response.json()["state"] == "queued" and response.json()["error"]["code"] == "not_ready"


def _until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


# --- issue 9: hostile names and requests, outages (every answer JSON with a code) ----------


def _json_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_a_unicode_named_deck_downloads_with_get_and_head(stack, corpus):
    from urllib.parse import unquote

    name = "Quarterly \u2014 \u4f1a\u8b70 \U0001f389\u202e.pptx"
    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    response = upload(stack, deck, name=name)
    assert response.status_code == 202, response.text
    view = wait_for(stack, response.json()["job_id"])
    assert view["state"] == "done"
    assert view["filename"] == "Quarterly \u2014 \u4f1a\u8b70 \U0001f389.pptx"  # no U+202E
    got = requests.get(view["result_url"], timeout=30)
    head = requests.head(view["result_url"], timeout=30)
    assert got.status_code == head.status_code == 200
    assert got.content.startswith(b"%PDF-") and head.content == b""
    for header in ("Content-Disposition", "Content-Length", "ETag", "Content-Type"):
        assert got.headers[header] == head.headers[header]
    disposition = got.headers["Content-Disposition"]
    assert 'filename="Quarterly - __ _.pdf"' in disposition
    star = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == "Quarterly \u2014 \u4f1a\u8b70 \U0001f389.pdf"


def _raw(url: str, request: bytes, wait: float = 10.0) -> tuple[bytes, bool]:
    """Send ``request`` on a fresh connection; what came back, and whether the server
    closed the connection before ``wait`` ran out."""
    import socket

    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(request)
        received, deadline = b"", time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                return received, True
            received += chunk
        return received, False


def test_hostile_requests_get_json_with_a_code(stack):
    url = stack.urls["upload"]
    # A declared body over the limit: refused at once, the connection closed, nothing read.
    started = time.monotonic()
    answer, closed = _raw(url, (
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {PPTX_TYPE}\r\n"
        f"Content-Length: {200 << 20}\r\n\r\n").encode() + b"PK\x03\x04" + b"\0" * 4096)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"Connection: close" in head, head
    assert json.loads(payload)["error"]["code"] == "too_large"
    assert closed and time.monotonic() - started < 5
    # A form with 100 parts: the parser's refusal, in JSON.
    files = {f"field{i}": (None, "x") for i in range(99)}
    files["file"] = ("a.pptx", b"PK\x03\x04", PPTX_TYPE)
    _json_error(requests.post(url, files=files, timeout=10), 413, "too_many_parts")
    # A control character in a header: the server's own refusal, in JSON.
    for base in (stack.urls["upload"], stack.urls["status"], stack.urls["result"]):
        answer, _ = _raw(base, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n")
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head, head
        assert json.loads(payload)["error"]["code"] == "bad_request"
    # Paths and methods the framework answers itself.
    _json_error(requests.get(stack.urls["status"] + "/favicon.ico", timeout=10), 404,
                "not_found")
    _json_error(requests.delete(stack.urls["result"] + "/x", timeout=10), 405,
                "method_not_allowed")
    assert result_objects(stack) == []


def test_a_create_only_write_retried_after_a_lost_answer_is_ours(stack, rt):
    """What the storage client does when an answer is lost: send the same create-only
    write again. Our own object is recognised; someone else's is still BlobExists."""
    from deckpipe.blobs import BlobExists

    name = f"inputs/{jobs.new_job_id()}.pptx"
    first = rt.blobs.put(name, b"deck bytes", content_type=PPTX_TYPE)
    again = rt.blobs.put(name, b"deck bytes", content_type=PPTX_TYPE)
    assert again.size == first.size and again.etag == first.etag
    with pytest.raises(BlobExists):
        rt.blobs.put(name, b"other bytes", content_type=PPTX_TYPE)
    upload = rt.blobs.upload(name, content_type=PPTX_TYPE)
    upload.write(b"deck bytes")
    assert upload.commit().etag == first.etag
    listed = list(rt.blobs.list("inputs/"))
    assert [info.name for info in listed] == [name]
    assert listed[0].created_at is not None and listed[0].size == len(b"deck bytes")


@pytest.fixture
def private_stack(tmp_path) -> Iterator[LocalStack]:
    """A stack of this test's own, to freeze its emulators without touching the session's."""
    from tests_support import STACK_FUNCTION_ENV

    from deckpipe_emulators.processes import free_ports
    from deckpipe_emulators.stack import DEFAULT_PORTS, StackConfig

    config = StackConfig(
        ports=dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True)),
        env=dict(STACK_FUNCTION_ENV), log_dir=tmp_path / "logs",
    )
    private = LocalStack(config)
    private.start()
    try:
        yield private
    finally:
        private.stop()


def test_frozen_storage_and_job_store_give_503_json_in_bounded_time(private_stack, corpus):
    """Storage and Firestore stop answering (SIGSTOP): upload, status and result answer
    503 JSON with Retry-After within the backends' retry bounds, not an HTML 500 after
    the client library's minutes of retries; once they are back, everything works."""
    import os
    import signal
    from concurrent.futures import ThreadPoolExecutor

    deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
    job_id = upload(private_stack, deck).json()["job_id"]
    assert wait_for(private_stack, job_id)["state"] == "done"
    groups = private_stack.process_groups()
    frozen = [groups["storage"], groups["firestore"]]
    calls = {
        "upload": lambda: upload(private_stack, deck),
        "status": lambda: requests.get(f"{private_stack.urls['status']}/{job_id}", timeout=90),
        "result": lambda: requests.get(f"{private_stack.urls['result']}/{job_id}", timeout=90),
    }
    for pgid in frozen:
        os.killpg(pgid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(len(calls)) as pool:
            answers = {name: pool.submit(call) for name, call in calls.items()}
            answers = {name: future.result() for name, future in answers.items()}
        elapsed = time.monotonic() - started
    finally:
        for pgid in frozen:
            os.killpg(pgid, signal.SIGCONT)
    for name, response in answers.items():
        _json_error(response, 503, "unavailable")
        assert int(response.headers["Retry-After"]) > 0, name
    assert elapsed < 60, f"answers took {elapsed:.0f} s"
    again = upload(private_stack, deck)
    assert again.status_code == 202, again.text
    assert wait_for(private_stack, again.json()["job_id"])["state"] == "done"
