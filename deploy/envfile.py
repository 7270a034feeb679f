"""The deployment's one environment file: read, completed, validated, and written for gcloud.

Every function gets the same variables. They are checked with ``deckpipe.config.load_settings``
(the code every function runs at cold start) before anything is staged or deployed, so a
broken configuration stops the deploy with the message a function would have died with.

The file is YAML, read with PyYAML's safe loader, and must be flat: ``NAME: value`` pairs
whose values are plain text, numbers or booleans (each becomes text). gcloud is then given a
file written here with every value double-quoted, because
``gcloud functions deploy --env-vars-file`` rejects values YAML reads as numbers or booleans.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from deckpipe import config
from deckpipe.config import Settings, load_settings, settings_environment
from deckpipe.errors import ConfigError

from .table import DeployError, FunctionSpec

_REGION_RE = re.compile(r"^[a-z]+(-[a-z]+)+[0-9]+$")
# Set by Cloud Functions / Cloud Run themselves; gcloud or the platform refuses them.
_RESERVED = {"PORT", "K_SERVICE", "K_REVISION", "K_CONFIGURATION", "FUNCTION_TARGET",
             "FUNCTION_SIGNATURE_TYPE"}  # fmt: skip


@dataclass
class ResolvedEnv:
    """The variables every function is deployed with, and what was filled in along the way."""

    values: dict[str, str]
    settings: Settings
    notes: list[str] = field(default_factory=list)


def parse_env_text(text: str, where: str = "<env>") -> dict[str, str]:
    """``NAME: value`` pairs into a dict of text, or ``DeployError`` saying what is wrong."""
    try:
        return config.parse_env_text(text, where)
    except ConfigError as exc:
        raise DeployError(exc.message) from None


def read_env_file(path: Path) -> dict[str, str]:
    """The file's variables, or ``DeployError`` with a message fit for the command line."""
    try:
        return config.read_env_file(path)
    except ConfigError as exc:
        raise DeployError(exc.message) from None


def function_url(region: str, project: str, name: str) -> str:
    """The address Google Cloud gives a 2nd-gen HTTP function (besides its run.app one)."""
    return f"https://{region}-{project}.cloudfunctions.net/{name}"


def resolve(
    values: dict[str, str],
    *,
    region: str,
    project: str | None,
    functions: list[FunctionSpec],
    where: str = "the environment file",
) -> ResolvedEnv:
    """Check the variables, fill in what the deployment itself determines, and validate.

    ``functions`` is the whole table (not only ``--only``): a status URL is needed even when
    only ``upload`` is being redeployed.
    """
    values = dict(values)
    notes: list[str] = []
    if not _REGION_RE.match(region):
        raise DeployError(f"--region {region!r} is not a Google Cloud region such as us-central1")
    _refuse_reserved(values, where)
    configured = values.get("GOOGLE_CLOUD_PROJECT", "").strip()
    if project and configured and project != configured:
        raise DeployError(
            f"--project {project} but {where} sets GOOGLE_CLOUD_PROJECT={configured}: "
            "the functions must run in the project they are deployed to"
        )
    if project and not configured:
        values["GOOGLE_CLOUD_PROJECT"] = project
        notes.append(f"GOOGLE_CLOUD_PROJECT={project} (from --project)")
    project = values.get("GOOGLE_CLOUD_PROJECT", "").strip()
    if project:
        for spec in functions:
            variable = f"DECKPIPE_{spec.entry_point.upper()}_URL"
            if spec.is_http and variable in settings_environment() and not values.get(variable):
                values[variable] = function_url(region, project, spec.name)
                notes.append(
                    f"{variable}={values[variable]} (not set in {where}: the address Google "
                    f"Cloud gives the 2nd-gen function {spec.name} in {region})"
                )
    try:
        settings = load_settings(values)
    except ConfigError as exc:
        raise DeployError(f"{where}: {exc.message}") from None
    return ResolvedEnv(values, settings, notes)


def _refuse_reserved(values: dict[str, str], where: str) -> None:
    known = settings_environment()
    problems = []
    for name in values:
        if name in _RESERVED or name.startswith("X_GOOGLE_"):
            problems.append(f"{name} is set by Google Cloud itself and cannot be deployed")
        elif name.endswith("_EMULATOR_HOST"):
            problems.append(f"{name} would point the deployed functions at a local emulator")
        elif name.startswith("DECKPIPE_") and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{name} is not a deckpipe setting{hint}")
    backend = values.get("DECKPIPE_BACKEND", "google").strip().lower()
    if backend not in ("", "google"):
        problems.append(
            f"DECKPIPE_BACKEND={values['DECKPIPE_BACKEND']!r}: deployed functions share state "
            "through Google Cloud, so the backend must be google"
        )
    if problems:
        raise DeployError(f"{where}: " + "; ".join(problems))


def render_env_file(values: dict[str, str], origin: str) -> str:
    """The YAML gcloud reads: plain names, every value a double-quoted string."""
    lines = [f"# Written by `deckpipe deploy` from {origin}; edit that file, not this one."]
    for name, value in values.items():
        quoted = yaml.safe_dump(str(value), default_style='"', allow_unicode=True,
                                width=float("inf")).rstrip("\n")
        lines.append(f"{name}: {quoted}")
    return "\n".join(lines) + "\n"
