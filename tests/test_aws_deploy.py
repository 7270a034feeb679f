"""`deckpipe deploy --cloud aws`: what it stages, the commands it prints, and proof they work.

- the dry run: one self-contained folder per Lambda function (its ``lambda_function.py``, a
  real copy of the package, pins equal to ``pyproject.toml``'s, fonts only for convert), the
  staged template (cfn-lint accepts it, every ``CodeUri`` is a staged folder), one ``pip
  install`` for the Lambda platform per function and one ``sam deploy`` with every option;
- ``--build-only`` really installs each function's requirements for Lambda (manylinux wheels
  for CPython 3.12 on x86_64) from PyPI;
- each staged function on its own, in a fresh virtualenv holding only its requirements.txt,
  imported as Lambda imports it and handed a recorded event against moto: a deck through
  upload, convert (an SQS batch), status and result, and the scheduled reaper.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import textwrap
import time
from pathlib import Path

import pytest
from aws_moto import aws_env
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode
from test_aws_lambda import ACCOUNT, PPTX, answer_json, sqs_event, url_event
from test_deploy import files_under, make_venv, run_group

from deckpipe import cli, jobs
from deckpipe.backends._aws import client
from deckpipe_deploy import aws_command, aws_stage, sam, table

REPO = Path(__file__).resolve().parents[1]
NAMES = [function.name for function in aws_stage.FUNCTIONS]
FONTS = Path("deckpipe") / "render" / "fontfiles"


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory) -> tuple[Path, list[str]]:
    """``deckpipe deploy --cloud aws --dry-run`` into a folder of its own: (folder, stdout)."""
    build = tmp_path_factory.mktemp("aws-dry") / "build"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["deploy", "--cloud", "aws", "--dry-run", "--build-dir", str(build),
                         "--region", "eu-west-1", "--parameter", "RetentionDays=3",
                         "--parameter", "AllowedOrigins=https://decks.example.com"])
    lines = printed.getvalue().splitlines()
    assert code == 0
    return build, lines


def test_dry_run_stages_self_contained_folders(dry_run):
    build, _ = dry_run
    pins = aws_stage.lambda_pins()
    for function in aws_stage.FUNCTIONS:
        folder = build / function.name
        files = files_under(folder)
        assert Path("lambda_function.py") in files and Path("deckpipe/__init__.py") in files
        assert (folder / "lambda_function.py").read_bytes() == (
            REPO / "functions" / function.name / "lambda_function.py").read_bytes()
        assert not [p for p in folder.rglob("*") if p.is_symlink()]
        assert any(p.parts[:len(FONTS.parts)] == FONTS.parts for p in files) == function.fonts
        lines = [line for line in (folder / "requirements.txt").read_text().splitlines()
                 if not line.startswith("#")]
        assert lines == aws_stage.requirements_for(function, pins)
        assert all("==" in line for line in lines)
        # Nothing was downloaded: only sources and the requirements file.
        assert not list(folder.glob("*.dist-info"))
    assert "google-cloud-storage" not in str(pins.get("boto3"))
    assert {table.normalize(n) for n in ("boto3", "apig-wsgi", "flask")} <= set(pins)


def test_dry_run_prints_a_pip_install_per_function_then_sam_deploy(dry_run):
    build, lines = dry_run
    compiles = len(NAMES) if aws_stage.lambda_python() else 0  # with a CPython 3.12 here
    assert len(lines) == 2 * len(NAMES) + 1 if compiles else len(NAMES) + 1
    for name, line in zip(NAMES, lines, strict=False):
        words = line.split()
        assert words[1:4] == ["-m", "pip", "install"]
        assert words[words.index("--target") + 1] == str(build.resolve() / name)
        assert words[words.index("--python-version") + 1] == aws_stage.PYTHON_VERSION
        assert "--only-binary=:all:" in words and "manylinux2014_x86_64" in words
    deploy = lines[-1].split()
    assert deploy[:2] == ["sam", "deploy"]
    assert deploy[deploy.index("--template-file") + 1] == str(build.resolve() / "template.yaml")
    assert deploy[deploy.index("--region") + 1] == "eu-west-1"
    assert deploy[deploy.index("--stack-name") + 1] == sam.DEFAULT_STACK
    assert {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", "--resolve-s3",
            "--no-confirm-changeset"} <= set(deploy)
    overrides = deploy[deploy.index("--parameter-overrides") + 1:]
    given = dict(word.split("=", 1) for word in overrides)
    assert given["RetentionDays"] == "3"
    assert given["AllowedOrigins"] == "https://decks.example.com"
    assert set(given) == set(aws_stage.template_parameters())


def test_cfn_lint_accepts_the_staged_template_and_its_code_is_staged(dry_run):
    build, _ = dry_run
    staged = build / "template.yaml"
    matches = lint_file(staged, config=ManualArgs(regions=["eu-west-1", "us-east-1"]))
    assert [str(match) for match in matches] == []
    decoded, problems = decode(str(staged))
    assert not problems
    code = {function.logical_id: function.name for function in aws_stage.FUNCTIONS}
    declared = {name: resource["Properties"]["CodeUri"]
                for name, resource in decoded["Resources"].items()
                if resource["Type"] == "AWS::Serverless::Function"}
    assert set(declared) == set(code)
    for logical_id, uri in declared.items():
        assert (build / uri).resolve() == (build / code[logical_id]).resolve()
        assert (build / uri / "lambda_function.py").is_file()


@pytest.mark.parametrize(("words", "message"), [
    (["--parameter", "Retention=3"], "NAME one of"),
    (["--parameter", "LogRetentionDays=8"], "allowed values"),
    (["--parameter", "MaxReceives=0"], "at least 1"),
    (["--stack-name", "1-bad"], "--stack-name"),
    (["--region", "us-central1"], "not an AWS region"),
    (["--env-file", "deploy/env.yaml"], "Google's"),
])
def test_bad_options_stop_before_anything_is_staged(tmp_path, capsys, words, message):
    build = tmp_path / "build"
    code = cli.main(["deploy", "--cloud", "aws", "--dry-run", "--build-dir", str(build), *words])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not build.exists()


def test_lambda_python_must_be_cpython_312(tmp_path, capsys):
    code = cli.main(["deploy", "--cloud", "aws", "--dry-run", "--build-dir",
                     str(tmp_path / "build"), "--lambda-python", sys.executable])
    assert code == 2 and "is not a CPython 3.12" in capsys.readouterr().err


def test_google_stays_the_default_and_still_needs_its_env_file(tmp_path, capsys):
    code = cli.main(["deploy", "--dry-run", "--build-dir", str(tmp_path / "b")])
    assert code == 2 and "--env-file is required" in capsys.readouterr().err


def test_a_real_deploy_without_sam_installs_nothing(tmp_path, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(aws_command.shutil, "which", lambda name: None)
    monkeypatch.setattr(aws_command.subprocess, "run", lambda *a, **k: ran.append(a))
    code = cli.main(["deploy", "--cloud", "aws", "--build-dir", str(tmp_path / "build")])
    assert code == 2 and "sam is not on PATH" in capsys.readouterr().err
    assert ran == []


def test_build_only_installs_the_requirements_for_lambda(tmp_path, capsys):
    """The real pip install for the Lambda platform, every function (what a deploy uploads).
    Its time is printed, not asserted."""
    build = tmp_path / "build"
    # A stand-in for python3.12 (this interpreter, answering the version probe as 3.12), to
    # see that the bytecode step runs; a real one is used where the machine has it.
    python312 = tmp_path / "python3.12"
    python312.write_text(f'#!/bin/sh\n[ "$1" = -c ] && {{ echo cpython 3 12; exit 0; }}\n'
                         f'exec {sys.executable} "$@"\n')
    python312.chmod(0o755)
    started = time.monotonic()
    code = cli.main(["deploy", "--cloud", "aws", "--build-only", "--build-dir", str(build),
                     "--lambda-python", str(python312)])
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 0, err[-3000:]
    print(f"--build-only: {len(NAMES)} functions staged and installed in {elapsed:.1f} s",
          file=sys.stderr)
    for function in aws_stage.FUNCTIONS:
        folder = build / function.name
        installed = {table.normalize(p.name.split("-")[0]) for p in folder.glob("*.dist-info")}
        assert {table.normalize(name) for name in function.requirements} <= installed
        assert not installed & {"google-cloud-storage", "functions-framework", "gunicorn"}
    lxml = {p.name for p in (build / "convert" / "lxml").glob("etree*.so")}
    assert lxml and all("cpython-312-x86_64-linux-gnu" in name for name in lxml), lxml
    assert not list((build / "status").glob("lxml"))  # the HTTP functions carry no renderer
    assert list((build / "status" / "deckpipe" / "__pycache__").glob("web.*.pyc"))
    assert "compileall -q --invalidation-mode unchecked-hash" in err
    assert f"sam deploy --template-file {build.resolve() / 'template.yaml'}" in err


# --- each staged function in a clean virtualenv, against moto ---------------------------------

HANDLE = textwrap.dedent("""\
    import json, sys
    sys.path.insert(0, sys.argv[1])  # what Lambda does with the function's folder (/var/task)
    import lambda_function
    event = json.load(open(sys.argv[2]))
    answer = lambda_function.handler(event, None)
    print(json.dumps({"answer": answer, "deckpipe": __import__("deckpipe").__file__,
                      "path": sys.path, "prefix": sys.prefix}))
""")


@pytest.fixture(scope="module")
def staged_venvs(dry_run, tmp_path_factory) -> dict[str, Path]:
    """One fresh virtualenv per distinct requirements.txt (upload, status and result share
    theirs), holding that file's requirements and nothing else."""
    build, _ = dry_run
    root = tmp_path_factory.mktemp("aws-venvs")
    venvs: dict[str, Path] = {}
    made: dict[str, Path] = {}
    for name in NAMES:
        requirements = build / name / "requirements.txt"
        key = "\n".join(line for line in requirements.read_text().splitlines()
                        if not line.startswith("#"))
        if key not in made:
            venv, created, installed = make_venv(root, name, requirements)
            print(f"venv {name}: created in {created:.1f} s, pip install in {installed:.1f} s",
                  file=sys.stderr)
            made[key] = venv
        venvs[name] = made[key]
    return venvs


def handle(venvs, build: Path, name: str, event: dict, env: dict, tmp: Path) -> dict:
    """Run the staged function ``name`` in its virtualenv, outside the repository."""
    cwd = tmp / f"run-{name}"
    cwd.mkdir(exist_ok=True)
    (cwd / "event.json").write_text(json.dumps(event))
    done = run_group([str(venvs[name] / "bin" / "python"), "-c", HANDLE,
                      str(build / name), str(cwd / "event.json")],
                     timeout=180, env=env, cwd=cwd)
    assert done.returncode == 0, f"{name}:\n{done.stderr[-3000:]}"
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["deckpipe"] == str(build / name / "deckpipe" / "__init__.py")
    assert not [p for p in seen["path"] if p.startswith(str(REPO))]
    assert seen["prefix"] == str(venvs[name])
    return seen["answer"]


def test_each_staged_function_handles_a_recorded_event_in_a_clean_virtualenv(
    dry_run, staged_venvs, moto_endpoint, make_deck, tmp_path
):
    build = dry_run[0].resolve()
    settings = aws_env(moto_endpoint)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "TMPDIR": str(tmp_path), "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", **settings}
    assert not [k for k, v in env.items() if str(REPO) in v]

    deck = make_deck(["Staged on Lambda", "Second slide"])
    answer = handle(staged_venvs, build, "upload", url_event(
        "POST", "/", body=deck, headers={"content-type": PPTX, "x-filename": "staged.pptx"}),
        env, tmp_path)
    assert answer["statusCode"] == 202, answer
    job_id = answer_json(answer)["job_id"]

    sqs = client("sqs", region=settings["AWS_REGION"], endpoint_url=moto_endpoint)
    batch = sqs.receive_message(
        QueueUrl=settings["DECKPIPE_SQS_QUEUE_URL"], MaxNumberOfMessages=10,
        VisibilityTimeout=120, MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"]).get("Messages", [])
    assert [json.loads(m["Body"])["job_id"] for m in batch] == [job_id]
    answer = handle(staged_venvs, build, "convert",
                    sqs_event(batch, settings["DECKPIPE_SQS_QUEUE_URL"]), env, tmp_path)
    assert answer == {"batchItemFailures": []}

    answer = handle(staged_venvs, build, "status", url_event("GET", f"/{job_id}"), env,
                    tmp_path)
    view = answer_json(answer)
    assert answer["statusCode"] == 200 and view["state"] == jobs.DONE, view
    assert view["result"]["pages"] == 2

    answer = handle(staged_venvs, build, "result", url_event("GET", f"/{job_id}"), env,
                    tmp_path)
    assert answer["statusCode"] == 303, answer
    location = {k.lower(): v for k, v in answer["headers"].items()}["location"]
    assert f"results/{job_id}.pdf" in location

    scheduled = {"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
                 "detail-type": "Scheduled Event", "source": "aws.events", "account": ACCOUNT,
                 "time": "2026-11-25T16:00:00Z", "region": settings["AWS_REGION"],
                 "resources": [], "detail": {}}
    counts = handle(staged_venvs, build, "reaper", scheduled, env, tmp_path)
    assert counts["failed"] == 0 and counts["requeued"] == 0, counts
