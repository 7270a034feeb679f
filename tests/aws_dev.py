"""``deckpipe dev --cloud aws`` itself, started once for the session (``aws_dev_stack``), for
the tests over HTTP and in the browser on the local AWS stack: its URLs, its log, and clients of
its moto. conftest.py imports the fixture, so every module shares one stack.

The stack runs with a short visibility timeout (8 s), lease (5 s) and redrive count (4), so the
fault tests see redeliveries within the test; with the test stacks' upload limit
(``STACK_MAX_UPLOAD``, so the page reads the same limit on every stack); and allowing the
session's static site as a page origin. Everything else is as ``deckpipe dev --cloud aws`` runs:
decks of 4 MiB or more go straight to moto's S3 under a presigned POST, and ``result`` answers
303 to a presigned GET.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from tests_support import STACK_MAX_UPLOAD

from deckpipe.jobqueue import JobMessage

BUCKET, QUEUE = "deckpipe-local", "deckpipe-jobs"  # as emulators/aws_stack.py provisions them
REGION = "us-east-1"
WAIT = 180.0  # a bound on waits, never an assertion about speed
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
STACK_ENV = {
    "DECKPIPE_MOTO_PORT": "0",
    "DECKPIPE_MOTO_VISIBILITY_SECONDS": "8",
    "DECKPIPE_MOTO_MAX_RECEIVES": "4",
    "DECKPIPE_LEASE_SECONDS": "5",
    "DECKPIPE_PROGRESS_INTERVAL_SECONDS": "0.2",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
}


class AwsDevStack:
    """The running ``deckpipe dev --cloud aws``: its URLs, log, and clients of its moto."""

    def __init__(self, process: subprocess.Popen, urls: dict[str, str], log: Path,
                 stdout: Path) -> None:
        self.process, self.urls, self.log, self.stdout = process, urls, log, stdout
        connect = {"region_name": REGION, "endpoint_url": urls["moto"],
                   "aws_access_key_id": "local", "aws_secret_access_key": "local"}
        self.sqs, self.s3 = boto3.client("sqs", **connect), boto3.client("s3", **connect)
        self.queue_url = self.sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
        self.dead_letter_url = self.sqs.get_queue_url(QueueName=f"{QUEUE}-dead-letter")[
            "QueueUrl"]

    def upload(self, deck: bytes, name: str) -> str:
        answer = requests.post(self.urls["upload"], files={"file": (name, deck)}, timeout=30)
        assert answer.status_code == 202, answer.text
        return answer.json()["job_id"]

    def status(self, job_id: str) -> dict[str, Any]:
        return requests.get(f"{self.urls['status']}/{job_id}", timeout=10).json()

    def wait_for(self, job_id: str, *, states: tuple[str, ...] = ("done", "failed"),
                 check=None) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while True:
            view = self.status(job_id)
            if (check or (lambda v: v["state"] in states))(view):
                return view
            assert time.monotonic() < deadline, f"gave up waiting: {view}\n{self.log_tail()}"
            time.sleep(0.1)

    def wait_until_queues_are_empty(self) -> None:
        """Every message deleted: none waiting, none in flight, on either queue."""
        deadline = time.monotonic() + WAIT
        while True:
            counts = [self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
                "Attributes"] for url in (self.queue_url, self.dead_letter_url)]
            if all(c["ApproximateNumberOfMessages"] == c["ApproximateNumberOfMessagesNotVisible"]
                   == "0" for c in counts):
                return
            assert time.monotonic() < deadline, counts
            time.sleep(0.5)

    def send_duplicate(self, job_id: str) -> None:
        body, attributes = JobMessage(job_id).encode()
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body.decode(),
                              MessageAttributes={name: {"DataType": "String", "StringValue": v}
                                                 for name, v in attributes.items()})

    def announce(self, size: int, name: str = "big.pptx", type_: str = PPTX_TYPE
                 ) -> dict[str, Any]:
        """A direct upload announced as the page does (a JSON body with the file's facts)."""
        answer = requests.post(self.urls["upload"], json={"filename": name, "size": size,
                                                          "type": type_}, timeout=30,
                               headers={"Origin": self.urls["upload"]})
        assert answer.status_code == 201, answer.text
        return answer.json()

    @staticmethod
    def post_to_bucket(target: dict[str, Any], data: bytes, name: str) -> requests.Response:
        """The page's s3-post: one form, the presigned fields first, the file last."""
        assert (target["protocol"], target["method"]) == ("s3-post", "POST"), target
        return requests.post(target["url"], data=target["fields"], timeout=120,
                             files={"file": (name, data)})

    def deck_stored(self, job_id: str) -> bool:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"inputs/{job_id}")
        return bool(listed.get("Contents"))

    def pdfs(self, job_id: str) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"results/{job_id}")
        return [item["Key"] for item in listed.get("Contents", [])]

    def done_lines(self, job_id: str) -> int:
        """How many times the job was logged "done" (a conversion that stored its PDF); the
        functions log JSON lines on standard output."""
        count = 0
        for line in self.stdout.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                count += entry.get("message") == "done" and entry.get("job_id") == job_id
        return count

    def convert_worker(self) -> int:
        """The pid of the stack's convert worker (its child running the event source
        mappings), waiting for one while the stack restarts it."""
        deadline = time.monotonic() + WAIT
        while True:
            for task in Path(f"/proc/{self.process.pid}/task").iterdir():
                for pid in (task / "children").read_text().split():
                    try:
                        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    except FileNotFoundError:
                        continue
                    if b"--convert-worker" in cmdline:
                        return int(pid)
            assert time.monotonic() < deadline, "no convert worker"
            time.sleep(0.2)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="session")
def aws_dev_stack(tmp_path_factory, static_site: tuple[str, Path]) -> Iterator[AwsDevStack]:
    """``deckpipe dev --cloud aws`` on free ports, until the session ends."""
    env = {**os.environ, **STACK_ENV, "DECKPIPE_MAX_UPLOAD_BYTES": str(STACK_MAX_UPLOAD),
           "DECKPIPE_ALLOWED_ORIGINS": static_site[0]}
    root = tmp_path_factory.mktemp("aws-dev")
    log = root / "stack.log"
    deckpipe = Path(sys.executable).parent / "deckpipe"
    ports = [f"--{name}-port=0" for name in ("upload", "status", "result")]
    with log.open("w") as err:
        process = subprocess.Popen([str(deckpipe), "dev", "--cloud", "aws", *ports],
                                   stdout=subprocess.PIPE, stderr=err, text=True, cwd=root,
                                   env=env, start_new_session=True)
    try:
        urls = None
        for line in process.stdout:
            if line.startswith("{") and '"upload"' in line:
                urls = json.loads(line)
                break
        assert urls, log.read_text()[-3000:]
        stdout = root / "stdout.log"

        def keep(lines=process.stdout, path=stdout) -> None:
            with path.open("a") as kept:
                for line in lines:
                    kept.write(line)
                    kept.flush()

        threading.Thread(target=keep, daemon=True).start()
        yield AwsDevStack(process, urls, log, stdout)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
