"""The AWS stack on this machine, without Docker: moto in server mode on 127.0.0.1 (S3,
DynamoDB, SQS, provisioned by ``deckpipe.provision.aws`` as in the cloud), the HTTP
Lambda handlers behind local fronts that hand them function URL events, and ``convert``
fed by event source mappings on the job queue and its dead-letter queue.

    python -m deckpipe_emulators.aws_stack      # until Ctrl-C or SIGTERM

It prints one JSON line with the URLs (the upload page is the upload URL), then serves.
``convert`` runs in a child process (its conversions forked under their limits, as on
Lambda), restarted if it dies; the fronts run in this process. ``deckpipe dev --cloud
aws`` runs it on the upload, status and result ports of ``deckpipe dev``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO / "functions"
DEFAULT_PORTS = {"upload": 8191, "status": 8192, "result": 8193, "moto": 8194}
REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
VISIBILITY_SECONDS = 300  # convert's 300 s timeout, as the stack runs one worker
MAX_RECEIVES = 5


class LateApp:
    """A WSGI app set once its server is listening (the handlers need every URL first)."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deckpipe_emulators.aws_stack",
                                     description=__doc__.split("\n\n")[0])
    for name, port in DEFAULT_PORTS.items():
        parser.add_argument(f"--{name}-port", type=int, default=port, metavar="PORT",
                            help=f"port of {name} (default {port}; 0 picks a free one)")
    parser.add_argument("--visibility-timeout", type=int, default=VISIBILITY_SECONDS,
                        metavar="SECONDS", help="the job queue's visibility timeout (default "
                        f"{VISIBILITY_SECONDS}; the tests shorten it to see redeliveries)")
    parser.add_argument("--max-receives", type=int, default=MAX_RECEIVES, metavar="N",
                        help=f"receives before a message moves to the dead-letter queue "
                        f"(default {MAX_RECEIVES}, as the template)")
    parser.add_argument("--convert-worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for name, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    if args.convert_worker:
        return convert_worker()
    return serve(args)


def serve_ports(upload: int, status: int, result: int) -> int:
    """``deckpipe dev --cloud aws``: the stack on these ports, moto on $DECKPIPE_MOTO_PORT
    (default 8194), as ``deckpipe dev`` takes its other ports from the environment; the queue's
    visibility timeout and redrive count from $DECKPIPE_MOTO_VISIBILITY_SECONDS and
    $DECKPIPE_MOTO_MAX_RECEIVES (the tests' faults need short ones)."""
    for name, value in FAKE_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    moto = int(os.environ.get("DECKPIPE_MOTO_PORT") or DEFAULT_PORTS["moto"])
    visibility = int(os.environ.get("DECKPIPE_MOTO_VISIBILITY_SECONDS") or VISIBILITY_SECONDS)
    receives = int(os.environ.get("DECKPIPE_MOTO_MAX_RECEIVES") or MAX_RECEIVES)
    return serve(argparse.Namespace(upload_port=upload, status_port=status, result_port=result,
                                    moto_port=moto, visibility_timeout=visibility,
                                    max_receives=receives))


def serve(args: argparse.Namespace) -> int:
    from moto.server import ThreadedMotoServer
    from werkzeug.serving import make_server

    from deckpipe import awslocal
    from deckpipe.provision.aws import AwsPlan, provision_aws

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.moto_port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto.get_host_and_port()[1]}"
    stack = provision_aws(AwsPlan(bucket="deckpipe-local", table="deckpipe-jobs",
                                  queue="deckpipe-jobs", region=REGION, endpoint_url=endpoint,
                                  visibility_timeout_seconds=args.visibility_timeout,
                                  max_receives=args.max_receives))
    slots = {name: LateApp() for name in ("upload", "status", "result")}
    servers = {name: make_server("127.0.0.1", getattr(args, f"{name}_port"), slot,
                                 threaded=True) for name, slot in slots.items()}
    urls = {name: f"http://127.0.0.1:{server.server_port}" for name, server in servers.items()}
    os.environ.update(stack.environment())
    os.environ.update(DECKPIPE_UPLOAD_URL=urls["upload"], DECKPIPE_STATUS_URL=urls["status"],
                      DECKPIPE_RESULT_URL=urls["result"])
    # As deployed (deploy/aws/template.yaml): decks up to 100 MiB, those of 4 MiB or more
    # (DECKPIPE_DIRECT_UPLOAD_BYTES) sent straight to moto's S3 under a presigned POST.
    os.environ.setdefault("DECKPIPE_MAX_UPLOAD_BYTES", str(100 << 20))
    for name, slot in slots.items():
        module = awslocal.load_function(FUNCTIONS_DIR / name / "lambda_function.py",
                                        f"deckpipe_local_{name}")
        slot.app = awslocal.FunctionUrlFront(module.handler, name)
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=run_reaper, args=(stop,), daemon=True).start()
    print(json.dumps({**urls, "moto": endpoint}), flush=True)
    print(f"deckpipe dev --cloud aws: the local AWS stack is up (moto on {endpoint})\n\n"
          f"  open the upload page:  {urls['upload']}/\n\n"
          f"  try:\n    curl -F file=@deck.pptx {urls['upload']}/\n", file=sys.stderr, flush=True)
    worker = None
    try:
        while not stop.is_set():
            if worker is None or worker.poll() is not None:
                if worker is not None:
                    print(f"convert exited ({worker.returncode}); restarting", file=sys.stderr)
                worker = subprocess.Popen([sys.executable, "-m", "deckpipe_emulators.aws_stack",
                                           "--convert-worker"], env=dict(os.environ))
            stop.wait(1.0)
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=40)  # a conversion in hand finishes first
            except subprocess.TimeoutExpired:
                worker.kill()
        for server in servers.values():
            server.shutdown()
        moto.stop()
    return 0


REAPER_EVERY_SECONDS = 10.0


def run_reaper(stop: threading.Event) -> None:
    """What the EventBridge schedule does in the cloud: invoke the reaper function now and
    then, so a job whose message or worker is gone ends here too."""
    from deckpipe import awslocal

    module = awslocal.load_function(FUNCTIONS_DIR / "reaper" / "lambda_function.py",
                                    "deckpipe_local_reaper")
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    while not stop.wait(REAPER_EVERY_SECONDS):
        try:
            module.handler(event, awslocal.LambdaContext("reaper", 120.0))
        except Exception as exc:  # noqa: BLE001 - moto restarting: the next pass tries again
            print(f"reaper: {exc!r}", file=sys.stderr, flush=True)


def convert_worker() -> int:
    """The event source mappings and ``convert``, in one thread: the queue with a short
    long poll, then the dead-letter queue; SIGTERM lets the batch in hand finish."""
    from deckpipe import awslocal
    from deckpipe.backends._aws import client

    module = awslocal.load_function(FUNCTIONS_DIR / "convert" / "lambda_function.py",
                                    "deckpipe_local_convert")
    sqs = client("sqs", region=os.environ["AWS_REGION"],
                 endpoint_url=os.environ["DECKPIPE_AWS_ENDPOINT_URL"])
    mappings = [
        awslocal.EventSourceMapping(sqs, os.environ[variable], module.handler,
                                    function_name="convert", wait_seconds=wait, region=REGION)
        for variable, wait in (("DECKPIPE_SQS_QUEUE_URL", 1), ("DECKPIPE_SQS_DLQ_URL", 0))
    ]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the stack stops its worker itself
    while not stop.is_set():
        for mapping in mappings:
            try:
                mapping.poll_once()
            except Exception as exc:  # noqa: BLE001 - moto restarting: wait, try again
                print(f"convert: cannot poll the queue: {exc!r}", file=sys.stderr)
                time.sleep(1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
