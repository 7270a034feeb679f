"""Direct uploads and signed-link results on the in-memory backends (no network).

``MemoryDirectBlobStore`` stands in for a bucket: its links are placeholders and
the test plays the client by putting the object itself. What only Cloud Storage
enforces (the session's announced size, signatures, expiry) is tested against
the emulator and the signing unit tests; here: the core's own checks, the state
machine, idempotency and the HTTP answers.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Request
from tests_support import ENV, ole2_container
from werkzeug.test import EnvironBuilder

from deckpipe import direct, jobs, reaper, web, webpage
from deckpipe.backends.memory import MemoryDirectBlobStore, MemoryJobQueue, MemoryJobStore
from deckpipe.config import load_settings
from deckpipe.runtime import Runtime, build
from deckpipe.upload import PPTX_TYPE

LIMIT = 1 << 20


@pytest.fixture
def rt() -> Runtime:
    settings = load_settings({**ENV, "DECKPIPE_MAX_UPLOAD_BYTES": str(LIMIT),
                              "DECKPIPE_UPLOAD_URL_SECONDS": "600"})
    return Runtime(settings, MemoryDirectBlobStore(), MemoryJobStore(), MemoryJobQueue())


@pytest.fixture
def deck(make_deck) -> bytes:
    return make_deck(["Straight to the bucket"])


def call(rt, method="POST", path="/", *, json_body=None, **kwargs):
    if json_body is not None:
        kwargs.update(data=json.dumps(json_body), content_type="application/json")
    req = Request(EnvironBuilder(method=method, path=path, **kwargs).get_environ())
    handler = web.result if path.startswith("/result") else web.upload
    response = handler(rt, req)
    return response, (json.loads(response.get_data()) if response.is_json else None)


def announce(rt, size, filename="big deck.pptx", type_=PPTX_TYPE, headers=None):
    return call(rt, json_body={"filename": filename, "size": size, "type": type_},
                headers=headers or {"Origin": "http://page.test"})


def send(rt, job_id, data):
    """The client's part: the bytes land in the bucket under the job's object."""
    rt.blobs.put(f"inputs/{job_id}.pptx", data, content_type=PPTX_TYPE)


def complete(rt, job_id):
    return call(rt, path=f"/{job_id}/complete")


def test_announce_send_complete_queues_the_job_once(rt, deck):
    response, answer = announce(rt, len(deck))
    assert response.status_code == 201
    job_id = answer["job_id"]
    assert answer["state"] == jobs.AWAITING_UPLOAD
    assert answer["upload"]["url"].startswith(MemoryDirectBlobStore.ORIGIN)
    assert answer["complete_url"].endswith(f"/{job_id}/complete")
    # The object name is the job's; the announced size, type and page origin are bound.
    assert rt.blobs.targets == [(f"inputs/{job_id}.pptx", PPTX_TYPE, len(deck),
                                 "http://page.test", timedelta(seconds=600))]
    assert not rt.queue.messages
    early, early_answer = complete(rt, job_id)
    assert early.status_code == 409 and early_answer["error"]["code"] == "upload_incomplete"
    send(rt, job_id, deck)
    answers = [complete(rt, job_id) for _ in range(3)]
    assert [r.status_code for r, _ in answers] == [202, 202, 202]
    assert [m.job_id for m in rt.queue.messages] == [job_id]
    job = rt.jobs.get(job_id)
    assert job.state == jobs.QUEUED and job.input_bytes == len(deck)
    assert job.filename == "big deck.pptx"


def test_finalize_notification_after_complete_does_nothing_more(rt, deck):
    job_id = announce(rt, len(deck))[1]["job_id"]
    send(rt, job_id, deck)
    assert complete(rt, job_id)[0].status_code == 202
    push = {"message": {"attributes": {"eventType": "OBJECT_FINALIZE",
                                       "bucketId": rt.settings.bucket,
                                       "objectId": f"inputs/{job_id}.pptx"}}}
    response, _ = call(rt, path="/finalized", json_body=push)
    assert response.status_code == 204
    assert [m.job_id for m in rt.queue.messages] == [job_id]
    assert rt.jobs.get(job_id).state == jobs.QUEUED


def test_finalize_notification_alone_completes_when_the_client_vanished(rt, deck):
    job_id = announce(rt, len(deck))[1]["job_id"]
    send(rt, job_id, deck)
    resource = {"bucket": rt.settings.bucket, "name": f"inputs/{job_id}.pptx"}
    push = {"message": {"attributes": {"eventType": "OBJECT_FINALIZE"},
                        "data": base64.b64encode(json.dumps(resource).encode()).decode()}}
    assert call(rt, path="/finalized", json_body=push)[0].status_code == 204
    assert rt.jobs.get(job_id).state == jobs.QUEUED
    assert [m.job_id for m in rt.queue.messages] == [job_id]


def test_concurrent_completions_queue_exactly_once(rt, deck):
    job_id = announce(rt, len(deck))[1]["job_id"]
    send(rt, job_id, deck)
    threads = [threading.Thread(target=direct.complete, args=(rt, job_id)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [m.job_id for m in rt.queue.messages] == [job_id]


def test_finalize_of_a_streamed_upload_or_another_object_is_ignored(rt, deck):
    streamed = call(rt, data={"file": (__import__("io").BytesIO(deck), "s.pptx")})[1]["job_id"]
    for bucket, name in ((rt.settings.bucket, f"inputs/{streamed}.pptx"),
                         (rt.settings.bucket, "results/x.pdf"),
                         ("another-bucket", f"inputs/{streamed}.pptx"),
                         (rt.settings.bucket, f"inputs/{'0' * 32}.pptx")):
        assert direct.on_object_finalized(rt, bucket, name) in ("ignored", "no_job", "queued")
    assert rt.blobs.stat(f"inputs/{streamed}.pptx") is not None
    assert [m.job_id for m in rt.queue.messages] == [streamed]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (lambda deck: b"%PDF-1.7 not a deck" + b"\0" * 100, 400, "not_a_presentation"),
        (lambda deck: deck[: len(deck) // 2], 400, "upload_incomplete"),
        (lambda deck: deck + b"\0" * 10, 413, "too_large"),
        (lambda deck: ole2_container("EncryptionInfo", "EncryptedPackage"), 400, "encrypted"),
        (lambda deck: ole2_container("PowerPoint Document"), 400, "legacy_format"),
        (lambda deck: b"PK\x03\x04" + b"\0" * 200, 400, "corrupt_deck"),
    ],
)
def test_a_bad_stored_file_fails_the_job_with_todays_codes_and_is_deleted(
    rt, deck, payload, status, code
):
    data = payload(deck)
    announced = len(deck) if code in ("upload_incomplete", "too_large") else len(data)
    job_id = announce(rt, announced)[1]["job_id"]
    send(rt, job_id, data)
    for _ in range(2):  # a repeated complete answers the same
        response, answer = complete(rt, job_id)
        assert (response.status_code, answer["error"]["code"]) == (status, code)
    assert rt.blobs.stat(f"inputs/{job_id}.pptx") is None
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error.code == code
    assert not rt.queue.messages


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"filename": "a.pptx", "size": LIMIT + 1, "type": PPTX_TYPE}, 413, "too_large"),
        ({"filename": "a.pptx", "size": 0, "type": PPTX_TYPE}, 400, "no_file"),
        ({"filename": "a.pptx", "size": "12", "type": PPTX_TYPE}, 400, "bad_request"),
        ({"filename": "a.pdf", "size": 10, "type": "application/pdf"}, 415,
         "unsupported_media_type"),
        ({"filename": "a.key", "size": 10, "type": ""}, 415, "unsupported_media_type"),
    ],
)
def test_announcements_are_checked_before_any_job_exists(rt, body, status, code):
    response, answer = call(rt, json_body=body)
    assert (response.status_code, answer["error"]["code"]) == (status, code)
    assert not rt.jobs.jobs and not rt.blobs.targets


def test_a_deck_named_file_of_unknown_type_is_accepted_as_pptx(rt):
    response, _ = announce(rt, 100, filename="talk.pptx", type_="")
    assert response.status_code == 201
    assert rt.blobs.targets[0][1] == PPTX_TYPE


def test_malformed_json_is_a_plain_400(rt):
    req = Request(EnvironBuilder(method="POST", path="/", data=b"{nope",
                                 content_type="application/json").get_environ())
    response = web.upload(rt, req)
    assert response.status_code == 400 and json.loads(response.get_data())["error"]["code"]


def test_idempotency_key_replays_the_job_with_a_fresh_link_to_the_same_object(rt, deck):
    headers = {"Idempotency-Key": "big-1"}
    first, a = announce(rt, len(deck), headers=headers)
    again, b = announce(rt, len(deck), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert a["job_id"] == b["job_id"] and b["upload"] is not None
    assert {t[0] for t in rt.blobs.targets} == {f"inputs/{a['job_id']}.pptx"}
    other, c = announce(rt, len(deck) + 1, headers=headers)
    assert (other.status_code, c["error"]["code"]) == (409, "idempotency_key_reused")


def test_a_file_after_the_deadline_is_refused_and_deleted(rt, deck):
    job_id = announce(rt, len(deck))[1]["job_id"]
    send(rt, job_id, deck)
    late = jobs.utcnow() + timedelta(seconds=600) + jobs.UPLOAD_EXPIRY_MARGIN
    rt.blobs.created[f"inputs/{job_id}.pptx"] = late + timedelta(seconds=1)
    response, answer = complete(rt, job_id)
    assert (response.status_code, answer["error"]["code"]) == (410, "upload_expired")
    assert rt.blobs.stat(f"inputs/{job_id}.pptx") is None and not rt.queue.messages


def test_an_upload_that_never_arrives_expires_and_a_late_file_is_deleted(rt, deck):
    job_id = announce(rt, len(deck))[1]["job_id"]
    later = jobs.utcnow() + timedelta(seconds=600) + jobs.UPLOAD_EXPIRY_MARGIN
    reaper.reap(rt, now=later + timedelta(seconds=1))
    assert rt.jobs.get(job_id).error.code == "upload_expired"
    send(rt, job_id, deck)  # the client finally sends it anyway
    response, answer = complete(rt, job_id)
    assert (response.status_code, answer["error"]["code"]) == (410, "upload_expired")
    assert rt.blobs.stat(f"inputs/{job_id}.pptx") is None and not rt.queue.messages


def test_result_redirects_to_a_signed_link_made_at_call_time(rt, deck):
    job_id = announce(rt, len(deck))[1]["job_id"]
    send(rt, job_id, deck)
    complete(rt, job_id)
    rt.blobs.put(f"results/{job_id}.pdf", b"%PDF-1.7", content_type="application/pdf")
    rt.jobs.transact(job_id, lambda j: (j.replace(state=jobs.DONE), None))
    response, _ = call(rt, "GET", f"/result/{job_id}")
    assert response.status_code == 303 and response.headers["Cache-Control"] == "no-store"
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["expires"] == ["300"]
    disposition = query["response-content-disposition"][0]
    assert disposition == web.content_disposition("big deck.pdf")
    inline, _ = call(rt, "GET", f"/result/{job_id}", query_string={"inline": "1"})
    assert "response-content-disposition=inline" in inline.headers["Location"]
    status = web.status(rt, Request(EnvironBuilder(path=f"/{job_id}").get_environ()))
    assert MemoryDirectBlobStore.ORIGIN not in status.get_data(as_text=True)


def test_result_streams_when_configured_to(rt, deck):
    settings = load_settings({**ENV, "DECKPIPE_RESULT_DELIVERY": "stream"})
    streaming = Runtime(settings, rt.blobs, rt.jobs, rt.queue)
    job = jobs.new_job(jobs.new_job_id(), "s.pptx", input_bytes=1, input_sha256="x")
    rt.jobs.create(job.replace(state=jobs.DONE))
    rt.blobs.put(job.result_object, b"%PDF-1.7", content_type="application/pdf")
    response, _ = call(streaming, "GET", f"/result/{job.job_id}")
    assert response.status_code == 200 and b"".join(response.response) == b"%PDF-1.7"


def test_without_a_bucket_the_direct_path_is_not_offered(deck):
    rt = build(load_settings(ENV))  # the plain memory store, like local
    response, answer = announce(rt, len(deck))
    assert (response.status_code, answer["error"]["code"]) == (415, "unsupported_media_type")
    assert webpage.page_config(rt.settings)["directUploadBytes"] is None
    config, answer = call(rt, "GET", "/config.json")
    assert answer["directUploadBytes"] is None


def test_the_page_config_and_policy_name_the_storage_origin(rt):
    _, config = call(rt, "GET", "/config.json")
    assert config["directUploadBytes"] == rt.settings.direct_upload_bytes
    page, _ = call(rt, "GET", "/")
    connect = [d for d in page.headers["Content-Security-Policy"].split("; ")
               if d.startswith("connect-src")][0]
    assert MemoryDirectBlobStore.ORIGIN in connect.split()


@pytest.mark.parametrize("push", [{"message": "x"}, {"message": {"attributes": []}}, [], {}])
def test_odd_notifications_are_acknowledged_or_refused_in_plain_json(rt, push):
    response, answer = call(rt, path="/finalized", json_body=push)
    assert response.status_code in (204, 400)
    assert response.status_code == 204 or answer["error"]["code"] == "bad_request"
