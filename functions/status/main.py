"""Cloud Function `status` (HTTP): a thin entry point over `deckpipe.web.status`."""

import functions_framework
from flask import Request, Response

from deckpipe import runtime, web, webserver

# Cold start: read and validate the configuration and build the clients once;
# a broken configuration stops the instance here, not on the first request.
RUNTIME = runtime.load("jobs")
# Every answer JSON with a code, the framework's and the server's own refusals too.
webserver.install_error_handlers()


@functions_framework.http
def status(request: Request) -> Response:
    return web.status(RUNTIME, request)
