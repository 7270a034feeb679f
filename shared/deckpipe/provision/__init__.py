"""``deckpipe provision``: create or check everything the functions need, safely repeatable.

The bucket (with its lifecycle rule and CORS policy), the jobs topic and its
dead-letter topic, the subscriptions that deliver them to ``convert`` with
retry and dead-letter policies, the IAM grants dead-lettering needs, and the
Firestore TTL policies on ``expire_at``. It first builds a plan by reading
what exists (``plan.build_plan``), then applies only the creates and updates,
so a second run finds everything ``ok`` and changes nothing. Against the
emulators it creates what they support and marks the rest ``cloud-only``.

``provision()`` is the one entry point: the command line (``command.py``) and
the local emulator stack both call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Settings
from .clients import Emulators, connect, emulators_from_environment
from .model import (
    Action,
    Apis,
    Options,
    Plan,
    ProvisionError,
    Result,
    Step,
    delivery_attempts,
)
from .plan import apply_plan, build_plan

__all__ = [
    "Action", "Apis", "Emulators", "Options", "Plan", "ProvisionError", "Report", "Result",
    "Step", "apply_plan", "build_plan", "delivery_attempts", "emulators_from_environment",
    "provision",
]


@dataclass
class Report:
    """The plan as read, and (unless a dry run) what applying it did."""

    plan: Plan
    results: list[Result] = field(default_factory=list)
    dry_run: bool = False

    @property
    def pending(self) -> list[Step]:
        return self.plan.pending()


def provision(
    settings: Settings, options: Options, emulators: Emulators, *, dry_run: bool = False
) -> Report:
    """Plan, and unless ``dry_run`` apply. Raises ``ValueError`` for bad options (before
    anything is read) and ``ProvisionError`` when a read or a change fails."""
    options.check()
    with connect(settings.project, emulators) as apis:
        plan = build_plan(settings, options, apis)
        results = [] if dry_run else apply_plan(plan)
    return Report(plan, results, dry_run)
