"""Large decks on the local AWS stack over HTTP, the way the page sends them: announced to
``upload``, POSTed straight to moto's S3 under the presigned POST (one form, the signed fields
first, the file last), completed, converted, and the PDF read back through ``result``'s 303 to
a presigned GET. A 10 MiB deck could never come through Lambda itself (6 MB payload).

moto enforces no POST policy (``content-length-range``, content type; see
``../shared/notes/clouds-limits-and-text.md``), so S3 stores a file announced small but sent
large, and a non-deck under a ``.pptx`` name: deckpipe's own completion check must refuse
both and delete them, as these tests show over HTTP. (The real S3 refuses the first itself.)
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from aws_dev import BUCKET, AwsDevStack
from pypdf import PdfReader
from test_page_browser import _big_deck
from tests_support import visible_slide_count

LAMBDA_PAYLOAD = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def ten_mib_deck(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _big_deck(corpus, tmp_path_factory.mktemp("aws-direct"), 10)


def test_a_10_mib_deck_goes_through_the_presigned_post_to_done_and_back_by_presigned_get(
    aws_dev_stack: AwsDevStack, ten_mib_deck: Path
) -> None:
    stack, deck = aws_dev_stack, ten_mib_deck.read_bytes()
    assert len(deck) > LAMBDA_PAYLOAD
    # Through the function itself it cannot come: Lambda's payload limit refuses it.
    refused = requests.post(stack.urls["upload"], files={"file": ("big.pptx", deck)},
                            timeout=60)
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too_large"

    offer = stack.announce(len(deck), name=ten_mib_deck.name)
    assert offer["state"] == "awaiting_upload"
    target = offer["upload"]
    assert target["url"] == f"{stack.urls['moto']}/{BUCKET}"
    assert target["fields"]["key"] == f"inputs/{offer['job_id']}.pptx"
    stored = stack.post_to_bucket(target, deck, ten_mib_deck.name)
    assert stored.status_code == 204, stored.text
    done = requests.post(offer["complete_url"], timeout=60)
    assert done.status_code == 202 and done.json()["state"] == "queued", done.text

    view = stack.wait_for(offer["job_id"])
    assert view["state"] == "done" and view["attempts"] == 1, view
    pages = visible_slide_count(deck)
    assert view["result"]["pages"] == pages

    redirect = requests.get(view["result_url"], allow_redirects=False, timeout=30)
    assert redirect.status_code == 303
    location = redirect.headers["Location"]
    assert location.startswith(f"{stack.urls['moto']}/{BUCKET}/results/{offer['job_id']}.pdf?")
    query = parse_qs(urlsplit(location).query)
    assert "Signature" in query or "X-Amz-Signature" in query  # presigned
    assert query["response-content-disposition"][0].startswith("attachment;")
    pdf = requests.get(location, timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert f'filename="{ten_mib_deck.stem}.pdf"' in pdf.headers["Content-Disposition"]
    assert len(pdf.content) == view["result"]["bytes"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == pages


def test_announced_1_mib_but_sent_5_mib_is_caught_by_completion_and_deleted(
    aws_dev_stack: AwsDevStack,
) -> None:
    stack = aws_dev_stack
    offer = stack.announce(1 << 20)
    payload = b"PK\x03\x04" + os.urandom((5 << 20) - 4)
    # The policy's content-length-range says exactly 1 MiB; moto stores it anyway.
    assert stack.post_to_bucket(offer["upload"], payload, "big.pptx").status_code == 204
    assert stack.deck_stored(offer["job_id"])
    answer = requests.post(offer["complete_url"], timeout=60)
    assert (answer.status_code, answer.json()["error"]["code"]) == (413, "too_large")
    view = stack.status(offer["job_id"])
    assert (view["state"], view["error"]["code"]) == ("failed", "too_large")
    assert "Python" not in view["error"]["message"] and "Traceback" not in answer.text
    assert not stack.deck_stored(offer["job_id"])


def test_a_non_deck_under_a_pptx_name_is_caught_by_completion_and_deleted(
    aws_dev_stack: AwsDevStack,
) -> None:
    stack = aws_dev_stack
    payload = b"%PDF-1.7\n" + os.urandom(5 << 20)  # big enough to take the direct path
    offer = stack.announce(len(payload), name="looks-like.pptx")
    assert stack.post_to_bucket(offer["upload"], payload, "looks-like.pptx").status_code == 204
    answer = requests.post(offer["complete_url"], timeout=60)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "not_a_presentation")
    view = stack.status(offer["job_id"])
    assert (view["state"], view["error"]["code"]) == ("failed", "not_a_presentation")
    assert not stack.deck_stored(offer["job_id"])
    assert stack.pdfs(offer["job_id"]) == []
