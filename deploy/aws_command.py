"""``deckpipe deploy --cloud aws``: stage every Lambda function and the template, install the
functions' pinned requirements for Lambda, then ``sam deploy`` the stack.

    deckpipe deploy --cloud aws [--dry-run | --build-only] [--region R] [--stack-name S]
                    [--parameter NAME=VALUE ...] [--build-dir build/aws]

``--dry-run`` stages the sources, requirements and template (nothing is downloaded) and prints
the commands a deploy runs, one per line, on standard output: a ``pip install`` per function
(for the Lambda platform), then ``sam deploy``. ``--build-only`` also runs the pip installs, so
``build/aws`` is exactly what SAM would upload, and stops there. The settings are the
template's parameters; the functions' environment comes from the template itself.
Exit status: 0 done, 1 a pip or sam command failed, 2 a problem found before anything ran.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import aws_stage, sam, stage
from .gcloud import shell_line
from .table import DeployError

DEFAULT_REGION = "us-east-1"
_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")


@dataclass
class AwsPlan:
    """Everything a deploy to AWS will do, staged before anything runs."""

    region: str
    stack: str
    build_dir: Path
    template: Path
    sources: dict[str, Path]
    installs: dict[str, list[str]]  # function -> its pip install argv
    compiles: dict[str, list[str]]  # function -> compileall argv (empty without a 3.12 here)
    deploy: list[str]  # the sam deploy argv
    parameters: dict[str, str]


def make_plan(*, region: str = DEFAULT_REGION, stack: str = sam.DEFAULT_STACK,
              build_dir: Path = aws_stage.DEFAULT_BUILD_DIR, parameters: list[str] | None = None,
              template: Path = aws_stage.TEMPLATE, python312: str | None = None) -> AwsPlan:
    """Check the options and pins, then stage; raises ``DeployError`` before staging if
    anything is wrong."""
    pins = aws_stage.lambda_pins()
    for function in aws_stage.FUNCTIONS:
        aws_stage.requirements_for(function, pins)
    values = sam.parse_parameters(parameters or [], aws_stage.template_parameters(template))
    if not _REGION_RE.match(region):
        raise DeployError(f"--region {region!r} is not an AWS region such as eu-west-1")
    if not stack.replace("-", "").isalnum() or not stack[:1].isalpha() or len(stack) > 128:
        raise DeployError(f"--stack-name {stack!r}: letters, digits and dashes, starting with "
                          "a letter (CloudFormation's rule)")
    build_dir = stage.prepare_build_dir(build_dir)
    sources = {f.name: aws_stage.stage_function(f, build_dir, pins)
               for f in aws_stage.FUNCTIONS}
    staged = aws_stage.stage_template(build_dir, template)
    installs = {name: aws_stage.pip_argv(folder) for name, folder in sources.items()}
    compiles = ({name: aws_stage.compile_argv(folder, python312)
                 for name, folder in sources.items()} if python312 else {})
    deploy = sam.deploy_argv(staged, stack=stack, region=region, parameters=values)
    return AwsPlan(region, stack, build_dir, staged, sources, installs, compiles, deploy,
                   values)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options only ``--cloud aws`` reads (``--region``, ``--build-dir`` and ``--dry-run``
    are shared with the Google deploy)."""
    group = parser.add_argument_group("--cloud aws")
    group.add_argument("--stack-name", default=sam.DEFAULT_STACK,
                       help=f"CloudFormation stack (default: {sam.DEFAULT_STACK})")
    group.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                       help="a template parameter (RetentionDays, AllowedOrigins, MaxReceives, "
                            "ConvertConcurrency, LogRetentionDays); repeatable")
    group.add_argument("--lambda-python", metavar="PYTHON3.12",
                       help="a CPython 3.12 that compiles the staged functions' bytecode "
                            "(default: python3.12 on PATH; without one, Lambda compiles the "
                            "modules at every cold start)")
    group.add_argument("--build-only", action="store_true",
                       help="stage and install the requirements for Lambda, deploy nothing")


def run(args: argparse.Namespace) -> int:
    if args.env_file or args.only or args.project:
        _say("deckpipe deploy --cloud aws: --env-file, --only and --project are Google's; on "
             "AWS the template sets the functions' environment and deploys the whole stack "
             "(settings: --parameter NAME=VALUE)")
        return 2
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get(
        "AWS_DEFAULT_REGION") or DEFAULT_REGION
    python312 = aws_stage.lambda_python(args.lambda_python)
    if args.lambda_python and python312 is None:
        _say(f"deckpipe deploy: --lambda-python {args.lambda_python} is not a CPython 3.12 "
             "(the functions' runtime)")
        return 2
    try:
        plan = make_plan(region=region, stack=args.stack_name,
                         build_dir=args.build_dir or aws_stage.DEFAULT_BUILD_DIR,
                         parameters=args.parameter, python312=python312)
    except DeployError as exc:
        _say(f"deckpipe deploy: {exc}")
        return 2
    except OSError as exc:
        _say(f"deckpipe deploy: cannot stage the functions: {exc}")
        return 2
    if not plan.compiles:
        _say("note: no CPython 3.12 here (--lambda-python), so no bytecode is shipped: each "
             "cold start compiles the modules it imports (about half a second or more)")
    _say(f"stack {plan.stack}, region {plan.region}; staged {', '.join(plan.sources)} and "
         f"{plan.template.name} in {plan.build_dir}")
    if args.dry_run:
        for argv in [*plan.installs.values(), *plan.compiles.values(), plan.deploy]:
            print(shell_line(argv), flush=True)
        _say("dry run: nothing was installed or sent to AWS")
        return 0
    executable = shutil.which("sam")
    if executable is None and not args.build_only:
        _say("deckpipe deploy: sam is not on PATH; install the AWS SAM CLI "
             "(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"
             "install-sam-cli.html), or use --build-only")
        return 2
    for name, argv in plan.installs.items():
        _say(f"\n==> {name}: requirements for Lambda (python {aws_stage.PYTHON_VERSION}, "
             f"x86_64)\n$ {shell_line(argv)}")
        if subprocess.run(argv, check=False).returncode != 0:
            _say(f"\ndeckpipe deploy: pip could not install {name}'s requirements for Lambda "
                 "(see above); nothing was deployed")
            return 1
    for name, argv in plan.compiles.items():
        _say(f"\n==> {name}: bytecode for python {aws_stage.PYTHON_VERSION}\n$ {shell_line(argv)}")
        if subprocess.run(argv, check=False).returncode != 0:
            _say(f"\ndeckpipe deploy: could not compile {name}; nothing was deployed")
            return 1
    if args.build_only:
        _say(f"\nbuilt {plan.build_dir}; deploy it with:\n{shell_line(plan.deploy)}")
        return 0
    _say(f"\n==> deploying stack {plan.stack}\n$ {shell_line(plan.deploy)}")
    code = subprocess.run([executable, *plan.deploy[1:]], check=False).returncode
    if code != 0:
        _say(f"\ndeckpipe deploy: sam deploy failed (exit status {code}); CloudFormation rolls "
             "a failed stack update back. Fix what sam reported above and rerun.")
        return 1
    _say(f"\ndeployed stack {plan.stack}. Its URLs (PageUrl is the upload page):\n"
         f"{shell_line(sam.outputs_argv(stack=plan.stack, region=plan.region))}")
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
