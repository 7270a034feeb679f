"""Bad input against a running stack: does every refusal come as JSON with a code?

Each probe sends one request a careless or hostile client would (an empty body, a damaged
zip, a header with a control character, a declared 200 MB body that never comes, a form of
40 parts, odd byte ranges, Unicode and bidi-override file names) and records the status, the
JSON error code if the answer is JSON, how long it took, and the status and code the README
and issue 9 document for it. Requests that `requests` refuses to send (control characters,
a body that never follows its headers) go over a raw socket.

Used by `chaos.py` (phase "inputs"); runs alone too:

    .venv/bin/python bench/bad_inputs.py [--stack emulators]
"""

from __future__ import annotations

import io
import json
import re
import secrets
import socket
import sys
import time
import urllib.parse
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import Stack  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
GOOD_DECK = "decks/poi/testPPT.pptx"
ENCRYPTED_DECK = "decks/tika/testPPT_protected_passtika.pptx"
UNICODE_NAME = "Präsentation — 日本語 😀.pptx"
BIDI_NAME = "invoice\u202egnp.pptx"
# Python internals in a message meant for people: exception names, snake_case identifiers.
INTERNAL = re.compile(r"[A-Z][a-z]+(Error|Exception)\b|Traceback|\b[a-z]+_[a-z_]+\b")


@dataclass
class Answer:
    status: int | None
    code: str | None
    is_json: bool
    seconds: float
    headers: Mapping[str, str]  # case-insensitive: some fronts send lower-case names
    note: str = ""


@dataclass(frozen=True)
class Probe:
    name: str
    send: Callable[[Stack, dict[str, Any]], Answer]
    expect_status: int | None  # None: any 4xx
    expect_code: str | None
    kind: str = ""  # "unicode" / "bidi" (a download's name), "range": checked further


def _answer(response: requests.Response, began: float) -> Answer:
    try:
        body = response.json()
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        is_json = True
    except ValueError:
        code, is_json = None, False
    if response.status_code < 400:
        is_json = True  # a success need not be JSON (a PDF); only refusals are checked
    return Answer(response.status_code, code, is_json, time.monotonic() - began,
                  CaseInsensitiveDict(response.headers))


def _post(data: bytes, name: str = "deck.pptx", **headers: str) -> Callable[..., Answer]:
    def send(stack: Stack, shared: dict[str, Any]) -> Answer:
        began = time.monotonic()
        response = requests.post(stack.upload_url, files={"file": (name, data, PPTX_TYPE)},
                                 headers=headers, timeout=30)
        return _answer(response, began)
    return send


def _raw_body(data: bytes, content_type: str, method: str = "POST") -> Callable[..., Answer]:
    def send(stack: Stack, shared: dict[str, Any]) -> Answer:
        began = time.monotonic()
        response = requests.request(method, stack.upload_url, data=data, timeout=30,
                                    headers={"Content-Type": content_type,
                                             "X-Filename": "deck.pptx"})
        return _answer(response, began)
    return send


def raw_http(url: str, head: bytes, body: bytes = b"", wait: float = 10.0) -> Answer:
    """Send bytes as they are; read the answer's status line, headers and body."""
    parts = urllib.parse.urlsplit(url)
    began = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as connection:
        connection.sendall(head + body)
        received = b""
        try:
            while b"\r\n\r\n" not in received or not _complete(received):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            return Answer(None, None, False, time.monotonic() - began, {}, "no answer")
    seconds = time.monotonic() - began
    if not received:
        return Answer(None, None, False, seconds, {}, "connection closed, no answer")
    header_block, _, payload = received.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = CaseInsensitiveDict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    try:
        code = json.loads(payload).get("error", {}).get("code")
        is_json = True
    except ValueError:
        code, is_json = None, False
    return Answer(status, code, is_json, seconds, headers)


def _complete(received: bytes) -> bool:
    header_block, _, payload = received.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length:\s*(\d+)", header_block)
    return match is None or len(payload) >= int(match.group(1))


def _request_head(url: str, method: str, headers: dict[str, str]) -> bytes:
    parts = urllib.parse.urlsplit(url)
    lines = [f"{method} {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _declared_too_large(stack: Stack, shared: dict[str, Any]) -> Answer:
    head = _request_head(stack.upload_url, "POST", {
        "Content-Type": PPTX_TYPE, "X-Filename": "big.pptx", "Content-Length": "209715200",
    })
    answer = raw_http(stack.upload_url, head, wait=10.0)
    answer.note = "answered before the body" if answer.status else answer.note
    return answer


def _control_character(stack: Stack, shared: dict[str, Any]) -> Answer:
    head = _request_head(stack.upload_url, "POST", {
        "Content-Type": PPTX_TYPE, "X-Filename": "a\x01b.pptx", "Content-Length": "4",
    })
    return raw_http(stack.upload_url, head, b"PK\x03\x04")


def _many_parts(stack: Stack, shared: dict[str, Any]) -> Answer:
    fields = {f"field{n}": (None, "x") for n in range(40)}
    fields["file"] = ("deck.pptx", _deck(GOOD_DECK), PPTX_TYPE)  # type: ignore[assignment]
    began = time.monotonic()
    response = requests.post(stack.upload_url, files=fields, timeout=30)
    return _answer(response, began)


def _get(path_of: Callable[[Stack, dict[str, Any]], str], **headers: str):
    def send(stack: Stack, shared: dict[str, Any]) -> Answer:
        began = time.monotonic()
        response = requests.get(path_of(stack, shared), headers=headers, timeout=30,
                                allow_redirects=False)
        return _answer(response, began)
    return send


def _result_of(job: str) -> Callable[[Stack, dict[str, Any]], str]:
    return lambda stack, shared: f"{stack.result_url}/{shared[job]}"


def _deck(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def _zip_without_presentation() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088  # a compound file, not PowerPoint

PROBES = (
    Probe("empty file", _post(b""), 400, "no_file"),
    Probe("text file named .pptx", _post(b"hello, world\n" * 10), 400, "not_a_presentation"),
    Probe("zip without a presentation", _post(_zip_without_presentation()), 400,
          "not_a_presentation"),
    Probe("damaged zip (a deck cut in half)",
          _post(_deck(GOOD_DECK)[: len(_deck(GOOD_DECK)) // 2]), 400, "corrupt_deck"),
    Probe("password-protected deck", _post(_deck(ENCRYPTED_DECK)), 400, "encrypted"),
    Probe("OLE2 file that is not PowerPoint", _post(OLE2, "sheet.pptx"), 400,
          "not_a_presentation"),
    Probe("raw body, text/plain", _raw_body(b"hello", "text/plain"), 415,
          "unsupported_media_type"),
    Probe("PUT to upload", _raw_body(b"x", PPTX_TYPE, "PUT"), 405, "method_not_allowed"),
    Probe("declared 200 MB body, never sent", _declared_too_large, 413, "too_large"),
    Probe("form with 40 parts", _many_parts, None, None),
    Probe("control character in a header", _control_character, 400, None),
    Probe("Idempotency-Key of 300 characters",
          _post(_deck(GOOD_DECK), **{"Idempotency-Key": "k" * 300}), 400,
          "bad_idempotency_key"),
    Probe("status of an unknown job",
          _get(lambda stack, shared: f"{stack.status_url}/{secrets.token_hex(16)}"), 404, None),
    Probe("status of a path that is no job id",
          _get(lambda stack, shared: f"{stack.status_url}/..%2F..%2Fetc%2Fpasswd"), 404, None),
    Probe("result of an unknown job",
          _get(lambda stack, shared: f"{stack.result_url}/{secrets.token_hex(16)}"), 404, None),
    Probe("result, Unicode file name", _get(_result_of("unicode")), 200, None, "unicode"),
    Probe("result, bidi-override file name", _get(_result_of("bidi")), 200, None, "bidi"),
    Probe("Range bytes=-0", _get(_result_of("unicode"), Range="bytes=-0"), 416, None, "range"),
    Probe("Range beyond the end", _get(_result_of("unicode"), Range="bytes=999999999-"), 416,
          None, "range"),
    Probe("Range suffix longer than the file",
          _get(_result_of("unicode"), Range="bytes=-999999999"), 206, None, "range"),
    Probe("Range in an unknown unit", _get(_result_of("unicode"), Range="items=0-9"), 200,
          None, "range"),
)


def _disposition(answer: Answer) -> str:
    """The download's Content-Disposition: the header, or the one a redirect's signed URL
    makes storage send (`response-content-disposition`)."""
    if answer.status == 303:
        query = urllib.parse.urlsplit(answer.headers.get("Location", "")).query
        return urllib.parse.parse_qs(query).get("response-content-disposition", [""])[0]
    return answer.headers.get("Content-Disposition", "")


def _wait_done(stack: Stack, job_id: str, timeout: float = 120.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = requests.get(f"{stack.status_url}/{job_id}", timeout=30).json()
        if view["state"] in ("done", "failed"):
            return view["state"]
        time.sleep(0.3)
    return "not ended"


def prepare(stack: Stack) -> dict[str, Any]:
    """Two done jobs whose names need care in Content-Disposition."""
    shared: dict[str, Any] = {}
    for key, name in (("unicode", UNICODE_NAME), ("bidi", BIDI_NAME)):
        response = requests.post(stack.upload_url, timeout=60,
                                 files={"file": (name, _deck(GOOD_DECK), PPTX_TYPE)})
        response.raise_for_status()
        shared[key] = response.json()["job_id"]
        shared[f"{key}_state"] = _wait_done(stack, shared[key])
    return shared


def run_probes(stack: Stack) -> list[dict[str, Any]]:
    shared = prepare(stack)
    rows = []
    for probe in PROBES:
        try:
            answer = probe.send(stack, shared)
        except requests.RequestException as error:
            answer = Answer(None, None, False, 0.0, {}, type(error).__name__)
        as_documented = (
            answer.status is not None
            and (probe.expect_status is None and 400 <= answer.status < 500
                 or answer.status == probe.expect_status)
            and (probe.expect_code is None or answer.code == probe.expect_code)
            and answer.is_json
            and (answer.status < 400 or answer.code is not None)
        )
        note = answer.note
        redirected = answer.status == 303
        if redirected and probe.kind == "range":
            # The function hands the download to storage (a signed URL): ranges are storage's.
            as_documented, note = True, "303 to a signed storage URL, which serves the range"
        if probe.kind in ("unicode", "bidi"):
            disposition = _disposition(answer)
            as_documented = (answer.status in (200, 303)
                             and "filename*=UTF-8''" in disposition
                             and "\u202e" not in urllib.parse.unquote(disposition))
            note = ("303, signed URL asks storage for " if redirected else "") + (
                f"Content-Disposition: {disposition}")
        rows.append({
            "probe": probe.name,
            "status": answer.status,
            "code": answer.code,
            "json": answer.is_json,
            "seconds": round(answer.seconds, 2),
            "expected": f"{probe.expect_status or '4xx'} {probe.expect_code or ''}".strip(),
            "as_documented": as_documented,
            "note": note,
        })
    return rows


def failed_job_messages(stack: Stack, corpus: Path = CORPUS) -> list[dict[str, Any]]:
    """Corpus decks python-pptx cannot open, through the whole stack: how each ends, and
    whether its message reads as plain words (no exception names or identifiers)."""
    import csv

    rows = []
    with open(corpus / "MANIFEST.tsv", newline="") as manifest:
        broken = [row["deck"] for row in csv.DictReader(manifest, delimiter="\t")
                  if row["slides"].startswith("ERR")]
    for deck in broken:
        response = requests.post(stack.upload_url, timeout=60,
                                 files={"file": (Path(deck).name, _deck(deck), PPTX_TYPE)})
        if response.status_code != 202:
            code = (response.json().get("error") or {}) if response.headers.get(
                "Content-Type", "").startswith("application/json") else {}
            rows.append({"deck": deck, "end": f"refused {response.status_code}",
                         "code": code.get("code"), "message": code.get("message"),
                         "plain": bool(code.get("message"))
                         and not INTERNAL.search(code.get("message", ""))})
            continue
        job = response.json()["job_id"]
        state = _wait_done(stack, job)
        view = requests.get(f"{stack.status_url}/{job}", timeout=30).json()
        error = view.get("error") or {}
        message = error.get("message")
        rows.append({"deck": deck, "end": state, "code": error.get("code"), "message": message,
                     "plain": message is None or not INTERNAL.search(message)})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| probe | status | code | JSON | s | documented | as documented | note |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        note = str(row["note"]).replace("|", "/")
        lines.append(
            f"| {row['probe']} | {row['status']} | {row['code'] or '-'} | "
            f"{'yes' if row['json'] else 'NO'} | {row['seconds']} | {row['expected']} | "
            f"{'yes' if row['as_documented'] else 'NO'} | {note} |"
        )
    return "\n".join(lines)


def messages_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| deck | end | code | message | plain words |", "|---|---|---|---|---|"]
    for row in rows:
        message = str(row["message"] or "-").replace("|", "/")
        lines.append(f"| {row['deck'].removeprefix('decks/')} | {row['end']} | "
                     f"{row['code'] or '-'} | {message} | {'yes' if row['plain'] else 'NO'} |")
    return "\n".join(lines)


def main() -> int:
    import argparse

    import load

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["emulators", "serve", "aws"], default="emulators")
    args = parser.parse_args()
    stack = load.make_stack(args.stack)
    stack.start()
    try:
        rows = run_probes(stack)
        messages = failed_job_messages(stack)
    finally:
        stack.stop()
    print(markdown(rows))
    print()
    print(messages_markdown(messages))
    misses = [row["probe"] for row in rows if not row["as_documented"]]
    misses += [row["deck"] for row in messages if not row["plain"]]
    if misses:
        print("NOT AS DOCUMENTED: " + "; ".join(misses), file=sys.stderr)
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
