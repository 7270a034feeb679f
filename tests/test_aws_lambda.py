"""The Lambda entry points (``functions/*/lambda_function.py``), each imported as Lambda
imports it and handed events of the shapes Lambda sends (function URL payload v2, SQS
event source mapping batches, an EventBridge schedule), against S3, DynamoDB and SQS on
moto: a deck through upload, convert, status and result; partial batch failures; the
dead-letter queue; the reaper."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aws_moto import aws_env
from pypdf import PdfReader

from deckpipe import jobs, runtime
from deckpipe.jobqueue import JobMessage

REPO = Path(__file__).resolve().parents[1]
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def env(moto_endpoint):
    with pytest.MonkeyPatch.context() as patch:
        # The PDF streamed through the function here (its payload limit is tested); the
        # redirect to a presigned GET, the default, is tested in test_aws_direct.py.
        settings = {**aws_env(moto_endpoint), "DECKPIPE_RENDER_ISOLATION": "inline",
                    "DECKPIPE_LEASE_SECONDS": "30", "DECKPIPE_RESULT_DELIVERY": "stream"}
        for name, value in settings.items():
            patch.setenv(name, value)
        yield settings


@pytest.fixture(scope="module")
def functions(env):
    """Each function's module, imported from its folder as Lambda imports it (cold start)."""
    runtime.load.cache_clear()
    loaded = {}
    for name in ("upload", "status", "result", "convert", "reaper"):
        path = REPO / "functions" / name / "lambda_function.py"
        spec = importlib.util.spec_from_file_location(f"lambda_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        loaded[name] = module
    yield loaded
    runtime.load.cache_clear()


def url_event(method: str, path: str, *, body: bytes = b"", headers: dict | None = None,
              query: str = "") -> dict:
    """A Lambda function URL request (payload format 2.0), as AWS documents it."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"host": "abcdefg.lambda-url.eu-west-1.on.aws", "user-agent": "curl/8.5.0",
                    "x-forwarded-proto": "https", "x-forwarded-port": "443",
                    **(headers or {})},
        "requestContext": {
            "accountId": "anonymous", "apiId": "abcdefg",
            "domainName": "abcdefg.lambda-url.eu-west-1.on.aws", "domainPrefix": "abcdefg",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "curl/8.5.0"},
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "routeKey": "$default",
            "stage": "$default", "time": "25/Nov/2026:16:00:00 +0000",
            "timeEpoch": 1795622400000,
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def sqs_event(messages: list[dict], queue_url: str) -> dict:
    """An SQS event source mapping's batch, records shaped as AWS sends them."""
    arn = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{queue_url.rsplit('/', 1)[1]}"
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {**m.get("Attributes", {}), "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                       "ApproximateFirstReceiveTimestamp": "1795622400100"},
        "messageAttributes": {name: {"stringValue": value["StringValue"], "stringListValues": [],
                                     "binaryListValues": [], "dataType": value["DataType"]}
                              for name, value in m.get("MessageAttributes", {}).items()},
        "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": arn,
        "awsRegion": "eu-west-1",
    } for m in messages]}


def receive_raw(rt, url: str, count: int = 10) -> list[dict]:
    """What the event source mapping does: receive a batch (hidden for its visibility)."""
    return rt.queue._sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=count, VisibilityTimeout=60,
        MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
    ).get("Messages", [])


def answer_json(answer: dict) -> dict:
    body = answer["body"]
    return json.loads(base64.b64decode(body) if answer.get("isBase64Encoded") else body)


def headers(answer: dict) -> dict[str, str]:
    return {name.lower(): value for name, value in answer["headers"].items()}


def upload(functions, deck: bytes, name: str = "talk.pptx") -> str:
    answer = functions["upload"].handler(url_event(
        "POST", "/", body=deck, headers={"content-type": PPTX, "x-filename": name}), None)
    assert answer["statusCode"] == 202, answer
    return answer_json(answer)["job_id"]


def test_a_deck_goes_through_upload_convert_status_and_result(functions, env, make_deck):
    job_id = upload(functions, make_deck(["Lambda deck", "Second slide"]))
    rt = functions["convert"].RUNTIME
    assert rt.jobs.get(job_id).state == jobs.QUEUED

    batch = receive_raw(rt, env["DECKPIPE_SQS_QUEUE_URL"])
    assert [json.loads(m["Body"])["job_id"] for m in batch] == [job_id]
    outcome = functions["convert"].handler(sqs_event(batch, env["DECKPIPE_SQS_QUEUE_URL"]),
                                           None)
    assert outcome == {"batchItemFailures": []}

    status = functions["status"].handler(url_event("GET", f"/{job_id}"), None)
    assert status["statusCode"] == 200
    body = answer_json(status)
    assert body["state"] == "done" and body["result"]["pages"] == 2
    assert headers(status)["cache-control"] == "no-store"

    result = functions["result"].handler(url_event("GET", f"/{job_id}"), None)
    assert result["statusCode"] == 200 and result["isBase64Encoded"] is True
    assert headers(result)["content-type"] == "application/pdf"
    pdf = base64.b64decode(result["body"])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2 and "Lambda deck" in reader.pages[0].extract_text()

    part = functions["result"].handler(url_event("GET", f"/{job_id}",
                                                 headers={"range": "bytes=0-7"}), None)
    assert part["statusCode"] == 206 and base64.b64decode(part["body"]) == pdf[:8]


def test_http_errors_are_json_with_a_code(functions):
    missing = functions["status"].handler(url_event("GET", f"/{jobs.new_job_id()}"), None)
    assert missing["statusCode"] == 404 and answer_json(missing)["error"]["code"] == "not_found"
    refused = functions["upload"].handler(url_event(
        "POST", "/", body=b"not a deck at all", headers={"content-type": PPTX,
                                                         "x-filename": "x.pptx"}), None)
    assert refused["statusCode"] == 400
    assert answer_json(refused)["error"]["code"] == "not_a_presentation"
    page = functions["upload"].handler(url_event("GET", "/"), None)
    assert page["statusCode"] == 200 and "text/html" in headers(page)["content-type"]


def test_one_bad_record_is_reported_alone_and_comes_back_when_its_lease_lapses(
    functions, env, make_deck
):
    rt = functions["convert"].RUNTIME
    good = upload(functions, make_deck(["Fine"]))
    held = upload(functions, make_deck(["Held"]))
    lease_ends = jobs.utcnow() + timedelta(seconds=6)  # outlasts the batch, even on a busy CI
    rt.jobs.transact(held, lambda job: (job.replace(
        state=jobs.PROCESSING, attempts=1, lease=jobs.Lease("another-worker", lease_ends)),
        None))
    rt.queue.publish(JobMessage("not-a-job-id"))  # malformed: dropped, not retried
    batch = []
    while len(batch) < 3 and (more := receive_raw(rt, env["DECKPIPE_SQS_QUEUE_URL"])):
        batch += more
    assert len(batch) == 3
    held_message = next(m for m in batch if held in m["Body"])
    batch.sort(key=lambda m: m is not held_message)  # the held record first: its lease is live

    outcome = functions["convert"].handler(sqs_event(batch, env["DECKPIPE_SQS_QUEUE_URL"]),
                                           None)
    assert outcome == {"batchItemFailures": [{"itemIdentifier": held_message["MessageId"]}]}
    assert rt.jobs.get(good).state == jobs.DONE
    assert rt.jobs.get(held).lease.token == "another-worker"  # untouched
    # The failed record's visibility now ends when the lease does, not after the
    # queue's long default: hidden now, back once the lease has lapsed.
    assert receive_raw(rt, env["DECKPIPE_SQS_QUEUE_URL"]) == []
    time.sleep(max(0.0, (lease_ends - jobs.utcnow()).total_seconds()) + 1.5)
    again = receive_raw(rt, env["DECKPIPE_SQS_QUEUE_URL"])
    assert [m["MessageId"] for m in again] == [held_message["MessageId"]]
    assert functions["convert"].handler(sqs_event(again, env["DECKPIPE_SQS_QUEUE_URL"]),
                                        None) == {"batchItemFailures": []}
    job = rt.jobs.get(held)
    assert job.state == jobs.DONE and job.attempts == 2


def test_a_record_from_the_dead_letter_queue_fails_its_job(functions, env, make_deck):
    rt = functions["convert"].RUNTIME
    job_id = upload(functions, make_deck(["Doomed"]))
    receive_raw(rt, env["DECKPIPE_SQS_QUEUE_URL"])  # leave the main queue's message hidden
    rt.queue._sqs.send_message(QueueUrl=env["DECKPIPE_SQS_DLQ_URL"],
                               MessageBody=json.dumps({"job_id": job_id}))
    batch = receive_raw(rt, env["DECKPIPE_SQS_DLQ_URL"])
    outcome = functions["convert"].handler(sqs_event(batch, env["DECKPIPE_SQS_DLQ_URL"]), None)
    assert outcome == {"batchItemFailures": []}
    job = rt.jobs.get(job_id)
    assert job.state == jobs.FAILED and job.error.code == "delivery_failed"


def test_the_scheduled_reaper_sweeps_orphaned_decks(functions, env):
    from deckpipe import reaper

    rt = functions["reaper"].RUNTIME
    orphan = f"inputs/{jobs.new_job_id()}.pptx"
    rt.blobs.put(orphan, b"a deck whose job was never written", content_type=PPTX)
    later = jobs.utcnow() + timedelta(hours=2)
    assert reaper.sweep_orphans(rt, now=later) >= 1
    assert rt.blobs.stat(orphan) is None


def test_the_scheduled_reaper_publishes_a_stranded_job_again(functions, env):
    rt = functions["reaper"].RUNTIME
    long_ago = jobs.utcnow() - timedelta(minutes=20)
    job = jobs.new_job(jobs.new_job_id(), "lost.pptx", input_bytes=1, input_sha256="-")
    rt.jobs.create(job.replace(created_at=long_ago, updated_at=long_ago))
    scheduled = {
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT,
        "time": "2026-11-25T16:00:00Z", "region": "eu-west-1",
        "resources": [f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/deckpipe-reaper"],
        "detail": {},
    }
    counts = functions["reaper"].handler(scheduled, None)
    assert counts["requeued"] >= 1
    assert rt.jobs.get(job.job_id).requeues == 1
    bodies = [json.loads(m["Body"])["job_id"]
              for m in receive_raw(rt, env["DECKPIPE_SQS_QUEUE_URL"])]
    assert job.job_id in bodies


def test_a_pdf_over_lambdas_payload_limit_is_refused_in_json(functions, env):
    rt = functions["result"].RUNTIME
    job = jobs.new_job(jobs.new_job_id(), "huge.pptx", input_bytes=1, input_sha256="-")
    big = b"%PDF-1.7\n" + b"0" * (5 << 20)
    rt.blobs.put(job.result_object, big, content_type="application/pdf")
    rt.jobs.create(job.replace(state=jobs.DONE, pages=1, result_bytes=len(big)))
    answer = functions["result"].handler(url_event("GET", f"/{job.job_id}"), None)
    assert answer["statusCode"] == 500 and len(json.dumps(answer)) < 10_000
    assert answer_json(answer)["error"]["code"] == "result_too_large"
    assert headers(answer)["content-type"] == "application/json"


# Run in a fresh interpreter where the Google-only packages cannot be imported: a Lambda
# package carries the core and the aws extra, not Functions Framework or Google's clients.
WITHOUT_GOOGLE = r"""
import base64, importlib.abc, json, sys
BLOCKED = ("google", "functions_framework", "cloudevents", "gunicorn", "grpc")

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not in a Lambda package")

sys.meta_path.insert(0, Refuse())
sys.path.insert(0, sys.argv[1])
from deckpipe import awslocal
from pathlib import Path
answers = {}
for name in ("upload", "status", "result", "convert", "reaper"):
    module = awslocal.load_function(Path(sys.argv[2]) / name / "lambda_function.py", name)
    answers[name] = module.handler
status = answers["status"](json.loads(sys.argv[3]), None)
print(json.dumps({"status": status["statusCode"],
                  "reaper": answers["reaper"]({"detail-type": "Scheduled Event"}, None)}))
"""


def test_the_lambda_functions_need_no_google_package(env, tmp_path):
    import subprocess
    import sys

    event = url_event("GET", f"/{jobs.new_job_id()}")
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_GOOGLE, str(tmp_path), str(REPO / "functions"),
         json.dumps(event)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["status"] == 404 and answer["reaper"]["failed"] == 0
