"""The HTTP adapters and the upload core, on the in-memory backends (no network)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from flask import Request
from tests_support import ENV, ole2_container
from werkzeug.test import EnvironBuilder

from deckpipe import jobs, web
from deckpipe.config import load_settings
from deckpipe.runtime import build
from deckpipe.upload import PPTX_TYPE


@pytest.fixture
def rt():
    return build(load_settings(ENV))


@pytest.fixture
def deck(make_deck):
    return make_deck(["Hello deckpipe"])


def request(method="GET", path="/", **kwargs) -> Request:
    return Request(EnvironBuilder(method=method, path=path, **kwargs).get_environ())


def post_file(rt, data: bytes, filename="talk.pptx", headers=None, field="file"):
    req = request("POST", data={field: (io.BytesIO(data), filename)}, headers=headers or {})
    return web.upload(rt, req)


def body(response):
    return json.loads(response.get_data())


def test_upload_multipart_creates_a_queued_job_and_one_message(rt, deck):
    response = post_file(rt, deck)
    assert response.status_code == 202
    payload = body(response)
    job_id = payload["job_id"]
    assert jobs.is_job_id(job_id)
    assert payload["status_url"] == f"http://status.test/{job_id}"
    assert payload["result_url"] == f"http://result.test/{job_id}"
    assert response.headers["Location"] == payload["status_url"]
    job = rt.jobs.get(job_id)
    assert job.state == jobs.QUEUED and job.filename == "talk.pptx"
    assert job.input_bytes == len(deck)
    assert rt.blobs.objects[job.input_object][0] == deck
    assert [m.job_id for m in rt.queue.messages] == [job_id]


def test_upload_raw_body_with_pptx_type(rt, deck):
    req = request("POST", data=deck, content_type=PPTX_TYPE,
                  headers={"Content-Disposition": 'attachment; filename="raw deck.pptx"'})
    response = web.upload(rt, req)
    assert response.status_code == 202
    assert rt.jobs.get(body(response)["job_id"]).filename == "raw deck.pptx"


def test_job_ids_are_distinct_and_random(rt, deck):
    ids = {body(post_file(rt, deck))["job_id"] for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda deck: request("POST"), 400, "no_file"),
        (lambda deck: request("POST", data={"other": "x"}, content_type="multipart/form-data"),
         400, "no_file"),
        (lambda deck: request("POST", data={"file": (io.BytesIO(b""), "a.pptx")}), 400, "no_file"),
        (lambda deck: request("POST", data=b"hello", content_type="text/plain"), 415,
         "unsupported_media_type"),
        (lambda deck: request("GET", path="/upload"), 405, "method_not_allowed"),
        (lambda deck: request("POST", data={"file": (io.BytesIO(b"just text, no deck"), "a.pptx")}),
         400, "not_a_presentation"),
        (lambda deck: request("POST", data={"file": (io.BytesIO(deck[:-200]), "a.pptx")}),
         400, "corrupt_deck"),
    ],
)
def test_upload_rejections(rt, deck, make, status, code):
    response = web.upload(rt, make(deck))
    assert response.status_code == status
    assert body(response)["error"]["code"] == code
    assert body(response)["error"]["message"]
    assert rt.queue.messages == [] and rt.jobs.jobs == {} and rt.blobs.objects == {}


def test_zip_without_presentation_is_rejected(rt):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    response = post_file(rt, buf.getvalue())
    assert response.status_code == 400
    assert body(response)["error"]["code"] == "not_a_presentation"
    assert rt.blobs.objects == {}


def test_encrypted_and_legacy_ole2_files(rt, corpus):
    encrypted = (corpus / "decks/openxml-sdk/encrypted_pptx.pptx").read_bytes()
    response = post_file(rt, encrypted)
    assert (response.status_code, body(response)["error"]["code"]) == (400, "encrypted")
    legacy = ole2_container("PowerPoint Document", "Current User")
    response = post_file(rt, legacy, filename="old.ppt")
    assert (response.status_code, body(response)["error"]["code"]) == (400, "legacy_format")
    assert rt.blobs.objects == {}


def test_too_large_by_content_length_and_by_stream(deck):
    small = build(load_settings({**ENV, "DECKPIPE_MAX_UPLOAD_BYTES": str(len(deck) - 1)}))
    response = web.upload(small, request("POST", data=deck, content_type=PPTX_TYPE))
    assert (response.status_code, body(response)["error"]["code"]) == (413, "too_large")
    # Chunked: no Content-Length, so the limit is enforced while streaming.
    environ = EnvironBuilder(method="POST", data=deck, content_type=PPTX_TYPE).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    response = web.upload(small, Request(environ))
    assert (response.status_code, body(response)["error"]["code"]) == (413, "too_large")
    assert small.blobs.objects == {} and small.jobs.jobs == {}


def test_idempotency_key_returns_the_same_job(rt, deck, make_deck):
    first = post_file(rt, deck, headers={"Idempotency-Key": "k-1"})
    again = post_file(rt, deck, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert body(first)["job_id"] == body(again)["job_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(rt.queue.messages) == 1 and len(rt.blobs.objects) == 1
    other = post_file(rt, make_deck(["something else"]), headers={"Idempotency-Key": "k-1"})
    assert (other.status_code, body(other)["error"]["code"]) == (409, "idempotency_key_reused")
    fresh = post_file(rt, deck, headers={"Idempotency-Key": "k-2"})
    assert body(fresh)["job_id"] != body(first)["job_id"]
    bad = post_file(rt, deck, headers={"Idempotency-Key": "x" * 300})
    assert (bad.status_code, body(bad)["error"]["code"]) == (400, "bad_idempotency_key")


def test_publish_failure_is_a_503_and_leaves_no_queued_job(rt, deck):
    rt.queue.fail_next = 1
    response = post_file(rt, deck, headers={"Idempotency-Key": "retry-me"})
    assert (response.status_code, body(response)["error"]["code"]) == (503, "unavailable")
    assert [j.state for j in rt.jobs.jobs.values()] == [jobs.FAILED]
    assert next(iter(rt.jobs.jobs.values())).error.code == "enqueue_failed"
    assert rt.blobs.objects == {}
    retry = post_file(rt, deck, headers={"Idempotency-Key": "retry-me"})
    assert retry.status_code == 202
    assert rt.jobs.get(body(retry)["job_id"]).state == jobs.QUEUED


def test_status_views(rt, deck):
    job_id = body(post_file(rt, deck))["job_id"]
    for req in (request(path=f"/{job_id}"), request(path="/", query_string={"job_id": job_id})):
        response = web.status(rt, req)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        view = body(response)
        assert view["job_id"] == job_id and view["state"] == "queued"
        assert view["progress"] == {"done": 0, "total": 0}
        assert view["error"] is None and view["result_url"] is None
        assert view["created_at"].endswith("Z") and view["updated_at"]
    for path in (f"/{'0' * 32}", "/not-an-id", "/"):
        response = web.status(rt, request(path=path))
        assert (response.status_code, body(response)["error"]["code"]) == (404, "not_found")
    assert web.status(rt, request("POST", path=f"/{job_id}")).status_code == 405
    assert body(web.status(rt, request(path="/healthz")))["status"] == "ready"


def _finish(rt, job_id: str, pdf: bytes) -> None:
    job = rt.jobs.get(job_id)
    rt.blobs.put(job.result_object, pdf, content_type="application/pdf")
    rt.jobs.jobs[job_id] = job.replace(state=jobs.DONE, pages=1, result_bytes=len(pdf))


def test_result_states_and_ranges(rt, deck):
    job_id = body(post_file(rt, deck, filename="Quarterly Review.pptx"))["job_id"]
    queued = web.result(rt, request(path=f"/{job_id}"))
    assert (queued.status_code, body(queued)["error"]["code"], body(queued)["state"]) == (
        409, "not_ready", "queued")
    assert web.result(rt, request(path=f"/{'f' * 32}")).status_code == 404

    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 10 + b"%%EOF\n"
    _finish(rt, job_id, pdf)
    full = web.result(rt, request(path=f"/{job_id}"))
    assert full.status_code == 200
    assert full.headers["Content-Type"] == "application/pdf"
    assert full.headers["Content-Length"] == str(len(pdf))
    assert 'filename="Quarterly Review.pdf"' in full.headers["Content-Disposition"]
    assert full.headers["Accept-Ranges"] == "bytes"
    assert b"".join(full.response) == pdf

    part = web.result(rt, request(path=f"/{job_id}", headers={"Range": "bytes=9-18"}))
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 9-18/{len(pdf)}"
    assert b"".join(part.response) == pdf[9:19]
    tail = web.result(rt, request(path=f"/{job_id}", headers={"Range": "bytes=-6"}))
    assert b"".join(tail.response) == pdf[-6:]
    bad = web.result(rt, request(path=f"/{job_id}", headers={"Range": f"bytes={len(pdf)}-"}))
    assert bad.status_code == 416 and bad.headers["Content-Range"] == f"bytes */{len(pdf)}"
    head = web.result(rt, request("HEAD", path=f"/{job_id}"))
    assert head.status_code == 200 and b"".join(head.response) == b""


def test_result_of_failed_job_carries_its_error(rt, deck):
    job_id = body(post_file(rt, deck))["job_id"]
    job = rt.jobs.get(job_id)
    rt.jobs.jobs[job_id] = job.replace(
        state=jobs.FAILED, error=jobs.JobError("encrypted", "This deck is password-protected."))
    response = web.result(rt, request(path=f"/{job_id}"))
    assert response.status_code == 409
    assert body(response)["error"] == {"code": "encrypted",
                                       "message": "This deck is password-protected."}
    assert body(response)["state"] == "failed"
