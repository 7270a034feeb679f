"""The values provisioning works on: states read from Google Cloud, the options, the plan.

Plain data and the three adapter protocols (``StorageApi``, ``PubSubApi``,
``FirestoreAdminApi``): the real adapters are in ``clients.py``, tests use
in-memory fakes, and the planning code in ``plan.py`` and ``pubsub.py`` only
ever sees these types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ..config import Settings

# Limits Pub/Sub enforces (the emulator too: it refuses fewer than 5 attempts).
MIN_DELIVERY_ATTEMPTS, MAX_DELIVERY_ATTEMPTS = 5, 100
MAX_BACKOFF_LIMIT = 600.0
MAX_ACK_DEADLINE = 600


class ProvisionError(Exception):
    """Provisioning cannot go on; the message names the resource and the cause.

    ``done`` lists what was applied before the failure, so the caller can say so.
    """

    def __init__(self, message: str, done: list[Result] | None = None) -> None:
        super().__init__(message)
        self.done = done or []


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    OK = "ok"
    CLOUD_ONLY = "cloud-only"  # the emulator has no such thing: it exists in Google Cloud only
    PENDING = "pending"  # provision cannot do it now; the note says who does what first


@dataclass(frozen=True)
class RetryPolicy:
    min_backoff: float
    max_backoff: float


@dataclass(frozen=True)
class DeadLetterPolicy:
    topic: str
    max_delivery_attempts: int


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as provision sees it; topics are ids within the project."""

    name: str
    topic: str
    push_endpoint: str | None = None
    ack_deadline: int | None = None
    retry: RetryPolicy | None = None
    dead_letter: DeadLetterPolicy | None = None


@dataclass(frozen=True)
class BucketState:
    lifecycle_rules: list[dict[str, Any]] = field(default_factory=list)
    cors: list[dict[str, Any]] = field(default_factory=list)


class StorageApi(Protocol):
    emulator: bool

    def get_bucket(self, name: str) -> BucketState | None: ...
    def create_bucket(self, name: str, location: str | None) -> None: ...
    def set_lifecycle_rules(self, name: str, rules: list[dict[str, Any]]) -> None: ...
    def set_cors(self, name: str, cors: list[dict[str, Any]]) -> None: ...
    def notification_topics(self, name: str) -> list[str]: ...
    def create_notification(self, name: str, topic: str, prefix: str) -> None: ...


class PubSubApi(Protocol):
    emulator: bool

    def topic_exists(self, topic: str) -> bool: ...
    def create_topic(self, topic: str) -> None: ...
    def topic_subscriptions(self, topic: str) -> list[str]: ...
    def get_subscription(self, name: str) -> SubscriptionState | None: ...
    def create_subscription(self, wanted: SubscriptionState) -> None: ...
    def update_subscription(self, wanted: SubscriptionState, fields: list[str]) -> None: ...
    def iam_members(self, kind: str, name: str, role: str) -> set[str]:
        """Members holding ``role`` on the topic or subscription; empty if it does not exist."""
        ...
    def grant(self, kind: str, name: str, role: str, member: str) -> None: ...


class FirestoreAdminApi(Protocol):
    emulator: bool

    def ttl_state(self, collection_group: str, field_name: str) -> str | None: ...
    def enable_ttl(self, collection_group: str, field_name: str) -> str: ...


@dataclass(frozen=True)
class Apis:
    storage: StorageApi
    pubsub: PubSubApi
    firestore: FirestoreAdminApi


@dataclass(frozen=True)
class Options:
    """What provision needs beyond ``Settings``.

    ``push_endpoint`` (the convert function's base URL) makes provision create
    its own push subscriptions, as on the emulators; without it the
    subscriptions are Eventarc's, made by deploying convert, and provision
    only sets their policies. ``max_delivery_attempts=None`` derives it from
    ``Settings.max_attempts`` (see ``delivery_attempts``).
    """

    push_endpoint: str | None = None
    min_backoff: float = 10.0
    max_backoff: float = 600.0
    max_delivery_attempts: int | None = None
    ack_deadline: int = MAX_ACK_DEADLINE
    pubsub_service_agent: str | None = None
    location: str | None = None

    def check(self) -> None:
        """Raise ``ValueError`` for values Pub/Sub would refuse, before touching anything."""
        if not 0 <= self.min_backoff <= self.max_backoff <= MAX_BACKOFF_LIMIT:
            raise ValueError(
                f"retry backoff {self.min_backoff:g}-{self.max_backoff:g} s is not valid: "
                f"expected 0 <= minimum <= maximum <= {MAX_BACKOFF_LIMIT:g} seconds"
            )
        attempts = self.max_delivery_attempts
        if attempts is not None and not MIN_DELIVERY_ATTEMPTS <= attempts <= MAX_DELIVERY_ATTEMPTS:
            raise ValueError(
                f"max delivery attempts {attempts} is not valid: Pub/Sub accepts "
                f"{MIN_DELIVERY_ATTEMPTS} to {MAX_DELIVERY_ATTEMPTS}"
            )
        if not 10 <= self.ack_deadline <= MAX_ACK_DEADLINE:
            raise ValueError(
                f"ack deadline {self.ack_deadline} s is not valid: expected 10 to "
                f"{MAX_ACK_DEADLINE} seconds"
            )
        agent = self.pubsub_service_agent
        if agent is not None and "@" not in agent:
            raise ValueError(
                f"Pub/Sub service agent {agent!r} is not valid: expected an e-mail such as "
                "service-123456789@gcp-sa-pubsub.iam.gserviceaccount.com"
            )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.min_backoff, self.max_backoff)


def delivery_attempts(settings: Settings, options: Options) -> int:
    """Pub/Sub deliveries before a message goes to the dead-letter topic.

    The worker counts its own claims and fails a job with the precise
    ``too_many_attempts`` only on the delivery *after* ``max_attempts`` claims;
    and a delivery that finds a crashed worker's lease still live is answered
    "retry later", which Pub/Sub counts too. So the default leaves room for
    one such redelivery per claim: ``2 * max_attempts + 1``, within Pub/Sub's
    5..100. The dead-letter topic stays a backstop for messages the worker
    never gets to count (it crashes before claiming, Firestore is down).
    """
    if options.max_delivery_attempts is not None:
        return options.max_delivery_attempts
    wanted = 2 * settings.max_attempts + 1
    return max(MIN_DELIVERY_ATTEMPTS, min(MAX_DELIVERY_ATTEMPTS, wanted))


@dataclass
class Step:
    """One resource: what it is now, what it should be, and the action that gets it there."""

    resource: str
    current: str
    desired: str
    action: Action
    note: str = ""
    apply: Callable[[], str] | None = field(default=None, repr=False, compare=False)


@dataclass
class Result:
    step: Step
    outcome: str  # "created", "updated ...", or the step's action when nothing was done


@dataclass
class Plan:
    settings: Settings
    steps: list[Step]

    def actions(self) -> dict[str, Action]:
        return {step.resource: step.action for step in self.steps}

    def changes(self) -> list[Step]:
        return [step for step in self.steps if step.action in (Action.CREATE, Action.UPDATE)]

    def pending(self) -> list[Step]:
        return [step for step in self.steps if step.action is Action.PENDING]
