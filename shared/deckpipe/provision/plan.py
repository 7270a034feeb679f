"""The provisioning plan: what exists, what should exist, and what to do about each.

Every decision works on plain values read through small adapters (``model.py``),
so the plan -- create, update, leave alone, cloud-only or pending -- is tested
with in-memory fakes, without a cloud or an emulator. A plan is built by
reading only; nothing changes until ``apply_plan``. This module holds the
bucket and the Firestore TTL policies; ``pubsub.py`` the topics,
subscriptions and IAM grants.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import Settings
from .model import (
    Action,
    Apis,
    FirestoreAdminApi,
    Options,
    Plan,
    ProvisionError,
    Result,
    Step,
    StorageApi,
)
from .pubsub import iam_steps, subscription_steps, topic_steps, uploads_subscription_step
from .steps import created, updated

# Objects the functions write, both kept only for the retention period.
PREFIXES = ("inputs/", "results/")
UPLOADS_PREFIX = "inputs/"  # direct uploads land here; their finalize events matter
# Bucket CORS, for the upload page that sends a large deck straight to the bucket
# (deckpipe.direct): chunks PUT to the resumable session with Content-Range, and the
# 308 answers' Range read back to resume. Nothing else: the signed PDF link is opened
# by navigation, which needs no CORS, and the session is opened by the function.
# Cloud Storage uses ``responseHeader`` both to allow request headers in preflights and
# to expose response headers.
CORS_METHODS = ("PUT",)
CORS_HEADERS = ("Content-Range", "Content-Type", "Range")
CORS_MAX_AGE = 3600


def build_plan(settings: Settings, options: Options, apis: Apis) -> Plan:
    """Read what exists and decide, per resource, what to do. Changes nothing."""
    options.check()
    steps = [*_bucket_steps(settings, options, apis.storage)]
    steps += topic_steps(settings, apis.pubsub)
    feeding, dead_letter_sources = subscription_steps(settings, options, apis.pubsub)
    steps += feeding
    steps.append(uploads_subscription_step(settings, options, apis.pubsub))
    steps.append(_notification_step(settings, apis.storage))  # after its topic exists
    steps += iam_steps(settings, options, apis.pubsub, dead_letter_sources)
    steps += _ttl_steps(apis.firestore)
    return Plan(settings, steps)


def apply_plan(plan: Plan) -> list[Result]:
    """Carry out every create and update, in plan order (topics before the
    subscriptions that name them); stop at the first failure, since later steps
    may depend on it."""
    results: list[Result] = []
    for step in plan.steps:
        if step.action in (Action.CREATE, Action.UPDATE) and step.apply is not None:
            try:
                outcome = step.apply()
            except ProvisionError as error:
                raise ProvisionError(f"{step.resource}: {error}", done=results) from error
            results.append(Result(step, outcome))
        else:
            results.append(Result(step, str(step.action)))
    return results


# --- the bucket ------------------------------------------------------------------------


def lifecycle_rule(retention_days: int) -> dict[str, Any]:
    return {
        "action": {"type": "Delete"},
        "condition": {"age": retention_days, "matchesPrefix": list(PREFIXES)},
    }


def cors_policy(settings: Settings) -> list[dict[str, Any]]:
    """The bucket's CORS: none when no origin is configured."""
    origins = sorted(settings.cors_origins)
    if not origins:
        return []
    return [
        {
            "origin": origins,
            "method": list(CORS_METHODS),
            "responseHeader": list(CORS_HEADERS),
            "maxAgeSeconds": CORS_MAX_AGE,
        }
    ]


def _is_managed_rule(rule: dict[str, Any]) -> bool:
    """Delete rules on our prefixes are provision's; other rules are someone else's and kept."""
    prefixes = set((rule.get("condition") or {}).get("matchesPrefix") or ())
    return (rule.get("action") or {}).get("type") == "Delete" and bool(prefixes & set(PREFIXES))


def _bucket_steps(settings: Settings, options: Options, storage: StorageApi) -> Iterator[Step]:
    name = settings.bucket
    current = storage.get_bucket(name)
    where = options.location or "the default location"
    if current is None:
        yield Step(
            f"bucket {name}", "missing", f"exists (in {where})", Action.CREATE,
            apply=lambda: created(storage.create_bucket(name, options.location)),
        )
    else:
        yield Step(f"bucket {name}", "exists", "exists", Action.OK)

    rule = lifecycle_rule(settings.retention_days)
    wanted = _describe_rules([rule])
    if storage.emulator:
        yield Step(
            f"bucket {name} lifecycle", "-", wanted, Action.CLOUD_ONLY,
            note="fake-gcs-server accepts lifecycle rules but does not keep them",
        )
    else:
        rules = [] if current is None else current.lifecycle_rules
        ours = [r for r in rules if _is_managed_rule(r)]
        others = [r for r in rules if not _is_managed_rule(r)]
        now = _describe_rules(ours) + (f" (+{len(others)} other rule(s), kept)" if others else "")
        if ours == [rule]:
            yield Step(f"bucket {name} lifecycle", now, wanted, Action.OK)
        else:
            yield Step(
                f"bucket {name} lifecycle", now, wanted,
                Action.UPDATE if ours else Action.CREATE,
                apply=lambda: (updated if ours else created)(
                    storage.set_lifecycle_rules(name, [*others, rule])
                ),
            )

    cors = cors_policy(settings)
    wanted = _describe_cors(cors)
    if storage.emulator:
        yield Step(
            f"bucket {name} CORS", "-", wanted, Action.CLOUD_ONLY,
            note="fake-gcs-server accepts a CORS policy but does not keep it",
        )
    else:
        now_cors = [] if current is None else current.cors
        if now_cors == cors:
            yield Step(f"bucket {name} CORS", _describe_cors(now_cors), wanted, Action.OK)
        else:
            yield Step(
                f"bucket {name} CORS", _describe_cors(now_cors), wanted,
                Action.UPDATE if now_cors else Action.CREATE,
                apply=lambda: (updated if now_cors else created)(storage.set_cors(name, cors)),
            )


def _notification_step(settings: Settings, storage: StorageApi) -> Step:
    """Cloud Storage tells deckpipe when a direct upload's object is complete: finalize
    events of ``inputs/`` go to ``<topic>-uploads`` (its push subscription feeds the upload
    function's ``finalized`` address). Cloud Storage publishes as its own service agent,
    which needs ``roles/pubsub.publisher`` on that topic (see the README)."""
    name, topic = settings.bucket, settings.uploads_topic
    resource = f"bucket {name} notification"
    wanted = f"finalize events of {UPLOADS_PREFIX} to topic {topic}"
    if storage.emulator:
        return Step(resource, "-", wanted, Action.CLOUD_ONLY,
                    note="fake-gcs-server publishes finalize events itself (its -event.* "
                         "options, which the local stack sets)")
    if storage.get_bucket(name) is not None and topic in storage.notification_topics(name):
        return Step(resource, wanted, wanted, Action.OK)
    return Step(resource, "none", wanted, Action.CREATE,
                apply=lambda: created(storage.create_notification(name, topic,
                                                                  UPLOADS_PREFIX)))


def _describe_rules(rules: list[dict[str, Any]]) -> str:
    if not rules:
        return "no rule"
    parts = []
    for rule in rules:
        condition = rule.get("condition") or {}
        prefixes = " and ".join(condition.get("matchesPrefix") or ())
        parts.append(f"delete {prefixes} objects {condition.get('age')} days after creation")
    return "; ".join(parts)


def _describe_cors(cors: list[dict[str, Any]]) -> str:
    if not cors:
        return "none"
    return "; ".join(
        f"origins {', '.join(entry.get('origin', ()))}: {', '.join(entry.get('method', ()))}, "
        f"headers {', '.join(entry.get('responseHeader', ()))}, "
        f"max age {entry.get('maxAgeSeconds')} s"
        for entry in cors
    )


# --- Firestore TTL --------------------------------------------------------------------------


def ttl_fields() -> list[tuple[str, str]]:
    """(collection group, field) of every TTL policy: the names the job store writes.
    Imported here, not at module level, so ``deckpipe convert`` never loads Firestore."""
    from ..backends.firestore import EXPIRE_AT, IDEMPOTENCY_KEYS, JOBS

    return [(JOBS, EXPIRE_AT), (IDEMPOTENCY_KEYS, EXPIRE_AT)]


def _ttl_steps(firestore: FirestoreAdminApi) -> Iterator[Step]:
    for collection, expire_at in ttl_fields():
        resource = f"Firestore TTL policy {collection}.{expire_at}"
        wanted = f"documents deleted once {expire_at} has passed"
        if firestore.emulator:
            yield Step(
                resource, "-", wanted, Action.CLOUD_ONLY,
                note="the Firestore emulator has no admin API (501) and never deletes by TTL",
            )
            continue
        state = firestore.ttl_state(collection, expire_at)
        if state in ("ACTIVE", "CREATING"):
            note = "" if state == "ACTIVE" else "being created; it can take a while"
            yield Step(resource, state.lower(), wanted, Action.OK, note=note)
            continue
        yield Step(
            resource, "none" if state is None else state.lower(), wanted,
            Action.CREATE if state is None else Action.UPDATE,
            note="" if state is None else "Firestore reports the policy needs repair",
            apply=lambda collection=collection, expire_at=expire_at: "requested (operation "
            + firestore.enable_ttl(collection, expire_at) + ")",
        )
