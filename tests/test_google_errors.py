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
