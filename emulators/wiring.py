"""Resources the functions expect to exist, created in (and wiped from) the running emulators.

Clients are built against explicit endpoints rather than the *_EMULATOR_HOST variables, so
wiring works whatever the calling process has in os.environ.
"""

from __future__ import annotations

import contextlib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

import grpc
from google.api_core.exceptions import AlreadyExists, Conflict
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.pubsub_v1 import PublisherClient, SubscriberClient
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport
from google.pubsub_v1.types import (
    DeadLetterPolicy,
    PushConfig,
    RetryPolicy,
    Subscription,
    Topic,
)

# Local endpoints must never go through an HTTP proxy a developer has configured.
LOCAL_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class PushRoute:
    """A push subscription delivering one topic to the convert function."""

    topic: str
    subscription: str
    endpoint: str
    dead_letter_topic: str | None = None


def storage_client(storage_url: str, project: str) -> storage.Client:
    return storage.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": storage_url},
    )


def create_bucket(storage_url: str, project: str, bucket: str) -> None:
    with contextlib.suppress(Conflict):
        storage_client(storage_url, project).create_bucket(bucket)


def empty_bucket(storage_url: str, project: str, bucket: str) -> None:
    """Delete every object (all generations) but keep the bucket itself."""
    client = storage_client(storage_url, project)
    blobs = list(client.list_blobs(bucket, versions=True))
    for blob in blobs:
        blob.delete()


def clear_firestore(firestore_url: str, project: str) -> None:
    """The emulator's own endpoint for dropping every document of the default database."""
    path = f"/emulator/v1/projects/{project}/databases/(default)/documents"
    request = urllib.request.Request(firestore_url + urllib.parse.quote(path), method="DELETE")
    with LOCAL_OPENER.open(request, timeout=10):
        pass


def create_push_routes(
    pubsub_address: str,
    project: str,
    routes: list[PushRoute],
    *,
    ack_deadline: int,
    retry_min_backoff: float,
    retry_max_backoff: float,
    max_delivery_attempts: int,
) -> None:
    """Create each route's topics and push subscription; ones that already exist are kept."""
    channel = grpc.insecure_channel(pubsub_address, options=[("grpc.enable_http_proxy", 0)])
    try:
        publisher = PublisherClient(transport=PublisherGrpcTransport(channel=channel))
        subscriber = SubscriberClient(transport=SubscriberGrpcTransport(channel=channel))
        topics = {route.topic for route in routes}
        topics |= {route.dead_letter_topic for route in routes if route.dead_letter_topic}
        for topic in sorted(topics):
            with contextlib.suppress(AlreadyExists):
                publisher.create_topic(request=Topic(name=f"projects/{project}/topics/{topic}"))
        retry_policy = RetryPolicy(
            minimum_backoff=timedelta(seconds=retry_min_backoff),
            maximum_backoff=timedelta(seconds=retry_max_backoff),
        )
        for route in routes:
            subscription = Subscription(
                name=f"projects/{project}/subscriptions/{route.subscription}",
                topic=f"projects/{project}/topics/{route.topic}",
                push_config=PushConfig(push_endpoint=route.endpoint),
                ack_deadline_seconds=ack_deadline,
                retry_policy=retry_policy,
            )
            if route.dead_letter_topic:
                subscription.dead_letter_policy = DeadLetterPolicy(
                    dead_letter_topic=f"projects/{project}/topics/{route.dead_letter_topic}",
                    max_delivery_attempts=max_delivery_attempts,
                )
            with contextlib.suppress(AlreadyExists):
                subscriber.create_subscription(request=subscription)
    finally:
        channel.close()
