"""End to end over HTTP on a local AWS stack: moto (S3, DynamoDB, SQS) provisioned as in
the cloud, the Lambda handlers behind fronts that hand them function URL events, and
convert fed by event source mappings on the queue and its dead-letter queue
(``deckpipe.awslocal``). Real corpus decks through upload, status and result; a poison
deck that fails with its code and is not redelivered."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest
import requests
from aws_moto import aws_env
from pypdf import PdfReader
from test_e2e_emulators import deck_words, pdf_text
from tests_support import visible_slide_count
from werkzeug.serving import make_server

from deckpipe import awslocal, runtime
from deckpipe.backends._aws import client

REPO = Path(__file__).resolve().parents[1]
DECKS = ["decks/poi/testPPT.pptx", "decks/shapecrawler/001.pptx"]
WAIT = 90.0


class LateApp:
    """A WSGI app set after its server started (the handlers need the servers' URLs)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def stack(moto_endpoint):
    slots = {name: LateApp() for name in ("upload", "status", "result")}
    servers = {name: make_server("127.0.0.1", 0, slot, threaded=True)
               for name, slot in slots.items()}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    urls = {name: f"http://127.0.0.1:{s.server_port}" for name, s in servers.items()}
    env = {**aws_env(moto_endpoint), "DECKPIPE_RENDER_ISOLATION": "inline",
           "DECKPIPE_UPLOAD_URL": urls["upload"], "DECKPIPE_STATUS_URL": urls["status"],
           "DECKPIPE_RESULT_URL": urls["result"]}
    stop = threading.Event()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        runtime.load.cache_clear()
        functions = {name: awslocal.load_function(
            REPO / "functions" / name / "lambda_function.py", f"local_aws_{name}")
            for name in ("upload", "status", "result", "convert")}
        for name, slot in slots.items():
            slot.app = awslocal.FunctionUrlFront(functions[name].handler, name)
        sqs = client("sqs", region=env["AWS_REGION"], endpoint_url=moto_endpoint)
        mappings = [awslocal.EventSourceMapping(sqs, env[url], functions["convert"].handler,
                                                function_name="convert",
                                                region=env["AWS_REGION"])
                    for url in ("DECKPIPE_SQS_QUEUE_URL", "DECKPIPE_SQS_DLQ_URL")]
        pollers = [threading.Thread(target=m.run, args=(stop,), daemon=True) for m in mappings]
        for poller in pollers:
            poller.start()
        try:
            yield {"urls": urls, "env": env, "sqs": sqs, "mappings": mappings,
                   "rt": functions["convert"].RUNTIME}
        finally:
            stop.set()
            for poller in pollers:
                poller.join(timeout=10)
            for server in servers.values():
                server.shutdown()
            runtime.load.cache_clear()


def upload(stack, deck: bytes, name: str) -> requests.Response:
    return requests.post(stack["urls"]["upload"], files={"file": (name, deck)}, timeout=30)


def wait_for(status_url: str) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        view = requests.get(status_url, timeout=10).json()
        if view["state"] in ("done", "failed"):
            return view
        time.sleep(0.3)
    raise AssertionError(f"job not finished after {WAIT} s: {view}")


@pytest.mark.parametrize("relpath", DECKS)
def test_corpus_decks_through_upload_status_and_result(stack, corpus, relpath):
    deck = (corpus / relpath).read_bytes()
    name = Path(relpath).name
    answer = upload(stack, deck, name)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert answer.headers["Location"] == body["status_url"]
    assert body["status_url"].startswith(stack["urls"]["status"])

    view = wait_for(body["status_url"])
    assert view["state"] == "done", view
    assert view["progress"]["done"] == view["progress"]["total"] == view["result"]["pages"]

    pdf = requests.get(view["result_url"], timeout=30)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert int(pdf.headers["Content-Length"]) == len(pdf.content) == view["result"]["bytes"]
    assert Path(name).stem + ".pdf" in pdf.headers["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == visible_slide_count(deck)
    text = pdf_text(pdf.content)
    missing = {word for word in deck_words(deck) if word not in text}
    assert not missing, f"words missing from the PDF: {sorted(missing)[:20]}"
    ranged = requests.get(view["result_url"], headers={"Range": "bytes=0-7"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == pdf.content[:8]


def test_a_poison_deck_fails_with_its_code_and_is_not_redelivered(stack):
    poison = io.BytesIO()
    with zipfile.ZipFile(poison, "w") as package:  # passes the upload's sniff, not the parser
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("ppt/presentation.xml", "<p:presentation>broken")
    answer = upload(stack, poison.getvalue(), "poison.pptx")
    assert answer.status_code == 202, answer.text
    view = wait_for(answer.json()["status_url"])
    assert view["state"] == "failed" and view["error"]["code"] == "corrupt_deck", view
    assert view["attempts"] == 1
    time.sleep(2.0)  # nothing comes back: the message was deleted, not retried
    for url in ("DECKPIPE_SQS_QUEUE_URL", "DECKPIPE_SQS_DLQ_URL"):
        counts = stack["sqs"].get_queue_attributes(
            QueueUrl=stack["env"][url], AttributeNames=["All"])["Attributes"]
        assert counts["ApproximateNumberOfMessages"] == "0", (url, counts)
        assert counts["ApproximateNumberOfMessagesNotVisible"] == "0", (url, counts)
    assert stack["rt"].jobs.get(answer.json()["job_id"]).attempts == 1


def test_http_refusals_are_json_and_the_page_is_served(stack):
    too_big = requests.post(stack["urls"]["upload"], data=b"x" * (5 << 20), timeout=30,
                            headers={"X-Filename": "big.pptx"})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
    missing = requests.get(f"{stack['urls']['status']}/{'0' * 32}", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    page = requests.get(stack["urls"]["upload"] + "/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    config = requests.get(stack["urls"]["upload"] + "/config.json", timeout=10)
    assert config.status_code == 200 and json.loads(config.text)


def test_deckpipe_dev_cloud_aws_serves_a_deck_and_stops_on_sigterm(corpus, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    deckpipe = Path(sys.executable).parent / "deckpipe"
    ports = [f"--{name}-port=0" for name in ("upload", "status", "result")]
    log = (tmp_path / "stack.err").open("w")
    process = subprocess.Popen([str(deckpipe), "dev", "--cloud", "aws", *ports],
                               stdout=subprocess.PIPE, stderr=log, text=True, cwd=tmp_path,
                               env={**os.environ, "DECKPIPE_MOTO_PORT": "0"},
                               start_new_session=True)
    try:
        urls = None
        for line in process.stdout:  # JSON log lines, then the URLs
            parsed = json.loads(line)
            if "upload" in parsed:
                urls = parsed
                break
        assert urls, (tmp_path / "stack.err").read_text()[-2000:]
        threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
        deck = (corpus / "decks/poi/testPPT.pptx").read_bytes()
        answer = requests.post(urls["upload"], files={"file": ("testPPT.pptx", deck)}, timeout=30)
        assert answer.status_code == 202, answer.text
        view = wait_for(answer.json()["status_url"])
        assert view["state"] == "done" and view["result"]["pages"] == visible_slide_count(deck)
        pdf = requests.get(view["result_url"], timeout=30)
        assert len(PdfReader(io.BytesIO(pdf.content)).pages) == view["result"]["pages"]
        # As the template: 100 MiB, decks of 4 MiB or more straight to S3 (presigned POST).
        config = requests.get(urls["upload"] + "/config.json", timeout=10).json()
        assert (config["maxUploadBytes"], config["directUploadBytes"]) == (100 << 20, 4 << 20)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
