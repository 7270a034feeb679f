"""Constants shared by test modules."""

ENV = {
    "GOOGLE_CLOUD_PROJECT": "deckpipe-test",
    "DECKPIPE_BUCKET": "deckpipe-test",
    "DECKPIPE_TOPIC": "deckpipe-jobs",
    "DECKPIPE_STATUS_URL": "http://status.test",
    "DECKPIPE_RESULT_URL": "http://result.test",
    "DECKPIPE_BACKEND": "memory",
}
