"""Log lines are JSON that Cloud Logging parses, with the job id on every line of a job."""

from __future__ import annotations

import json
import logging

from deckpipe import logs


def test_json_lines_carry_severity_message_and_job_id(capsys):
    logs.configure("DEBUG")
    log = logs.get_logger("test")
    with logs.job_context("a" * 32):
        log.warning("claimed %s", "it", extra={"pages": 3})
    log.info("outside")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    inside, outside = lines[-2], lines[-1]
    assert inside["severity"] == "WARNING" and inside["message"] == "claimed it"
    assert inside["job_id"] == "a" * 32 and inside["pages"] == 3
    assert "job_id" not in outside and outside["severity"] == "INFO"


def test_exceptions_are_kept_in_the_entry(capsys):
    logs.configure("DEBUG")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("deckpipe.test").exception("failed")
    entry = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert entry["severity"] == "ERROR" and "ValueError: boom" in entry["exception"]
