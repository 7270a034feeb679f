"""Which functions to deploy, how big, and which pinned dependencies each one gets.

The table (``deploy/functions.toml``) is the one place to resize a function. Versions come only
from ``pyproject.toml``'s ``[project] dependencies``, so a deployed function resolves to what the
test suite ran with; the table only says which of those distributions a function needs.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
TABLE_PATH = PACKAGE_DIR / "functions.toml"
RUNTIME = "python312"
TRIGGERS = ("http", "topic", "dead-letter-topic", "reaper-topic")

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")  # a Cloud Functions (Cloud Run) name
_DURATION_RE = re.compile(r"^[1-9][0-9]*s$")
_MEMORY_RE = re.compile(r"^[1-9][0-9]*(Mi|Gi)$")
# name[extras]==version[; marker]: the only form a deployable pin may take.
_PIN_RE = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    r"==\s*(?P<version>[A-Za-z0-9.+!_-]+)\s*(?:;.*)?$"
)
_KEYS = {
    "source", "entry_point", "trigger", "memory", "timeout", "max_instances", "cpu",
    "concurrency", "requirements", "fonts", "service_account", "trigger_service_account",
}  # fmt: skip
_REQUIRED = ("source", "entry_point", "trigger", "memory", "timeout", "max_instances",
             "requirements", "fonts")  # fmt: skip


class DeployError(Exception):
    """Deploying cannot go on; the message says why and what to change."""


@dataclass(frozen=True)
class FunctionSpec:
    """One deployment: a function's name in Google Cloud and everything gcloud is told about it."""

    name: str
    source: str
    entry_point: str
    trigger: str
    memory: str
    timeout: str
    max_instances: int
    requirements: tuple[str, ...]
    fonts: bool
    cpu: str | None = None
    concurrency: int | None = None
    service_account: str | None = None
    trigger_service_account: str | None = None

    @property
    def is_http(self) -> bool:
        return self.trigger == "http"


def normalize(name: str) -> str:
    """PEP 503 name, so ``rl_accel``, ``RL-Accel`` and ``rl.accel`` are the same distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def load_table(path: Path = TABLE_PATH) -> list[FunctionSpec]:
    """The table's functions in deployment order; a malformed row raises ``DeployError``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DeployError(f"{path}: cannot read the function table: {exc}") from None
    if not data:
        raise DeployError(f"{path}: the function table lists no functions")
    return [_spec(path, name, row) for name, row in data.items()]


def _spec(path: Path, name: str, row: Any) -> FunctionSpec:
    where = f"{path} [{name}]"
    if not isinstance(row, dict):
        raise DeployError(f"{where}: expected a table of settings")
    problems = [f"unknown key {key!r}" for key in row if key not in _KEYS]
    problems += [f"{key} is missing" for key in _REQUIRED if key not in row]
    if problems:
        raise DeployError(f"{where}: " + "; ".join(problems))
    checks = [
        (_NAME_RE.match(name), "the name must be lowercase letters, digits and dashes"),
        (row["trigger"] in TRIGGERS, f"trigger must be one of {', '.join(TRIGGERS)}"),
        (isinstance(row["memory"], str) and _MEMORY_RE.match(row["memory"]),
         "memory must look like 256Mi or 1Gi"),
        (isinstance(row["timeout"], str) and _DURATION_RE.match(row["timeout"]),
         "timeout must be whole seconds such as 60s"),
        (_positive_int(row["max_instances"]), "max_instances must be a positive integer"),
        (row.get("concurrency") is None or _positive_int(row["concurrency"]),
         "concurrency must be a positive integer"),
        (row.get("cpu") is None or isinstance(row["cpu"], str),
         'cpu must be a string such as "1"'),
        (isinstance(row["fonts"], bool), "fonts must be true or false"),
        (isinstance(row["requirements"], list) and row["requirements"]
         and all(isinstance(item, str) for item in row["requirements"]),
         "requirements must be a non-empty list of distribution names"),
    ]  # fmt: skip
    problems = [message for ok, message in checks if not ok]
    if problems:
        raise DeployError(f"{where}: " + "; ".join(problems))
    return FunctionSpec(
        name=name,
        source=str(row["source"]),
        entry_point=str(row["entry_point"]),
        trigger=row["trigger"],
        memory=row["memory"],
        timeout=row["timeout"],
        max_instances=row["max_instances"],
        requirements=tuple(row["requirements"]),
        fonts=row["fonts"],
        cpu=row.get("cpu"),
        concurrency=row.get("concurrency"),
        service_account=row.get("service_account"),
        trigger_service_account=row.get("trigger_service_account"),
    )


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def select(specs: list[FunctionSpec], only: str | None) -> list[FunctionSpec]:
    """The functions named in ``--only`` (comma-separated), kept in the table's order."""
    if not only:
        return specs
    wanted = [item.strip() for item in only.split(",") if item.strip()]
    known = {spec.name for spec in specs}
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise DeployError(
            f"--only {only!r}: unknown function(s) {', '.join(unknown) or '(none named)'}; "
            f"choose from {', '.join(spec.name for spec in specs)}"
        )
    return [spec for spec in specs if spec.name in wanted]


def pinned_dependencies(pyproject: Path = REPO_ROOT / "pyproject.toml") -> dict[str, str]:
    """Normalized name -> the requirement line exactly as ``pyproject.toml`` pins it.

    Every runtime dependency must be an exact ``==`` pin: a range would let Cloud Build resolve
    a version the tests never ran.
    """
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise DeployError(f"{pyproject}: cannot read [project] dependencies: {exc}") from None
    pins: dict[str, str] = {}
    loose = []
    for line in project.get("dependencies", []):
        match = _PIN_RE.match(line.strip())
        if match is None:
            loose.append(line)
            continue
        pins[normalize(match["name"])] = line.strip()
    if loose:
        raise DeployError(
            f"{pyproject}: these dependencies are not exact pins (name==version): "
            + ", ".join(repr(line) for line in loose)
        )
    return pins


def requirements_for(spec: FunctionSpec, pins: dict[str, str]) -> list[str]:
    """The function's requirement lines, each copied from ``pyproject.toml``."""
    missing = [name for name in spec.requirements if normalize(name) not in pins]
    if missing:
        raise DeployError(
            f"function {spec.name}: {', '.join(missing)} not among pyproject.toml's "
            f"[project] dependencies ({', '.join(sorted(pins))})"
        )
    lines = [pins[normalize(name)] for name in spec.requirements]
    return list(dict.fromkeys(lines))
