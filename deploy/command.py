"""``deckpipe deploy``: validate the environment file, stage every function, run gcloud.

    deckpipe deploy --env-file deploy/env.yaml [--dry-run] [--region R] [--project P]
                    [--build-dir build/deploy] [--only convert,upload]
    deckpipe deploy --cloud aws [--dry-run | --build-only] ...   (see deploy/aws_command.py)

Nothing reaches Google Cloud before the configuration has passed ``deckpipe.config`` and every
function is staged. ``--dry-run`` stops there and prints the gcloud commands, one per line, on
standard output (everything else goes to standard error, so the output is a runnable script).
Exit status: 0 done, 1 a gcloud command failed (the ones after it were not run), 2 a problem
found before anything was deployed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import aws_command, envfile, gcloud, stage, table
from .table import DeployError, FunctionSpec

DEFAULT_REGION = "us-central1"
DEFAULT_BUILD_DIR = table.REPO_ROOT / "build" / "deploy"
ENV_FILE_NAME = "env.yaml"  # the file gcloud reads, inside the build folder
SCHEDULE = "reaper-schedule"  # the Cloud Scheduler job that runs the reaper, after it


@dataclass
class Plan:
    """Everything a deploy will do, worked out and staged before anything is sent to Google."""

    region: str
    build_dir: Path
    env: envfile.ResolvedEnv
    env_file: Path
    functions: list[FunctionSpec]
    sources: dict[str, Path]
    commands: dict[str, list[str]]


def make_plan(
    env_file: Path,
    *,
    region: str = DEFAULT_REGION,
    project: str | None = None,
    build_dir: Path = DEFAULT_BUILD_DIR,
    only: str | None = None,
    table_path: Path = table.TABLE_PATH,
    repo: Path = table.REPO_ROOT,
) -> Plan:
    """Validate, then stage the selected functions; raises ``DeployError`` before staging
    anything if the table, the pins or the environment file are wrong."""
    specs = table.load_table(table_path)
    selected = table.select(specs, only)
    pins = table.pinned_dependencies(repo / "pyproject.toml")
    for spec in selected:  # a missing pin is found before the build folder is touched
        table.requirements_for(spec, pins)
    resolved = envfile.resolve(
        envfile.read_env_file(env_file),
        region=region,
        project=project,
        functions=specs,
        where=str(env_file),
    )
    build_dir = stage.prepare_build_dir(build_dir)
    written_env = build_dir / ENV_FILE_NAME
    written_env.write_text(
        envfile.render_env_file(resolved.values, str(env_file)), encoding="utf-8"
    )
    sources = {spec.name: stage.stage_function(spec, build_dir, pins, repo) for spec in selected}
    commands = {
        spec.name: gcloud.deploy_argv(
            spec,
            source=sources[spec.name],
            env_file=written_env,
            settings=resolved.settings,
            region=region,
        )
        for spec in selected
    }
    if any(spec.trigger == "reaper-topic" for spec in selected):
        commands[SCHEDULE] = gcloud.scheduler_argv(resolved.settings, region=region)
    return Plan(region, build_dir, resolved, written_env, selected, sources, commands)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``deploy`` subcommand's options; also makes it run ``run``."""
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--cloud", choices=("google", "aws"), default="google",
                        help="google (Cloud Functions, the default) or aws (Lambda with SAM; "
                             "see deploy/aws/README.md)")
    parser.add_argument("--env-file", type=Path, metavar="ENV.yaml",
                        help="google: the functions' environment (see deploy/env.example.yaml); "
                             "required there")
    parser.add_argument("--dry-run", action="store_true",
                        help="stage and print the commands (gcloud; pip and sam) without "
                             "running them")
    parser.add_argument("--region",
                        help=f"region (default: {DEFAULT_REGION} on google; AWS_REGION or "
                             f"{aws_command.DEFAULT_REGION} on aws)")
    parser.add_argument("--project",
                        help="project id (default: GOOGLE_CLOUD_PROJECT from the env file)")
    parser.add_argument("--build-dir", type=Path,
                        help="where the functions are staged (default: build/deploy, "
                             "build/aws on aws)")
    parser.add_argument("--only", metavar="NAME,...",
                        help="deploy only these functions (default: all, in the table's order)")
    aws_command.add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The command: every check first, so a problem never leaves a half-made deployment."""
    if args.cloud == "aws":
        return aws_command.run(args)
    if args.env_file is None:
        _say("deckpipe deploy: --env-file is required (see deploy/env.example.yaml)")
        return 2
    if args.build_only or args.parameter:
        _say("deckpipe deploy: --build-only and --parameter are for --cloud aws")
        return 2
    try:
        plan = make_plan(
            args.env_file,
            region=args.region or DEFAULT_REGION,
            project=args.project,
            build_dir=args.build_dir or DEFAULT_BUILD_DIR,
            only=args.only,
        )
    except DeployError as exc:
        _say(f"deckpipe deploy: {exc}")
        return 2
    except OSError as exc:  # the build folder: permissions, a full disk
        _say(f"deckpipe deploy: cannot stage the functions: {exc}")
        return 2
    settings = plan.env.settings
    _say(f"project {settings.project}, region {plan.region}, topic {settings.topic}, "
         f"bucket {settings.bucket}")
    for note in plan.env.notes:
        _say(f"filled in {note}")
    _say(f"staged {', '.join(plan.sources)} in {plan.build_dir}; environment: {plan.env_file}")
    if args.dry_run:
        for argv in plan.commands.values():
            print(gcloud.shell_line(argv), flush=True)
        _say(direct_transfer_notes(plan))
        _say("dry run: nothing was sent to Google Cloud")
        return 0
    return _deploy(plan)


def _deploy(plan: Plan) -> int:
    executable = shutil.which("gcloud")
    if executable is None:
        _say("deckpipe deploy: gcloud is not on PATH; install the Google Cloud SDK "
             "(https://cloud.google.com/sdk/docs/install)")
        return 2
    names = list(plan.commands)
    for index, name in enumerate(names):
        argv = plan.commands[name]
        if name == SCHEDULE and _scheduler_job_exists(executable, plan):
            argv = gcloud.scheduler_argv(plan.env.settings, region=plan.region, verb="update")
        _say(f"\n==> deploying {name} ({index + 1}/{len(names)})\n$ {gcloud.shell_line(argv)}")
        code = subprocess.run([executable, *argv[1:]], check=False).returncode
        if code != 0:
            done = ", ".join(names[:index]) or "none"
            rest = ", ".join(names[index + 1:]) or "none"
            # The schedule is redone with the reaper function; --only takes function names.
            again = [n for n in names[index:] if n != SCHEDULE] or ["reaper"]
            _say(
                f"\ndeckpipe deploy: gcloud failed to deploy {name} (exit status {code}); "
                f"stopped there. Deployed: {done}. Not attempted: {rest}. Fix what gcloud "
                f"reported above and rerun (redeploying a function is safe), e.g. "
                f"--only {','.join(again)}"
            )
            return 1
    _say(f"\ndeployed {', '.join(names)}")
    _say(next_steps(plan))
    _say(direct_transfer_notes(plan))
    return 0


def _scheduler_job_exists(executable: str, plan: Plan) -> bool:
    settings = plan.env.settings
    argv = [executable, "scheduler", "jobs", "describe", gcloud.REAPER_JOB,
            f"--project={settings.project}", f"--location={plan.region}", "--format=value(name)"]
    return subprocess.run(argv, check=False, capture_output=True).returncode == 0


def next_steps(plan: Plan) -> str:
    """What the deploy leaves to others: Eventarc creates the worker's subscriptions only now,
    and ``deckpipe provision`` gives them their retry and dead-letter policies."""
    settings, region = plan.env.settings, plan.region
    lines = [
        f"  {spec.name}: {envfile.function_url(region, settings.project, spec.name)}"
        for spec in plan.functions
        if spec.is_http
    ]
    if lines:
        lines.insert(0, "HTTP functions:")
    if any(not spec.is_http for spec in plan.functions):
        lines += [
            "Next: run `deckpipe provision` again (same settings in the environment) so the "
            "subscriptions Eventarc made",
            f"for the workers get their retry policy and dead-letter topic "
            f"{settings.dead_letter_topic}; see deploy/README.md.",
        ]
    return "\n".join(lines)


def direct_transfer_notes(plan: Plan) -> str:
    """What large decks and PDFs need beyond the functions (``deckpipe.direct``): the
    result function signs download links through IAM signBlob as its own service account,
    and Cloud Storage's finalize notifications and CORS rule come from provision."""
    settings = plan.env.settings
    result = next((spec for spec in table.load_table() if spec.name == "result"), None)
    account = (result.service_account.replace("{project}", settings.project)
               if result is not None and result.service_account
               else "PROJECT_NUMBER-compute@developer.gserviceaccount.com")
    origins = sorted(settings.cors_origins) or ["(none: set DECKPIPE_ALLOWED_ORIGINS)"]
    return "\n".join([
        "Direct transfer (decks over the 32 MiB request limit, PDFs over 32 MB):",
        "  signing role: result signs download links as its runtime service account through "
        "IAM signBlob (enable iamcredentials.googleapis.com); grant it "
        "roles/iam.serviceAccountTokenCreator on itself:",
        f"    gcloud iam service-accounts add-iam-policy-binding {account} "
        f"--project={settings.project} --member=serviceAccount:{account} "
        "--role=roles/iam.serviceAccountTokenCreator",
        f"  bucket notification: `deckpipe provision` sends finalize events of inputs/ in "
        f"gs://{settings.bucket} to topic {settings.uploads_topic} and pushes them to the "
        "upload function's /finalized; Cloud Storage's service agent "
        "(`gcloud storage service-agent --project="
        f"{settings.project}`) needs roles/pubsub.publisher on {settings.uploads_topic}",
        f"  bucket CORS: `deckpipe provision` allows PUT with Content-Range from "
        f"{', '.join(origins)}",
    ])


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
