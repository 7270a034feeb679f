"""Direct uploads and signed-link downloads against the emulator stack.

fake-gcs-server stands in for Cloud Storage: the upload function opens real
resumable sessions on it, the bytes go from this test (the client) straight to
it, and its own finalize events reach the upload function through the Pub/Sub
emulator (``-event.*`` options -> ``<topic>-uploads`` -> push to ``finalized``).

What only the real cloud enforces, and fake-gcs-server does not (measured):
the session's announced size (``X-Upload-Content-Length``: the emulator stores
a larger file; deckpipe's own size check fails the job), signatures and expiry
of signed links (checked by recomputation in test_direct_signing.py), the
signed ``response-content-disposition`` (the emulator answers without it), and
CORS bound to the session's origin (the emulator answers ``*``).
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Request
from werkzeug.test import EnvironBuilder

from deckpipe import jobs, reaper, web
from deckpipe.config import load_settings
from deckpipe.runtime import Runtime, build

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ORIGIN = "http://page.test"
CHUNK = 8 << 20  # what the page sends per request (a multiple of 256 KiB)
WAIT = 120.0


@pytest.fixture(scope="module")
def big_deck(corpus: Path) -> bytes:
    """A corpus deck with 40 MiB of incompressible media added: above Cloud Run's 32 MiB."""
    out = io.BytesIO()
    with zipfile.ZipFile(corpus / "decks/poi/testPPT.pptx") as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(zipfile.ZipInfo("ppt/media/filler.bin"), os.urandom(40 << 20),
                        compress_type=zipfile.ZIP_STORED)
    data = out.getvalue()
    assert len(data) > 40 << 20
    return data


@pytest.fixture
def rt(stack) -> Runtime:
    """The functions' Google backends in this process (result redirecting, as in the cloud)."""
    env = {**{k: v for k, v in stack.function_env().items() if k.startswith("DECKPIPE_")},
           "GOOGLE_CLOUD_PROJECT": stack.config.project, "DECKPIPE_RESULT_DELIVERY": "redirect"}
    return build(load_settings(env))


def announce(stack, size: int, name="big.pptx", type_=PPTX_TYPE, headers=None) -> dict:
    response = requests.post(stack.urls["upload"], json={"filename": name, "size": size,
                                                         "type": type_},
                             headers={"Origin": ORIGIN, **(headers or {})}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def send(target: dict, data: bytes, total: int | None = None) -> requests.Response:
    """The page's way: chunks with Content-Range to the resumable session."""
    total = len(data) if total is None else total
    assert target["protocol"] == "gcs-resumable" and target["method"] == "PUT"
    offset, answer = 0, None
    while offset < len(data):
        end = min(offset + CHUNK, len(data))
        answer = requests.put(target["url"], data=data[offset:end], timeout=60, headers={
            **target["headers"], "Content-Range": f"bytes {offset}-{end - 1}/{total}"})
        assert answer.status_code in (200, 201, 308), answer.text
        offset = end
    return answer


def complete(offer: dict) -> requests.Response:
    return requests.post(offer["complete_url"], timeout=60)


def status_of(stack, job_id: str) -> dict:
    return requests.get(f"{stack.urls['status']}/{job_id}", timeout=10).json()


def wait_for(stack, job_id: str, states=("done", "failed")) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        view = status_of(stack, job_id)
        if view["state"] in states:
            return view
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} is still {view['state']} after {WAIT} s")


def stored(rt: Runtime, job_id: str) -> bool:
    return rt.blobs.stat(f"inputs/{job_id}.pptx") is not None


def redirected_result(rt: Runtime, job_id: str, **query: str):
    request = Request(EnvironBuilder(path=f"/{job_id}", query_string=query).get_environ())
    return web.result(rt, request)


def test_a_40_mib_deck_goes_direct_to_done_and_downloads_through_the_redirect(
    stack, rt, big_deck
):
    offer = announce(stack, len(big_deck))
    job_id = offer["job_id"]
    assert offer["state"] == "awaiting_upload"
    assert offer["upload"]["url"].startswith(stack.urls["storage"] + "/upload/")
    assert status_of(stack, job_id)["state"] == "awaiting_upload"
    started = time.perf_counter()
    send(offer["upload"], big_deck)
    sent = time.perf_counter() - started
    answer = complete(offer)
    assert answer.status_code == 202, answer.text
    view = wait_for(stack, job_id)
    assert view["state"] == "done", view["error"]
    assert view["attempts"] == 1 and "storage" not in str(view.get("result_url"))
    redirect = redirected_result(rt, job_id)
    assert redirect.status_code == 303
    location = redirect.headers["Location"]
    assert location.startswith(f"{stack.urls['storage']}/{stack.config.bucket}/results/")
    assert "X-Goog-Signature=" in location and "X-Goog-Expires=300" in location
    assert "response-content-disposition=attachment" in location
    pdf = requests.get(location, timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "inline" in redirected_result(rt, job_id, inline="1").headers["Location"]
    print(f"\n40 MiB sent to the emulator in {CHUNK >> 20} MiB chunks: {sent:.2f} s")


def test_the_finalize_notification_alone_queues_the_job(stack, rt, make_deck):
    deck = make_deck(["Nobody calls complete"])
    offer = announce(stack, len(deck), name="vanished.pptx")
    send(offer["upload"], deck)  # and the client vanishes
    view = wait_for(stack, offer["job_id"])
    assert view["state"] == "done" and view["attempts"] == 1


def test_complete_three_times_then_the_notification_queue_it_once(stack, rt, make_deck):
    deck = make_deck(["Once"])
    offer = announce(stack, len(deck))
    send(offer["upload"], deck)
    answers = [complete(offer) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 202]
    view = wait_for(stack, offer["job_id"])
    assert view["state"] == "done" and view["attempts"] == 1
    late = {"message": {"attributes": {
        "eventType": "OBJECT_FINALIZE", "bucketId": stack.config.bucket,
        "objectId": f"inputs/{offer['job_id']}.pptx"}}}
    assert requests.post(stack.urls["upload"] + "/finalized", json=late,
                         timeout=10).status_code == 204
    assert complete(offer).status_code == 202
    again = status_of(stack, offer["job_id"])
    assert (again["state"], again["attempts"]) == ("done", 1)


def test_announced_1_mib_but_sent_5_mib_fails_too_large_and_is_deleted(stack, rt):
    offer = announce(stack, 1 << 20)
    payload = b"PK\x03\x04" + os.urandom((5 << 20) - 4)
    send(offer["upload"], payload, total=len(payload))  # Cloud Storage would refuse this
    answer = complete(offer)
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "too_large")
    view = wait_for(stack, offer["job_id"])
    assert view["error"]["code"] == "too_large"
    assert not stored(rt, offer["job_id"])


def test_a_non_pptx_under_a_pptx_name_fails_and_is_deleted(stack, rt):
    payload = b"%PDF-1.7\n" + os.urandom(4096)
    offer = announce(stack, len(payload), name="looks-like.pptx")
    send(offer["upload"], payload)
    answer = complete(offer)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "not_a_presentation")
    assert wait_for(stack, offer["job_id"])["error"]["code"] == "not_a_presentation"
    assert not stored(rt, offer["job_id"])


def test_an_upload_that_never_arrives_expires_through_the_reaper(stack, rt):
    offer = announce(stack, 1 << 20)
    assert complete(offer).status_code == 409  # nothing stored yet: upload_incomplete
    lifetime = timedelta(seconds=rt.settings.upload_url_seconds)
    later = jobs.utcnow() + lifetime + jobs.UPLOAD_EXPIRY_MARGIN + timedelta(seconds=5)
    reaper.reap(rt, now=later)
    view = status_of(stack, offer["job_id"])
    assert (view["state"], view["error"]["code"]) == ("failed", "upload_expired")
    answer = complete(offer)
    assert (answer.status_code, answer.json()["error"]["code"]) == (410, "upload_expired")


def test_the_small_deck_post_still_works_and_the_page_offers_the_direct_path(stack, make_deck):
    deck = make_deck(["Small"])
    answer = requests.post(stack.urls["upload"], files={"file": ("s.pptx", deck, PPTX_TYPE)},
                           timeout=30)
    assert answer.status_code == 202
    assert wait_for(stack, answer.json()["job_id"])["state"] == "done"
    config = requests.get(stack.urls["upload"] + "/config.json", timeout=10).json()
    assert config["directUploadBytes"] == 4 << 20
    page = requests.get(stack.urls["upload"] + "/", timeout=10)
    assert stack.urls["storage"] in page.headers["Content-Security-Policy"]
