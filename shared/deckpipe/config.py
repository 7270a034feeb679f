"""Settings, read once from the environment into one typed, validated object.

This module is the only place that reads environment variables. A function
builds its ``Settings`` at cold start, so a broken configuration stops the
instance before it serves anything, with a message that names the setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

MIB = 1 << 20

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_TOPIC_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._~%+-]{2,254}$")
_ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_S3_BUCKET_RE = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_SQS_URL_RE = re.compile(r"^https?://[^/\s]+/[0-9]{12}/[A-Za-z0-9_-]{1,80}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")


@dataclass(frozen=True)
class Settings:
    """Everything a deckpipe function needs to know about its deployment."""

    # Required for the google backend only (see load_settings); the local service
    # derives its URLs from the address it serves on.
    project: str = ""
    bucket: str = ""
    topic: str = ""
    status_url: str = ""
    result_url: str = ""
    upload_url: str | None = None
    allowed_origins: tuple[str, ...] = ()
    retention_days: int = 7
    backend: str = "google"
    data_dir: str = ".deckpipe/data"  # the local backend's database and files
    public_url: str | None = None  # deckpipe serve's origin as clients see it (behind a proxy)
    max_upload_bytes: int = 100 * MIB
    lease_seconds: float = 120.0
    max_attempts: int = 5
    max_event_age_seconds: float = 3600.0
    progress_interval_seconds: float = 1.0
    upload_chunk_bytes: int = 8 * MIB
    # Direct transfer, where the backend has a bucket: the page sends decks of at least
    # direct_upload_bytes straight to storage (Cloud Run refuses requests over 32 MiB,
    # Lambda over 6 MB); upload and download links live this long; result redirects to
    # a signed link ("redirect") or streams the PDF through the function ("stream").
    direct_upload_bytes: int = 4 * MIB
    upload_url_seconds: float = 900.0
    download_url_seconds: float = 300.0
    result_delivery: str = "redirect"
    log_level: str = "INFO"
    # The reaper: a queued job untouched this long is published again, at most
    # max_requeues times; any job older than max_event_age_seconds is failed.
    requeue_after_seconds: float = 300.0
    max_requeues: int = 3
    # Each conversion runs in a forked child ("process") with these bounds, so a
    # runaway deck fails its job, never the instance; "inline" is for debugging.
    render_isolation: str = "process"
    render_memory_mib: int = 640
    render_timeout_seconds: float = 300.0
    slide_timeout_seconds: float = 60.0
    # The aws backend (S3, DynamoDB, SQS); DECKPIPE_BUCKET names its S3 bucket.
    dynamodb_table: str = ""
    sqs_queue_url: str = ""
    sqs_dead_letter_url: str = ""
    aws_region: str = ""
    aws_endpoint_url: str | None = None  # one endpoint for every AWS client (moto, locally)

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.topic}-dead-letter"

    @property
    def uploads_topic(self) -> str:
        """The bucket's object-finalize notifications (direct uploads) are published here."""
        return f"{self.topic}-uploads"

    @property
    def reaper_topic(self) -> str:
        """Cloud Scheduler publishes here every few minutes; the reaper function listens."""
        return f"{self.topic}-reaper"

    @property
    def cors_origins(self) -> frozenset[str]:
        """Browser origins the functions answer cross-origin requests for.

        The upload function's own origin is always among them when its URL is
        known, because the page it serves calls status on another origin.
        """
        origins = set(self.allowed_origins)
        if self.upload_url:
            origins.add(origin_of(self.upload_url))
        return frozenset(origins)

    def status_url_for(self, job_id: str) -> str:
        return f"{self.status_url.rstrip('/')}/{job_id}"

    def result_url_for(self, job_id: str) -> str:
        return f"{self.result_url.rstrip('/')}/{job_id}"


# name -> (environment variable, parser, required)
_ENV: dict[str, tuple[str, Callable[[str, str], Any], bool]] = {}


def _text(pattern: re.Pattern[str] | None, expects: str) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        value = raw.strip()
        if not value or (pattern is not None and not pattern.match(value)):
            raise ConfigError(f"{var}={raw!r} is not valid: expected {expects}")
        return value

    return parse


def _url(var: str, raw: str) -> str:
    value = raw.strip()
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ConfigError(f"{var}={raw!r} is not valid: expected an http(s) URL")
    return value.rstrip("/")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL, as browsers send it in ``Origin``."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _origins(var: str, raw: str) -> tuple[str, ...]:
    origins = tuple(item.strip().rstrip("/") for item in raw.split(",") if item.strip())
    for origin in origins:
        if origin != "*" and not _ORIGIN_RE.match(origin):
            raise ConfigError(
                f"{var}={raw!r} is not valid: expected comma-separated origins such as "
                f"https://decks.example.com (scheme and host, no path), or *; got {origin!r}"
            )
    return tuple(origin.lower() for origin in origins)


def _number(kind: type, minimum: float, expects: str) -> Callable[[str, str], Any]:
    def parse(var: str, raw: str) -> Any:
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ConfigError(f"{var}={raw!r} is not valid: expected {expects}") from None
        if value < minimum:
            raise ConfigError(f"{var}={raw!r} is not valid: expected {expects}")
        return value

    return parse


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ConfigError(
                f"{var}={raw!r} is not valid: expected one of {', '.join(options)}"
            )
        return value

    return parse


_ENV.update(
    project=("GOOGLE_CLOUD_PROJECT", _text(_PROJECT_RE, "a Google Cloud project id"), True),
    bucket=("DECKPIPE_BUCKET", _text(_BUCKET_RE, "a Cloud Storage bucket name"), True),
    topic=("DECKPIPE_TOPIC", _text(_TOPIC_RE, "a Pub/Sub topic id"), True),
    status_url=("DECKPIPE_STATUS_URL", _url, True),
    result_url=("DECKPIPE_RESULT_URL", _url, True),
    upload_url=("DECKPIPE_UPLOAD_URL", _url, False),
    allowed_origins=("DECKPIPE_ALLOWED_ORIGINS", _origins, False),
    retention_days=(
        "DECKPIPE_RETENTION_DAYS", _number(int, 1, "a whole number of days, at least 1"), False
    ),
    backend=("DECKPIPE_BACKEND", _choice("google", "memory", "local", "aws"), False),
    data_dir=("DECKPIPE_DATA_DIR", _text(None, "a directory path"), False),
    public_url=("DECKPIPE_PUBLIC_URL", _url, False),
    max_upload_bytes=(
        "DECKPIPE_MAX_UPLOAD_BYTES", _number(int, 1, "a positive number of bytes"), False
    ),
    lease_seconds=("DECKPIPE_LEASE_SECONDS", _number(float, 1, "seconds, at least 1"), False),
    max_attempts=("DECKPIPE_MAX_ATTEMPTS", _number(int, 1, "an integer, at least 1"), False),
    max_event_age_seconds=(
        "DECKPIPE_MAX_EVENT_AGE_SECONDS", _number(float, 1, "seconds, at least 1"), False
    ),
    progress_interval_seconds=(
        "DECKPIPE_PROGRESS_INTERVAL_SECONDS", _number(float, 0, "seconds, 0 or more"), False
    ),
    upload_chunk_bytes=(
        "DECKPIPE_UPLOAD_CHUNK_BYTES",
        _number(int, 256 * 1024, "bytes, a multiple of 262144"),
        False,
    ),
    direct_upload_bytes=(
        "DECKPIPE_DIRECT_UPLOAD_BYTES", _number(int, 1, "a positive number of bytes"), False
    ),
    upload_url_seconds=(
        "DECKPIPE_UPLOAD_URL_SECONDS", _number(float, 10, "seconds, at least 10"), False
    ),
    download_url_seconds=(
        "DECKPIPE_DOWNLOAD_URL_SECONDS", _number(float, 10, "seconds, at least 10"), False
    ),
    result_delivery=("DECKPIPE_RESULT_DELIVERY", _choice("redirect", "stream"), False),
    log_level=("DECKPIPE_LOG_LEVEL", _choice("debug", "info", "warning", "error"), False),
    requeue_after_seconds=(
        "DECKPIPE_REQUEUE_AFTER_SECONDS", _number(float, 1, "seconds, at least 1"), False
    ),
    max_requeues=("DECKPIPE_MAX_REQUEUES", _number(int, 0, "an integer, 0 or more"), False),
    render_isolation=("DECKPIPE_RENDER_ISOLATION", _choice("process", "inline"), False),
    render_memory_mib=(
        "DECKPIPE_RENDER_MEMORY_MIB", _number(int, 64, "MiB, at least 64"), False
    ),
    render_timeout_seconds=(
        "DECKPIPE_RENDER_TIMEOUT_SECONDS", _number(float, 1, "seconds, at least 1"), False
    ),
    slide_timeout_seconds=(
        "DECKPIPE_SLIDE_TIMEOUT_SECONDS", _number(float, 1, "seconds, at least 1"), False
    ),
    dynamodb_table=("DECKPIPE_DYNAMODB_TABLE", _text(_TABLE_RE, "a DynamoDB table name"), False),
    sqs_queue_url=("DECKPIPE_SQS_QUEUE_URL", _text(_SQS_URL_RE, "an SQS queue URL"), False),
    sqs_dead_letter_url=(
        "DECKPIPE_SQS_DLQ_URL", _text(_SQS_URL_RE, "an SQS queue URL"), False
    ),
    aws_region=("AWS_REGION", _text(_REGION_RE, "an AWS region such as eu-west-1"), False),
    aws_endpoint_url=("DECKPIPE_AWS_ENDPOINT_URL", _url, False),
)

# Required by the aws backend (the "required" flag above is the google backend's).
_AWS_REQUIRED = ("bucket", "status_url", "result_url", "dynamodb_table", "sqs_queue_url",
                 "sqs_dead_letter_url", "aws_region")


def load_settings(
    environ: Mapping[str, str] | None = None, *, default_backend: str = "google"
) -> Settings:
    """Build ``Settings`` from ``environ`` (default ``os.environ``) or raise ``ConfigError``.

    Every problem is collected, so one failed start names all of them. Settings
    marked required are required by the google backend only. ``DECKPIPE_BACKEND``
    wins over ``default_backend``, which is the entry point's own: a Cloud Function
    is google (never quietly keeping jobs on an instance's disk), ``deckpipe serve``
    is local.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {"backend": default_backend}
    problems: list[str] = []
    backend = chosen_backend(env, default_backend)
    for field in fields(Settings):
        var, parse, required = _ENV[field.name]
        if field.name == "aws_region" and backend != "aws":
            continue  # AWS's own variable: another backend must not fail on its value
        raw = env.get(var)
        if raw is None or raw == "":
            if (required and backend == "google") or (
                backend == "aws" and field.name in _AWS_REQUIRED
            ):
                problems.append(f"{var} is not set: expected {_describe(field.name)}")
            continue
        try:
            values[field.name] = parse(var, raw)
        except ConfigError as exc:
            problems.append(exc.message)
    if "upload_chunk_bytes" in values and values["upload_chunk_bytes"] % (256 * 1024):
        problems.append(
            f"DECKPIPE_UPLOAD_CHUNK_BYTES={values['upload_chunk_bytes']} is not valid: "
            "expected a multiple of 262144"
        )
    for name, var in (("upload_url_seconds", "DECKPIPE_UPLOAD_URL_SECONDS"),
                      ("download_url_seconds", "DECKPIPE_DOWNLOAD_URL_SECONDS")):
        if values.get(name, 0) > 7 * 86400:  # the longest a V4 signature may live
            problems.append(f"{var}={values[name]:g} is not valid: expected at most 604800 "
                            "seconds (7 days)")
    bucket = values.get("bucket", "")
    if backend == "aws" and bucket and not _S3_BUCKET_RE.match(bucket):
        problems.append(f"DECKPIPE_BUCKET={bucket!r} is not valid: expected an S3 bucket name "
                        "(3-63 lowercase letters, digits, dots and hyphens)")
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems))
    if "log_level" in values:
        values["log_level"] = values["log_level"].upper()
    return Settings(**values)


def chosen_backend(environ: Mapping[str, str] | None = None, default: str = "google") -> str:
    """The backend ``DECKPIPE_BACKEND`` names (lower case), or ``default``; not validated."""
    env = os.environ if environ is None else environ
    return (env.get("DECKPIPE_BACKEND") or default).strip().lower()


def _describe(name: str) -> str:
    return {
        "project": "the Google Cloud project id",
        "bucket": "the Cloud Storage bucket for decks and PDFs",
        "topic": "the Pub/Sub topic id that carries conversion jobs",
        "status_url": "the public base URL of the status function",
        "result_url": "the public base URL of the result function",
        "dynamodb_table": "the DynamoDB table for jobs and idempotency keys",
        "sqs_queue_url": "the URL of the SQS queue that carries conversion jobs",
        "sqs_dead_letter_url": "the URL of that queue's dead-letter queue",
        "aws_region": "the AWS region (Lambda sets it)",
    }[name]


@dataclass(frozen=True)
class EmulatorHosts:
    """Where the local emulators are, from the variables the Google clients honour themselves.

    The functions never need this (their clients read the variables); tools that
    must tell an emulator from Google Cloud, such as ``deckpipe provision``, do.
    """

    storage: str | None = None
    pubsub: str | None = None
    firestore: str | None = None


def load_emulator_hosts(environ: Mapping[str, str] | None = None) -> EmulatorHosts:
    env = os.environ if environ is None else environ
    storage = env.get("STORAGE_EMULATOR_HOST") or None
    if storage and "://" not in storage:
        storage = "http://" + storage
    return EmulatorHosts(
        storage=storage,
        pubsub=env.get("PUBSUB_EMULATOR_HOST") or None,
        firestore=env.get("FIRESTORE_EMULATOR_HOST") or None,
    )


def settings_environment() -> dict[str, str]:
    """Variable name -> field name, for documentation and tests."""
    return {var: name for name, (var, _, _) in _ENV.items()}


# --- environment files ----------------------------------------------------------------
# Tools (deploy, provision) read the deployment's settings from one YAML file, the same
# file gcloud gives the functions. PyYAML is a tool dependency, not a function's: it is
# imported only here, when a file is read.


def _yaml():
    try:
        import yaml
    except ImportError:
        raise ConfigError(
            "reading an environment file needs PyYAML: pip install -e '.[dev]'"
        ) from None
    return yaml


def _unique_key_loader():
    yaml = _yaml()

    class UniqueKeyLoader(yaml.SafeLoader):
        """PyYAML's safe loader, except that a name given twice is an error, not "last wins"."""

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key} is set twice", key_node.start_mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep)

    return UniqueKeyLoader


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_env_text(text: str, where: str = "<env>") -> dict[str, str]:
    """Flat ``NAME: value`` YAML into a dict of text, or ``ConfigError`` saying what is wrong."""
    yaml = _yaml()
    try:
        data = yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not a valid environment file: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected NAME: value lines, got a YAML {type(data).__name__}")
    values: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ConfigError(f"{where}: {name!r} is not an environment variable name")
        if isinstance(value, dict | list):
            raise ConfigError(
                f"{where}: {name} has a nested value; environment variables are plain text "
                "(put a value with brackets or colons in double quotes)"
            )
        if isinstance(value, bool):
            values[name] = "true" if value else "false"
        else:
            values[name] = "" if value is None else str(value)
    return values


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of an environment file, or ``ConfigError`` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the environment file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_env_text(text, str(path))
