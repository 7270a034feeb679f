"""The local stand-in for Cloud Scheduler: run the reaper pass every few seconds.

In the cloud a schedule triggers `deckpipe.reaper.reap`; on the emulator stack this small
process does, with the functions' own environment, so a job whose worker died, or whose
message was lost, still ends. A pass that fails (an emulator down) is logged and the next
one tries again.

    python -m deckpipe_emulators.reaper_timer [--every 10]
"""

from __future__ import annotations

import argparse
import signal
import threading

from deckpipe import logs, reaper, runtime
from deckpipe.errors import TransientError

log = logs.get_logger("deckpipe.reaper_timer")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deckpipe_emulators.reaper_timer")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between passes")
    args = parser.parse_args(argv)
    rt = runtime.load("jobs", "queue")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    log.info("reaper timer: a pass every %.1f s", args.every)
    while not stop.wait(args.every):
        try:
            reaper.reap(rt)
        except TransientError as error:
            log.warning("reaper pass failed, trying again next time: %s", error)
        except Exception:  # a bug must not stop the timer: the next pass may succeed
            log.exception("reaper pass crashed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
