"""`deckpipe provision`: the plan against in-memory fakes (the cloud-only parts), and the
real thing against the emulators (the session stack), on names of its own.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
import types
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from google.api_core.exceptions import NotFound
from google.cloud import firestore, firestore_admin_v1
from google.iam.v1 import policy_pb2
from google.pubsub_v1 import PublisherClient, SubscriberClient
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport
from google.pubsub_v1.types import Subscription

from deckpipe import cli, jobs
from deckpipe.config import Settings, load_settings
from deckpipe.provision import (
    Action,
    Apis,
    Options,
    ProvisionError,
    apply_plan,
    build_plan,
    delivery_attempts,
    provision,
)
from deckpipe.provision.clients import FirestoreTtlApi, PubSubAdminApi
from deckpipe.provision.model import BucketState, DeadLetterPolicy, RetryPolicy, SubscriptionState
from deckpipe.provision.plan import CORS_HEADERS, CORS_METHODS, cors_policy, lifecycle_rule
from deckpipe.runtime import build
from deckpipe_emulators import wiring
from deckpipe_emulators.processes import free_ports, group_members
from deckpipe_emulators.stack import DEFAULT_PORTS, LocalStack, StackConfig, StackError

AGENT = "service-123456789@gcp-sa-pubsub.iam.gserviceaccount.com"
EVENTARC_SUB = "eventarc-europe-west1-convert-123456-sub-042"
EVENTARC_DL_SUB = "eventarc-europe-west1-convert-dead-letter-654321-sub-043"


def settings_for(**overrides: str) -> Settings:
    env = {
        "GOOGLE_CLOUD_PROJECT": "deckpipe-prod",
        "DECKPIPE_BUCKET": "deckpipe-prod-files",
        "DECKPIPE_TOPIC": "deckpipe-jobs",
        "DECKPIPE_STATUS_URL": "https://status.example.com",
        "DECKPIPE_RESULT_URL": "https://result.example.com",
        "DECKPIPE_UPLOAD_URL": "https://upload.example.com",
        "DECKPIPE_ALLOWED_ORIGINS": "https://decks.example.com",
    }
    env.update(overrides)
    return load_settings(env)


# --- in-memory adapters ------------------------------------------------------------------


class FakeStorage:
    def __init__(self, emulator: bool = False) -> None:
        self.emulator = emulator
        self.buckets: dict[str, BucketState] = {}
        self.notifications: dict[str, list[str]] = {}
        self.calls: list[tuple[str, str]] = []

    def get_bucket(self, name: str) -> BucketState | None:
        return copy.deepcopy(self.buckets.get(name))

    def create_bucket(self, name: str, location: str | None) -> None:
        self.calls.append(("create_bucket", name))
        self.buckets[name] = BucketState()

    def set_lifecycle_rules(self, name: str, rules: list[dict]) -> None:
        self.calls.append(("set_lifecycle_rules", name))
        self.buckets[name] = dataclasses.replace(self.buckets[name],
                                                 lifecycle_rules=copy.deepcopy(rules))

    def set_cors(self, name: str, cors: list[dict]) -> None:
        self.calls.append(("set_cors", name))
        self.buckets[name] = dataclasses.replace(self.buckets[name], cors=copy.deepcopy(cors))

    def notification_topics(self, name: str) -> list[str]:
        if self.emulator:
            raise AssertionError("fake-gcs-server's events are flags; provision must not ask")
        return list(self.notifications.get(name, ()))

    def create_notification(self, name: str, topic: str, prefix: str) -> None:
        self.calls.append(("create_notification", f"{name}:{topic}:{prefix}"))
        self.notifications.setdefault(name, []).append(topic)


class FakePubSub:
    FIELDS = {"push_config": "push_endpoint", "ack_deadline_seconds": "ack_deadline",
              "retry_policy": "retry", "dead_letter_policy": "dead_letter"}

    def __init__(self, emulator: bool = False) -> None:
        self.emulator = emulator
        self.topics: set[str] = set()
        self.subscriptions: dict[str, SubscriptionState] = {}
        self.iam: dict[tuple[str, str, str], set[str]] = {}
        self.calls: list[tuple[str, str]] = []

    def topic_exists(self, topic: str) -> bool:
        return topic in self.topics

    def create_topic(self, topic: str) -> None:
        self.calls.append(("create_topic", topic))
        self.topics.add(topic)

    def topic_subscriptions(self, topic: str) -> list[str]:
        return sorted(name for name, sub in self.subscriptions.items() if sub.topic == topic)

    def get_subscription(self, name: str) -> SubscriptionState | None:
        return self.subscriptions.get(name)

    def create_subscription(self, wanted: SubscriptionState) -> None:
        self.calls.append(("create_subscription", wanted.name))
        self.subscriptions[wanted.name] = wanted

    def update_subscription(self, wanted: SubscriptionState, fields: list[str]) -> None:
        self.calls.append(("update_subscription", wanted.name))
        changes = {self.FIELDS[path]: getattr(wanted, self.FIELDS[path]) for path in fields}
        self.subscriptions[wanted.name] = dataclasses.replace(
            self.subscriptions[wanted.name], **changes
        )

    def iam_members(self, kind: str, name: str, role: str) -> set[str]:
        if self.emulator:
            raise AssertionError("the emulator has no IAM; provision must not ask it")
        return set(self.iam.get((kind, name, role), ()))

    def grant(self, kind: str, name: str, role: str, member: str) -> None:
        self.calls.append(("grant", f"{kind}/{name}:{role}"))
        self.iam.setdefault((kind, name, role), set()).add(member)


class FakeFirestore:
    def __init__(self, emulator: bool = False) -> None:
        self.emulator = emulator
        self.ttl: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str]] = []

    def ttl_state(self, collection_group: str, field_name: str) -> str | None:
        if self.emulator:
            raise AssertionError("the emulator has no admin API; provision must not ask it")
        return self.ttl.get((collection_group, field_name))

    def enable_ttl(self, collection_group: str, field_name: str) -> str:
        self.calls.append(("enable_ttl", f"{collection_group}.{field_name}"))
        self.ttl[(collection_group, field_name)] = "CREATING"
        return f"projects/p/databases/(default)/operations/{collection_group}"


@dataclasses.dataclass
class Fakes:
    storage: FakeStorage
    pubsub: FakePubSub
    firestore: FakeFirestore

    def apis(self) -> Apis:
        return Apis(self.storage, self.pubsub, self.firestore)

    def calls(self) -> list[tuple[str, str]]:
        return self.storage.calls + self.pubsub.calls + self.firestore.calls


@pytest.fixture
def cloud() -> Fakes:
    return Fakes(FakeStorage(), FakePubSub(), FakeFirestore())


def actions(plan) -> dict[str, str]:
    return {resource: str(action) for resource, action in plan.actions().items()}


def eventarc_subscription(name: str, topic: str) -> SubscriptionState:
    """What Eventarc leaves behind: a push subscription with no policies of ours."""
    return SubscriptionState(name=name, topic=topic,
                             push_endpoint="https://convert-abc-ew.a.run.app?__GCP_x=y",
                             ack_deadline=600)


# --- the plan, against fakes ----------------------------------------------------------------


def test_cloud_before_deploy_creates_what_it_can_and_says_what_waits(cloud: Fakes) -> None:
    settings = settings_for()
    plan = build_plan(settings, Options(), cloud.apis())
    assert cloud.calls() == []  # planning only reads
    assert actions(plan) == {
        "bucket deckpipe-prod-files": "create",
        "bucket deckpipe-prod-files lifecycle": "create",
        "bucket deckpipe-prod-files CORS": "create",
        "topic deckpipe-jobs": "create",
        "topic deckpipe-jobs-dead-letter": "create",
        "topic deckpipe-jobs-reaper": "create",
        "topic deckpipe-jobs-uploads": "create",
        "subscription (trigger of topic deckpipe-jobs)": "pending",
        "subscription (trigger of topic deckpipe-jobs-dead-letter)": "pending",
        "subscription deckpipe-jobs-uploads-upload": "create",
        "bucket deckpipe-prod-files notification": "create",
        "dead-letter permissions (Pub/Sub service agent)": "pending",
        "Firestore TTL policy jobs.expire_at": "create",
        "Firestore TTL policy idempotency_keys.expire_at": "create",
    }
    notes = {step.resource: step.note for step in plan.steps}
    assert "deploy convert first" in notes["subscription (trigger of topic deckpipe-jobs)"]
    assert "run provision again" in notes["subscription (trigger of topic deckpipe-jobs)"]
    assert "deploy convert-dead-letter first" in notes[
        "subscription (trigger of topic deckpipe-jobs-dead-letter)"]
    hint = notes["dead-letter permissions (Pub/Sub service agent)"]
    assert "--pubsub-service-agent" in hint
    assert "gcloud projects describe deckpipe-prod --format='value(projectNumber)'" in hint
    assert ("gcloud pubsub topics add-iam-policy-binding deckpipe-jobs-dead-letter "
            "--project deckpipe-prod") in hint
    assert "--role roles/pubsub.publisher" in hint

    apply_plan(plan)
    bucket = cloud.storage.buckets["deckpipe-prod-files"]
    assert bucket.lifecycle_rules == [{
        "action": {"type": "Delete"},
        "condition": {"age": 7, "matchesPrefix": ["inputs/", "results/"]},
    }]
    assert bucket.cors == [{
        "origin": ["https://decks.example.com", "https://upload.example.com"],
        "method": list(CORS_METHODS),
        "responseHeader": list(CORS_HEADERS),
        "maxAgeSeconds": 3600,
    }]
    assert cloud.pubsub.topics == {"deckpipe-jobs", "deckpipe-jobs-dead-letter",
                                   "deckpipe-jobs-reaper", "deckpipe-jobs-uploads"}
    uploads = cloud.pubsub.subscriptions["deckpipe-jobs-uploads-upload"]
    assert uploads.push_endpoint == "https://upload.example.com/finalized"
    assert cloud.storage.notifications == {"deckpipe-prod-files": ["deckpipe-jobs-uploads"]}
    assert cloud.firestore.ttl == {("jobs", "expire_at"): "CREATING",
                                   ("idempotency_keys", "expire_at"): "CREATING"}

    again = build_plan(settings, Options(), cloud.apis())
    assert {a for r, a in actions(again).items() if "subscription" not in r
            and "permissions" not in r} == {"ok"}  # a TTL policy being built is ok
    assert [step.resource for step in again.pending()] == [
        "subscription (trigger of topic deckpipe-jobs)",
        "subscription (trigger of topic deckpipe-jobs-dead-letter)",
        "dead-letter permissions (Pub/Sub service agent)",
    ]


def test_cloud_after_deploy_sets_policies_on_the_eventarc_subscriptions(cloud: Fakes) -> None:
    settings = settings_for()
    cloud.pubsub.topics |= {"deckpipe-jobs", "deckpipe-jobs-dead-letter", "deckpipe-jobs-reaper",
                            "deckpipe-jobs-uploads"}
    cloud.pubsub.subscriptions = {
        EVENTARC_SUB: eventarc_subscription(EVENTARC_SUB, "deckpipe-jobs"),
        EVENTARC_DL_SUB: eventarc_subscription(EVENTARC_DL_SUB, "deckpipe-jobs-dead-letter"),
        "debug-tap": SubscriptionState("debug-tap", "deckpipe-jobs", ack_deadline=10),
    }
    options = Options(pubsub_service_agent=AGENT)
    plan = build_plan(settings, options, cloud.apis())
    subs = {r: a for r, a in actions(plan).items() if r.startswith(("subscription", "topic "))}
    assert subs == {
        "topic deckpipe-jobs": "ok",
        "topic deckpipe-jobs-dead-letter": "ok",
        "topic deckpipe-jobs-reaper": "ok",
        "topic deckpipe-jobs-uploads": "ok",
        "subscription deckpipe-jobs-uploads-upload": "create",
        f"subscription {EVENTARC_SUB} (trigger of topic deckpipe-jobs)": "update",
        f"subscription {EVENTARC_DL_SUB} (trigger of topic deckpipe-jobs-dead-letter)": "update",
        f"topic deckpipe-jobs-dead-letter IAM: roles/pubsub.publisher for {AGENT}": "create",
        f"subscription {EVENTARC_SUB} IAM: roles/pubsub.subscriber for {AGENT}": "create",
    }
    [main] = [s for s in plan.steps if s.resource.startswith(f"subscription {EVENTARC_SUB} (")]
    assert "debug-tap" in main.note  # named, and left alone

    apply_plan(plan)
    updated = cloud.pubsub.subscriptions[EVENTARC_SUB]
    assert updated.retry == RetryPolicy(10.0, 600.0)
    assert updated.dead_letter == DeadLetterPolicy("deckpipe-jobs-dead-letter", 11)
    assert updated.push_endpoint == eventarc_subscription("x", "y").push_endpoint  # untouched
    assert updated.ack_deadline == 600
    dead = cloud.pubsub.subscriptions[EVENTARC_DL_SUB]
    assert (dead.retry, dead.dead_letter) == (RetryPolicy(10.0, 600.0), None)
    assert cloud.pubsub.subscriptions["debug-tap"] == SubscriptionState(
        "debug-tap", "deckpipe-jobs", ack_deadline=10)
    assert cloud.pubsub.iam == {
        ("topics", "deckpipe-jobs-dead-letter", "roles/pubsub.publisher"):
            {f"serviceAccount:{AGENT}"},
        ("subscriptions", EVENTARC_SUB, "roles/pubsub.subscriber"): {f"serviceAccount:{AGENT}"},
    }

    cloud.pubsub.calls.clear()
    again = build_plan(settings, options, cloud.apis())
    assert set(actions(again).values()) == {"ok"}
    apply_plan(again)
    assert cloud.pubsub.calls == []


@pytest.mark.parametrize(
    ("state", "action"),
    [(None, "create"), ("CREATING", "ok"), ("ACTIVE", "ok"), ("NEEDS_REPAIR", "update")],
)
def test_ttl_policy_states(cloud: Fakes, state: str | None, action: str) -> None:
    if state is not None:
        cloud.firestore.ttl[("jobs", "expire_at")] = state
    plan = build_plan(settings_for(), Options(), cloud.apis())
    assert actions(plan)["Firestore TTL policy jobs.expire_at"] == action
    apply_plan(plan)
    enabled = ("enable_ttl", "jobs.expire_at") in cloud.firestore.calls
    assert enabled == (action != "ok")


def test_lifecycle_keeps_other_rules_and_replaces_its_own(cloud: Fakes) -> None:
    foreign = {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 1}}
    stale = lifecycle_rule(30)
    cloud.storage.buckets["deckpipe-prod-files"] = BucketState(lifecycle_rules=[stale, foreign])
    settings = settings_for(DECKPIPE_RETENTION_DAYS="3")
    plan = build_plan(settings, Options(), cloud.apis())
    assert actions(plan)["bucket deckpipe-prod-files lifecycle"] == "update"
    apply_plan(plan)
    rules = cloud.storage.buckets["deckpipe-prod-files"].lifecycle_rules
    assert rules == [foreign, lifecycle_rule(3)]
    assert actions(build_plan(settings, Options(), cloud.apis()))[
        "bucket deckpipe-prod-files lifecycle"] == "ok"


def test_cors_follows_the_configured_origins() -> None:
    assert cors_policy(settings_for(DECKPIPE_UPLOAD_URL="", DECKPIPE_ALLOWED_ORIGINS="")) == []
    settings = settings_for(DECKPIPE_ALLOWED_ORIGINS="https://b.example,https://a.example")
    [entry] = cors_policy(settings)
    assert entry["origin"] == ["https://a.example", "https://b.example",
                               "https://upload.example.com"]


def test_emulators_get_cloud_only_parts_marked_and_never_asked(cloud: Fakes) -> None:
    fakes = Fakes(FakeStorage(emulator=True), FakePubSub(emulator=True),
                  FakeFirestore(emulator=True))
    plan = build_plan(settings_for(), Options(push_endpoint="http://127.0.0.1:8094"),
                      fakes.apis())
    cloud_only = [step.resource for step in plan.steps if step.action is Action.CLOUD_ONLY]
    assert cloud_only == [
        "bucket deckpipe-prod-files lifecycle",
        "bucket deckpipe-prod-files CORS",
        "bucket deckpipe-prod-files notification",
        "dead-letter permissions (Pub/Sub service agent)",
        "Firestore TTL policy jobs.expire_at",
        "Firestore TTL policy idempotency_keys.expire_at",
    ]
    apply_plan(plan)
    main = fakes.pubsub.subscriptions["deckpipe-jobs-convert"]
    assert main.push_endpoint == "http://127.0.0.1:8094/projects/deckpipe-prod/topics/deckpipe-jobs"
    assert main.dead_letter == DeadLetterPolicy("deckpipe-jobs-dead-letter", 11)
    dead = fakes.pubsub.subscriptions["deckpipe-jobs-dead-letter-convert"]
    assert dead.push_endpoint == (
        "http://127.0.0.1:8094/projects/deckpipe-prod/topics/deckpipe-jobs-dead-letter")
    assert dead.dead_letter is None


def test_push_subscription_on_another_topic_is_left_for_a_person(cloud: Fakes) -> None:
    cloud.pubsub.subscriptions["deckpipe-jobs-convert"] = SubscriptionState(
        "deckpipe-jobs-convert", "some-other-topic")
    plan = build_plan(settings_for(), Options(push_endpoint="https://convert.example.com",
                                              pubsub_service_agent=AGENT), cloud.apis())
    [step] = [s for s in plan.steps if s.resource == "subscription deckpipe-jobs-convert"]
    assert step.action is Action.PENDING
    assert "delete it" in step.note


def test_a_failed_change_stops_and_reports_what_was_done(cloud: Fakes) -> None:
    def refuse(topic: str) -> None:
        raise ProvisionError("creating topic deckpipe-jobs: PermissionDenied: 403 no")

    cloud.pubsub.create_topic = refuse  # type: ignore[method-assign]
    plan = build_plan(settings_for(), Options(), cloud.apis())
    with pytest.raises(ProvisionError, match="^topic deckpipe-jobs: creating topic") as raised:
        apply_plan(plan)
    assert [result.outcome for result in raised.value.done] == ["created", "created", "created"]
    assert cloud.firestore.calls == []  # nothing after the failure


@pytest.mark.parametrize(("max_attempts", "expected"), [(1, 5), (3, 7), (5, 11), (80, 100)])
def test_delivery_attempts_leave_room_for_the_workers_own_count(max_attempts, expected) -> None:
    settings = settings_for(DECKPIPE_MAX_ATTEMPTS=str(max_attempts))
    assert delivery_attempts(settings, Options()) == expected
    assert delivery_attempts(settings, Options(max_delivery_attempts=42)) == 42


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (Options(max_delivery_attempts=4), "max delivery attempts 4 is not valid"),
        (Options(min_backoff=20, max_backoff=10), "retry backoff 20-10 s is not valid"),
        (Options(max_backoff=601), "retry backoff 10-601 s is not valid"),
        (Options(ack_deadline=5), "ack deadline 5 s is not valid"),
        (Options(pubsub_service_agent="123456"), "Pub/Sub service agent '123456'"),
    ],
)
def test_bad_options_are_refused_before_anything_is_read(options, message) -> None:
    with pytest.raises(ValueError, match=message):
        build_plan(settings_for(), options, Fakes(None, None, None).apis())  # type: ignore


# --- the real adapters, on stubbed Google clients (no emulator has IAM or TTL) -------------


class StubIam:
    """A GAPIC client's get/set_iam_policy, holding one policy per resource."""

    def __init__(self, policies: dict[str, policy_pb2.Policy] | None = None) -> None:
        self.policies = policies or {}
        self.set_calls: list[str] = []

    def get_iam_policy(self, request: dict, timeout: float) -> policy_pb2.Policy:
        if request["resource"] not in self.policies:
            raise NotFound("no such resource")
        policy = policy_pb2.Policy()
        policy.CopyFrom(self.policies[request["resource"]])
        return policy

    def set_iam_policy(self, request: dict, timeout: float) -> policy_pb2.Policy:
        self.set_calls.append(request["resource"])
        self.policies[request["resource"]] = request["policy"]
        return request["policy"]


def test_pubsub_adapter_grants_once_and_keeps_other_bindings() -> None:
    topic = "projects/deckpipe-prod/topics/deckpipe-jobs-dead-letter"
    existing = policy_pb2.Policy(etag=b"v1", bindings=[
        policy_pb2.Binding(role="roles/pubsub.publisher", members=["user:ops@example.com"]),
        policy_pb2.Binding(role="roles/pubsub.viewer", members=["group:all@example.com"]),
    ])
    publisher, subscriber = StubIam({topic: existing}), StubIam()
    api = PubSubAdminApi("deckpipe-prod", None, [], clients=(publisher, subscriber))
    member = f"serviceAccount:{AGENT}"

    assert api.iam_members("topics", "deckpipe-jobs-dead-letter", "roles/pubsub.publisher") == {
        "user:ops@example.com"}
    assert api.iam_members("subscriptions", "not-yet", "roles/pubsub.subscriber") == set()
    api.grant("topics", "deckpipe-jobs-dead-letter", "roles/pubsub.publisher", member)
    api.grant("topics", "deckpipe-jobs-dead-letter", "roles/pubsub.publisher", member)

    policy = publisher.policies[topic]
    assert policy.etag == b"v1"  # written back with the etag read, so a race fails
    assert {b.role: sorted(b.members) for b in policy.bindings} == {
        "roles/pubsub.publisher": sorted(["user:ops@example.com", member]),
        "roles/pubsub.viewer": ["group:all@example.com"],
    }


class StubFirestoreAdmin:
    def __init__(self, fields: dict[str, firestore_admin_v1.Field]) -> None:
        self.fields = fields
        self.requests: list[firestore_admin_v1.UpdateFieldRequest] = []

    def get_field(self, name: str, timeout: float) -> firestore_admin_v1.Field:
        if name not in self.fields:
            raise NotFound(name)
        return self.fields[name]

    def update_field(self, request, timeout: float):
        self.requests.append(request)
        return types.SimpleNamespace(
            operation=types.SimpleNamespace(name="projects/p/databases/(default)/operations/op1")
        )


def test_firestore_adapter_reads_and_requests_ttl_policies() -> None:
    base = "projects/deckpipe-prod/databases/(default)/collectionGroups"
    ttl = firestore_admin_v1.Field.TtlConfig
    stub = StubFirestoreAdmin({
        f"{base}/jobs/fields/expire_at": firestore_admin_v1.Field(
            name=f"{base}/jobs/fields/expire_at", ttl_config=ttl(state=ttl.State.ACTIVE)),
        f"{base}/idempotency_keys/fields/expire_at": firestore_admin_v1.Field(
            name=f"{base}/idempotency_keys/fields/expire_at"),
    })
    api = FirestoreTtlApi("deckpipe-prod", emulator=False, client=stub)
    assert api.ttl_state("jobs", "expire_at") == "ACTIVE"
    assert api.ttl_state("idempotency_keys", "expire_at") is None  # a field with no TTL
    assert api.ttl_state("other", "expire_at") is None  # never configured at all

    operation = api.enable_ttl("idempotency_keys", "expire_at")

    assert operation == "projects/p/databases/(default)/operations/op1"
    [request] = stub.requests
    assert request.field.name == f"{base}/idempotency_keys/fields/expire_at"
    assert "ttl_config" in request.field
    assert list(request.update_mask.paths) == ["ttl_config"]


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DECKPIPE_BUCKET", None, "DECKPIPE_BUCKET is not set"),
        ("DECKPIPE_RETENTION_DAYS", "0", "DECKPIPE_RETENTION_DAYS='0' is not valid"),
    ],
)
def test_broken_config_exits_2_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    variable: str, value: str | None, expected: str,
) -> None:
    for name, good in settings_env("deckpipe-test", "cfg-bucket", "cfg-topic").items():
        monkeypatch.setenv(name, good)
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    assert cli.main(["provision", "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert captured.out == ""


def test_settings_from_an_env_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    """--env-file reads the file deploy writes, not the environment (which is broken here)."""
    env = settings_env("deckpipe-test", "cfg-bucket", "cfg-topic")
    for name in env:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "env.yaml"
    env_file.write_text("".join(f'{name}: "{value}"\n' for name, value in env.items())
                        + 'DECKPIPE_RETENTION_DAYS: "zero"\n')
    assert cli.main(["provision", "--dry-run", "--env-file", str(env_file)]) == 2
    assert "DECKPIPE_RETENTION_DAYS='zero' is not valid" in capsys.readouterr().err
    env_file.write_text("GOOGLE_CLOUD_PROJECT:\n  nested: true\n")
    assert cli.main(["provision", "--dry-run", "--env-file", str(env_file)]) == 2
    assert "GOOGLE_CLOUD_PROJECT has a nested value" in capsys.readouterr().err


def test_bad_option_exits_2(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    for name, good in settings_env("deckpipe-test", "cfg-bucket", "cfg-topic").items():
        monkeypatch.setenv(name, good)
    assert cli.main(["provision", "--max-delivery-attempts", "2"]) == 2
    assert "max delivery attempts 2 is not valid" in capsys.readouterr().err


# --- against the emulators -------------------------------------------------------------------


def settings_env(project: str, bucket: str, topic: str) -> dict[str, str]:
    return {
        "GOOGLE_CLOUD_PROJECT": project,
        "DECKPIPE_BUCKET": bucket,
        "DECKPIPE_TOPIC": topic,
        "DECKPIPE_STATUS_URL": "http://127.0.0.1:1/status",
        "DECKPIPE_RESULT_URL": "http://127.0.0.1:1/result",
        "DECKPIPE_UPLOAD_URL": "http://127.0.0.1:1",
    }


@pytest.fixture
def fresh(emulator_stack: LocalStack) -> Settings:
    """Names no other test uses, so these tests neither see nor disturb the stack's own."""
    name = f"prov-{uuid.uuid4().hex[:10]}"
    return load_settings(settings_env(emulator_stack.config.project, name, f"{name}-jobs"))


@pytest.fixture
def stack_options(emulator_stack: LocalStack) -> Options:
    """The options the stack provisions itself with (push to its convert function)."""
    return emulator_stack.provision_options()


@pytest.fixture
def pubsub_clients(
    emulator_stack: LocalStack,
) -> Iterator[tuple[PublisherClient, SubscriberClient]]:
    address = emulator_stack.provision_emulators().pubsub
    channel = grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)])
    try:
        yield (PublisherClient(transport=PublisherGrpcTransport(channel=channel)),
               SubscriberClient(transport=SubscriberGrpcTransport(channel=channel)))
    finally:
        channel.close()


def describe(stack: LocalStack, settings: Settings, clients) -> dict:
    """Everything provision may touch, read with the plain clients (not provision's own)."""
    publisher, subscriber = clients
    project = f"projects/{settings.project}"
    storage = wiring.storage_client(stack.urls["storage"], settings.project)
    bucket = storage.lookup_bucket(settings.bucket)
    topics = sorted(t.name for t in publisher.list_topics(project=project)
                    if t.name.split("/")[-1].startswith(settings.topic))
    subscriptions = {
        s.name: Subscription.to_dict(s)
        for s in subscriber.list_subscriptions(project=project)
        if s.topic.split("/")[-1].startswith(settings.topic)
    }
    return {"bucket": None if bucket is None else dict(bucket._properties),
            "topics": topics, "subscriptions": subscriptions}


def test_provision_creates_everything_on_fresh_names(
    emulator_stack: LocalStack, fresh: Settings, stack_options: Options, pubsub_clients
) -> None:
    emulators = emulator_stack.provision_emulators()
    report = provision(fresh, stack_options, emulators)
    assert {r.step.resource: r.outcome for r in report.results if r.outcome == "created"} == {
        f"bucket {fresh.bucket}": "created",
        f"topic {fresh.topic}": "created",
        f"topic {fresh.dead_letter_topic}": "created",
        f"topic {fresh.reaper_topic}": "created",
        f"topic {fresh.uploads_topic}": "created",
        f"subscription {fresh.topic}-convert": "created",
        f"subscription {fresh.dead_letter_topic}-convert": "created",
        f"subscription {fresh.uploads_topic}-upload": "created",
    }
    assert not report.pending
    state = describe(emulator_stack, fresh, pubsub_clients)
    assert state["bucket"] is not None
    project = f"projects/{fresh.project}"
    assert state["topics"] == [f"{project}/topics/{fresh.topic}",
                               f"{project}/topics/{fresh.dead_letter_topic}",
                               f"{project}/topics/{fresh.reaper_topic}",
                               f"{project}/topics/{fresh.uploads_topic}"]
    convert = emulator_stack.urls["convert"]
    main = state["subscriptions"][f"{project}/subscriptions/{fresh.topic}-convert"]
    assert main["push_config"]["push_endpoint"] == f"{convert}/{project}/topics/{fresh.topic}"
    assert main["ack_deadline_seconds"] == stack_options.ack_deadline
    assert main["dead_letter_policy"] == {
        "dead_letter_topic": f"{project}/topics/{fresh.dead_letter_topic}",
        "max_delivery_attempts": stack_options.max_delivery_attempts,
    }
    assert main["retry_policy"]["minimum_backoff"] is not None
    dead = state["subscriptions"][f"{project}/subscriptions/{fresh.dead_letter_topic}-convert"]
    assert dead["push_config"]["push_endpoint"] == (
        f"{convert}/{project}/topics/{fresh.dead_letter_topic}")
    assert not dead.get("dead_letter_policy")
    assert dead["retry_policy"] == main["retry_policy"]


def test_second_run_finds_everything_ok_and_changes_nothing(
    emulator_stack: LocalStack, fresh: Settings, stack_options: Options, pubsub_clients
) -> None:
    emulators = emulator_stack.provision_emulators()
    provision(fresh, stack_options, emulators)
    before = describe(emulator_stack, fresh, pubsub_clients)

    again = provision(fresh, stack_options, emulators)

    assert describe(emulator_stack, fresh, pubsub_clients) == before
    assert set(actions(again.plan).values()) == {"ok", "cloud-only"}
    assert {r.outcome for r in again.results} == {"ok", "cloud-only"}


def test_changed_policies_are_updated_in_place(
    emulator_stack: LocalStack, fresh: Settings, stack_options: Options, pubsub_clients
) -> None:
    emulators = emulator_stack.provision_emulators()
    provision(fresh, stack_options, emulators)
    slower = dataclasses.replace(stack_options, min_backoff=2, max_backoff=30,
                                 max_delivery_attempts=9)
    report = provision(fresh, slower, emulators)
    assert actions(report.plan)[f"subscription {fresh.topic}-convert"] == "update"
    project = f"projects/{fresh.project}"
    main = describe(emulator_stack, fresh, pubsub_clients)["subscriptions"][
        f"{project}/subscriptions/{fresh.topic}-convert"]
    assert main["dead_letter_policy"]["max_delivery_attempts"] == 9
    assert set(actions(provision(fresh, slower, emulators).plan).values()) == {"ok", "cloud-only"}


def test_dry_run_changes_nothing(
    emulator_stack: LocalStack, fresh: Settings, stack_options: Options, pubsub_clients
) -> None:
    before = describe(emulator_stack, fresh, pubsub_clients)
    assert before == {"bucket": None, "topics": [], "subscriptions": {}}
    report = provision(fresh, stack_options, emulator_stack.provision_emulators(), dry_run=True)
    assert report.results == []
    assert [step.resource for step in report.plan.changes()] == [
        f"bucket {fresh.bucket}",
        f"topic {fresh.topic}",
        f"topic {fresh.dead_letter_topic}",
        f"topic {fresh.reaper_topic}",
        f"topic {fresh.uploads_topic}",
        f"subscription {fresh.topic}-convert",
        f"subscription {fresh.dead_letter_topic}-convert",
        f"subscription {fresh.uploads_topic}-upload",
    ]
    assert describe(emulator_stack, fresh, pubsub_clients) == before


def test_command_against_the_emulators(
    emulator_stack: LocalStack, fresh: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], pubsub_clients,
) -> None:
    """The emulator_stack fixture has put the *_EMULATOR_HOST variables in os.environ."""
    env = settings_env(fresh.project, fresh.bucket, fresh.topic)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    argv = ["provision", "--push-endpoint", emulator_stack.urls["convert"],
            "--min-backoff", "1", "--max-backoff", "10", "--ack-deadline", "60"]

    assert cli.main([*argv, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "(emulators: storage, pubsub, firestore)" in dry
    assert "plan (dry run: nothing was changed):" in dry
    assert f"  create      bucket {fresh.bucket}\n" in dry
    assert "summary: 8 to create, 0 to update, 0 ok, 6 cloud-only, 0 pending" in dry
    assert describe(emulator_stack, fresh, pubsub_clients)["bucket"] is None

    assert cli.main(argv) == 0
    assert "summary: 8 created, 0 updated, 0 ok, 6 cloud-only, 0 pending" in (
        capsys.readouterr().out)
    assert cli.main(argv) == 0
    assert "summary: 0 created, 0 updated, 8 ok, 6 cloud-only, 0 pending" in (
        capsys.readouterr().out)

    # Without a push endpoint the emulator has nothing to deliver with: pending, exit 3.
    assert cli.main(["provision", "--dry-run"]) == 3
    captured = capsys.readouterr()
    assert "the Pub/Sub emulator has no Eventarc: give --push-endpoint" in captured.out
    assert "step(s) pending" in captured.err


def test_job_documents_expire_after_the_configured_retention(
    emulator_stack: LocalStack, fresh: Settings
) -> None:
    """``expire_at`` (what the TTL policy deletes by) follows DECKPIPE_RETENTION_DAYS."""
    env = settings_env(fresh.project, fresh.bucket, fresh.topic)
    rt = build(load_settings({**env, "DECKPIPE_RETENTION_DAYS": "3"}))
    job_id = secrets.token_hex(16)
    job = jobs.new_job(job_id, "retention.pptx", input_bytes=1, input_sha256="0" * 64)
    rt.jobs.create(job, idempotency_key=f"provision-test-{job_id}")
    client = firestore.Client(project=fresh.project)
    job_doc = client.collection("jobs").document(job_id)
    key_doc = client.collection("idempotency_keys").document(f"provision-test-{job_id}")
    try:
        for doc in (job_doc, key_doc):
            assert doc.get().get("expire_at") == job.created_at + timedelta(days=3)
    finally:
        job_doc.delete()
        key_doc.delete()


def test_the_stack_provisioned_itself_with_the_same_code(emulator_stack: LocalStack) -> None:
    report = emulator_stack.provision(dry_run=True)
    assert set(actions(report.plan).values()) == {"ok", "cloud-only"}
    config = emulator_stack.config
    [main] = [s for s in report.plan.steps if s.resource == f"subscription {config.topic}-convert"]
    assert (f"push to {emulator_stack.urls['convert']}/projects/{config.project}/topics/"
            f"{config.topic}, ") in main.current
    assert f"after {config.max_delivery_attempts} attempts" in main.current


def test_stack_starts_no_function_when_provisioning_fails(tmp_path: Path) -> None:
    ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
    stack = LocalStack(StackConfig(ports=ports, log_dir=tmp_path / "logs",
                                   max_delivery_attempts=3))
    with pytest.raises(StackError, match="max delivery attempts 3 is not valid") as raised:
        stack.start()
    assert str(raised.value).startswith("provisioning the emulators failed: ")
    groups = stack.process_groups()
    assert set(groups) == {"storage", "firestore", "pubsub"}
    assert not any(group_members(pgid) for pgid in groups.values())
