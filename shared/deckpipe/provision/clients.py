"""The real adapters behind ``model.StorageApi``, ``PubSubApi`` and ``FirestoreAdminApi``.

Each one is a thin translation between the official Google clients and the
plain values the plan works on; every failure comes out as a
``ProvisionError`` naming what was being done. Against an emulator the
clients are built for its explicit address (anonymous credentials, plain
gRPC), so provisioning does not depend on what the calling process has in
``os.environ``: the emulator stack calls this in-process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..config import load_emulator_hosts
from .model import (
    Apis,
    BucketState,
    DeadLetterPolicy,
    ProvisionError,
    RetryPolicy,
    SubscriptionState,
)

TIMEOUT = 30.0
# Pub/Sub's documented values for a retry policy field left unset.
DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_ATTEMPTS = 10.0, 600.0, 5


@dataclass(frozen=True)
class Emulators:
    """Where the emulators listen; ``None`` means the real Google Cloud service."""

    storage: str | None = None  # URL with scheme, as STORAGE_EMULATOR_HOST
    pubsub: str | None = None  # host:port, as PUBSUB_EMULATOR_HOST
    firestore: str | None = None  # host:port, as FIRESTORE_EMULATOR_HOST

    def names(self) -> list[str]:
        return [name for name in ("storage", "pubsub", "firestore") if getattr(self, name)]


def emulators_from_environment() -> Emulators:
    """The emulators named by ``*_EMULATOR_HOST`` (read by ``deckpipe.config``), if any."""
    hosts = load_emulator_hosts()
    return Emulators(storage=hosts.storage, pubsub=hosts.pubsub, firestore=hosts.firestore)


@contextlib.contextmanager
def calling(what: str) -> Iterator[None]:
    """Turn any client failure (API error, no credentials, no connection) into a
    ``ProvisionError`` that says what provision was doing."""
    import grpc
    import requests
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    try:
        yield
    except auth_exc.DefaultCredentialsError as exc:
        raise ProvisionError(
            f"{what}: no Google credentials ({exc}); run `gcloud auth application-default "
            "login` or set GOOGLE_APPLICATION_CREDENTIALS"
        ) from exc
    except (gexc.GoogleAPIError, auth_exc.GoogleAuthError, requests.RequestException,
            grpc.RpcError, OSError) as exc:
        raise ProvisionError(f"{what}: {type(exc).__name__}: {exc}") from exc


@contextlib.contextmanager
def connect(project: str, emulators: Emulators) -> Iterator[Apis]:
    """The three adapters for ``project``; their connections close on exit."""
    channels: list[Any] = []
    try:
        yield Apis(
            storage=GcsApi(project, emulators.storage),
            pubsub=PubSubAdminApi(project, emulators.pubsub, channels),
            firestore=FirestoreTtlApi(project, emulator=emulators.firestore is not None),
        )
    finally:
        for channel in channels:
            channel.close()


class GcsApi:
    """Cloud Storage bucket metadata."""

    def __init__(self, project: str, emulator_url: str | None) -> None:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        self.emulator = emulator_url is not None
        with calling("connecting to Cloud Storage"):
            if emulator_url is not None:
                self._client = storage.Client(
                    project=project,
                    credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": emulator_url},
                )
            else:
                self._client = storage.Client(project=project)

    def get_bucket(self, name: str) -> BucketState | None:
        with calling(f"reading bucket {name}"):
            bucket = self._client.lookup_bucket(name, timeout=TIMEOUT)
        if bucket is None:
            return None
        return BucketState(
            lifecycle_rules=[_plain(rule) for rule in bucket.lifecycle_rules],
            cors=[_plain(entry) for entry in bucket.cors],
        )

    def create_bucket(self, name: str, location: str | None) -> None:
        from google.api_core.exceptions import Conflict

        with calling(f"creating bucket {name}"), contextlib.suppress(Conflict):
            self._client.create_bucket(name, location=location, timeout=TIMEOUT)

    def set_lifecycle_rules(self, name: str, rules: list[dict[str, Any]]) -> None:
        bucket = self._client.bucket(name)
        bucket.lifecycle_rules = rules
        with calling(f"setting the lifecycle rules of bucket {name}"):
            bucket.patch(timeout=TIMEOUT)

    def set_cors(self, name: str, cors: list[dict[str, Any]]) -> None:
        bucket = self._client.bucket(name)
        bucket.cors = cors
        with calling(f"setting the CORS policy of bucket {name}"):
            bucket.patch(timeout=TIMEOUT)


    def notification_topics(self, name: str) -> list[str]:
        """Topic ids the bucket's Pub/Sub notifications publish to."""
        with calling(f"reading the notifications of bucket {name}"):
            found = list(self._client.bucket(name).list_notifications(timeout=TIMEOUT))
        return [notification.topic_name for notification in found]

    def create_notification(self, name: str, topic: str, prefix: str) -> None:
        notification = self._client.bucket(name).notification(
            topic_name=topic, event_types=["OBJECT_FINALIZE"], blob_name_prefix=prefix,
            payload_format="JSON_API_V1",
        )
        with calling(f"creating the finalize notification of bucket {name}"):
            notification.create(timeout=TIMEOUT)


def _plain(value: Any) -> Any:
    """JSON-like copy (the client hands out dict subclasses) so states compare as values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class PubSubAdminApi:
    """Topics, subscriptions and their IAM policies, over the generated (GAPIC) clients."""

    def __init__(
        self,
        project: str,
        emulator_host: str | None,
        channels: list[Any],
        *,
        clients: tuple[Any, Any] | None = None,
    ) -> None:
        """``clients`` (publisher, subscriber) replaces the real ones, for tests."""
        from google.pubsub_v1 import PublisherClient, SubscriberClient

        self.emulator = emulator_host is not None
        self._project = project
        if clients is not None:
            self._publisher, self._subscriber = clients
            return
        with calling("connecting to Pub/Sub"):
            if emulator_host is None:
                self._publisher = PublisherClient()
                self._subscriber = SubscriberClient()
                return
            import grpc
            from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
            from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

            # A developer's HTTP proxy must never see local emulator traffic.
            channel = grpc.insecure_channel(emulator_host, options=[("grpc.enable_http_proxy", 0)])
            channels.append(channel)
            self._publisher = PublisherClient(transport=PublisherGrpcTransport(channel=channel))
            self._subscriber = SubscriberClient(transport=SubscriberGrpcTransport(channel=channel))

    def _path(self, kind: str, name: str) -> str:
        return name if name.startswith("projects/") else f"projects/{self._project}/{kind}/{name}"

    def _short(self, kind: str, path: str) -> str:
        prefix = f"projects/{self._project}/{kind}/"
        return path[len(prefix):] if path.startswith(prefix) else path

    def topic_exists(self, topic: str) -> bool:
        from google.api_core.exceptions import NotFound

        with calling(f"reading topic {topic}"):
            try:
                self._publisher.get_topic(topic=self._path("topics", topic), timeout=TIMEOUT)
            except NotFound:
                return False
        return True

    def create_topic(self, topic: str) -> None:
        from google.api_core.exceptions import AlreadyExists

        with calling(f"creating topic {topic}"), contextlib.suppress(AlreadyExists):
            self._publisher.create_topic(name=self._path("topics", topic), timeout=TIMEOUT)

    def topic_subscriptions(self, topic: str) -> list[str]:
        with calling(f"listing the subscriptions of topic {topic}"):
            pages = self._publisher.list_topic_subscriptions(
                topic=self._path("topics", topic), timeout=TIMEOUT
            )
            return sorted(self._short("subscriptions", path) for path in pages)

    def get_subscription(self, name: str) -> SubscriptionState | None:
        from google.api_core.exceptions import NotFound
        from google.pubsub_v1.types import Subscription

        with calling(f"reading subscription {name}"):
            try:
                sub = self._subscriber.get_subscription(
                    subscription=self._path("subscriptions", name), timeout=TIMEOUT
                )
            except NotFound:
                return None
        raw = Subscription.pb(sub)
        retry = dead_letter = None
        if raw.HasField("retry_policy"):
            policy = raw.retry_policy
            retry = RetryPolicy(
                policy.minimum_backoff.ToTimedelta().total_seconds()
                if policy.HasField("minimum_backoff") else DEFAULT_MIN_BACKOFF,
                policy.maximum_backoff.ToTimedelta().total_seconds()
                if policy.HasField("maximum_backoff") else DEFAULT_MAX_BACKOFF,
            )
        if raw.HasField("dead_letter_policy") and raw.dead_letter_policy.dead_letter_topic:
            dead_letter = DeadLetterPolicy(
                self._short("topics", raw.dead_letter_policy.dead_letter_topic),
                raw.dead_letter_policy.max_delivery_attempts or DEFAULT_ATTEMPTS,
            )
        return SubscriptionState(
            name=name,
            topic=self._short("topics", raw.topic),
            push_endpoint=raw.push_config.push_endpoint or None,
            ack_deadline=raw.ack_deadline_seconds or None,
            retry=retry,
            dead_letter=dead_letter,
        )

    def _message(self, wanted: SubscriptionState) -> Any:
        from google.pubsub_v1 import types

        sub = types.Subscription(
            name=self._path("subscriptions", wanted.name),
            topic=self._path("topics", wanted.topic),
        )
        if wanted.push_endpoint:
            sub.push_config = types.PushConfig(push_endpoint=wanted.push_endpoint)
        if wanted.ack_deadline is not None:
            sub.ack_deadline_seconds = wanted.ack_deadline
        if wanted.retry is not None:
            sub.retry_policy = types.RetryPolicy(
                minimum_backoff=timedelta(seconds=wanted.retry.min_backoff),
                maximum_backoff=timedelta(seconds=wanted.retry.max_backoff),
            )
        if wanted.dead_letter is not None:
            sub.dead_letter_policy = types.DeadLetterPolicy(
                dead_letter_topic=self._path("topics", wanted.dead_letter.topic),
                max_delivery_attempts=wanted.dead_letter.max_delivery_attempts,
            )
        return sub

    def create_subscription(self, wanted: SubscriptionState) -> None:
        from google.api_core.exceptions import AlreadyExists

        with calling(f"creating subscription {wanted.name}"), contextlib.suppress(AlreadyExists):
            self._subscriber.create_subscription(request=self._message(wanted), timeout=TIMEOUT)

    def update_subscription(self, wanted: SubscriptionState, fields: list[str]) -> None:
        from google.protobuf import field_mask_pb2

        with calling(f"updating subscription {wanted.name}"):
            self._subscriber.update_subscription(
                request={
                    "subscription": self._message(wanted),
                    "update_mask": field_mask_pb2.FieldMask(paths=fields),
                },
                timeout=TIMEOUT,
            )

    def _iam_client(self, kind: str) -> Any:
        return self._publisher if kind == "topics" else self._subscriber

    def iam_members(self, kind: str, name: str, role: str) -> set[str]:
        """Members holding ``role`` unconditionally; empty when the resource does not exist."""
        from google.api_core.exceptions import NotFound

        with calling(f"reading the IAM policy of {kind[:-1]} {name}"):
            try:
                policy = self._iam_client(kind).get_iam_policy(
                    request={"resource": self._path(kind, name)}, timeout=TIMEOUT
                )
            except NotFound:
                return set()
        return {
            member
            for binding in policy.bindings
            if binding.role == role and not binding.HasField("condition")
            for member in binding.members
        }

    def grant(self, kind: str, name: str, role: str, member: str) -> None:
        """Read-modify-write; the policy's etag makes a concurrent change fail, not vanish."""
        client, resource = self._iam_client(kind), self._path(kind, name)
        with calling(f"granting {role} on {kind[:-1]} {name}"):
            policy = client.get_iam_policy(request={"resource": resource}, timeout=TIMEOUT)
            for binding in policy.bindings:
                if binding.role == role and not binding.HasField("condition"):
                    if member not in binding.members:
                        binding.members.append(member)
                    break
            else:
                policy.bindings.add(role=role, members=[member])
            client.set_iam_policy(request={"resource": resource, "policy": policy},
                                  timeout=TIMEOUT)


class FirestoreTtlApi:
    """TTL policies of the (default) database. The emulator has no admin API, so
    against it this adapter is never asked anything."""

    def __init__(self, project: str, *, emulator: bool, client: Any = None) -> None:
        """``client`` replaces the real FirestoreAdminClient, for tests."""
        self.emulator = emulator
        self._project = project
        self._client: Any = client

    def _admin(self) -> Any:
        if self._client is None:
            from google.cloud import firestore_admin_v1

            with calling("connecting to the Firestore admin API"):
                self._client = firestore_admin_v1.FirestoreAdminClient()
        return self._client

    def _field(self, collection_group: str, field_name: str) -> str:
        from google.cloud.firestore_admin_v1 import FirestoreAdminClient

        return FirestoreAdminClient.field_path(
            self._project, "(default)", collection_group, field_name
        )

    def ttl_state(self, collection_group: str, field_name: str) -> str | None:
        """``ACTIVE``, ``CREATING``, ``NEEDS_REPAIR``, or None when there is no TTL policy."""
        from google.api_core.exceptions import NotFound
        from google.cloud.firestore_admin_v1 import Field

        with calling(f"reading the TTL policy of {collection_group}.{field_name}"):
            try:
                found = self._admin().get_field(
                    name=self._field(collection_group, field_name), timeout=TIMEOUT
                )
            except NotFound:
                return None
        if not Field.pb(found).HasField("ttl_config"):
            return None
        return found.ttl_config.state.name

    def enable_ttl(self, collection_group: str, field_name: str) -> str:
        """Start the long-running change and return its operation name; TTL policies
        take minutes to build, and the next run sees ``CREATING`` (ok) meanwhile."""
        from google.cloud import firestore_admin_v1
        from google.protobuf import field_mask_pb2

        request = firestore_admin_v1.UpdateFieldRequest(
            field=firestore_admin_v1.Field(
                name=self._field(collection_group, field_name),
                ttl_config=firestore_admin_v1.Field.TtlConfig(),
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["ttl_config"]),
        )
        with calling(f"enabling the TTL policy of {collection_group}.{field_name}"):
            operation = self._admin().update_field(request=request, timeout=TIMEOUT)
        return operation.operation.name
