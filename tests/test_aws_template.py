"""The SAM template (deploy/aws/template.yaml): cfn-lint accepts it offline (the SAM
transform included), and it agrees with the code it deploys: the table is the DynamoDB
backend's, the queue's visibility timeout is at least six times convert's timeout, every
variable is a setting deckpipe reads and the aws backend's are all there, each function
has its own role and an entry point that exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from deckpipe.backends.dynamodb import EXPIRE_AT, TABLE_SCHEMA
from deckpipe.config import load_settings, settings_environment

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "deploy" / "aws" / "template.yaml"
FUNCTIONS = {"UploadFunction": "upload", "StatusFunction": "status",
             "ResultFunction": "result", "ConvertFunction": "convert",
             "ReaperFunction": "reaper"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, problems = decode(str(TEMPLATE))
    assert not problems
    return decoded


def test_cfn_lint_accepts_the_template():
    matches = lint_file(TEMPLATE, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    assert [str(match) for match in matches] == []


def test_cfn_lint_catches_a_broken_template(tmp_path):
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace("VisibilityTimeout: 1800",
                                                   "VisibilityTimeout: eighteen", 1))
    matches = lint_file(broken, config=ManualArgs(regions=["eu-west-1"]))
    assert any("eighteen" in str(match) for match in matches)


def test_the_table_is_the_dynamodb_backends_table(template):
    table = template["Resources"]["JobsTable"]["Properties"]
    for key in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode"):
        assert table[key] == TABLE_SCHEMA[key], key
    assert table["TimeToLiveSpecification"] == {"AttributeName": EXPIRE_AT, "Enabled": True}


def test_queue_visibility_is_six_times_convert_timeout_with_a_dead_letter_queue(template):
    resources = template["Resources"]
    convert = resources["ConvertFunction"]["Properties"]
    queue = resources["JobQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * convert["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    events = convert["Events"]
    assert {e["Properties"]["Queue"]["Fn::GetAtt"][0] for e in events.values()} == {
        "JobQueue", "DeadLetterQueue"}
    for event in events.values():
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    renders = int(convert["Environment"]["Variables"]["DECKPIPE_RENDER_TIMEOUT_SECONDS"])
    batch = events["Jobs"]["Properties"]["BatchSize"]
    assert batch * renders < convert["Timeout"]


def test_the_bucket_is_private_encrypted_and_expires_what_it_holds(template):
    bucket = template["Resources"]["DeckBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    prefixes = {r["Prefix"] for r in bucket["LifecycleConfiguration"]["Rules"]
                if r["ExpirationInDays"] == {"Ref": "RetentionDays"}}
    assert prefixes == {"inputs/", "results/"}
    api_rule = bucket["CorsConfiguration"]["CorsRules"][0]
    assert api_rule["AllowedOrigins"] == [
        {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}]
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True}


def test_the_buckets_new_decks_reach_upload_through_eventbridge(template):
    rule = template["Resources"]["UploadFunction"]["Properties"]["Events"]["DeckStored"]
    pattern = rule["Properties"]["Pattern"]
    assert rule["Type"] == "EventBridgeRule"
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [{"Ref": "DeckBucket"}]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "inputs/"}]


def test_every_variable_is_a_deckpipe_setting_and_the_aws_backend_loads(template):
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    known = settings_environment()
    for logical in FUNCTIONS:
        extra = template["Resources"][logical]["Properties"].get("Environment", {})
        for name in extra.get("Variables", {}):
            assert name in known, (logical, name)
    assert [name for name in variables if name not in known] == []
    sample = {name: _sample(value) for name, value in variables.items()}
    settings = load_settings({**sample, "AWS_REGION": "eu-west-1"})  # Lambda sets the region
    assert settings.backend == "aws" and settings.result_delivery == "redirect"
    # What comes in the request itself must fit Lambda's 6 MB payload, base64 included.
    assert settings.direct_upload_bytes * 4 / 3 < 6 * 1000 * 1000
    # Bigger decks go to S3 under the presigned POST, up to the same cap as elsewhere.
    assert settings.max_upload_bytes == 100 << 20 > settings.direct_upload_bytes


def test_each_function_has_its_own_role_and_an_existing_entry_point(template):
    resources = template["Resources"]
    assert {name for name, r in resources.items()
            if r["Type"] == "AWS::Serverless::Function"} == set(FUNCTIONS)
    for logical, folder in FUNCTIONS.items():
        props = resources[logical]["Properties"]
        assert "Role" not in props and props["Policies"], logical  # SAM makes one role each
        assert props["CodeUri"] == f"../../build/aws/{folder}/"
        source = (REPO / "functions" / folder / "lambda_function.py").read_text()
        assert "\ndef handler(" in source or "\nhandler = " in source
    status = resources["StatusFunction"]["Properties"]["Policies"][0]["Statement"]
    assert [s["Action"] for s in status] == ["dynamodb:GetItem"]  # reads one item, no more


def _sample(value: Any) -> str:
    """A plausible value for an intrinsic function, so the settings can be loaded."""
    if isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        return value["Fn::Sub"].replace("${HttpApi}", "abc123").replace(
            "${AWS::Region}", "eu-west-1").replace("${AWS::URLSuffix}", "amazonaws.com")
    ref = value.get("Ref")
    return {
        "DeckBucket": "deckpipe-decks-abc", "JobsTable": "deckpipe-JobsTable-ABC",
        "JobQueue": "https://sqs.eu-west-1.amazonaws.com/123456789012/deckpipe-JobQueue-A",
        "DeadLetterQueue": "https://sqs.eu-west-1.amazonaws.com/123456789012/deckpipe-DLQ-A",
        "AllowedOrigins": "", "RetentionDays": "7",
    }[ref]
