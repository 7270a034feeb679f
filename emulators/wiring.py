"""Talking to the running emulators directly: a storage client for them, and wiping them.

Creating what the functions need (bucket, topics, push subscriptions and their
policies) is not here: the stack runs `deckpipe provision`'s own code for that
(`LocalStack.provision`), so the emulators are set up exactly as the command
would set them up.

Clients are built against explicit endpoints rather than the *_EMULATOR_HOST variables, so
these helpers work whatever the calling process has in os.environ.
"""

from __future__ import annotations

import urllib.parse
import urllib.request

from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

# Local endpoints must never go through an HTTP proxy a developer has configured.
LOCAL_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def storage_client(storage_url: str, project: str) -> storage.Client:
    return storage.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": storage_url},
    )


def empty_bucket(storage_url: str, project: str, bucket: str) -> None:
    """Delete every object (all generations) but keep the bucket itself."""
    client = storage_client(storage_url, project)
    blobs = list(client.list_blobs(bucket, versions=True))
    for blob in blobs:
        blob.delete()


def clear_firestore(firestore_url: str, project: str) -> None:
    """The emulator's own endpoint for dropping every document of the default database."""
    path = f"/emulator/v1/projects/{project}/databases/(default)/documents"
    request = urllib.request.Request(firestore_url + urllib.parse.quote(path), method="DELETE")
    with LOCAL_OPENER.open(request, timeout=10):
        pass
