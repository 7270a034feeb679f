"""What the aws backend adds beyond the shared contract suites: its settings, S3's
multipart path (bounded memory, nothing visible before commit, abort leaves no upload),
DynamoDB's items (TTL, the sparse index, round trips), outages as ``TransientError``,
provisioning that repeats safely, and no cloud SDK in the core."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from aws_moto import REGION, URLS, aws_env, provision_fresh
from botocore.exceptions import ClientError

from deckpipe import jobs
from deckpipe.blobs import BlobExists
from deckpipe.config import load_settings
from deckpipe.errors import ConfigError, TransientError
from deckpipe.provision.aws import AwsPlan, provision_aws
from deckpipe.runtime import build

MIB = 1 << 20


@pytest.fixture
def env(moto_endpoint) -> dict[str, str]:
    return aws_env(moto_endpoint)


@pytest.fixture
def rt(env):
    return build(load_settings({**env, "DECKPIPE_UPLOAD_CHUNK_BYTES": str(5 * MIB)}))


# --- settings ------------------------------------------------------------------------


def test_aws_settings_are_required_for_aws_only_and_named():
    with pytest.raises(ConfigError) as caught:
        load_settings({"DECKPIPE_BACKEND": "aws"})
    for var in ("DECKPIPE_BUCKET", "DECKPIPE_DYNAMODB_TABLE", "DECKPIPE_SQS_QUEUE_URL",
                "DECKPIPE_SQS_DLQ_URL", "AWS_REGION", "DECKPIPE_STATUS_URL"):
        assert f"{var} is not set" in caught.value.message
    assert "GOOGLE_CLOUD_PROJECT" not in caught.value.message
    assert load_settings({"DECKPIPE_BACKEND": "local"}).dynamodb_table == ""
    # AWS_REGION is AWS's variable: only the aws backend reads (and checks) it.
    assert load_settings({"DECKPIPE_BACKEND": "local", "AWS_REGION": "moon-1a"}).aws_region == ""


@pytest.mark.parametrize(("var", "value", "expects"), [
    ("DECKPIPE_SQS_QUEUE_URL", "deckpipe-jobs", "an SQS queue URL"),
    ("AWS_REGION", "Ireland", "an AWS region"),
    ("DECKPIPE_BUCKET", "my_bucket", "an S3 bucket name"),
    ("DECKPIPE_DYNAMODB_TABLE", "j", "a DynamoDB table name"),
    ("DECKPIPE_AWS_ENDPOINT_URL", "127.0.0.1:5000", "http(s) URL"),
])
def test_malformed_aws_setting_names_value_and_expectation(var, value, expects):
    good = {
        "DECKPIPE_BACKEND": "aws", "DECKPIPE_BUCKET": "decks", "AWS_REGION": REGION,
        "DECKPIPE_DYNAMODB_TABLE": "jobs",
        "DECKPIPE_SQS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
        "DECKPIPE_SQS_DLQ_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-dl",
        **URLS,
    }
    assert load_settings(good).backend == "aws"
    with pytest.raises(ConfigError) as caught:
        load_settings({**good, var: value})
    assert var in caught.value.message and value in caught.value.message
    assert expects in caught.value.message


def test_the_core_never_imports_a_cloud_sdk():
    code = ("import sys; import deckpipe.web, deckpipe.convert, deckpipe.runtime, "
            "deckpipe.pullworker, deckpipe.reaper, deckpipe.upload, deckpipe.status; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore') "
            "or m.startswith(('google.cloud.', 'google.api_core'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- S3 --------------------------------------------------------------------------------


def test_multipart_upload_bounds_memory_and_shows_nothing_before_commit(rt, env):
    name = f"inputs/{jobs.new_job_id()}.pptx"
    upload = rt.blobs.upload(name, content_type="application/octet-stream")
    data = bytes(range(256)) * (12 * MIB // 256)
    for offset in range(0, len(data), MIB):
        upload.write(data[offset : offset + MIB])
        assert len(upload._buffer) <= 5 * MIB  # at most one part in hand
        assert rt.blobs.stat(name) is None
    assert upload._upload_id is not None  # 12 MiB went up as parts
    info = upload.commit()
    assert info.size == len(data)
    assert b"".join(rt.blobs.read_range(name, 6 * MIB - 3, 10)) == data[6 * MIB - 3 : 6 * MIB + 7]
    again = rt.blobs.upload(name, content_type="application/octet-stream")
    for _ in range(0, len(data), MIB):
        again.write(b"x" * MIB)
    with pytest.raises(BlobExists):  # CompleteMultipartUpload carries If-None-Match too
        again.commit()
    s3 = rt.blobs._s3
    assert s3.list_multipart_uploads(Bucket=env["DECKPIPE_BUCKET"]).get("Uploads", []) == []


def test_aborted_multipart_upload_leaves_no_parts(rt, env):
    name = f"results/{jobs.new_job_id()}.pdf"
    upload = rt.blobs.upload(name, content_type="application/pdf")
    for _ in range(7):
        upload.write(b"p" * MIB)
    assert upload._upload_id is not None
    upload.abort()
    s3 = rt.blobs._s3
    assert s3.list_multipart_uploads(Bucket=env["DECKPIPE_BUCKET"]).get("Uploads", []) == []
    assert rt.blobs.stat(name) is None


def test_listing_gives_names_sizes_and_creation_times(rt):
    prefix = f"inputs/{jobs.new_job_id()}/"
    for n in range(3):
        rt.blobs.put(f"{prefix}{n}", b"x" * (n + 1), content_type="text/plain")
    listed = sorted(rt.blobs.list(prefix), key=lambda info: info.name)
    assert [(info.name[-1], info.size) for info in listed] == [("0", 1), ("1", 2), ("2", 3)]
    assert all(info.created_at is not None for info in listed)


# --- DynamoDB --------------------------------------------------------------------------


def test_job_items_carry_ttl_and_leave_the_index_when_finished(rt, env):
    job = jobs.new_job(jobs.new_job_id(), "talk.pptx", input_bytes=10, input_sha256="abc")
    rt.jobs.create(job, idempotency_key="key-ttl")
    ddb = rt.jobs._ddb
    table = env["DECKPIPE_DYNAMODB_TABLE"]
    item = ddb.get_item(TableName=table, Key={"pk": {"S": f"job#{job.job_id}"}})["Item"]
    key = ddb.get_item(TableName=table, Key={"pk": {"S": "key#key-ttl"}})["Item"]
    expected = int((job.created_at + timedelta(days=7)).timestamp())
    assert int(item["expire_at"]["N"]) == expected == int(key["expire_at"]["N"])
    assert item["open_state"]["S"] == jobs.QUEUED and item["version"]["N"] == "1"
    done = job.replace(state=jobs.DONE, duration_seconds=1.25, pages=3,
                       report={"ratio": 0.5, "nested": [1.5, {"x": 2.0}]},
                       warnings=({"code": "font", "slide": 2},))
    rt.jobs.transact(job.job_id, lambda current: (done, None))
    item = ddb.get_item(TableName=table, Key={"pk": {"S": f"job#{job.job_id}"}})["Item"]
    assert "open_state" not in item and item["version"]["N"] == "2"
    assert rt.jobs.get(job.job_id) == done
    assert rt.jobs.get(job.job_id).duration_seconds == 1.25


# --- outages and provisioning ----------------------------------------------------------


def test_an_unreachable_aws_is_a_transient_error(env):
    down = {**env, "DECKPIPE_AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    rt = build(load_settings(down))
    with pytest.raises(TransientError):
        rt.blobs.stat("inputs/x.pptx")
    with pytest.raises(TransientError):
        rt.jobs.get(jobs.new_job_id())
    with pytest.raises(TransientError):
        rt.queue.publish(jobs_message())


def jobs_message():
    from deckpipe.jobqueue import JobMessage

    return JobMessage(jobs.new_job_id())


def test_provisioning_twice_changes_nothing_and_converges_drift(moto_endpoint):
    first = provision_fresh(moto_endpoint, max_receives=4)
    assert {step for _, step in first.steps} == {"created"}
    plan = AwsPlan(bucket=first.bucket, table=first.table,
                   queue=first.queue_url.rsplit("/", 1)[1], region=REGION,
                   endpoint_url=moto_endpoint, max_receives=4, visibility_timeout_seconds=30)
    second = provision_aws(plan)
    assert [step for _, step in second.steps] == ["ok"] * 4
    assert second.environment() == first.environment()
    third = provision_aws(AwsPlan(**{**plan.__dict__, "max_receives": 6}))
    assert dict(third.steps)[f"queue {plan.queue}"] == "updated"
    ddb_ttl = build(load_settings({**first.environment(), **URLS})).jobs._ddb.describe_time_to_live(
        TableName=first.table)["TimeToLiveDescription"]
    assert ddb_ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expire_at"}


def test_a_job_with_too_many_warnings_for_one_item_still_finishes(rt):
    job = rt.jobs.create(jobs.new_job(jobs.new_job_id(), "huge.pptx", input_bytes=1,
                                      input_sha256="-"))
    warnings = tuple({"code": "font_substituted", "slide": n % 900 + 1,
                      "message": f"Font 'Corporate Typeface {n}' was replaced by Carlito."}
                     for n in range(6000))  # about 700 KB: over DynamoDB's 400 KB item limit
    done = job.replace(state=jobs.DONE, pages=900, warnings=warnings)
    rt.jobs.transact(job.job_id, lambda current: (done, None))
    stored = rt.jobs.get(job.job_id)
    assert stored.state == jobs.DONE and stored.pages == 900
    assert 1000 < len(stored.warnings) < 6000
    assert stored.warnings[:-1] == warnings[: len(stored.warnings) - 1]
    assert stored.warnings[-1]["code"] == "warnings_truncated"
    assert str(6000 - len(stored.warnings) + 1) in stored.warnings[-1]["message"]


def test_a_multipart_completion_whose_answer_was_lost_is_recognised_as_ours(rt):
    class LostAnswer:
        """The client, except that a completion's answer is lost and botocore sends it again."""

        def __init__(self, real):
            self._real = real

        def __getattr__(self, name):
            return getattr(self._real, name)

        def complete_multipart_upload(self, **kwargs):
            self._real.complete_multipart_upload(**kwargs)  # done, but the answer is lost
            # The retry: S3 no longer knows the upload (moto would complete it again).
            raise ClientError({"Error": {"Code": "NoSuchUpload", "Message": "gone"},
                               "ResponseMetadata": {"HTTPStatusCode": 404}},
                              "CompleteMultipartUpload")

    name = f"results/{jobs.new_job_id()}.pdf"
    upload = rt.blobs.upload(name, content_type="application/pdf")
    upload._s3 = LostAnswer(upload._s3)
    for _ in range(7):
        upload.write(b"q" * MIB)
    assert upload.commit().size == 7 * MIB
    other = rt.blobs.upload(name, content_type="application/pdf")
    other._s3 = LostAnswer(other._s3)
    for _ in range(7):
        other.write(b"r" * MIB)
    with pytest.raises(BlobExists):  # a different writer's completion is still refused
        other.commit()


def test_a_job_awaiting_its_direct_upload_round_trips_and_is_unfinished(rt):
    expires = jobs.utcnow() + timedelta(minutes=15)
    job = jobs.new_awaiting_job(jobs.new_job_id(), "big.pptx", announced_bytes=50 << 20,
                                upload_expires_at=expires)
    job = job.replace(updated_at=job.updated_at - timedelta(hours=1))
    rt.jobs.create(job)
    assert rt.jobs.get(job.job_id) == job
    assert rt.jobs.get(job.job_id).upload_expires_at == expires
    found = rt.jobs.unfinished(updated_before=jobs.utcnow() - timedelta(minutes=5))
    assert job.job_id in [j.job_id for j in found]
