"""Cold start of each function: a fresh interpreter importing its ``main.py``.

A cold start is what a new Cloud Functions instance pays before its first
request: importing Functions Framework, the function's module, and the
start-up tasks that module runs (settings, clients, and for ``convert`` the
renderer and its fonts). Each figure is the median over ``--runs`` fresh
processes, reported against a reference process in the same run that only
imports Functions Framework (what any Python function pays), so the ratio is
what deckpipe's own start-up adds, whatever the machine.

    .venv/bin/python bench/cold_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = ("upload", "status", "result", "convert")

# Runs in the fresh process: time the import, then report the runtime's own timings
# and the peak resident memory.
PROBE = """
import json, resource, runpy, sys, time
began = time.perf_counter()
source = sys.argv[1]
if source == "-":
    import functions_framework, flask  # the reference: any Python function pays this
    startup = {}
else:
    startup = dict(runpy.run_path(source, run_name="main")["RUNTIME"].startup)
elapsed = time.perf_counter() - began
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "startup": startup, "peak_mib": peak_kib / 1024}))
"""


def environment() -> dict[str, str]:
    """Google backends pointed at a closed port: clients are built, nothing is called."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECKPIPE_")}
    env.update(
        GOOGLE_CLOUD_PROJECT="deckpipe-bench",
        DECKPIPE_BUCKET="deckpipe-bench",
        DECKPIPE_TOPIC="deckpipe-jobs",
        DECKPIPE_STATUS_URL="http://127.0.0.1:9/status",
        DECKPIPE_RESULT_URL="http://127.0.0.1:9/result",
        STORAGE_EMULATOR_HOST="http://127.0.0.1:9",
        FIRESTORE_EMULATOR_HOST="127.0.0.1:9",
        PUBSUB_EMULATOR_HOST="127.0.0.1:9",
        DECKPIPE_LOG_LEVEL="warning",
    )
    return env


def measure(source: str, runs: int) -> dict:
    samples = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", PROBE, source], env=environment(),
                              capture_output=True, text=True, check=True, cwd=REPO)
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    startup_keys = samples[0]["startup"].keys()
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "peak_mib": statistics.median(s["peak_mib"] for s in samples),
        "startup": {k: statistics.median(s["startup"][k] for s in samples) for k in startup_keys},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    reference = measure("-", args.runs)
    rows = [("(reference: Functions Framework + Flask)", reference)]
    rows += [(name, measure(str(REPO / "functions" / name / "main.py"), args.runs))
             for name in FUNCTIONS]
    print(f"median of {args.runs} fresh processes each\n")
    print("| function | import + start-up s | x reference | peak MiB "
          "| of which settings / clients s |")
    print("|---|---|---|---|---|")
    for name, row in rows:
        parts = " / ".join(f"{row['startup'][k]:.4f}" for k in ("settings", "clients")
                           if k in row["startup"])
        print(f"| {name} | {row['seconds']:.3f} | {row['seconds'] / reference['seconds']:.2f} "
              f"| {row['peak_mib']:.0f} | {parts or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
