"""`deckpipe dev`: the whole stack on fixed local ports, until Ctrl-C or SIGTERM.

A child that exits is restarted (see `supervisor`): one crashed function must not take the
stack, and every job in it, down with it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from deckpipe_emulators.stack import DEFAULT_PORTS, LocalStack, StackConfig, StackError
from deckpipe_emulators.supervisor import Supervisor

_DEFAULTS = StackConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `deckpipe dev`; each port defaults to $DECKPIPE_<SERVICE>_PORT, then the usual."""
    for name, port in DEFAULT_PORTS.items():
        variable = f"DECKPIPE_{name.upper()}_PORT"
        parser.add_argument(
            f"--{name}-port",
            type=int,
            # argparse converts a string default with `type`, so a bad variable is a usage error.
            default=os.environ.get(variable, str(port)),
            metavar="PORT",
            help=f"port of {name} (default: ${variable} or {port})",
        )
    parser.add_argument(
        "--cloud", choices=("google", "aws"), default="google",
        help="whose functions and services to run: google (the emulators, the default) or aws "
        "(moto and the Lambda handlers on the upload, status and result ports)",
    )
    parser.add_argument("--project", default=_DEFAULTS.project, help="Google Cloud project id")
    parser.add_argument("--bucket", default=_DEFAULTS.bucket, help="Cloud Storage bucket")
    parser.add_argument("--topic", default=_DEFAULTS.topic, help="Pub/Sub topic for jobs")
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=Path(".deckpipe/logs"),
        help="one log file per emulator and function (default: .deckpipe/logs)",
    )
    # Tests run the command against throwaway functions.
    parser.add_argument("--functions-dir", type=Path, default=None, help=argparse.SUPPRESS)


def config_from_args(args: argparse.Namespace) -> StackConfig:
    config = StackConfig(
        project=args.project,
        bucket=args.bucket,
        topic=args.topic,
        ports={name: getattr(args, f"{name}_port") for name in DEFAULT_PORTS},
        log_dir=args.log_dir,
    )
    if args.functions_dir is not None:
        config.functions_dir = args.functions_dir.resolve()
    return config


def run(args: argparse.Namespace) -> int:
    """Start the stack, print where everything is, and stop it all on SIGINT/SIGTERM."""
    if getattr(args, "cloud", "google") == "aws":
        from deckpipe_emulators import aws_stack

        return aws_stack.serve_ports(args.upload_port, args.status_port, args.result_port)
    stack = LocalStack(config_from_args(args))
    supervisor = Supervisor(stack)
    interrupt = _Interrupt()
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stack.start()
        _print_banner(stack)
        while True:
            time.sleep(0.5)
            supervisor.check()
    except KeyboardInterrupt:
        print("deckpipe dev: stopping", file=sys.stderr, flush=True)
        return 0
    except StackError as error:
        print(f"deckpipe dev: {error}", file=sys.stderr, flush=True)
        return 2
    finally:
        interrupt.stopping = True  # later signals are absorbed until everything is down
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Interrupt:
    """SIGTERM and SIGINT both unwind through the same path as Ctrl-C, once.

    A second signal (Ctrl-C twice, or make passing its own signal on) must not
    cut the shutdown short and leave emulators running. The handler stays
    installed and absorbs it: swapping in SIG_IGN while a signal is pending
    makes CPython print a "race condition" traceback.
    """

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        if not self.stopping:
            self.stopping = True
            raise KeyboardInterrupt


def _print_banner(stack: LocalStack) -> None:
    urls = stack.urls
    width = max(map(len, urls))
    lines = [
        "deckpipe dev: the local stack is up",
        "",
        f"  open the upload page:  {urls['upload']}/",
        "",
    ]
    lines += [f"  {name:<{width}}  {url}" for name, url in urls.items()]
    lines += [
        "",
        f"  logs: {stack.log_dir.resolve() if stack.log_dir else None}",
        "",
        "  try:",
        f"    curl -F file=@deck.pptx {urls['upload']}/",
        "",
        "  A service that exits is restarted (an emulator comes back empty: this says so).",
        "  Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)
