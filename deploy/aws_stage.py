"""Stage the Lambda functions and the SAM template into ``build/aws/``, as SAM will upload them.

Each function becomes a self-contained folder, ``build/aws/<name>/``: its
``lambda_function.py``, a real copy of the shared ``deckpipe`` package (the renderer's fonts only
where it renders), a ``requirements.txt`` pinned from ``pyproject.toml`` (its dependencies and
the ``aws`` extra, never a range), and, once installed, those requirements themselves. Lambda
puts nothing else on the path, so what is not in the folder cannot be imported.

The requirements are installed for the Lambda platform, not this machine: ``pip install
--platform ... --only-binary=:all: --python-version 3.12 --target DIR`` as AWS's packaging
guidance says, so native wheels (lxml, Pillow, uharfbuzz, reportlab's accelerators) are the
manylinux ones for CPython 3.12 on x86_64 whatever Python runs the deploy. Pillow 12 publishes
manylinux_2_28 wheels only, which the python3.12 runtime (Amazon Linux 2023, glibc 2.34) loads;
both platform tags are given so pip may pick either.

The template is copied beside the folders with each ``CodeUri`` pointing at its folder, so the
staged template is complete on its own (``tests/test_aws_deploy.py`` runs cfn-lint on it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from . import stage, table
from .table import REPO_ROOT, DeployError

TEMPLATE = REPO_ROOT / "deploy" / "aws" / "template.yaml"
DEFAULT_BUILD_DIR = REPO_ROOT / "build" / "aws"
STAGED_TEMPLATE = "template.yaml"
PYTHON_VERSION = "3.12"  # the template's Runtime: python3.12
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")  # Architectures: [x86_64]

_HTTP = ("boto3", "werkzeug", "flask", "apig-wsgi")
_RENDER = ("python-pptx", "lxml", "pillow", "reportlab", "rl_accel", "uharfbuzz", "python-bidi")


@dataclass(frozen=True)
class LambdaFunction:
    """One function of the template: its folder under ``functions/``, its logical id, the
    distributions its ``lambda_function.py`` imports, and whether it renders (fonts)."""

    name: str
    logical_id: str
    requirements: tuple[str, ...]
    fonts: bool = False


# Measured by importing each lambda_function.py: the HTTP functions load Flask and apig-wsgi,
# convert loads the renderer (and Flask through deckpipe.webserver), the reaper only boto3.
FUNCTIONS = (
    LambdaFunction("convert", "ConvertFunction", ("boto3", "werkzeug", "flask", *_RENDER), True),
    LambdaFunction("upload", "UploadFunction", _HTTP),
    LambdaFunction("status", "StatusFunction", _HTTP),
    LambdaFunction("result", "ResultFunction", _HTTP),
    LambdaFunction("reaper", "ReaperFunction", ("boto3",)),
)


def lambda_pins(pyproject: Path = REPO_ROOT / "pyproject.toml") -> dict[str, str]:
    """Normalized name -> exact pin, from ``[project] dependencies`` and the ``aws`` extra."""
    pins = table.pinned_dependencies(pyproject)
    try:
        extra = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"][
            "optional-dependencies"]["aws"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise DeployError(f"{pyproject}: cannot read the aws extra: {exc}") from None
    for line in extra:
        match = table._PIN_RE.match(line.strip())
        if match is None:
            raise DeployError(f"{pyproject}: the aws extra's {line!r} is not an exact pin")
        pins[table.normalize(match["name"])] = line.strip()
    return pins


def requirements_for(function: LambdaFunction, pins: dict[str, str]) -> list[str]:
    missing = [name for name in function.requirements if table.normalize(name) not in pins]
    if missing:
        raise DeployError(f"function {function.name}: {', '.join(missing)} not pinned in "
                          "pyproject.toml (dependencies or the aws extra)")
    return list(dict.fromkeys(pins[table.normalize(name)] for name in function.requirements))


def stage_function(function: LambdaFunction, build_dir: Path, pins: dict[str, str],
                   repo: Path = REPO_ROOT) -> Path:
    """Write ``build_dir/<name>`` from scratch (sources and requirements.txt) and return it."""
    entry = repo / "functions" / function.name / "lambda_function.py"
    package = repo / "shared" / "deckpipe"
    if not entry.is_file():
        raise DeployError(f"function {function.name}: {entry} not found")
    target = build_dir / function.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(entry, target / "lambda_function.py")
    shutil.copytree(package, target / "deckpipe", symlinks=False,
                    ignore=stage._ignore(package, SimpleNamespace(fonts=function.fonts)))
    (target / "requirements.txt").write_text(
        f"# {function.name}: pinned from pyproject.toml by `deckpipe deploy --cloud aws`\n"
        + "".join(f"{line}\n" for line in requirements_for(function, pins)))
    return target


def stage_template(build_dir: Path, template: Path = TEMPLATE) -> Path:
    """The template with every function's ``CodeUri`` pointing at its staged folder."""
    text = template.read_text(encoding="utf-8")
    for function in FUNCTIONS:
        pattern = re.compile(rf"^(\s*CodeUri:\s*)\S*/{function.name}/?\s*$", re.MULTILINE)
        text, count = pattern.subn(rf"\g<1>{function.name}/", text)
        if count != 1:
            raise DeployError(f"{template}: expected one CodeUri for {function.name}, "
                              f"found {count}")
    staged = build_dir / STAGED_TEMPLATE
    staged.write_text(text, encoding="utf-8")
    return staged


def pip_argv(folder: Path, python: str = sys.executable) -> list[str]:
    """Install ``folder/requirements.txt`` into ``folder`` for Lambda's runtime and CPU.

    ``--no-compile``: bytecode made by this interpreter would be for its own version, not
    3.12; ``--upgrade`` lets a second run replace what the first installed.
    """
    argv = [python, "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
            "--progress-bar", "off", "--no-compile", "--upgrade"]
    for platform in PLATFORMS:
        argv += ["--platform", platform]
    return argv + ["--implementation", "cp", "--python-version", PYTHON_VERSION,
                   "--only-binary=:all:", "--target", str(folder),
                   "-r", str(folder / "requirements.txt")]


def compile_argv(folder: Path, python: str) -> list[str]:
    """Bytecode for the whole folder, made by a CPython 3.12 (``lambda_python``).

    Lambda's ``/var/task`` is read-only, so without it every cold start compiles every module
    it imports again. Measured with CPython 3.12.1 on the staged folders alone (``-I -S -B``,
    median of 3, cold start included): convert 1.10 s without, 0.44 s with; status 0.61 s,
    0.22 s. ``unchecked-hash``: the zip's timestamps cannot invalidate it.
    """
    return [python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
            str(folder)]


def lambda_python(candidate: str | None = None) -> str | None:
    """A CPython 3.12 on this machine (``candidate``, else ``python3.12`` on PATH), whose
    bytecode the runtime can use; None if there is none."""
    for name in ([candidate] if candidate else ["python3.12"]):
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path is None:
            continue
        probe = subprocess.run(
            [path, "-c", "import sys; print(sys.implementation.name, *sys.version_info[:2])"],
            capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.split() == ["cpython", "3", "12"]:
            return path
    return None


class _CfnLoader(yaml.SafeLoader):
    """Reads a CloudFormation template: short-form tags (!Ref, !Sub...) become plain values."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_CfnLoader.add_multi_constructor("!", _tag)


def template_parameters(template: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """The template's ``Parameters``: name -> its declaration (Type, Default...)."""
    data = yaml.load(template.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    return dict(data.get("Parameters") or {})
