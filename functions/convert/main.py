"""Cloud Function `convert` (Pub/Sub CloudEvent): a thin entry point over the worker."""

import functions_framework
from cloudevents.http import CloudEvent

from deckpipe import runtime, web

# Cold start: configuration, clients and the renderer are ready before the first event.
RUNTIME = runtime.load()


@functions_framework.cloud_event
def convert(cloud_event: CloudEvent) -> None:
    web.convert(RUNTIME, cloud_event)
