"""The ``gcloud functions deploy`` command for each function, built one way for every use.

The dry run prints these argument lists, the real deploy runs them, and the test suite feeds
them to the real gcloud offline: one builder, so the three cannot drift apart.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from deckpipe.config import Settings

from .table import RUNTIME, FunctionSpec


def deploy_argv(
    spec: FunctionSpec,
    *,
    source: Path,
    env_file: Path,
    settings: Settings,
    region: str,
    gcloud: str = "gcloud",
) -> list[str]:
    """Every flag spelled out, so the deployment does not depend on gcloud's configuration."""
    argv = [
        gcloud, "functions", "deploy", spec.name,
        "--gen2",
        f"--project={settings.project}",
        f"--region={region}",
        f"--runtime={RUNTIME}",
        f"--source={source}",
        f"--entry-point={spec.entry_point}",
    ]  # fmt: skip
    if spec.trigger == "http":
        argv += ["--trigger-http", "--allow-unauthenticated"]
    elif spec.trigger == "reaper-topic":
        # No --retry: a failed pass is simply repeated by the next scheduled one.
        argv.append(f"--trigger-topic={settings.reaper_topic}")
    else:
        topic = settings.topic if spec.trigger == "topic" else settings.dead_letter_topic
        # --retry: an exception in the worker means "redeliver" (see deckpipe.convert).
        argv += [f"--trigger-topic={topic}", "--retry"]
    argv += [
        f"--memory={spec.memory}",
        f"--timeout={spec.timeout}",
        f"--max-instances={spec.max_instances}",
    ]
    if spec.cpu is not None:
        argv.append(f"--cpu={spec.cpu}")
    if spec.concurrency is not None:
        argv.append(f"--concurrency={spec.concurrency}")
    if spec.service_account:
        argv.append(f"--service-account={_account(spec.service_account, settings)}")
    if spec.trigger_service_account and not spec.is_http:
        account = _account(spec.trigger_service_account, settings)
        argv.append(f"--trigger-service-account={account}")
    argv.append(f"--env-vars-file={env_file}")
    return argv


REAPER_JOB = "deckpipe-reaper"
REAPER_SCHEDULE = "*/2 * * * *"  # every two minutes: a stranded job waits at most that long


def scheduler_argv(
    settings: Settings, *, region: str, verb: str = "create", gcloud: str = "gcloud"
) -> list[str]:
    """The Cloud Scheduler job that publishes to the reaper's topic (``verb`` create or
    update: the deploy looks the job up first, so running it again is safe)."""
    return [
        gcloud, "scheduler", "jobs", verb, "pubsub", REAPER_JOB,
        f"--project={settings.project}",
        f"--location={region}",
        f"--schedule={REAPER_SCHEDULE}",
        f"--topic={settings.reaper_topic}",
        "--message-body=reap",
    ]  # fmt: skip


def _account(template: str, settings: Settings) -> str:
    return template.replace("{project}", settings.project)


def shell_line(argv: list[str]) -> str:
    """One copy-pasteable line: every word shell-quoted."""
    return shlex.join(argv)
