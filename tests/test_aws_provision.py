"""``deckpipe provision --cloud aws`` against moto: the dry run reads and changes nothing, a run
creates the bucket, table and both queues, a second run finds them all ok, drift is reported
and converged, and broken settings or an unreachable endpoint end with one plain line."""

from __future__ import annotations

import json
import secrets
import textwrap
from pathlib import Path

import pytest
from aws_moto import REGION, URLS
from botocore.exceptions import ClientError

from deckpipe import cli
from deckpipe.backends._aws import client


def env_file(tmp_path: Path, endpoint: str, *, dead_letter: str | None = None) -> Path:
    suffix = secrets.token_hex(4)
    queue = f"deckpipe-prov-{suffix}"
    path = tmp_path / "aws.env.yaml"
    path.write_text(textwrap.dedent(f"""\
        DECKPIPE_BUCKET: deckpipe-prov-{suffix}
        DECKPIPE_DYNAMODB_TABLE: deckpipe-prov-{suffix}
        DECKPIPE_SQS_QUEUE_URL: {endpoint}/123456789012/{queue}
        DECKPIPE_SQS_DLQ_URL: {endpoint}/123456789012/{dead_letter or queue + "-dead-letter"}
        AWS_REGION: {REGION}
        DECKPIPE_AWS_ENDPOINT_URL: {endpoint}
        DECKPIPE_RETENTION_DAYS: 3
        DECKPIPE_STATUS_URL: {URLS["DECKPIPE_STATUS_URL"]}
        DECKPIPE_RESULT_URL: {URLS["DECKPIPE_RESULT_URL"]}
    """))
    return path


def provision(capsys, path: Path, *words: str) -> tuple[int, str, str]:
    code = cli.main(["provision", "--cloud", "aws", "--env-file", str(path), *words])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def actions(out: str) -> dict[str, str]:
    """``resource -> action`` from the printed lines (``  create      queue name  (...)``)."""
    found = {}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("  ") and len(words) >= 3:
            found[f"{words[1]} {words[2]}"] = words[0]
    return found


def names(path: Path) -> dict[str, str]:
    values = dict(line.split(": ", 1) for line in path.read_text().splitlines())
    queue = values["DECKPIPE_SQS_QUEUE_URL"].rsplit("/", 1)[1]
    return {"bucket": values["DECKPIPE_BUCKET"], "table": values["DECKPIPE_DYNAMODB_TABLE"],
            "queue": queue, "dead": queue + "-dead-letter"}


def test_dry_run_then_run_then_nothing_to_do(moto_endpoint, tmp_path, capsys):
    path = env_file(tmp_path, moto_endpoint)
    named = names(path)
    code, out, err = provision(capsys, path, "--dry-run")
    assert code == 0, err
    assert actions(out) == {f"bucket {named['bucket']}": "create",
                            f"table {named['table']}": "create",
                            f"queue {named['dead']}": "create",
                            f"queue {named['queue']}": "create"}
    s3 = client("s3", region=REGION, endpoint_url=moto_endpoint)
    with pytest.raises(ClientError):  # the dry run made nothing
        s3.head_bucket(Bucket=named["bucket"])

    code, out, err = provision(capsys, path, "--max-delivery-attempts", "4")
    assert code == 0, err
    assert set(actions(out).values()) == {"created"}
    sqs = client("sqs", region=REGION, endpoint_url=moto_endpoint)
    url = sqs.get_queue_url(QueueName=named["queue"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "1800"
    assert str(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"]) == "4"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=named["bucket"])["Rules"]
    assert {rule["Expiration"]["Days"] for rule in rules} == {3}

    code, out, err = provision(capsys, path, "--dry-run", "--max-delivery-attempts", "4")
    assert code == 0 and set(actions(out).values()) == {"ok"}, out
    code, out, err = provision(capsys, path, "--max-delivery-attempts", "4")
    assert code == 0 and set(actions(out).values()) == {"ok"}, out

    # Drift: someone shortened the visibility timeout; the dry run says so, a run mends it.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    code, out, err = provision(capsys, path, "--dry-run", "--max-delivery-attempts", "4")
    assert actions(out)[f"queue {named['queue']}"] == "update" and "30 -> 1800" in out
    code, out, err = provision(capsys, path, "--max-delivery-attempts", "4")
    assert code == 0 and actions(out)[f"queue {named['queue']}"] == "updated"
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"]["VisibilityTimeout"] == "1800"


def test_a_dead_letter_queue_named_otherwise_is_refused(moto_endpoint, tmp_path, capsys):
    path = env_file(tmp_path, moto_endpoint, dead_letter="somewhere-else")
    code, out, err = provision(capsys, path)
    assert code == 2 and "somewhere-else" in err and "Traceback" not in err


def test_a_broken_setting_is_named(moto_endpoint, tmp_path, capsys):
    path = env_file(tmp_path, moto_endpoint)
    path.write_text(path.read_text().replace("AWS_REGION: eu-west-1", "AWS_REGION: moon"))
    code, out, err = provision(capsys, path, "--dry-run")
    assert code == 2 and "AWS_REGION" in err


def test_an_unreachable_endpoint_fails_in_one_line(tmp_path, capsys, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"
                        }.items():
        monkeypatch.setenv(name, value)
    path = env_file(tmp_path, "http://127.0.0.1:9")
    code, out, err = provision(capsys, path, "--dry-run")
    assert code == 1 and err.startswith("deckpipe provision: failed:"), err
    assert "Traceback" not in err and len(err.splitlines()) == 1
