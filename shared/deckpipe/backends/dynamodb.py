"""DynamoDB backend: jobs and idempotency keys in one table, each change a conditional write.

Table design: one string partition key ``pk`` with a kind prefix, no sort key:
``job#<job id>`` holds a job, ``key#<idempotency key>`` holds the job id a key
created. Both carry ``expire_at`` (epoch seconds, ``retention_days`` after the
job's creation) for the table's TTL, which deletes them for nothing.

- ``transact`` reads the job (strongly consistent), lets the pure ``decide`` choose,
  and writes only if the item's ``version`` is still the one read; on
  ``ConditionalCheckFailedException`` it reads again and ``decide``s again.
- ``create`` with a key writes the key and the job in one ``TransactWriteItems``,
  each conditioned on not existing yet: two uploads with one key make one job.
- ``unfinished`` queries a sparse global secondary index (``open_state``,
  ``updated_at``): only unfinished jobs (awaiting their upload, queued, processing)
  carry ``open_state``, so the index holds just those few and the reaper never scans
  the table. Production wants this index (a filtered scan would read every job); its
  two or three partition values take every unfinished job's writes, well within a
  partition's 1,000 writes a second for thousands of conversions at once.

Datetimes are stored as fixed-width UTC text (they sort as they compare); floats as
``Decimal``, as DynamoDB wants.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from .. import logs
from ..errors import TransientError
from ..jobs import UNFINISHED, Job
from ..jobstore import JobStore
from ._aws import client, error_code, transient_errors

R = TypeVar("R")
log = logs.get_logger(__name__)

JOB_PREFIX = "job#"
KEY_PREFIX = "key#"
EXPIRE_AT = "expire_at"
UNFINISHED_INDEX = "unfinished"
OPEN_STATES = UNFINISHED  # the states the reaper looks at: only these are in the index
MAX_TRIES = 60  # a transaction's read-decide-write rounds under contention
# DynamoDB refuses an item over 400 KB. A deck with thousands of renderer warnings could
# pass that, and its job could then never be marked done: keep the warnings that fit.
ITEM_BUDGET = 350_000
# Someone else wrote the job first, or a transaction on it was in flight: read again.
RETRY_CODES = frozenset({"ConditionalCheckFailedException", "TransactionConflictException"})

# The table, as provisioning creates it and the SAM template declares it.
TABLE_SCHEMA: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "open_state", "AttributeType": "S"},
        {"AttributeName": "updated_at", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": UNFINISHED_INDEX,
            "KeySchema": [
                {"AttributeName": "open_state", "KeyType": "HASH"},
                {"AttributeName": "updated_at", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

# The job's datetime fields (created_at, updated_at, upload_expires_at...), from the record
# itself, so a field added to Job round-trips without a change here.
_DATETIME_FIELDS = tuple(f.name for f in dataclasses.fields(Job) if "datetime" in str(f.type))
_FLOAT_FIELDS = ("duration_seconds",)
_BOOKKEEPING = ("pk", "kind", "version", EXPIRE_AT, "open_state")
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


class DynamoJobStore(JobStore):
    def __init__(
        self,
        table: str,
        *,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        dynamodb_client: Any = None,
        retention_days: int = 7,
    ) -> None:
        self._ddb = dynamodb_client or client("dynamodb", region=region,
                                              endpoint_url=endpoint_url)
        self._table = table
        self._retention = timedelta(days=retention_days)

    # --- the JobStore interface ---------------------------------------------------

    def create(self, job: Job, *, idempotency_key: str | None = None) -> Job:
        if idempotency_key is None:
            return self._create_alone(job)
        for attempt in range(MAX_TRIES):
            try:
                with transient_errors("DynamoDB"):
                    self._ddb.transact_write_items(TransactItems=[
                        {"Put": self._put(self._key_item(idempotency_key, job), new=True)},
                        {"Put": self._put(self._job_item(job, 1), new=True)},
                    ])
                return job
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", ())]
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    existing = self._job_of_key(idempotency_key)
                    if existing is not None:
                        return existing  # the key's first job (or our own retried write)
                elif "TransactionConflict" not in reasons:
                    raise
            _pause(attempt)
        raise TransientError("DynamoDB: too much contention creating a job")

    def get(self, job_id: str) -> Job | None:
        found = self._read(JOB_PREFIX + job_id)
        return None if found is None else _job_from_item(found)

    def transact(self, job_id: str, decide: Callable[[Job | None], tuple[Job | None, R]]) -> R:
        for attempt in range(MAX_TRIES):
            found = self._read(JOB_PREFIX + job_id)
            current = None if found is None else _job_from_item(found)
            new, result = decide(current)
            if new is None:
                return result
            version = 0 if found is None else int(found["version"])
            try:
                with transient_errors("DynamoDB"):
                    self._ddb.put_item(**self._put(self._job_item(new, version + 1),
                                                   new=found is None, version=version))
                return result
            except ClientError as exc:
                if error_code(exc) not in RETRY_CODES:
                    raise
            _pause(attempt)  # someone wrote in between: read again, decide again
        raise TransientError(f"DynamoDB: too much contention on job {job_id}")

    def forget_idempotency_key(self, idempotency_key: str, job_id: str) -> None:
        with transient_errors("DynamoDB"):
            try:
                self._ddb.delete_item(
                    TableName=self._table, Key={"pk": {"S": KEY_PREFIX + idempotency_key}},
                    ConditionExpression="#job = :job",
                    ExpressionAttributeNames={"#job": "job_id"},
                    ExpressionAttributeValues={":job": {"S": job_id}},
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise

    def unfinished(self, *, updated_before: datetime, limit: int = 500) -> list[Job]:
        found: list[Job] = []
        paginator = self._ddb.get_paginator("query")
        with transient_errors("DynamoDB"):
            for state in OPEN_STATES:
                pages = paginator.paginate(
                    TableName=self._table, IndexName=UNFINISHED_INDEX,
                    KeyConditionExpression="#open = :state AND #updated < :before",
                    ExpressionAttributeNames={"#open": "open_state", "#updated": "updated_at"},
                    ExpressionAttributeValues={":state": {"S": state},
                                               ":before": {"S": _time_text(updated_before)}},
                    ScanIndexForward=True, PaginationConfig={"MaxItems": limit},
                )
                for page in pages:
                    found += [_job_from_item(_plain(item)) for item in page.get("Items", ())]
        found.sort(key=lambda job: job.updated_at)
        return found[:limit]

    # --- items --------------------------------------------------------------------

    def _read(self, pk: str) -> dict[str, Any] | None:
        with transient_errors("DynamoDB"):
            answer = self._ddb.get_item(TableName=self._table, Key={"pk": {"S": pk}},
                                        ConsistentRead=True)
        item = answer.get("Item")
        return None if item is None else _plain(item)

    def _create_alone(self, job: Job) -> Job:
        try:
            with transient_errors("DynamoDB"):
                self._ddb.put_item(**self._put(self._job_item(job, 1), new=True))
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            # botocore retried a create whose answer was lost; the id is fresh, so a
            # job with our content is our own write.
            existing = self.get(job.job_id)
            if existing is None or existing.input_sha256 != job.input_sha256:
                raise
        return job

    def _job_of_key(self, idempotency_key: str) -> Job | None:
        key = self._read(KEY_PREFIX + idempotency_key)
        if key is None:
            return None  # forgotten in between: try again
        job = self.get(key["job_id"])
        if job is None:  # a key whose job is gone (it expired first): free the key
            self.forget_idempotency_key(idempotency_key, key["job_id"])
        return job

    def _expire_at(self, created_at: datetime) -> int:
        return int((created_at + self._retention).timestamp())

    def _job_item(self, job: Job, version: int) -> dict[str, Any]:
        item = _storable(job.to_dict())
        for name in _DATETIME_FIELDS:
            moment = getattr(job, name)
            item[name] = None if moment is None else _time_text(moment)
        if job.lease is not None:
            item["lease"]["expires_at"] = _time_text(job.lease.expires_at)
        item.update(pk=JOB_PREFIX + job.job_id, kind="job", version=version,
                    **{EXPIRE_AT: self._expire_at(job.created_at)})
        if job.state in OPEN_STATES:
            item["open_state"] = job.state  # in the sparse index only while unfinished
        return _within_budget(item)

    def _key_item(self, idempotency_key: str, job: Job) -> dict[str, Any]:
        return {"pk": KEY_PREFIX + idempotency_key, "kind": "idempotency_key",
                "job_id": job.job_id, "created_at": _time_text(job.created_at),
                EXPIRE_AT: self._expire_at(job.created_at)}

    def _put(self, item: dict[str, Any], *, new: bool, version: int = 0) -> dict[str, Any]:
        """A conditional put: of an item not there yet, or of the ``version`` read."""
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {name: _serialize(value) for name, value in item.items()},
        }
        if new:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#version = :version"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = {":version": {"N": str(version)}}
        return put


def _within_budget(item: dict[str, Any]) -> dict[str, Any]:
    """The item, its warnings cut to what fits in ``ITEM_BUDGET`` (and said so)."""
    warnings = item.get("warnings") or []
    if len(json.dumps(item, default=str)) <= ITEM_BUDGET:
        return item
    rest = len(json.dumps({**item, "warnings": []}, default=str))
    kept: list[Any] = []
    for warning in warnings:
        rest += len(json.dumps(warning, default=str)) + 2
        if rest > ITEM_BUDGET - 500:
            break
        kept.append(warning)
    dropped = len(warnings) - len(kept)
    kept.append({"code": "warnings_truncated", "slide": None,
                 "message": f"{dropped} more warnings were not kept (storage limit)."})
    return {**item, "warnings": kept}


def _pause(attempt: int) -> None:
    time.sleep(min(0.5, 0.01 * 2 ** min(attempt, 6)) * random.uniform(0.5, 1.5))


def _time_text(moment: datetime) -> str:
    """Fixed-width UTC text: sorts in time order (the index's range key)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _storable(value: Any) -> Any:
    """Floats as Decimal, tuples as lists: what DynamoDB's serializer accepts."""
    if isinstance(value, float):
        return Decimal(str(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, dict):
        return {str(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    if isinstance(value, datetime):
        return _time_text(value)
    return value


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _python(_deserialize(value)) for name, value in item.items()}


def _python(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _python(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_python(item) for item in value]
    return value


def _job_from_item(item: dict[str, Any]) -> Job:
    data = {name: value for name, value in item.items() if name not in _BOOKKEEPING}
    for name in _DATETIME_FIELDS:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    if data.get("lease"):
        data["lease"] = dict(data["lease"], expires_at=datetime.fromisoformat(
            data["lease"]["expires_at"]))
    for name in _FLOAT_FIELDS:
        if data.get(name) is not None:
            data[name] = float(data[name])
    return Job.from_dict(data)
