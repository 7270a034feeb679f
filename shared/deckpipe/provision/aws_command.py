"""``deckpipe provision --cloud aws``: the bucket, table and queues of the aws backend.

The names come from the functions' own settings (``DECKPIPE_BUCKET``,
``DECKPIPE_DYNAMODB_TABLE``, ``DECKPIPE_SQS_QUEUE_URL`` and ``DECKPIPE_SQS_DLQ_URL``, whose
queue must be named ``<queue>-dead-letter``, ``AWS_REGION``, and ``DECKPIPE_AWS_ENDPOINT_URL``
for moto), from the environment or ``--env-file``. Deployed with SAM, the template declares all
of it; provision then checks it and converges what drifted, and creates it for a setup without
the template. boto3 loads only when the command runs.
"""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from .command import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from botocore.exceptions import BotoCoreError, ClientError

    from ..config import load_settings, read_env_file
    from ..errors import ConfigError, TransientError
    from .aws import DLQ_SUFFIX, AwsPlan, ProvisionError, inspect_aws, provision_aws, queue_name

    try:
        values = read_env_file(Path(args.env_file)) if args.env_file else dict(os.environ)
        settings = load_settings({"DECKPIPE_BACKEND": "aws", **values})
    except ConfigError as error:
        print(f"deckpipe provision: {error.message}", file=err)
        return EXIT_USAGE
    if settings.backend != "aws":
        print(f"deckpipe provision --cloud aws: DECKPIPE_BACKEND is {settings.backend!r}; "
              "set it to aws with the aws backend's settings", file=err)
        return EXIT_USAGE
    queue = queue_name(settings.sqs_queue_url)
    if queue_name(settings.sqs_dead_letter_url) != queue + DLQ_SUFFIX:
        print(f"deckpipe provision: DECKPIPE_SQS_DLQ_URL names "
              f"{queue_name(settings.sqs_dead_letter_url)!r}; provision makes the dead-letter "
              f"queue of {queue!r} as {queue + DLQ_SUFFIX!r}", file=err)
        return EXIT_USAGE
    receives = args.max_delivery_attempts or 5
    if not 1 <= receives <= 1000 or args.visibility_timeout not in range(0, 43201):
        print("deckpipe provision: --max-delivery-attempts must be 1-1000 and "
              "--visibility-timeout 0-43200 seconds (SQS's limits)", file=err)
        return EXIT_USAGE
    plan = AwsPlan(bucket=settings.bucket, table=settings.dynamodb_table, queue=queue,
                   region=settings.aws_region, endpoint_url=settings.aws_endpoint_url,
                   max_receives=receives, visibility_timeout_seconds=args.visibility_timeout,
                   retention_days=settings.retention_days,
                   allowed_origins=sorted(settings.cors_origins))
    where = settings.aws_endpoint_url or "AWS"
    print(f"deckpipe provision: region {plan.region} ({where})", file=out)
    try:
        if args.dry_run:
            steps = inspect_aws(plan)
            print("plan (dry run: nothing was changed):", file=out)
            for resource, action, detail in steps:
                print(f"  {action:<11} {resource}" + (f"  ({detail})" if detail else ""),
                      file=out)
            counts = [action for _, action, _ in steps]
            print(f"summary: {counts.count('create')} to create, {counts.count('update')} to "
                  f"update, {counts.count('ok')} ok", file=out)
            return EXIT_OK
        stack = provision_aws(plan)
    except (ProvisionError, ClientError, BotoCoreError, TransientError) as error:
        print(f"deckpipe provision: failed: {error}", file=err)
        return EXIT_FAILED
    for resource, outcome in stack.steps:
        print(f"  {outcome:<11} {resource}", file=out)
    print(f"summary: {', '.join(f'{resource} {outcome}' for resource, outcome in stack.steps)}",
          file=out)
    return EXIT_OK
