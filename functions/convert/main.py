"""Cloud Function `convert` (Pub/Sub CloudEvent): a thin entry point over the worker."""

import functions_framework
from cloudevents.http import CloudEvent

from deckpipe import convert as worker
from deckpipe import runtime, web

# Cold start: configuration, clients, the renderer and its fonts are ready
# before the first event.
RUNTIME = runtime.load("jobs", "blobs")
worker.warm_up()


@functions_framework.cloud_event
def convert(cloud_event: CloudEvent) -> None:
    web.convert(RUNTIME, cloud_event)
