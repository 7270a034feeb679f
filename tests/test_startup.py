"""Start-up tasks: done once per instance, before any request, and fatal when they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests_support import ENV

from deckpipe import runtime, web
from deckpipe_emulators.processes import free_ports

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = {"upload": "http", "status": "http", "result": "http", "convert": "cloudevent"}
GOOD = {**ENV, "DECKPIPE_BACKEND": "google", "DECKPIPE_STATUS_URL": "https://s.example",
        "DECKPIPE_RESULT_URL": "https://r.example"}


@pytest.fixture
def fresh_runtime(monkeypatch: pytest.MonkeyPatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    runtime.load.cache_clear()
    yield
    runtime.load.cache_clear()


def test_runtime_is_built_once_per_instance_and_timed(fresh_runtime) -> None:
    first = runtime.load()
    assert runtime.load() is first  # the same clients for every request
    assert set(first.startup) == {"settings", "clients"}
    assert all(seconds >= 0 for seconds in first.startup.values())


def test_health_reports_the_start_up_it_passed(fresh_runtime) -> None:
    from flask import Request
    from werkzeug.test import EnvironBuilder

    rt = runtime.load()
    request = Request(EnvironBuilder(path="/healthz").get_environ())
    answer = web.status(rt, request).get_json()
    assert answer == {"status": "ready", "startup_seconds": rt.startup}


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DECKPIPE_") and k != "GOOGLE_CLOUD_PROJECT"}
    env.update(GOOGLE_CLOUD_PROJECT="deckpipe-test", STORAGE_EMULATOR_HOST="http://127.0.0.1:9",
               FIRESTORE_EMULATOR_HOST="127.0.0.1:9", PUBSUB_EMULATOR_HOST="127.0.0.1:9")
    env.update({k: v for k, v in GOOD.items() if k != "DECKPIPE_BACKEND"})
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"DECKPIPE_BUCKET": None}, "DECKPIPE_BUCKET is not set"),
        ({"DECKPIPE_STATUS_URL": "status.example"},
         "DECKPIPE_STATUS_URL='status.example' is not valid: expected an http(s) URL"),
        ({"DECKPIPE_MAX_UPLOAD_BYTES": "lots"},
         "DECKPIPE_MAX_UPLOAD_BYTES='lots' is not valid: expected a positive number of bytes"),
    ],
    ids=["missing", "malformed-url", "malformed-limit"],
)
def test_a_broken_configuration_stops_the_function_before_it_serves(
    function: str, changes: dict[str, str | None], expected: str
) -> None:
    """The real entry point under Functions Framework: it exits at start-up, naming the
    setting, its value and what it expects, and never listens."""
    port = free_ports(1)[0]
    argv = [sys.executable, "-m", "functions_framework",
            "--source", str(REPO / "functions" / function / "main.py"), "--target", function,
            "--signature-type", FUNCTIONS[function], "--host", "127.0.0.1", "--port", str(port)]
    done = subprocess.run(argv, env=_env(**changes), capture_output=True, text=True, timeout=60,
                          cwd=REPO)
    assert done.returncode != 0
    assert "ConfigError" in done.stderr and expected in done.stderr


def test_a_part_not_loaded_says_so() -> None:
    from deckpipe.config import load_settings

    rt = runtime.build(load_settings(ENV), ("jobs",))
    with pytest.raises(RuntimeError, match="did not load 'queue' at start-up"):
        rt.queue.publish(None)
    with pytest.raises(ValueError, match="unknown runtime parts"):
        runtime.build(load_settings(ENV), ("jobs", "cache"))


EXPECTED_CLIENTS = {
    "upload": {"google.cloud.storage", "google.cloud.firestore", "google.cloud.pubsub_v1"},
    "status": {"google.cloud.firestore"},
    "result": {"google.cloud.storage", "google.cloud.firestore"},
    "convert": {"google.cloud.storage", "google.cloud.firestore"},
}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_loads_only_the_clients_it_uses(function: str) -> None:
    """Fewer imports, a faster cold start, and fewer packages to deploy with it."""
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]);"
        "print(' '.join(sorted(m for m in sys.modules if m in "
        "('google.cloud.storage', 'google.cloud.firestore', 'google.cloud.pubsub_v1'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(REPO / "functions" / function / "main.py")],
        env=_env(), capture_output=True, text=True, timeout=60, check=True, cwd=REPO,
    )
    assert set(done.stdout.splitlines()[-1].split()) == EXPECTED_CLIENTS[function]
