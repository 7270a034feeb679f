"""Cloud Function `reaper` (Pub/Sub CloudEvent from Cloud Scheduler): a thin entry point."""

import functions_framework
from cloudevents.http import CloudEvent

from deckpipe import reaper as reaping
from deckpipe import runtime

# Cold start: configuration and the clients (job store, queue, storage for the orphan
# sweep), once per instance.
RUNTIME = runtime.load("jobs", "queue", "blobs")


@functions_framework.cloud_event
def reaper(cloud_event: CloudEvent) -> None:
    reaping.reap(RUNTIME)
