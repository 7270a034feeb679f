"""Faults over HTTP on the local AWS stack, ``deckpipe dev --cloud aws`` itself, started once
for the session (``aws_dev_stack`` in aws_dev.py): duplicate delivery (one PDF, one ``done``), a
convert worker killed mid-conversion (its message's visibility lapses, the next delivery takes
the job over and finishes it), and a message that SQS's redrive policy moves to the dead-letter
queue (the job fails ``delivery_failed``).

The stack runs with a short visibility timeout (8 s), lease (5 s) and redrive count (4), so
redeliveries happen within the test; everything else is as ``deckpipe dev --cloud aws`` runs.
"""

from __future__ import annotations

import io
import json
import os
import signal
import time

import requests
from pypdf import PdfReader
from test_local_faults import slow_deck  # noqa: F401 - the fixture: 60 slides, seconds to render


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
    stack.wait_until_queues_are_empty()  # the session's stack: no other test's message left
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
