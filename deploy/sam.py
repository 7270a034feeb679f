"""The ``sam deploy`` command for the staged template, built one way for the dry run and the
real deploy, with every option spelled out so nothing depends on a ``samconfig.toml``.

There is no ``sam build`` step: ``deckpipe deploy`` is the build. It stages each function with
its requirements installed for the Lambda platform (``aws_stage``), which ``sam build`` would
redo with whatever Python is on this machine (it insists on a local python3.12, or Docker).
``sam deploy`` zips each staged ``CodeUri`` folder, uploads it to the bucket ``--resolve-s3``
manages, and creates or updates the CloudFormation stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .table import DeployError

DEFAULT_STACK = "deckpipe"
# IAM: one role per function; AUTO_EXPAND: the template is a SAM (Transform) template.
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")


def parse_parameters(words: list[str], declared: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``NAME=VALUE`` words checked against the template's ``Parameters``; every declared
    parameter gets a value (its default unless given), so the command says them all."""
    values = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or name not in declared:
            raise DeployError(f"--parameter {word!r}: expected NAME=VALUE with NAME one of "
                              f"{', '.join(declared)}")
        spec = declared[name]
        allowed = [str(item) for item in spec.get("AllowedValues") or ()]
        if allowed and value not in allowed:
            raise DeployError(f"--parameter {name}={value}: allowed values are "
                              f"{', '.join(allowed)}")
        if spec.get("Type") == "Number":
            try:
                number = float(value)
            except ValueError:
                raise DeployError(f"--parameter {name}={value!r}: expected a number") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise DeployError(f"--parameter {name}={value}: at least {spec['MinValue']}")
        values[name] = value
    return values


def deploy_argv(template: Path, *, stack: str, region: str, parameters: dict[str, str],
                sam: str = "sam") -> list[str]:
    """``sam deploy`` of the staged template, non-interactive, every option explicit."""
    argv = [sam, "deploy", "--template-file", str(template), "--stack-name", stack,
            "--region", region, "--capabilities", *CAPABILITIES, "--resolve-s3",
            "--no-confirm-changeset", "--no-fail-on-empty-changeset"]
    given = [f"{name}={value}" for name, value in parameters.items() if value != ""]
    if given:  # an empty value (AllowedOrigins' default) is the template's default anyway
        argv += ["--parameter-overrides", *given]
    return argv


def outputs_argv(*, stack: str, region: str, aws: str = "aws") -> list[str]:
    """The stack's outputs (the page's and the API's URLs) once it is deployed."""
    return [aws, "cloudformation", "describe-stacks", "--stack-name", stack, "--region", region,
            "--query", "Stacks[0].Outputs", "--output", "table"]
