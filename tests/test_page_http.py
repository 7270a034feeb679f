"""How the page is served: its files, its security policy, its config, CORS, and the export."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Request
from tests_support import ENV
from werkzeug.test import EnvironBuilder

from deckpipe import web, webpage
from deckpipe.config import load_settings
from deckpipe.runtime import build

PAGE_ORIGIN = "https://decks.example.com"


@pytest.fixture
def rt():
    return build(
        load_settings(
            {
                **ENV,
                "DECKPIPE_UPLOAD_URL": "http://upload.test",
                "DECKPIPE_ALLOWED_ORIGINS": PAGE_ORIGIN,
            }
        )
    )


def request(method="GET", path="/", **kwargs) -> Request:
    return Request(EnvironBuilder(method=method, path=path, **kwargs).get_environ())


class _PageAudit(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in attributes:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems += [
            f"{name} handler on <{tag}>" for name in attributes if name.startswith("on")
        ]
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script")


def test_get_root_serves_the_page_under_a_strict_policy(rt):
    response = web.upload(rt, request("GET", "/"))
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"].split() == [
        "'self'",
        "http://result.test",
        "http://status.test",
    ]
    assert "unsafe" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    audit = _PageAudit()
    audit.feed(response.get_data(as_text=True))
    assert audit.problems == []
    assert audit.scripts == [{"type": "module", "src": "app.js"}]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
    ],
)
def test_page_files_are_served_and_revalidated(rt, path, content_type):
    response = web.upload(rt, request("GET", path))
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again = web.upload(rt, request("GET", path, headers={"If-None-Match": etag}))
    assert again.status_code == 304
    head = web.upload(rt, request("HEAD", path))
    assert head.status_code == 200 and head.headers["ETag"] == etag


def test_script_and_styles_need_no_unsafe_policy():
    script = webpage.ASSETS["app.js"].body.decode()
    assert not re.search(r"\beval\(|new Function|innerHTML|setAttribute\(\"style", script)
    assert not re.search(r"\.style\.", script)  # no inline styles set from script either


def test_config_json_carries_the_servers_limit(rt):
    response = web.upload(rt, request("GET", "/config.json"))
    assert response.status_code == 200
    assert json.loads(response.get_data()) == {
        "uploadUrl": ".",
        "maxUploadBytes": rt.settings.max_upload_bytes,
        "pollIntervalSeconds": 2,
        "directUploadBytes": None,  # no bucket: every deck is posted to the upload function
    }


def test_other_paths_and_methods_are_not_the_page(rt):
    assert web.upload(rt, request("GET", "/secrets.txt")).status_code == 405
    assert web.upload(rt, request("PUT", "/")).status_code == 405
    assert web.upload(rt, request("GET", "/healthz")).status_code == 200


# -- CORS ---------------------------------------------------------------------------------


def preflight(handler, rt, origin, method="POST", headers="idempotency-key"):
    return handler(
        rt,
        request(
            "OPTIONS",
            "/",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            },
        ),
    )


@pytest.mark.parametrize("origin", [PAGE_ORIGIN, "http://upload.test"])
def test_preflight_for_configured_origins(rt, origin):
    response = preflight(web.upload, rt, origin)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]
    assert "Origin" in response.headers["Vary"]
    for handler in (web.status, web.result):
        answer = preflight(handler, rt, origin, method="GET")
        assert answer.status_code == 204
        assert answer.headers["Access-Control-Allow-Methods"] == "GET, HEAD"


def test_preflight_from_another_origin_is_refused(rt):
    response = preflight(web.upload, rt, "https://evil.example")
    assert response.status_code == 403
    assert json.loads(response.get_data())["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_responses_carry_cors_headers_for_allowed_origins_only(rt, make_deck):
    data = {"file": (io.BytesIO(make_deck(["Hi"])), "hi.pptx")}
    allowed = web.upload(rt, request("POST", "/", data=data, headers={"Origin": PAGE_ORIGIN}))
    assert allowed.status_code == 202
    assert allowed.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert "Location" in allowed.headers["Access-Control-Expose-Headers"]
    job_id = json.loads(allowed.get_data())["job_id"]

    status = web.status(rt, request("GET", f"/{job_id}", headers={"Origin": PAGE_ORIGIN}))
    assert status.status_code == 200
    assert status.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    other = web.status(rt, request("GET", f"/{job_id}", headers={"Origin": "https://evil.example"}))
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]  # caches must not hand one origin's answer to another
    missing = web.result(rt, request("GET", "/nope", headers={"Origin": PAGE_ORIGIN}))
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN  # errors are readable too


def test_no_cors_without_configured_origins(make_deck):
    plain = build(load_settings(ENV))
    response = preflight(web.upload, plain, "http://upload.test")
    assert response.status_code == 403
    get = web.status(plain, request("GET", "/x", headers={"Origin": "http://upload.test"}))
    assert "Access-Control-Allow-Origin" not in get.headers


def test_wildcard_origin_allows_any_page(make_deck):
    open_rt = build(load_settings({**ENV, "DECKPIPE_ALLOWED_ORIGINS": "*"}))
    response = preflight(web.upload, open_rt, "https://anywhere.example")
    assert response.headers["Access-Control-Allow-Origin"] == "https://anywhere.example"


# -- export for static hosting --------------------------------------------------------------


def export_argv(folder: Path, *flags: str) -> list[str]:
    """``deckpipe page export FOLDER FLAGS...`` as a fresh process runs it."""
    return [sys.executable, "-m", "deckpipe.cli", "page", "export", str(folder), *flags]


def test_export_writes_the_page_pointed_at_the_api(tmp_path: Path):
    out = tmp_path / "site"
    argv = export_argv(
        out,
        "--upload-url", "https://upload-abc.a.run.app/",
        "--status-url", "https://europe-west1-p.cloudfunctions.net/status",
        "--result-url", "https://europe-west1-p.cloudfunctions.net/result",
        "--max-upload-bytes", "5000000",
    )  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert sorted(Path(line).name for line in done.stdout.split()) == [
        "app.css",
        "app.js",
        "config.json",
        "index.html",
    ]
    config = json.loads((out / "config.json").read_text())
    assert config == {
        "uploadUrl": "https://upload-abc.a.run.app",
        "maxUploadBytes": 5000000,
        "pollIntervalSeconds": 2,
    }
    html = (out / "index.html").read_text()
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert meta is not None
    assert (
        "connect-src 'self' https://europe-west1-p.cloudfunctions.net https://upload-abc.a.run.app"
    ) in meta[1]
    assert "frame-ancestors" not in meta[1]  # ignored in <meta>; browsers warn about it
    assert (out / "app.js").read_bytes() == webpage.ASSETS["app.js"].body


def test_export_rejects_a_url_without_scheme(tmp_path: Path):
    argv = export_argv(
        tmp_path,
        "--upload-url", "upload.example",
        "--status-url", "https://s",
        "--result-url", "https://r",
    )  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 2
    assert "not an http(s) URL" in done.stderr
