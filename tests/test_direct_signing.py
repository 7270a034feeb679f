"""The signed download links: their shape, and that the signature verifies.

Cloud Storage checks V4 signatures; fake-gcs-server does not. So these tests sign
with a key generated here (as a service account key would), rebuild the V4
canonical request and string-to-sign from the URL alone (Google's documented
algorithm), and verify the signature with the public key. The expiry and the
signed ``response-content-disposition`` are read back from the URL; that Cloud
Storage refuses an expired or altered link is what only the real cloud checks.
"""

from __future__ import annotations

import binascii
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.oauth2 import service_account

from deckpipe import web
from deckpipe.backends import gcs
from deckpipe.backends.gcs import GcsBlobStore

EMAIL = "deckpipe@deckpipe-test.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def store(key, monkeypatch) -> GcsBlobStore:
    # A client made while an emulator's address is in the environment (other tests' stacks
    # put it there) would sign for the emulator; these tests are about Cloud Storage.
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    credentials = service_account.Credentials.from_service_account_info({
        "type": "service_account", "client_email": EMAIL, "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token", "project_id": "deckpipe-test"})
    client = storage.Client(project="deckpipe-test", credentials=credentials)
    return GcsBlobStore("deckpipe-test-bucket", client=client)


def verify_v4(url: str, public_key: rsa.RSAPublicKey, method: str = "GET") -> dict[str, str]:
    """Recompute a V4 signed URL's string-to-sign and verify its signature; returns the
    query. Raises ``InvalidSignature`` if it does not verify."""
    parts = urlsplit(url)
    pairs = [pair.split("=", 1) for pair in parts.query.split("&")]
    signature = dict(pairs)["X-Goog-Signature"]
    canonical_query = "&".join(f"{k}={v}" for k, v in sorted(
        (k, v) for k, v in pairs if k != "X-Goog-Signature"))
    query = dict(parse_qsl(parts.query))
    signed_headers = query["X-Goog-SignedHeaders"]
    assert signed_headers == "host"
    canonical_request = "\n".join([
        method, parts.path, canonical_query, f"host:{parts.netloc}\n", signed_headers,
        "UNSIGNED-PAYLOAD"])
    scope = query["X-Goog-Credential"].split("/", 1)[1]
    string_to_sign = "\n".join([
        "GOOG4-RSA-SHA256", query["X-Goog-Date"], scope,
        hashlib.sha256(canonical_request.encode()).hexdigest()])
    public_key.verify(binascii.unhexlify(signature), string_to_sign.encode(),
                      padding.PKCS1v15(), hashes.SHA256())
    return query


def test_download_link_shape(store, key):
    disposition = web.content_disposition("Quarterly — review.pdf")
    url = store.download_url("results/0123.pdf", filename="Quarterly — review.pdf",
                             disposition=disposition, expires=timedelta(minutes=5))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "storage.googleapis.com")
    assert parts.path == "/deckpipe-test-bucket/results/0123.pdf"  # one object
    query = verify_v4(url, key.public_key())
    assert query["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    email, date, location, service, request = query["X-Goog-Credential"].split("/")
    assert (email, location, service, request) == (EMAIL, "auto", "storage", "goog4_request")
    assert date == datetime.now(UTC).strftime("%Y%m%d")
    assert query["X-Goog-Expires"] == "300"
    assert query["response-content-disposition"] == disposition
    assert "filename*=UTF-8''Quarterly%20%E2%80%94%20review.pdf" in disposition


def test_a_changed_link_no_longer_verifies(store, key):
    url = store.download_url("results/0123.pdf", filename="a.pdf",
                             disposition=web.content_disposition("a.pdf"),
                             expires=timedelta(minutes=5))
    for tampered in (url.replace("results/0123.pdf", "inputs/0123.pptx"),
                     url.replace("X-Goog-Expires=300", "X-Goog-Expires=604800"),
                     url.replace("attachment", "inline")):
        with pytest.raises(InvalidSignature):
            verify_v4(tampered, key.public_key())
    with pytest.raises(InvalidSignature):  # a link for GET is not one for PUT
        verify_v4(url, key.public_key(), method="PUT")


def test_inline_disposition_is_signed(store, key):
    disposition = web.content_disposition("a.pdf", inline=True)
    url = store.download_url("results/a.pdf", filename="a.pdf", disposition=disposition,
                             expires=timedelta(seconds=60))
    query = verify_v4(url, key.public_key())
    assert query["response-content-disposition"].startswith("inline; filename=")
    assert query["X-Goog-Expires"] == "60"


def test_on_the_emulator_links_point_at_it_and_are_signed_with_a_throwaway_key():
    client = storage.Client(project="deckpipe-test", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": "http://127.0.0.1:4443"})
    store = GcsBlobStore("deckpipe-test-bucket", client=client)
    url = store.download_url("results/x.pdf", filename="x.pdf",
                             disposition=web.content_disposition("x.pdf"),
                             expires=timedelta(minutes=5))
    assert url.startswith("http://127.0.0.1:4443/deckpipe-test-bucket/results/x.pdf?")
    public_key = gcs.emulator_signing_key().public_key()
    verify_v4(url, public_key)
    assert store.browser_origins == ("http://127.0.0.1:4443",)


def test_object_names_are_percent_encoded_in_the_signed_path(store, key):
    url = store.download_url("results/a b.pdf", filename="a b.pdf",
                             disposition=web.content_disposition("a b.pdf"),
                             expires=timedelta(minutes=5))
    assert urlsplit(url).path == "/deckpipe-test-bucket/" + quote("results/a b.pdf")
    verify_v4(url, key.public_key())
