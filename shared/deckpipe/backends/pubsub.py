"""Pub/Sub backend: publishes one small message per job."""

from __future__ import annotations

from google.cloud import pubsub_v1

from ..errors import TransientError
from ..jobqueue import JobMessage, JobQueue

PUBLISH_TIMEOUT = 30.0


class PubSubJobQueue(JobQueue):
    def __init__(
        self, project: str, topic: str, *, client: pubsub_v1.PublisherClient | None = None
    ) -> None:
        self._client = client or pubsub_v1.PublisherClient()
        self._topic_path = self._client.topic_path(project, topic)

    def publish(self, message: JobMessage) -> str:
        data, attributes = message.encode()
        try:
            future = self._client.publish(self._topic_path, data, **attributes)
            return future.result(timeout=PUBLISH_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any failure means the message was not accepted
            raise TransientError(f"Pub/Sub publish failed: {type(exc).__name__}: {exc}") from exc
