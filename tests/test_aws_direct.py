"""Direct transfer on S3 (moto): a deck POSTed straight to the bucket under a presigned
POST, checked on completion, converted, and its PDF read back through a presigned GET
that carries the download name; and since moto enforces none of a POST policy
(measured), deckpipe's own checks on completion catch an oversized or wrong file."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import requests
from aws_moto import aws_env
from pypdf import PdfReader
from test_aws_lambda import url_event

from deckpipe import awslambda, direct, jobs, pullworker, web
from deckpipe.blobs import direct_transfer
from deckpipe.config import load_settings
from deckpipe.jobqueue import JobMessage
from deckpipe.runtime import build

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


@pytest.fixture
def rt(moto_endpoint):
    env = aws_env(moto_endpoint)
    return build(load_settings({**env, "DECKPIPE_RENDER_ISOLATION": "inline"}))


def offer(rt, size: int, name: str = "talk.pptx"):
    return direct.request_upload(rt, filename=name, size=size, content_type=PPTX,
                                 origin=None, idempotency_key=None)


def post(target, data: bytes) -> requests.Response:
    return requests.post(target.url, data=target.fields,
                         files={"file": ("talk.pptx", data, PPTX)}, timeout=30)


def test_a_deck_posted_to_the_bucket_is_checked_converted_and_read_back(rt, make_deck):
    assert direct_transfer(rt.blobs) is not None
    deck = make_deck(["Straight to S3", "Second"])
    made = offer(rt, len(deck))
    target = made.target
    assert target.protocol == "s3-post" and target.method == "POST"
    assert target.fields["key"] == made.job.input_object
    assert rt.jobs.get(made.job.job_id).state == jobs.AWAITING_UPLOAD

    assert post(target, deck).status_code in (200, 201, 204)
    assert direct.complete(rt, made.job.job_id).state == jobs.QUEUED
    assert direct.complete(rt, made.job.job_id).state == jobs.QUEUED  # repeated: no change
    assert pullworker.PullWorker(rt, rt.queue).run_once()
    job = rt.jobs.get(made.job.job_id)
    assert job.state == jobs.DONE and job.pages == 2
    assert rt.queue.receive(visibility_timeout=0) == []  # published once, acknowledged

    disposition = web.content_disposition(job.result_filename)
    url = rt.blobs.download_url(job.result_object, filename=job.result_filename,
                                disposition=disposition, expires=timedelta(minutes=5))
    pdf = requests.get(url, timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Disposition"] == disposition
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 2


def test_the_result_function_redirects_to_a_presigned_get(rt, make_deck):
    deck = make_deck(["Redirected"])
    job = jobs.new_job(jobs.new_job_id(), "talk.pptx", input_bytes=len(deck), input_sha256="-")
    rt.blobs.put(job.input_object, deck, content_type=PPTX)
    rt.jobs.create(job)
    rt.queue.publish(JobMessage(job.job_id))
    assert pullworker.PullWorker(rt, rt.queue).run_once()
    handler = awslambda.http_handler(rt, web.result, "result")
    answer = handler(url_event("GET", f"/{job.job_id}"), None)
    assert answer["statusCode"] == 303
    location = {k.lower(): v for k, v in answer["headers"].items()}["location"]
    pdf = requests.get(location, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert 'filename="talk.pdf"' in pdf.headers["Content-Disposition"]


def test_an_oversized_file_is_refused_on_completion_though_s3_took_it(rt, make_deck):
    deck = make_deck(["Bigger than announced"])
    made = offer(rt, 1000)  # announces 1000 bytes, sends the whole deck
    assert post(made.target, deck).status_code in (200, 201, 204)  # moto ignores the policy
    job = direct.complete(rt, made.job.job_id)
    assert job.state == jobs.FAILED and job.error.code == "too_large"
    assert rt.blobs.stat(made.job.input_object) is None  # deleted
    assert rt.queue.receive(visibility_timeout=0) == []  # never queued


def test_a_file_that_is_not_a_deck_is_refused_on_completion(rt):
    junk = b"%PDF-1.7 this is not a presentation at all " * 50
    made = offer(rt, len(junk))
    assert post(made.target, junk).status_code in (200, 201, 204)
    job = direct.complete(rt, made.job.job_id)
    assert job.state == jobs.FAILED and job.error.code == "not_a_presentation"
    assert rt.blobs.stat(made.job.input_object) is None


def test_browser_origins_are_where_the_links_point(rt, moto_endpoint):
    assert rt.blobs.browser_origins == (moto_endpoint,)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_links_are_signed_sigv4_at_the_buckets_own_endpoint_in_the_cloud(
    region, moto_endpoint
):
    """Buckets made since June 2020 refuse SigV2, which botocore would use for presigned
    links in these older regions; the global endpoint redirects a young bucket elsewhere
    than the page's connect-src. Signing is local: nothing here reaches AWS (moto_endpoint
    only sets the session's fake credentials)."""
    from deckpipe.backends.s3 import S3BlobStore

    store = S3BlobStore("deckpipe-decks-abc", region=region)
    host = "s3.amazonaws.com" if region == "us-east-1" else f"s3.{region}.amazonaws.com"
    origin = f"https://deckpipe-decks-abc.{host}"
    target = store.upload_target("inputs/x.pptx", content_type=PPTX, size=10 << 20,
                                 origin=None, expires=timedelta(minutes=15))
    assert target.url == origin + "/"
    assert target.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert f"/{region}/s3/aws4_request" in target.fields["x-amz-credential"]
    assert "signature" not in target.fields and "AWSAccessKeyId" not in target.fields
    link = store.download_url("results/x.pdf", filename="x.pdf", disposition="attachment",
                              expires=timedelta(minutes=5))
    assert link.startswith(origin + "/results/x.pdf?") and "X-Amz-Signature=" in link
    assert store.browser_origins == (origin,)


def object_created(bucket: str, key: str, size: int) -> dict:
    """S3's "Object Created" event as EventBridge delivers it to a Lambda function."""
    return {
        "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created", "source": "aws.s3", "account": "123456789012",
        "time": "2026-11-25T16:00:00Z", "region": "eu-west-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": size, "etag": "b1946ac92492d2347c6235b4d2611184",
                              "sequencer": "00617F08299329D189"},
                   "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012",
                   "source-ip-address": "203.0.113.15", "reason": "PostObject"},
    }


def test_the_buckets_object_created_event_completes_an_upload_whose_client_vanished(
    rt, make_deck
):
    deck = make_deck(["Client gone"])
    made = offer(rt, len(deck))
    assert post(made.target, deck).status_code in (200, 201, 204)  # then no complete call
    event = object_created(rt.settings.bucket, made.job.input_object, len(deck))
    assert awslambda.is_object_created(event)
    assert awslambda.handle_object_created(rt, event) == jobs.QUEUED
    assert awslambda.handle_object_created(rt, event) == jobs.QUEUED  # delivered twice
    (message,) = rt.queue.receive(visibility_timeout=30)  # queued once
    assert message.message.job_id == made.job.job_id
    other = object_created("someone-elses-bucket", made.job.input_object, 1)
    assert awslambda.handle_object_created(rt, other) == "ignored"
    assert not awslambda.is_object_created(url_event("POST", "/"))
