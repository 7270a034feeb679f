"""Lambda function `upload` (function URL, payload v2): a thin entry point over `web.upload`.

The same core as the Cloud Function beside it (`main.py`), reached through apig-wsgi.
"""

from deckpipe import awslambda, runtime, web

# Cold start: read and validate the configuration and build the clients once;
# a broken configuration stops the instance here, not on the first request.
RUNTIME = runtime.load("blobs", "jobs", "queue")

handler = awslambda.http_handler(RUNTIME, web.upload, "upload")
