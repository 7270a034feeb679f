"""Pytest fixtures for tests against the real emulators and functions.

Register with `pytest_plugins = ["deckpipe_emulators.pytest_plugin"]` in the root conftest.
The stack runs on random free ports so a test session never collides with `deckpipe dev`.
A missing emulator is an error, never a skip: a green run must mean the stack was exercised.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from deckpipe_emulators.processes import free_ports
from deckpipe_emulators.stack import DEFAULT_PORTS, LocalStack, StackConfig


@pytest.fixture(scope="session")
def stack_function_env() -> dict[str, str]:
    """Extra environment for the four functions; override in a conftest to tune them."""
    return {}


@pytest.fixture(scope="session")
def stack_functions_dir() -> Path:
    """Where the functions' sources are; override in a conftest to run other functions."""
    return StackConfig().functions_dir


@pytest.fixture(scope="session")
def emulator_stack(
    tmp_path_factory: pytest.TempPathFactory,
    stack_function_env: dict[str, str],
    stack_functions_dir: Path,
) -> Iterator[LocalStack]:
    """One stack for the whole session; its client variables are set in os.environ meanwhile."""
    config = StackConfig(
        ports=dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True)),
        functions_dir=stack_functions_dir,
        env=dict(stack_function_env),
        log_dir=tmp_path_factory.mktemp("deckpipe-stack-logs"),
    )
    stack = LocalStack(config)
    previous_sigterm = _unwind_on_sigterm()
    stack.start()
    saved = {name: os.environ.get(name) for name in stack.client_env()}
    os.environ.update(stack.client_env())
    try:
        yield stack
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        stack.stop()
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)


def _unwind_on_sigterm() -> signal.Handlers | None:
    """Let SIGTERM (a CI timeout, say) unwind like Ctrl-C so teardown and atexit stop the stack.

    Python's default SIGTERM action exits without running either. Returns the handler replaced,
    or None if another handler was already installed (or we are not on the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    return signal.signal(signal.SIGTERM, interrupt)


@pytest.fixture
def stack(emulator_stack: LocalStack) -> LocalStack:
    """The session's stack, with Firestore and the bucket emptied for this test."""
    emulator_stack.reset()
    return emulator_stack
