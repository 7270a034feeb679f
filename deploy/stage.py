"""Build one self-contained source folder per function, as gcloud will upload it.

A staged folder holds the function's ``main.py``, a real copy of the shared ``deckpipe``
package (gcloud's upload drops symbolic links, so nothing here is a link), a
``requirements.txt`` pinned from ``pyproject.toml`` and a ``.gcloudignore``. The renderer's
fonts (16 MB) go only to the functions that render.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from .table import REPO_ROOT, DeployError, FunctionSpec, requirements_for

MARKER = ".deckpipe-deploy"  # marks a build folder as ours, so restaging may empty it
FONTS = Path("render") / "fontfiles"
GCLOUDIGNORE = """\
# Written by `deckpipe deploy`: upload everything staged here except caches.
.gcloudignore
__pycache__/
*.py[cod]
"""
_SKIP_NAMES = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".DS_Store"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", "~")


def prepare_build_dir(build_dir: Path) -> Path:
    """Create (or reuse) the build folder; refuse one that holds anything not ours.

    Restaging deletes each function's previous folder, so a module removed from the
    package cannot linger in a deployment; the marker keeps that from ever touching a
    folder someone pointed ``--build-dir`` at by mistake.
    """
    build_dir = build_dir.resolve()
    if build_dir.exists() and any(build_dir.iterdir()) and not (build_dir / MARKER).is_file():
        raise DeployError(
            f"--build-dir {build_dir} is not empty and was not made by deckpipe deploy; "
            "choose an empty or new folder"
        )
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / MARKER).write_text("staged Cloud Functions sources; safe to delete\n")
    # Build output stays out of git without touching the repository's own .gitignore.
    (build_dir / ".gitignore").write_text("*\n")
    return build_dir


def stage_function(
    spec: FunctionSpec, build_dir: Path, pins: dict[str, str], repo: Path = REPO_ROOT
) -> Path:
    """Write ``build_dir/<spec.name>`` from scratch and return it."""
    main = repo / "functions" / spec.source / "main.py"
    package = repo / "shared" / "deckpipe"
    if not main.is_file():
        raise DeployError(f"function {spec.name}: {main} not found")
    if not (package / "__init__.py").is_file():
        raise DeployError(f"the shared package is not at {package}")
    target = build_dir / spec.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(main, target / "main.py")
    shutil.copytree(package, target / "deckpipe", symlinks=False, ignore=_ignore(package, spec))
    requirements = requirements_for(spec, pins)
    (target / "requirements.txt").write_text(
        f"# {spec.name}: pinned from pyproject.toml by `deckpipe deploy`\n"
        + "".join(f"{line}\n" for line in requirements)
    )
    (target / ".gcloudignore").write_text(GCLOUDIGNORE)
    links = [str(path) for path in _walk(target) if path.is_symlink()]
    if links:  # copytree follows links, so this would be a bug here, not a user error
        raise DeployError(f"staged {spec.name} contains symbolic links: {', '.join(links)}")
    return target


def _ignore(package: Path, spec: FunctionSpec) -> Callable[[str, list[str]], set[str]]:
    fonts = (package / FONTS).resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {
            name for name in names
            if name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES)
        }  # fmt: skip
        if not spec.fonts and Path(directory).resolve() == fonts.parent:
            skipped.add(fonts.name)
        return skipped

    return ignore


def _walk(root: Path) -> list[Path]:
    paths = []
    for directory, dirnames, filenames in os.walk(root):
        paths += [Path(directory) / name for name in dirnames + filenames]
    return paths
