"""Which Google client errors the backends report as transient (retry) and which not."""

import pytest
import requests
from google.api_core import exceptions as gexc

from deckpipe.backends._google import transient_errors
from deckpipe.errors import TransientError


@pytest.mark.parametrize(
    "error",
    [gexc.ServiceUnavailable("down"), gexc.DeadlineExceeded("slow"), gexc.Aborted("contended"),
     gexc.InternalServerError("oops"), requests.ConnectionError("refused")],
)
def test_outages_become_transient(error):
    with pytest.raises(TransientError) as caught, transient_errors("Firestore"):
        raise error
    assert caught.value.message.startswith("Firestore unavailable")


@pytest.mark.parametrize("error", [gexc.NotFound("gone"), gexc.PermissionDenied("no"),
                                   ValueError("bug")])
def test_other_errors_pass_through(error):
    with pytest.raises(type(error)), transient_errors("Cloud Storage"):
        raise error


def test_a_transaction_that_cannot_begin_reports_the_outage():
    """firestore's transactional wrapper rolls back after any error, and rolling back a
    transaction that never began raises ValueError over the real cause."""
    from deckpipe.backends.firestore import _unmasked

    with pytest.raises(TransientError), transient_errors("Firestore"), _unmasked():
        try:
            raise gexc.ServiceUnavailable("connection refused")
        except gexc.ServiceUnavailable:
            raise ValueError("The transaction has no transaction ID") from None
    with pytest.raises(ValueError), transient_errors("Firestore"), _unmasked():
        raise ValueError("a bug of ours")


def test_every_firestore_call_is_bounded(monkeypatch):
    """Reads and writes take RETRY/TIMEOUT per call; a transaction's own begin, commit and
    rollback get the same bounds in the client's method table (no argument reaches them)."""
    from google.cloud import firestore

    from deckpipe.backends import firestore as backend

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")  # never contacted
    client = firestore.Client(project="deckpipe-test")
    backend.FirestoreJobStore(client=client)
    transport = client._firestore_api._transport
    for method in (transport.begin_transaction, transport.commit, transport.rollback):
        wrapped = transport._wrapped_methods[method]
        assert wrapped._timeout == backend.TIMEOUT_SECONDS
        assert wrapped._retry._timeout == backend.RETRY_SECONDS
    assert backend.RETRY_SECONDS + backend.TIMEOUT_SECONDS < 60

