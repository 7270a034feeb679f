"""The ``deckpipe provision`` command line (``DESCRIPTION`` is its help text).

Kept free of Google imports at module level, so building the ``deckpipe``
parser stays cheap; the clients load only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .model import Result, Step

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PENDING = 0, 1, 2, 3

DESCRIPTION = """\
Create or check everything the functions need: the bucket (lifecycle rule, CORS
policy), the jobs topic and its dead-letter topic, the subscriptions that deliver
them to convert (retry and dead-letter policies), the IAM grants dead-lettering
needs, and the Firestore TTL policies. It reads first and changes only what
differs, so it is safe to run again; --dry-run prints the plan and changes nothing.

Settings come from the same environment as the functions (GOOGLE_CLOUD_PROJECT,
DECKPIPE_*), or from --env-file (the file `deckpipe deploy` gives the functions);
*_EMULATOR_HOST variables point it at the emulators, where the parts only Google
Cloud has are reported as cloud-only.

In Google Cloud the subscriptions belong to the Eventarc triggers made by deploying
convert and convert-dead-letter: deploy, then run provision (again).

With --cloud aws it creates or checks the aws backend's resources instead: the S3
bucket (public access blocked, encryption, lifecycle expiry, CORS), the DynamoDB
table (its index and TTL) and the SQS queue with its dead-letter queue and redrive
policy, named by DECKPIPE_BUCKET, DECKPIPE_DYNAMODB_TABLE, DECKPIPE_SQS_QUEUE_URL and
DECKPIPE_SQS_DLQ_URL (DECKPIPE_AWS_ENDPOINT_URL points it at moto). The SAM template
declares the same resources; provision checks them, or makes them without it.

Exit status: 0 everything is as it should be (cloud-only parts aside); 1 a read or
a change failed; 2 a broken configuration or option; 3 all that could be done is
done, but something waits for another step first (deploy convert, name the Pub/Sub
service agent): do it, then run provision again.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cloud", choices=("google", "aws"), default="google",
                        help="google (the default) or aws (S3, DynamoDB and SQS)")
    parser.add_argument("--visibility-timeout", type=int, default=1800, metavar="SECONDS",
                        help="aws: the job queue's visibility timeout (default: 1800, six "
                             "times convert's 300 s timeout as AWS advises)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan (current state, desired state, action) and "
                             "change nothing")
    parser.add_argument("--env-file", metavar="ENV.yaml",
                        help="read the settings from this file (NAME: value lines, as "
                             "`deckpipe deploy` writes build/deploy/env.yaml) instead of the "
                             "environment")
    parser.add_argument("--push-endpoint", metavar="URL",
                        help="base URL of the convert function: create push subscriptions to "
                             "it (the emulators); without it, set the policies of the "
                             "subscriptions Eventarc made when convert was deployed")
    parser.add_argument("--pubsub-service-agent", metavar="EMAIL",
                        help="service-<project number>@gcp-sa-pubsub.iam.gserviceaccount.com, "
                             "granted what dead-lettering needs (without it, provision prints "
                             "the commands)")
    parser.add_argument("--min-backoff", type=float, default=10.0, metavar="SECONDS",
                        help="retry policy minimum backoff (default: 10)")
    parser.add_argument("--max-backoff", type=float, default=600.0, metavar="SECONDS",
                        help="retry policy maximum backoff (default: 600)")
    parser.add_argument("--max-delivery-attempts", type=int, default=None, metavar="N",
                        help="deliveries before a message is dead-lettered, 5-100 (default: "
                             "2 x DECKPIPE_MAX_ATTEMPTS + 1); aws: the redrive policy's "
                             "maxReceiveCount, 1-1000 (default: 5, as the template)")
    parser.add_argument("--ack-deadline", type=int, default=600, metavar="SECONDS",
                        help="ack deadline of the push subscriptions provision creates "
                             "(default: 600)")
    parser.add_argument("--location", default=None,
                        help="location of the bucket if provision creates it (default: "
                             "Cloud Storage's)")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Load the settings, plan, apply unless ``--dry-run``, and print what happened."""
    from pathlib import Path

    from ..config import load_settings, read_env_file
    from ..errors import ConfigError
    from . import Options, ProvisionError, emulators_from_environment, provision

    out, err = out or sys.stdout, err or sys.stderr
    if getattr(args, "cloud", "google") == "aws":
        from . import aws_command

        return aws_command.run(args, out, err)
    try:
        settings = load_settings(read_env_file(Path(args.env_file)) if args.env_file else None)
    except ConfigError as error:
        print(f"deckpipe provision: {error.message}", file=err)
        return EXIT_USAGE
    if args.push_endpoint and not args.push_endpoint.startswith(("http://", "https://")):
        print(f"deckpipe provision: --push-endpoint {args.push_endpoint!r} is not valid: "
              "expected an http(s) URL", file=err)
        return EXIT_USAGE
    options = Options(
        push_endpoint=args.push_endpoint,
        min_backoff=args.min_backoff,
        max_backoff=args.max_backoff,
        max_delivery_attempts=args.max_delivery_attempts,
        ack_deadline=args.ack_deadline,
        pubsub_service_agent=args.pubsub_service_agent,
        location=args.location,
    )
    try:
        options.check()
    except ValueError as error:
        print(f"deckpipe provision: {error}", file=err)
        return EXIT_USAGE
    emulators = emulators_from_environment()
    where = f"emulators: {', '.join(emulators.names())}" if emulators.names() else "Google Cloud"
    print(f"deckpipe provision: project {settings.project} ({where})", file=out)
    try:
        report = provision(settings, options, emulators, dry_run=args.dry_run)
    except ValueError as error:
        print(f"deckpipe provision: {error}", file=err)
        return EXIT_USAGE
    except ProvisionError as error:
        if error.done:
            print("applied before the failure:", file=out)
            print_results(error.done, out)
        print(f"deckpipe provision: failed: {error}", file=err)
        return EXIT_FAILED
    if report.dry_run:
        print("plan (dry run: nothing was changed):", file=out)
        print_steps(report.plan.steps, out)
    else:
        print_results(report.results, out)
    counts = Counter(str(step.action) for step in report.plan.steps)
    words = {"create": "to create", "update": "to update"} if report.dry_run else {
        "create": "created", "update": "updated"}
    print("summary: " + ", ".join(
        f"{counts[action]} {words.get(action, action)}"
        for action in ("create", "update", "ok", "cloud-only", "pending")
    ), file=out)
    if report.pending:
        print(f"deckpipe provision: {len(report.pending)} step(s) pending; see the notes above, "
              "then run provision again", file=err)
        return EXIT_PENDING
    return EXIT_OK


def print_steps(steps: Iterable[Step], out: TextIO) -> None:
    """One block per resource: action, then current and desired state, then the note."""
    for step in steps:
        _print_block(str(step.action), step, out)


def print_results(results: Iterable[Result], out: TextIO) -> None:
    for result in results:
        _print_block(result.outcome, result.step, out)


def _print_block(label: str, step: Step, out: TextIO) -> None:
    word, _, detail = label.partition(" ")  # "updated (retry_policy)": details go last
    print(f"  {word:<11} {step.resource}" + (f" {detail}" if detail else ""), file=out)
    indent = " " * 14
    if str(step.action) == "ok":
        print(f"{indent}is:   {step.current}", file=out)
    elif label != str(step.action):  # applied: what it was, what it is now
        print(f"{indent}was:  {step.current}", file=out)
        print(f"{indent}now:  {step.desired}", file=out)
    else:
        if str(step.action) != "cloud-only":
            print(f"{indent}now:  {step.current}", file=out)
        print(f"{indent}want: {step.desired}", file=out)
    for number, line in enumerate(step.note.splitlines()):
        print(f"{indent}note: {line}" if number == 0 else f"{indent}      {line}", file=out)
