"""The local stack against the real emulators, with throwaway functions standing in for ours.

Every test that starts processes also checks they are gone afterwards: a leaked emulator
holds its port and breaks the next run in a way that is hard to trace back.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from google.cloud import firestore
from google.pubsub_v1 import PublisherClient
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.types import PubsubMessage

from deckpipe_emulators import wiring
from deckpipe_emulators.processes import free_ports, group_members
from deckpipe_emulators.stack import DEFAULT_PORTS, LocalStack, StackConfig, StackError
from deckpipe_emulators.supervisor import Supervisor

REPO_ROOT = Path(__file__).resolve().parents[1]

HTTP_FUNCTION = """
import os

import functions_framework


@functions_framework.http
def {name}(request):
    if request.path == "/healthz":
        return {{"ok": True}}
    return {{"name": "{name}", "probe": os.environ.get("DECKPIPE_PROBE")}}
"""

# Records every delivery; fails (HTTP 500) messages marked `fail` unless they come from the
# dead-letter topic, so the test can watch the dead-letter policy route them back.
CONVERT_FUNCTION = """
import json
import os

import functions_framework


@functions_framework.cloud_event
def convert(event):
    record = {"attributes": dict(event.get_attributes()), "data": event.data}
    with open(os.environ["RECORD_FILE"], "a") as records:
        records.write(json.dumps(record, default=str) + "\\n")
    attributes = event.data["message"].get("attributes", {})
    if attributes.get("fail") and not event["source"].endswith("-dead-letter"):
        raise RuntimeError("failing on purpose")
"""


@pytest.fixture(scope="module")
def functions_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("functions")
    for name in ("upload", "status", "result"):
        write_function(root, name, HTTP_FUNCTION.format(name=name))
    write_function(root, "convert", CONVERT_FUNCTION)
    return root


def write_function(root: Path, name: str, source: str) -> None:
    (root / name).mkdir(exist_ok=True)
    (root / name / "main.py").write_text(textwrap.dedent(source))


def free_port_config(functions_dir: Path, log_dir: Path, **overrides: object) -> StackConfig:
    ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
    config = StackConfig(ports=ports, functions_dir=functions_dir, log_dir=log_dir)
    for name, value in overrides.items():
        setattr(config, name, value)
    return config


@pytest.fixture(scope="module")
def shared_stack(
    functions_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """One stack for the tests that only use it; the shortest backoffs the emulator allows."""
    records = tmp_path_factory.mktemp("records") / "events.jsonl"
    config = free_port_config(
        functions_dir,
        tmp_path_factory.mktemp("logs"),
        env={"RECORD_FILE": str(records), "DECKPIPE_PROBE": "from-config"},
        retry_min_backoff=0.1,
        retry_max_backoff=0.2,
    )
    with LocalStack(config) as stack:
        # The emulator redelivers no faster than about 1, 2, 3, 3 s whatever the retry policy,
        # so dead-lettering takes ~12 s: start it now and check it in the last test.
        publish(stack, config.topic, b"poison", case="dead-letter", fail="1")
        yield stack
    assert_all_gone(stack.process_groups())


def recorded_events(stack: LocalStack) -> list[dict]:
    path = Path(stack.config.env["RECORD_FILE"])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def events_for_case(stack: LocalStack, case: str) -> list[dict]:
    return [
        event
        for event in recorded_events(stack)
        if event["data"]["message"].get("attributes", {}).get("case") == case
    ]


def publish(stack: LocalStack, topic: str, data: bytes, **attributes: str) -> str:
    address = f"{stack.config.host}:{stack.config.ports['pubsub']}"
    channel = grpc.insecure_channel(address)
    try:
        publisher = PublisherClient(transport=PublisherGrpcTransport(channel=channel))
        response = publisher.publish(
            topic=f"projects/{stack.config.project}/topics/{topic}",
            messages=[PubsubMessage(data=data, attributes=attributes)],
        )
        return response.message_ids[0]
    finally:
        channel.close()


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def assert_all_gone(groups: dict[str, int]) -> None:
    survivors = {name: group_members(pgid) for name, pgid in groups.items()}
    assert not any(survivors.values()), f"processes left running: {survivors}"


def http_get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


# -- the shared stack -----------------------------------------------------------------------


def test_functions_get_the_stack_environment(shared_stack: LocalStack) -> None:
    answer = http_get_json(shared_stack.urls["upload"] + "/anything")
    assert answer == {"name": "upload", "probe": "from-config"}
    env = shared_stack.function_env()
    assert env["STORAGE_EMULATOR_HOST"] == shared_stack.urls["storage"]
    assert env["DECKPIPE_STATUS_URL"] == shared_stack.urls["status"]
    assert env["DECKPIPE_BUCKET"] == shared_stack.config.bucket


def test_published_message_is_pushed_to_convert(shared_stack: LocalStack) -> None:
    config = shared_stack.config
    message_id = publish(shared_stack, config.topic, b'{"job": "j1"}', case="push")
    wait_for(lambda: events_for_case(shared_stack, "push"), 10, "the push to convert")
    [event] = events_for_case(shared_stack, "push")
    attributes, data = event["attributes"], event["data"]
    assert (
        attributes["source"]
        == f"//pubsub.googleapis.com/projects/{config.project}/topics/{config.topic}"
    )
    assert attributes["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert attributes["id"] == message_id
    assert data["message"]["data"] == "eyJqb2IiOiAiajEifQ=="  # base64 of the payload
    # Functions Framework keeps only the message: the push body's `subscription` is dropped.
    assert "subscription" not in data


def test_reset_empties_firestore_and_the_bucket_but_keeps_it(
    shared_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in shared_stack.client_env().items():
        monkeypatch.setenv(name, value)
    config = shared_stack.config
    documents = firestore.Client(project=config.project).collection("jobs")
    documents.document("j1").set({"state": "queued"})
    storage = wiring.storage_client(shared_stack.urls["storage"], config.project)
    storage.bucket(config.bucket).blob("uploads/j1.pptx").upload_from_string(b"deck")

    shared_stack.reset()

    assert not documents.document("j1").get().exists
    assert list(storage.list_blobs(config.bucket)) == []
    assert storage.lookup_bucket(config.bucket) is not None


# -- supervision ----------------------------------------------------------------------------


def supervise_until(supervisor: Supervisor, kind: str, service: str, timeout: float) -> None:
    """Run the supervisor's passes until it reports `kind` for `service`."""

    def seen() -> bool:
        supervisor.check()
        return any(e.kind == kind and e.service == service for e in supervisor.events)

    wait_for(seen, timeout, f"{service} {kind}")


def test_killed_function_is_restarted(shared_stack: LocalStack) -> None:
    lines: list[str] = []
    supervisor = Supervisor(shared_stack, report=lines.append, first_delay=0.1)
    old = shared_stack.processes()["status"]
    log_before = old.log_path.read_bytes()
    os.kill(old.pgid, signal.SIGKILL)  # the server's main process; its worker follows
    supervise_until(supervisor, "restarted", "status", 60)
    new = shared_stack.processes()["status"]
    assert new.pgid != old.pgid
    assert not group_members(old.pgid)
    assert http_get_json(shared_stack.urls["status"] + "/anything")["name"] == "status"
    assert lines[0].startswith("status exited with code -9; restarting it in 0.1 s")
    assert lines[1:] == ["status restarted"]  # a function holds no state: nothing more said
    assert new.log_path.read_bytes().startswith(log_before)  # appended to, not truncated


def test_killed_reaper_timer_is_restarted_and_loses_nothing(shared_stack: LocalStack) -> None:
    supervisor = Supervisor(shared_stack, report=lambda line: None, first_delay=0.1)
    os.kill(shared_stack.processes()["reaper"].pgid, signal.SIGKILL)
    supervise_until(supervisor, "restarted", "reaper", 60)
    assert [event.kind for event in supervisor.events] == ["exited", "restarted"]


def test_killed_emulator_is_restarted_empty_reprovisioned_and_said_so(
    shared_stack: LocalStack,
) -> None:
    config = shared_stack.config
    storage = wiring.storage_client(shared_stack.urls["storage"], config.project)
    storage.bucket(config.bucket).blob("inputs/before.pptx").upload_from_string(b"deck")
    lines: list[str] = []
    supervisor = Supervisor(shared_stack, report=lines.append, first_delay=0.1)
    os.killpg(shared_stack.process_groups()["storage"], signal.SIGKILL)
    supervise_until(supervisor, "state_lost", "storage", 60)
    # Provisioning ran again: the bucket exists, and it is empty.
    assert storage.lookup_bucket(config.bucket) is not None
    assert list(storage.list_blobs(config.bucket)) == []
    [lost] = [line for line in lines if "in-memory state is gone" in line]
    assert lost.startswith("storage emulator restarted EMPTY")
    assert "every deck and PDF stored before it died is gone" in lost


def test_restart_backs_off_while_a_child_keeps_dying(shared_stack: LocalStack) -> None:
    supervisor = Supervisor(shared_stack, report=lambda line: None, first_delay=0.2)
    for _ in range(2):
        os.kill(shared_stack.processes()["result"].pgid, signal.SIGKILL)
        supervise_until(supervisor, "restarted", "result", 60)
        supervisor.events.clear()
    os.kill(shared_stack.processes()["result"].pgid, signal.SIGKILL)
    wait_for(lambda: supervisor.check() or supervisor.events, 10, "the third exit")
    assert "restarting it in 0.8 s (restart 3 in a row)" in supervisor.events[0].message
    supervise_until(supervisor, "restarted", "result", 60)


# -- start, stop, failures ------------------------------------------------------------------


def test_start_and_stop_leave_no_process(functions_dir: Path, tmp_path: Path) -> None:
    stack = LocalStack(free_port_config(functions_dir, tmp_path / "logs"))
    stack.start()
    try:
        groups = stack.process_groups()
        assert set(groups) == {*DEFAULT_PORTS, "reaper"}
        # The Firestore launcher is a shell script that forks java: the group holds both.
        assert len(group_members(groups["firestore"])) >= 2
        assert http_get_json(stack.urls["status"] + "/healthz") == {"ok": True}
        assert sorted(path.name for path in (tmp_path / "logs").iterdir()) == sorted(
            f"{name}.log" for name in (*DEFAULT_PORTS, "reaper")
        )
    finally:
        stack.stop()
    assert_all_gone(groups)
    stack.stop()  # idempotent


def test_taken_port_names_the_service_and_the_override(functions_dir: Path, tmp_path: Path) -> None:
    config = free_port_config(functions_dir, tmp_path / "logs")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", config.ports["firestore"]))
        squatter.listen()
        stack = LocalStack(config)
        with pytest.raises(StackError) as raised:
            stack.start()
    message = str(raised.value)
    assert f"port {config.ports['firestore']} (firestore) is already in use" in message
    assert "--firestore-port / DECKPIPE_FIRESTORE_PORT" in message
    assert stack.process_groups() == {}
    stack.stop()


def test_missing_sdk_emulators_say_what_to_install(
    functions_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECKPIPE_GCLOUD_SDK", str(tmp_path / "no-sdk"))
    stack = LocalStack(free_port_config(functions_dir, tmp_path / "logs"))
    with pytest.raises(StackError, match="cloud-firestore-emulator and pubsub-emulator") as raised:
        stack.start()
    assert "install" in str(raised.value)
    assert stack.process_groups() == {}


def test_function_crashing_at_import_stops_start_up(functions_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "functions"
    shutil.copytree(functions_dir, broken)
    write_function(broken, "upload", 'raise RuntimeError("DECKPIPE_BUCKET is not configured")\n')
    stack = LocalStack(free_port_config(broken, tmp_path / "logs"))
    with pytest.raises(StackError) as raised:
        stack.start()
    message = str(raised.value)
    assert message.startswith("upload exited with code")
    assert "RuntimeError: DECKPIPE_BUCKET is not configured" in message
    groups = stack.process_groups()
    assert {"storage", "firestore", "pubsub", "upload"} <= set(groups)
    assert_all_gone(groups)


# -- deckpipe dev ---------------------------------------------------------------------------


def test_dev_command_prints_urls_and_stops_on_sigterm(functions_dir: Path, tmp_path: Path) -> None:
    ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
    argv = [sys.executable, "-m", "deckpipe_emulators", "--functions-dir", str(functions_dir)]
    argv += ["--log-dir", str(tmp_path / "logs")]
    for name, port in ports.items():
        argv += [f"--{name}-port", str(port)]
    env = {**os.environ, "RECORD_FILE": str(tmp_path / "events.jsonl")}
    dev = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        banner = read_until(dev, "Ctrl-C stops everything.", timeout=60)
        for name, port in ports.items():
            assert f"http://127.0.0.1:{port}" in banner, name
        assert f"curl -F file=@deck.pptx http://127.0.0.1:{ports['upload']}/" in banner
        assert f"open the upload page:  http://127.0.0.1:{ports['upload']}/" in banner
        groups = child_process_groups(dev.pid)
        assert len(groups) == len(DEFAULT_PORTS) + 1  # and the reaper's timer
        assert http_get_json(f"http://127.0.0.1:{ports['result']}/healthz") == {"ok": True}
        # A child killed under `deckpipe dev` is restarted, and the stack stays up.
        result_group = next(g for g in groups if str(ports["result"]) in _cmdline(g))
        os.kill(result_group, signal.SIGKILL)
        wait_for(
            lambda: result_group not in child_process_groups(dev.pid)
            and len(child_process_groups(dev.pid)) == len(groups),
            60, "the result function to be restarted",
        )
        wait_for(
            lambda: _answers(f"http://127.0.0.1:{ports['result']}/healthz"), 30, "result again"
        )
        groups |= child_process_groups(dev.pid)
        dev.send_signal(signal.SIGTERM)
        dev.send_signal(signal.SIGINT)  # a second signal (Ctrl-C twice, make passing it on)
        assert dev.wait(timeout=30) == 0
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()
    stderr = dev.stderr.read()
    assert "Traceback" not in stderr
    assert "deckpipe dev: result exited with code -9; restarting it" in stderr
    assert "deckpipe dev: result restarted" in stderr
    assert_all_gone({str(pgid): pgid for pgid in groups})


def read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """Read the process's stdout until a line contains marker (a reader thread keeps it timed)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    seen, deadline = [], time.monotonic() + timeout
    while not any(marker in line for line in seen):
        try:
            seen.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            raise AssertionError(
                f"no {marker!r} within {timeout} s; got {''.join(seen)!r}"
            ) from None
    return "".join(seen)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _answers(url: str) -> bool:
    try:
        http_get_json(url)
    except OSError:
        return False
    return True


def child_process_groups(parent: int) -> set[int]:
    """Process groups led by the direct children of `parent`."""
    children = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and int(fields[1]) == parent:
            children.add(int(fields[2]))
    return children


# -- the pytest plugin ----------------------------------------------------------------------

PLUGIN_CONFTEST = """
from pathlib import Path

import pytest

pytest_plugins = ["deckpipe_emulators.pytest_plugin"]


@pytest.fixture(scope="session")
def stack_functions_dir():
    return Path({functions_dir!r})


@pytest.fixture(scope="session")
def stack_function_env():
    return {{"DECKPIPE_PROBE": "from-conftest", "RECORD_FILE": {record_file!r}}}
"""

PLUGIN_TEST = """
import json
import os
import urllib.request

from google.cloud import firestore


def test_first(stack):
    assert os.environ["FIRESTORE_EMULATOR_HOST"] == stack.client_env()["FIRESTORE_EMULATOR_HOST"]
    firestore.Client().collection("jobs").document("a").set({"n": 1})
    with urllib.request.urlopen(stack.urls["status"] + "/x") as response:
        assert json.load(response)["probe"] == "from-conftest"


def test_second_starts_clean(stack):
    assert not firestore.Client().collection("jobs").document("a").get().exists
"""


def test_pytest_plugin_fixtures(functions_dir: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text(
        PLUGIN_CONFTEST.format(
            functions_dir=str(functions_dir), record_file=str(tmp_path / "events.jsonl")
        )
    )
    (project / "test_uses_stack.py").write_text(PLUGIN_TEST)
    env = {key: value for key, value in os.environ.items() if not key.endswith("_EMULATOR_HOST")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


# -- last, so the emulator's slow redeliveries overlap the tests above ----------------------


def test_failing_message_is_dead_lettered_back_to_convert(shared_stack: LocalStack) -> None:
    """The message published when the shared stack started fails until dead-lettered."""
    config = shared_stack.config

    def dead_lettered() -> list[dict]:
        return [
            event
            for event in events_for_case(shared_stack, "dead-letter")
            if event["attributes"]["source"].endswith(f"/topics/{config.dead_letter_topic}")
        ]

    wait_for(dead_lettered, 30, "the dead-letter delivery")
    attempts = len(events_for_case(shared_stack, "dead-letter")) - len(dead_lettered())
    assert attempts >= config.max_delivery_attempts
