"""Faults over HTTP on the local AWS stack, ``deckpipe dev --cloud aws`` itself, started once
for the session: duplicate delivery (one PDF, one ``done``), a convert worker killed
mid-conversion (its message's visibility lapses, the next delivery takes the job over and
finishes it), and a message that SQS's redrive policy moves to the dead-letter queue (the job
fails ``delivery_failed``).

The stack runs with a short visibility timeout (8 s), lease (5 s) and redrive count (4), so
redeliveries happen within the test; everything else is as ``deckpipe dev --cloud aws`` runs.
"""

from __future__ import annotations

import io
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
from pypdf import PdfReader
from test_local_faults import slow_deck  # noqa: F401 - the fixture: 60 slides, seconds to render

from deckpipe.jobqueue import JobMessage

BUCKET, QUEUE = "deckpipe-local", "deckpipe-jobs"  # as emulators/aws_stack.py provisions them
REGION = "us-east-1"
WAIT = 180.0  # a bound on waits, never an assertion about speed
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
def aws_dev_stack(tmp_path_factory) -> Iterator[AwsDevStack]:
    """``deckpipe dev --cloud aws`` on free ports, until the session ends."""
    root = tmp_path_factory.mktemp("aws-dev")
    log = root / "stack.log"
    deckpipe = Path(sys.executable).parent / "deckpipe"
    ports = [f"--{name}-port=0" for name in ("upload", "status", "result")]
    with log.open("w") as err:
        process = subprocess.Popen([str(deckpipe), "dev", "--cloud", "aws", *ports],
                                   stdout=subprocess.PIPE, stderr=err, text=True, cwd=root,
                                   env={**os.environ, **STACK_ENV}, start_new_session=True)
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


def test_a_duplicate_delivery_gives_one_pdf_and_one_done(aws_dev_stack, make_deck):
    stack = aws_dev_stack
    job_id = stack.upload(make_deck(["Delivered twice", "Still one PDF"]), "twice.pptx")
    stack.send_duplicate(job_id)  # at-least-once: SQS may hand the same job over again
    view = stack.wait_for(job_id)
    assert view["state"] == "done", view
    stack.wait_until_queues_are_empty()  # the duplicate was received and deleted
    assert stack.done_lines(job_id) == 1
    assert stack.pdfs(job_id) == [f"results/{job_id}.pdf"]
    again = stack.status(job_id)
    assert again["attempts"] == 1 and again["updated_at"] == view["updated_at"], again


def test_a_worker_that_dies_mid_conversion_its_job_ends_done_by_the_next_delivery(
    aws_dev_stack, slow_deck  # noqa: F811 - the fixture imported above
):
    stack = aws_dev_stack
    job_id = stack.upload(slow_deck, "slow.pptx")
    stack.wait_for(job_id, check=lambda v: v["state"] == "processing"
                   and (v["progress"] or {}).get("done", 0) >= 3)
    victim = stack.convert_worker()
    os.kill(victim, signal.SIGKILL)  # the conversion child follows it (PDEATHSIG)

    view = stack.wait_for(job_id)
    assert view["state"] == "done", view
    assert view["attempts"] == 2  # the dead worker's attempt, then the one that finished
    assert stack.convert_worker() != victim  # the stack started another
    assert stack.done_lines(job_id) == 1
    assert stack.pdfs(job_id) == [f"results/{job_id}.pdf"]
    pdf = requests.get(view["result_url"], timeout=30)  # 303, followed to moto's S3
    assert pdf.status_code == 200, pdf.text
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 60
    stack.wait_until_queues_are_empty()


def test_a_message_past_the_redrive_count_fails_its_job_through_the_dead_letter_queue(
    aws_dev_stack, make_deck
):
    stack = aws_dev_stack
    worker = stack.convert_worker()
    os.kill(worker, signal.SIGSTOP)  # the stack's consumer holds still ...
    try:
        time.sleep(2.5)  # ... after its long poll in flight (1 s) has come back empty
        job_id = stack.upload(make_deck(["Never converted"]), "lost.pptx")
        for _ in range(4):  # four consumers took it and vanished: the redrive count is 4
            taken = stack.sqs.receive_message(QueueUrl=stack.queue_url, VisibilityTimeout=0,
                                              WaitTimeSeconds=1).get("Messages", [])
            assert [json.loads(m["Body"])["job_id"] for m in taken] == [job_id]
        assert stack.status(job_id)["state"] == "queued"
    finally:
        os.kill(worker, signal.SIGCONT)
    # The worker's next receive makes SQS move the message to the dead-letter queue, whose
    # event source mapping hands it to convert: the job fails, it is not converted.
    view = stack.wait_for(job_id)
    assert view["state"] == "failed" and view["error"]["code"] == "delivery_failed", view
    stack.wait_until_queues_are_empty()
    assert stack.pdfs(job_id) == [] and stack.done_lines(job_id) == 0
