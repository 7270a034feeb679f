"""AWS on moto in server mode, on 127.0.0.1, for every test that needs S3, DynamoDB or SQS.

One moto server per test session (``moto_endpoint``); each test provisions its own
bucket, table and queues through ``deckpipe.provision.aws`` (the code that
provisions the cloud), named afresh, so tests never see each other's messages.
Clients in other processes reach the same server through the endpoint setting.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
REGION = "eu-west-1"
URLS = {"DECKPIPE_STATUS_URL": "http://127.0.0.1:9/status",
        "DECKPIPE_RESULT_URL": "http://127.0.0.1:9/result"}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server shared by the session (credentials are moto's fakes:
    set in this process's environment, so spawned children inherit them)."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def provision_fresh(endpoint: str, *, max_receives: int = 5, visibility_timeout: int = 30):
    """A bucket, table and queue pair of its own, provisioned as in the cloud."""
    from deckpipe.provision.aws import AwsPlan, provision_aws

    suffix = secrets.token_hex(4)
    return provision_aws(AwsPlan(
        bucket=f"deckpipe-test-{suffix}", table=f"deckpipe-jobs-{suffix}",
        queue=f"deckpipe-jobs-{suffix}", region=REGION, endpoint_url=endpoint,
        max_receives=max_receives, visibility_timeout_seconds=visibility_timeout,
    ))


def aws_env(endpoint: str, **plan) -> dict[str, str]:
    """The settings of a freshly provisioned aws backend on ``endpoint``."""
    return {**provision_fresh(endpoint, **plan).environment(), **URLS}
