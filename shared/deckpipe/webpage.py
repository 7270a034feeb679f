"""The upload page: its static files, its settings file, its security policy, and CORS.

The page is plain HTML, CSS and one JavaScript module under ``deckpipe/page``. The
upload function serves it on ``GET /`` (one deployment is enough), and
``deckpipe page export`` writes the same files for hosting elsewhere, such as a
bucket website, with a ``config.json`` that points the page at the API.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .config import Settings, origin_of

CONTENT_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
CSP_MARK = "<!-- deckpipe:csp -->"
# Request headers the page sends cross-origin, and response headers it may read.
CORS_REQUEST_HEADERS = "Content-Type, Idempotency-Key, X-Filename"
CORS_EXPOSED_HEADERS = "Location, Idempotent-Replayed, Retry-After, Content-Disposition"
CORS_MAX_AGE = "600"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def _load_assets() -> dict[str, Asset]:
    """Read the page once per instance (cold start), not per request."""
    folder = resources.files("deckpipe") / "page"
    assets = {}
    for name, content_type in CONTENT_TYPES.items():
        body = (folder / name).read_bytes()
        assets[name] = Asset(body, content_type, hashlib.sha256(body).hexdigest()[:32])
    return assets


ASSETS = _load_assets()


def asset_name(path: str) -> str | None:
    """The asset a request path names (``/`` is the page), or None."""
    name = path.rsplit("/", 1)[-1] or "index.html"
    return name if name in ASSETS or name == "config.json" else None


POLL_INTERVAL_SECONDS = 2


def page_config(
    settings: Settings, upload_url: str = ".", *, direct: bool = False
) -> dict[str, Any]:
    """What the page reads from ``config.json``: where to upload and the client-side limits.

    ``upload_url`` is resolved against the page's own address, so "." means "the
    function that served this page". With ``direct`` (the backend has a bucket), decks
    of at least ``directUploadBytes`` go straight to storage (``deckpipe.direct``);
    without it the key is null and every deck is posted to the upload function.
    """
    config = _config(upload_url, settings.max_upload_bytes)
    config["directUploadBytes"] = settings.direct_upload_bytes if direct else None
    return config


def _config(upload_url: str, max_upload_bytes: int) -> dict[str, Any]:
    return {
        "uploadUrl": upload_url,
        "maxUploadBytes": max_upload_bytes,
        "pollIntervalSeconds": POLL_INTERVAL_SECONDS,
    }


def content_security_policy(connect_origins: list[str]) -> str:
    """No inline code, nothing from other sites but the API origins the page talks to."""
    connect = " ".join(["'self'", *sorted(set(connect_origins))])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def api_origins(settings: Settings) -> list[str]:
    """Origins of the status and result functions, which the page calls from the browser."""
    return [origin_of(settings.status_url), origin_of(settings.result_url)]


# --- CORS ---------------------------------------------------------------------------


def cors_origin(settings: Settings, origin: str | None) -> str | None:
    """The value for ``Access-Control-Allow-Origin``, or None when ``origin`` is not allowed."""
    if not origin:
        return None
    allowed = settings.cors_origins
    if "*" in allowed or origin.lower() in allowed:
        return origin
    return None


def cors_headers(settings: Settings, origin: str | None) -> dict[str, str]:
    """Headers for an actual (non-preflight) cross-origin response."""
    headers = {"Vary": "Origin"}
    allowed = cors_origin(settings, origin)
    if allowed:
        headers["Access-Control-Allow-Origin"] = allowed
        headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    return headers


def preflight_headers(settings: Settings, origin: str | None, methods: str) -> dict[str, str]:
    """Headers answering an ``OPTIONS`` preflight; empty when the origin is not allowed."""
    allowed = cors_origin(settings, origin)
    if not allowed:
        return {}
    return {
        "Access-Control-Allow-Origin": allowed,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": CORS_REQUEST_HEADERS,
        "Access-Control-Max-Age": CORS_MAX_AGE,
        "Vary": "Origin",
    }


# --- export -------------------------------------------------------------------------


def export(
    folder: Path, *, upload_url: str, status_url: str, result_url: str, max_upload_bytes: int
) -> list[Path]:
    """Write the page for static hosting, pointed at the API by ``config.json``.

    A bucket website cannot send headers, so the policy goes into a ``<meta>`` tag
    (browsers ignore ``frame-ancestors`` there; everything else applies).
    """
    folder.mkdir(parents=True, exist_ok=True)
    origins = [origin_of(upload_url), origin_of(status_url), origin_of(result_url)]
    policy = content_security_policy(origins).replace("; frame-ancestors 'none'", "")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    written = []
    for name, asset in ASSETS.items():
        body = asset.body
        if name == "index.html":
            body = body.replace(CSP_MARK.encode(), meta.encode())
        (folder / name).write_bytes(body)
        written.append(folder / name)
    config = _config(upload_url, max_upload_bytes)
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    written.append(folder / "config.json")
    return written
