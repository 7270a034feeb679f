"""Planning the Pub/Sub side: topics, the subscriptions that feed convert, and the
IAM grants dead-lettering needs.

Two situations. With a push endpoint (the emulators) provision owns the push
subscriptions and creates them. Without one, the subscriptions belong to the
Eventarc triggers that ``gcloud functions deploy --trigger-topic`` made;
provision finds them on the topic and sets only their retry and dead-letter
policies, and says "deploy first" when there are none yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Settings
from .model import (
    Action,
    DeadLetterPolicy,
    Options,
    PubSubApi,
    RetryPolicy,
    Step,
    SubscriptionState,
    delivery_attempts,
)
from .steps import created, granted, updated

# Subscriptions that `gcloud functions deploy --trigger-topic` (Eventarc) creates.
EVENTARC_PREFIX = "eventarc-"
PUBLISHER_ROLE = "roles/pubsub.publisher"
SUBSCRIBER_ROLE = "roles/pubsub.subscriber"


# --- topics and subscriptions ------------------------------------------------------------


def topic_steps(settings: Settings, pubsub: PubSubApi) -> Iterator[Step]:
    for topic in (settings.topic, settings.dead_letter_topic, settings.reaper_topic,
                  settings.uploads_topic):
        if pubsub.topic_exists(topic):
            yield Step(f"topic {topic}", "exists", "exists", Action.OK)
        else:
            yield Step(
                f"topic {topic}", "missing", "exists", Action.CREATE,
                apply=lambda topic=topic: created(pubsub.create_topic(topic)),
            )


def push_path(settings: Settings, push_endpoint: str, topic: str) -> str:
    """Push URL for ``topic``: the worker tells dead letters apart by this path
    (Functions Framework makes it the CloudEvent's source)."""
    return f"{push_endpoint.rstrip('/')}/projects/{settings.project}/topics/{topic}"


def subscription_steps(
    settings: Settings, options: Options, pubsub: PubSubApi
) -> tuple[list[Step], list[str]]:
    """Steps for the subscriptions feeding convert, and the names of those that carry
    the dead-letter policy (the Pub/Sub service agent must be able to read them)."""
    retry = options.retry_policy()
    dead_letter = DeadLetterPolicy(settings.dead_letter_topic, delivery_attempts(settings, options))
    if options.push_endpoint:
        main = SubscriptionState(
            name=f"{settings.topic}-convert",
            topic=settings.topic,
            push_endpoint=push_path(settings, options.push_endpoint, settings.topic),
            ack_deadline=options.ack_deadline,
            retry=retry,
            dead_letter=dead_letter,
        )
        backstop = SubscriptionState(
            name=f"{settings.dead_letter_topic}-convert",
            topic=settings.dead_letter_topic,
            push_endpoint=push_path(settings, options.push_endpoint, settings.dead_letter_topic),
            ack_deadline=options.ack_deadline,
            retry=retry,
        )
        steps = [_push_subscription_step(pubsub, main), _push_subscription_step(pubsub, backstop)]
        return steps, [main.name]

    steps: list[Step] = []
    sources: list[str] = []
    for topic, function, policy in (
        (settings.topic, "convert", dead_letter),
        (settings.dead_letter_topic, "convert-dead-letter", None),
    ):
        attached = pubsub.topic_subscriptions(topic) if pubsub.topic_exists(topic) else []
        triggers = [name for name in attached if name.startswith(EVENTARC_PREFIX)]
        others = [name for name in attached if not name.startswith(EVENTARC_PREFIX)]
        if not triggers:
            steps.append(_no_trigger_step(settings, topic, function, pubsub.emulator, others))
            continue
        for name in triggers:
            steps.append(_trigger_subscription_step(pubsub, name, topic, retry, policy, others))
            if policy is not None:
                sources.append(name)
    return steps, sources


FINALIZED_PATH = "/finalized"  # the upload function's address for finalize notifications


def uploads_subscription_step(settings: Settings, options: Options, pubsub: PubSubApi) -> Step:
    """The push subscription that hands the bucket's finalize notifications to the upload
    function (``POST <upload URL>/finalized``), in the cloud as on the emulators: it is
    provision's own, not a trigger's. It needs the upload function's public URL."""
    name = f"{settings.uploads_topic}-upload"
    if not settings.upload_url:
        return Step(f"subscription {name}", "-", f"push to <upload URL>{FINALIZED_PATH}",
                    Action.PENDING, note="DECKPIPE_UPLOAD_URL is not set: deploy upload "
                    "first (the deploy fills it in), then run provision again")
    wanted = SubscriptionState(
        name=name,
        topic=settings.uploads_topic,
        push_endpoint=settings.upload_url.rstrip("/") + FINALIZED_PATH,
        ack_deadline=min(options.ack_deadline, 60),
        retry=options.retry_policy(),
    )
    return _push_subscription_step(pubsub, wanted)


def _push_subscription_step(pubsub: PubSubApi, wanted: SubscriptionState) -> Step:
    resource = f"subscription {wanted.name}"
    current = pubsub.get_subscription(wanted.name)
    if current is None:
        return Step(
            resource, "missing", _describe_subscription(wanted), Action.CREATE,
            apply=lambda: created(pubsub.create_subscription(wanted)),
        )
    if current.topic != wanted.topic:
        return Step(
            resource, f"attached to topic {current.topic}", _describe_subscription(wanted),
            Action.PENDING,
            note="a subscription cannot change topic: delete it, then run provision again",
        )
    fields = _differences(current, wanted, ("push_endpoint", "ack_deadline", "retry",
                                            "dead_letter"))
    return _subscription_update(pubsub, resource, current, wanted, fields)


def _trigger_subscription_step(
    pubsub: PubSubApi,
    name: str,
    topic: str,
    retry: RetryPolicy,
    dead_letter: DeadLetterPolicy | None,
    others: list[str],
) -> Step:
    """An Eventarc subscription: only its retry and dead-letter policies are provision's."""
    current = pubsub.get_subscription(name)
    resource = f"subscription {name} (trigger of topic {topic})"
    note = f"other subscription(s) on the topic left alone: {', '.join(others)}" if others else ""
    if current is None:  # deleted between listing and reading
        return Step(resource, "missing", "-", Action.PENDING, note="run provision again")
    wanted = SubscriptionState(
        name=name,
        topic=topic,
        push_endpoint=current.push_endpoint,
        ack_deadline=current.ack_deadline,
        retry=retry,
        dead_letter=dead_letter,
    )
    fields = _differences(current, wanted, ("retry", "dead_letter"))
    return _subscription_update(pubsub, resource, current, wanted, fields, note=note,
                                policies_only=True)


def _subscription_update(
    pubsub: PubSubApi,
    resource: str,
    current: SubscriptionState,
    wanted: SubscriptionState,
    fields: list[str],
    *,
    note: str = "",
    policies_only: bool = False,
) -> Step:
    now = _describe_subscription(current, policies_only=policies_only)
    desired = _describe_subscription(wanted, policies_only=policies_only)
    if not fields:
        return Step(resource, now, desired, Action.OK, note=note)
    return Step(
        resource, now, desired, Action.UPDATE, note=note,
        apply=lambda: updated(pubsub.update_subscription(wanted, fields), fields),
    )


def _no_trigger_step(
    settings: Settings, topic: str, function: str, emulator: bool, others: list[str]
) -> Step:
    if emulator:
        note = ("the Pub/Sub emulator has no Eventarc: give --push-endpoint (the convert "
                "function's URL) to create push subscriptions")
    else:
        note = (f"no Eventarc subscription on topic {topic}: deploy {function} first "
                f"(gcloud functions deploy {function} --gen2 --trigger-topic {topic} ...), "
                "then run provision again")
    if others:
        note += f"; other subscription(s) left alone: {', '.join(others)}"
    wanted = "the trigger subscription of " + function + " with retry" + (
        " and dead-letter policies" if topic == settings.topic else " policy"
    )
    return Step(f"subscription (trigger of topic {topic})", "missing", wanted, Action.PENDING,
                note=note)


def _differences(current: SubscriptionState, wanted: SubscriptionState,
                 names: tuple[str, ...]) -> list[str]:
    """The Pub/Sub API field names (update-mask paths) whose values differ."""
    api_names = {
        "push_endpoint": "push_config",
        "ack_deadline": "ack_deadline_seconds",
        "retry": "retry_policy",
        "dead_letter": "dead_letter_policy",
    }
    return [api_names[name] for name in names if getattr(current, name) != getattr(wanted, name)]


def _describe_subscription(sub: SubscriptionState, *, policies_only: bool = False) -> str:
    parts = []
    if not policies_only:
        parts.append(f"push to {sub.push_endpoint}" if sub.push_endpoint else "pull")
        if sub.ack_deadline is not None:
            parts.append(f"ack deadline {sub.ack_deadline} s")
    parts.append(
        f"retry {sub.retry.min_backoff:g}-{sub.retry.max_backoff:g} s" if sub.retry
        else "no retry policy"
    )
    parts.append(
        f"dead letters to {sub.dead_letter.topic} after "
        f"{sub.dead_letter.max_delivery_attempts} attempts" if sub.dead_letter
        else "no dead-letter policy"
    )
    return ", ".join(parts)


# --- IAM for dead-lettering ---------------------------------------------------------------


def iam_steps(
    settings: Settings, options: Options, pubsub: PubSubApi, sources: list[str]
) -> Iterator[Step]:
    """The Pub/Sub service agent must publish to the dead-letter topic and read each
    subscription that forwards to it, or dead-lettering silently does nothing."""
    grants = [("topics", settings.dead_letter_topic, PUBLISHER_ROLE)]
    grants += [("subscriptions", name, SUBSCRIBER_ROLE) for name in sources]
    if pubsub.emulator:
        yield Step(
            "dead-letter permissions (Pub/Sub service agent)", "-",
            f"{PUBLISHER_ROLE} on topic {settings.dead_letter_topic}, {SUBSCRIBER_ROLE} on "
            "the subscription(s) that forward to it", Action.CLOUD_ONLY,
            note="the Pub/Sub emulator has no IAM (it answers 501 Unimplemented)",
        )
        return
    agent = options.pubsub_service_agent
    if agent is None:
        yield Step(
            "dead-letter permissions (Pub/Sub service agent)", "unknown",
            f"{PUBLISHER_ROLE} on topic {settings.dead_letter_topic}, {SUBSCRIBER_ROLE} on "
            "the subscription(s) that forward to it", Action.PENDING,
            note=_agent_hint(settings, grants),
        )
        return
    member = f"serviceAccount:{agent}"
    for kind, name, role in grants:
        resource = f"{kind[:-1]} {name} IAM: {role} for {agent}"
        if member in pubsub.iam_members(kind, name, role):
            yield Step(resource, "granted", "granted", Action.OK)
        else:
            yield Step(
                resource, "not granted", "granted", Action.CREATE,
                apply=lambda kind=kind, name=name, role=role: granted(
                    pubsub.grant(kind, name, role, member)
                ),
            )


def _agent_hint(settings: Settings, grants: list[tuple[str, str, str]]) -> str:
    """Finding the project number needs the Resource Manager API, whose client is not a
    dependency: say how to find the agent, or how to grant by hand."""
    project = settings.project
    agent = "service-$(gcloud projects describe " + project + \
        " --format='value(projectNumber)')@gcp-sa-pubsub.iam.gserviceaccount.com"
    lines = [f'run again with --pubsub-service-agent "{agent}", or grant by hand:']
    for kind, name, role in grants:
        lines.append(
            f"gcloud pubsub {kind} add-iam-policy-binding {name} --project {project} "
            f'--member "serviceAccount:{agent}" --role {role}'
        )
    return "\n".join(lines)
