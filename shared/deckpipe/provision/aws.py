"""Create or check the AWS resources deckpipe needs: safely repeatable.

The bucket (public access blocked, encryption, lifecycle expiry, CORS), the job
table (its key schema and sparse index from the DynamoDB backend, TTL on
``expire_at``), the job queue and its dead-letter queue with the redrive policy.
Each step reads what exists and creates or converges it, so a second run changes
nothing. The tests and the local stack run it against moto; in the cloud the SAM
template (``deploy/aws/template.yaml``) declares the same resources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..backends._aws import client, error_code, http_status
from ..backends.dynamodb import EXPIRE_AT, TABLE_SCHEMA, UNFINISHED_INDEX

DLQ_SUFFIX = "-dead-letter"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's longest: time to look at what failed


@dataclass(frozen=True)
class AwsPlan:
    """What to provision; names as the settings give them."""

    bucket: str
    table: str
    queue: str  # the job queue's name; its dead-letter queue is "<queue>-dead-letter"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    max_receives: int = 5
    # AWS advises at least six times the convert function's timeout.
    visibility_timeout_seconds: int = 1800
    retention_days: int = 7
    allowed_origins: Sequence[str] = ()


@dataclass
class AwsStack:
    """What exists after provisioning, and what each step did."""

    bucket: str
    table: str
    queue_url: str
    dead_letter_url: str
    region: str
    endpoint_url: str | None = None
    steps: list[tuple[str, str]] = field(default_factory=list)  # (resource, created|ok|updated)

    def environment(self) -> dict[str, str]:
        """The aws backend's settings for these resources."""
        env = {
            "DECKPIPE_BACKEND": "aws",
            "DECKPIPE_BUCKET": self.bucket,
            "DECKPIPE_DYNAMODB_TABLE": self.table,
            "DECKPIPE_SQS_QUEUE_URL": self.queue_url,
            "DECKPIPE_SQS_DLQ_URL": self.dead_letter_url,
            "AWS_REGION": self.region,
        }
        if self.endpoint_url:
            env["DECKPIPE_AWS_ENDPOINT_URL"] = self.endpoint_url
        return env


class ProvisionError(Exception):
    """An existing resource is not what deckpipe needs, and changing it is not safe."""


def provision_aws(plan: AwsPlan) -> AwsStack:
    """Create what is missing, converge what drifted; returns the resources."""
    connect = {"region": plan.region, "endpoint_url": plan.endpoint_url}
    steps: list[tuple[str, str]] = []
    steps.append((f"bucket {plan.bucket}", _bucket(client("s3", **connect), plan)))
    steps.append((f"table {plan.table}", _table(client("dynamodb", **connect), plan)))
    sqs = client("sqs", **connect)
    dead_url, dead_step = _queue(sqs, plan.queue + DLQ_SUFFIX, {
        "MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS),
    })
    steps.append((f"queue {plan.queue}{DLQ_SUFFIX}", dead_step))
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    queue_url, queue_step = _queue(sqs, plan.queue, {
        "VisibilityTimeout": str(plan.visibility_timeout_seconds),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn,
                                     "maxReceiveCount": str(plan.max_receives)}),
    })
    steps.append((f"queue {plan.queue}", queue_step))
    return AwsStack(plan.bucket, plan.table, queue_url, dead_url, plan.region,
                    plan.endpoint_url, steps)


def _bucket(s3: Any, plan: AwsPlan) -> str:
    try:
        s3.head_bucket(Bucket=plan.bucket)
        step = "ok"
    except ClientError as exc:
        if http_status(exc) != 404:
            raise ProvisionError(f"bucket {plan.bucket}: {exc}") from exc
        extra = ({} if plan.region == "us-east-1"
                 else {"CreateBucketConfiguration": {"LocationConstraint": plan.region}})
        s3.create_bucket(Bucket=plan.bucket, **extra)
        step = "created"
    # These calls replace the whole configuration: repeating them converges it.
    s3.put_public_access_block(Bucket=plan.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    })
    s3.put_bucket_encryption(Bucket=plan.bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}],
    })
    s3.put_bucket_lifecycle_configuration(Bucket=plan.bucket, LifecycleConfiguration={
        "Rules": [
            {"ID": f"expire-{prefix.rstrip('/')}", "Status": "Enabled",
             "Filter": {"Prefix": prefix}, "Expiration": {"Days": plan.retention_days},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
            for prefix in ("inputs/", "results/")
        ],
    })
    if plan.allowed_origins:
        s3.put_bucket_cors(Bucket=plan.bucket, CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": list(plan.allowed_origins), "AllowedMethods": ["GET", "POST"],
            "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600,
        }]})
    return step


def _table(ddb: Any, plan: AwsPlan) -> str:
    try:
        table = ddb.describe_table(TableName=plan.table)["Table"]
        step = "ok"
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise ProvisionError(f"table {plan.table}: {exc}") from exc
        ddb.create_table(TableName=plan.table, **TABLE_SCHEMA)
        ddb.get_waiter("table_exists").wait(TableName=plan.table,
                                            WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        table = ddb.describe_table(TableName=plan.table)["Table"]
        step = "created"
    keys = [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]
    indexes = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", ())}
    if keys != [("pk", "HASH")] or UNFINISHED_INDEX not in indexes:
        raise ProvisionError(
            f"table {plan.table} exists with another design (key {keys}, indexes "
            f"{sorted(indexes)}); deckpipe needs key pk and the {UNFINISHED_INDEX!r} index"
        )
    ttl = ddb.describe_time_to_live(TableName=plan.table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        ddb.update_time_to_live(TableName=plan.table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": EXPIRE_AT})
        step = "updated" if step == "ok" else step
    elif ttl.get("AttributeName") != EXPIRE_AT:
        raise ProvisionError(f"table {plan.table} expires items by {ttl.get('AttributeName')!r}, "
                             f"not {EXPIRE_AT!r}")
    return step


def _queue_url(sqs: Any, name: str) -> str | None:
    """The queue's URL, or None when no queue has that name."""
    try:
        return sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if error_code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue",
                                   "QueueDoesNotExist"):
            raise ProvisionError(f"queue {name}: {exc}") from exc
        return None


def _queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    url = _queue_url(sqs, name)
    if url is None:
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"], "created"
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attributes)).get(
        "Attributes", {})
    if any(_normal(current.get(key)) != _normal(value) for key, value in attributes.items()):
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        return url, "updated"
    return url, "ok"


def _normal(value: str | None) -> Any:
    """Attribute values compare as JSON where they are JSON (the redrive policy's count
    comes back as a number or a string, depending on the service)."""
    try:
        parsed = json.loads(value) if value is not None else None
    except ValueError:
        return value
    if isinstance(parsed, dict):
        return {key: str(item) for key, item in parsed.items()}
    return str(parsed)


def queue_name(url: str) -> str:
    """The queue's name: the last segment of its URL."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def inspect_aws(plan: AwsPlan) -> list[tuple[str, str, str]]:
    """What ``provision_aws`` would do, read-only (``deckpipe provision --dry-run``): per
    resource ``(resource, action, detail)`` with action ``create``, ``update`` or ``ok``."""
    connect = {"region": plan.region, "endpoint_url": plan.endpoint_url}
    s3, ddb, sqs = (client(name, **connect) for name in ("s3", "dynamodb", "sqs"))
    found = [(f"bucket {plan.bucket}", *_inspect_bucket(s3, plan)),
             (f"table {plan.table}", *_inspect_table(ddb, plan))]
    dead = plan.queue + DLQ_SUFFIX
    dead_action, dead_detail, dead_arn = _inspect_queue(sqs, dead, {
        "MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)})
    found.append((f"queue {dead}", dead_action, dead_detail))
    wanted = {"VisibilityTimeout": str(plan.visibility_timeout_seconds)}
    if dead_arn:  # a missing dead-letter queue has no ARN yet: the redrive comes with it
        wanted["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_arn,
                                              "maxReceiveCount": str(plan.max_receives)})
    action, detail, _ = _inspect_queue(sqs, plan.queue, wanted)
    found.append((f"queue {plan.queue}", action, detail))
    return found


def _inspect_bucket(s3: Any, plan: AwsPlan) -> tuple[str, str]:
    try:
        s3.head_bucket(Bucket=plan.bucket)
    except ClientError as exc:
        if http_status(exc) != 404:
            raise ProvisionError(f"bucket {plan.bucket}: {exc}") from exc
        return "create", (f"private, encrypted, inputs/ and results/ expire after "
                          f"{plan.retention_days} days")
    drift = []
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=plan.bucket)["Rules"]
        days = {rule.get("Filter", {}).get("Prefix"): rule.get("Expiration", {}).get("Days")
                for rule in rules}
        if days.get("inputs/") != plan.retention_days or days.get(
                "results/") != plan.retention_days:
            drift.append(f"lifecycle {days} -> {plan.retention_days} days")
    except ClientError:
        drift.append("no lifecycle rule")
    try:
        block = s3.get_public_access_block(Bucket=plan.bucket)[
            "PublicAccessBlockConfiguration"]
        if not all(block.values()):
            drift.append("public access not fully blocked")
    except ClientError:
        drift.append("no public access block")
    return ("update", "; ".join(drift)) if drift else ("ok", "private, expiring")


def _inspect_table(ddb: Any, plan: AwsPlan) -> tuple[str, str]:
    try:
        table = ddb.describe_table(TableName=plan.table)["Table"]
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise ProvisionError(f"table {plan.table}: {exc}") from exc
        return "create", f"key pk, index {UNFINISHED_INDEX}, TTL on {EXPIRE_AT}"
    keys = [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]
    indexes = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", ())}
    if keys != [("pk", "HASH")] or UNFINISHED_INDEX not in indexes:
        raise ProvisionError(f"table {plan.table} exists with another design (key {keys}, "
                             f"indexes {sorted(indexes)})")
    ttl = ddb.describe_time_to_live(TableName=plan.table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        return "update", f"TTL on {EXPIRE_AT}"
    return "ok", f"TTL on {ttl.get('AttributeName')}"


def _inspect_queue(sqs: Any, name: str, attributes: dict[str, str]
                   ) -> tuple[str, str, str | None]:
    url = _queue_url(sqs, name)
    if url is None:
        return "create", ", ".join(f"{k}={v}" for k, v in attributes.items()), None
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[*attributes, "QueueArn"])[
        "Attributes"]
    differ = [f"{key}: {current.get(key)} -> {value}" for key, value in attributes.items()
              if _normal(current.get(key)) != _normal(value)]
    return ("update" if differ else "ok"), "; ".join(differ), current.get("QueueArn")
