"""Constants and helpers shared by test modules."""

import io

import pptx

from deckpipe.render.resolve import DeckResolver

ENV = {
    "GOOGLE_CLOUD_PROJECT": "deckpipe-test",
    "DECKPIPE_BUCKET": "deckpipe-test",
    "DECKPIPE_TOPIC": "deckpipe-jobs",
    "DECKPIPE_STATUS_URL": "http://status.test",
    "DECKPIPE_RESULT_URL": "http://result.test",
    "DECKPIPE_BACKEND": "memory",
}


def resolve(prs: pptx.Presentation, index: int = 0):
    """Save and reopen ``prs`` (as a real deck would be read), then resolve one slide."""
    buf = io.BytesIO()
    prs.save(buf)
    reopened = pptx.Presentation(io.BytesIO(buf.getvalue()))
    return DeckResolver(reopened).resolve_slide(reopened.slides[index], index + 1)
