"""The ``deckpipe`` command: convert a deck or a folder of decks locally, or
run the local stack.

    deckpipe convert DECK.pptx [-o OUT.pdf] [--slides 1-3,7] [--notes] [--hidden]
                     [--report REPORT.json] [--json] [-q]
    deckpipe convert FOLDER -o OUTDIR [same options]
    deckpipe page export FOLDER --upload-url URL --status-url URL --result-url URL
    deckpipe serve [--host 127.0.0.1] [--port 8080] [--workers N] [--data-dir DIR]
    deckpipe worker [--data-dir DIR]
    deckpipe dev

Exit status: 0 when everything converted, 1 when a deck could not be
converted, 2 for a usage error (no such file, a bad ``--slides``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DeckError

DECK_SUFFIXES = (".pptx", ".pptm", ".ppsx", ".potx", ".potm")
BAR_WIDTH = 30


@dataclass
class Outcome:
    """One deck's conversion: its report, or why it failed."""

    deck: Path
    output: Path
    seconds: float
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"deck": str(self.deck), "output": str(self.output),
                                "seconds": round(self.seconds, 3)}
        if self.error is not None:
            data["error"] = self.error
        if self.report is not None:
            data.update(self.report)
        return data


@dataclass
class Tally:
    """Folder-mode totals for the closing summary."""

    converted: int = 0
    pages: int = 0
    failed: Counter = field(default_factory=Counter)
    slowest: Outcome | None = None

    def add(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.failed[outcome.error["code"]] += 1
        else:
            self.converted += 1
            self.pages += int((outcome.report or {}).get("pages", 0))
        if self.slowest is None or outcome.seconds > self.slowest.seconds:
            self.slowest = outcome


def _options(args: argparse.Namespace) -> Any:
    from .render import RenderOptions

    return RenderOptions(include_hidden=args.hidden, slides=args.slides, notes=args.notes)


def convert_one(source: Path, target: Path, options: Any, progress: Any = None) -> Outcome:
    """Render one deck to ``target`` via a ``.part`` file, so a failure leaves nothing.

    ``DeckError`` (the deck's fault) and ``ValueError`` (a bad slide range)
    become the outcome's error; anything else is a bug and propagates.
    """
    from .render import render_deck

    started = time.perf_counter()
    partial = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with source.open("rb") as deck, partial.open("wb") as pdf:
            report = render_deck(deck, pdf, options=options, progress=progress)
    except (DeckError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        error = (
            exc.as_dict()
            if isinstance(exc, DeckError)
            else {"code": "bad_slide_range", "message": str(exc)}
        )
        return Outcome(source, target, time.perf_counter() - started, error=error)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return Outcome(source, target, time.perf_counter() - started, report=report.as_dict())


def _convert(args: argparse.Namespace) -> int:
    source = Path(args.deck)
    if source.is_dir():
        return _convert_folder(args, source)
    if not source.is_file():
        print(f"deckpipe: {source}: no such file", file=sys.stderr)
        return 2
    target = Path(args.output) if args.output else source.with_suffix(".pdf")
    if target.is_dir():
        target = target / (source.stem + ".pdf")
    progress = _SlideProgress()
    outcome = convert_one(source, target, _options(args), progress=None if args.quiet else progress)
    progress.end_line()
    if args.report:
        _write_json(Path(args.report), outcome.as_dict())
    if outcome.error is not None:
        error = outcome.error
        print(f"deckpipe: cannot convert {source}: {error['message']} ({error['code']})",
              file=sys.stderr)
        return 2 if error["code"] == "bad_slide_range" else 1
    report = outcome.report or {}
    if args.json:
        print(json.dumps(outcome.as_dict()))
    else:
        print(f"{target}: {report['pages']} page(s) in {outcome.seconds:.2f} s", file=sys.stderr)
        for warning in report.get("warnings", ()):
            where = f"slide {warning['slide']}: " if warning.get("slide") else ""
            print(f"  warning: {where}{warning['message']} ({warning['code']})", file=sys.stderr)
    return 0


def find_decks(folder: Path) -> list[Path]:
    """Every deck under ``folder`` (recursively), in a stable order."""
    return sorted(
        p for p in folder.rglob("*")
        if p.suffix.lower() in DECK_SUFFIXES and p.is_file() and not p.name.startswith("~$")
    )


def output_paths(decks: list[Path], folder: Path, outdir: Path) -> list[Path]:
    """Mirror the folder tree; ``deck.pptm`` next to ``deck.pptx`` becomes ``deck.pptm.pdf``."""
    taken: set[Path] = set()
    paths = []
    for deck in decks:
        rel = deck.relative_to(folder)
        target = outdir / rel.with_suffix(".pdf")
        if target in taken or (deck.suffix.lower() != ".pptx" and _has_pptx_twin(deck)):
            target = outdir / rel.parent / (deck.name + ".pdf")
        taken.add(target)
        paths.append(target)
    return paths


def _has_pptx_twin(deck: Path) -> bool:
    return any(deck.with_suffix(s).is_file() for s in (".pptx", ".PPTX"))


def _convert_folder(args: argparse.Namespace, folder: Path) -> int:
    outdir = Path(args.output) if args.output else folder
    decks = find_decks(folder)
    if not decks:
        print(f"deckpipe: {folder}: no decks found ({', '.join(DECK_SUFFIXES)})", file=sys.stderr)
        return 2
    options = _options(args)
    tally, outcomes = Tally(), []
    started = time.perf_counter()
    for n, (deck, target) in enumerate(zip(decks, output_paths(decks, folder, outdir),
                                           strict=True)):
        if not args.quiet:
            _print_bar(n, len(decks), deck.name)
        outcome = convert_one(deck, target, options)
        tally.add(outcome)
        outcomes.append(outcome)
    elapsed = time.perf_counter() - started
    if not args.quiet:
        _print_bar(len(decks), len(decks), "")
        if sys.stderr.isatty():
            print(file=sys.stderr)
    summary = _summary(tally, elapsed)
    if args.report:
        _write_json(Path(args.report), {"summary": summary,
                                        "decks": [o.as_dict() for o in outcomes]})
    if args.json:
        print(json.dumps({"summary": summary, "decks": [o.as_dict() for o in outcomes]}))
    for outcome in outcomes:
        if outcome.error is not None:
            print(f"failed: {outcome.deck}: {outcome.error['message']} "
                  f"({outcome.error['code']})", file=sys.stderr)
    _print_summary(summary)
    return 1 if tally.failed else 0


def _summary(tally: Tally, elapsed: float) -> dict[str, Any]:
    slowest = tally.slowest
    return {
        "converted": tally.converted,
        "failed": sum(tally.failed.values()),
        "failed_by_code": dict(sorted(tally.failed.items())),
        "pages": tally.pages,
        "seconds": round(elapsed, 2),
        "slowest": None if slowest is None else {"deck": str(slowest.deck),
                                                 "seconds": round(slowest.seconds, 2)},
    }


def _print_summary(summary: dict[str, Any]) -> None:
    failed = summary["failed"]
    codes = ", ".join(f"{code}: {n}" for code, n in summary["failed_by_code"].items())
    lines = [
        f"converted {summary['converted']} deck(s), {summary['pages']} page(s) "
        f"in {summary['seconds']:.1f} s",
        f"failed {failed}" + (f" ({codes})" if codes else ""),
    ]
    if summary["slowest"]:
        lines.append(f"slowest: {summary['slowest']['deck']} "
                     f"({summary['slowest']['seconds']:.2f} s)")
    print("\n".join(lines), file=sys.stderr)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


class _SlideProgress:
    """"rendering slide 7 of 24" on stderr: rewritten in place on a terminal; without one
    (a log file, CI) a line at each tenth of the deck, so a log gets lines, not ``\r``s."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._open = False
        self._last_step = -1

    def __call__(self, done: int, total: int) -> None:
        if total <= 0:
            return
        slide = min(done + 1, total)  # the slide being rendered, counted from 1
        if self._tty:
            print(f"\rrendering slide {slide} of {total}", end="", file=sys.stderr, flush=True)
            self._open = True
            return
        step = slide * 10 // total
        if step > self._last_step:
            self._last_step = step
            print(f"rendering slide {slide} of {total}", file=sys.stderr, flush=True)

    def end_line(self) -> None:
        """End the line rewritten in place, so the next message starts on its own line."""
        if self._open:
            print(file=sys.stderr)
            self._open = False


def _print_bar(done: int, total: int, name: str) -> None:
    filled = BAR_WIDTH * done // max(total, 1)
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    label = name if len(name) <= 40 else name[:37] + "..."
    if sys.stderr.isatty():
        print(f"\r[{bar}] {done}/{total} {label:<40}", end="", file=sys.stderr, flush=True)
    else:
        print(f"[{bar}] {done}/{total} {label}".rstrip(), file=sys.stderr, flush=True)


def _dev(args: argparse.Namespace) -> int:
    from deckpipe_emulators import dev

    return dev.run(args)


def _reap(args: argparse.Namespace) -> int:
    """One reaper pass, or one every ``--every`` seconds until SIGTERM/Ctrl-C: what Cloud
    Scheduler does for the deployed reaper, for the local stacks."""
    import json
    import signal
    import threading

    from . import reaper, runtime
    from .errors import ConfigError, TransientError

    try:
        rt = runtime.load("jobs", "queue", "blobs")
    except ConfigError as exc:
        print(f"deckpipe reap: {exc.message}", file=sys.stderr)
        return 2
    stop = threading.Event()
    if args.every:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        try:
            print(json.dumps(reaper.reap(rt)), flush=True)
        except TransientError as exc:  # the next pass tries again
            print(f"deckpipe reap: {exc.message}", file=sys.stderr, flush=True)
            if not args.every:
                return 1
        if not args.every:
            return 0
        try:
            if stop.wait(args.every):
                return 0
        except KeyboardInterrupt:
            return 0


def _page_export(args: argparse.Namespace) -> int:
    from . import webpage

    written = webpage.export(
        Path(args.folder),
        upload_url=args.upload_url,
        status_url=args.status_url,
        result_url=args.result_url,
        max_upload_bytes=args.max_upload_bytes,
    )
    for path in written:
        print(path)
    return 0


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text.rstrip("/")


def build_parser(with_dev: bool = True) -> argparse.ArgumentParser:
    """The command line; ``with_dev=False`` leaves the ``dev`` command's own
    options out, which spares ``convert`` importing the emulator stack (about
    half a second of cold start)."""
    parser = argparse.ArgumentParser(
        prog="deckpipe", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    convert = commands.add_parser("convert", help="convert a deck, or a folder of decks, to PDF")
    convert.add_argument("deck", help="a .pptx/.pptm/.ppsx/.potx/.potm file, or a folder of them")
    convert.add_argument(
        "-o", "--output",
        help="the PDF to write (default: DECK.pdf); for a folder, the output folder",
    )
    convert.add_argument("--slides", metavar="RANGE",
                         help="slides to render by number, e.g. 1-3,7 (default: all)")
    convert.add_argument("--notes", action="store_true",
                         help="render notes pages (slide above, notes below)")
    convert.add_argument("--hidden", "--include-hidden", dest="hidden", action="store_true",
                         help="render hidden slides too")
    convert.add_argument("--report", metavar="REPORT.json",
                         help="write the rendering report as JSON to this file")
    convert.add_argument("--json", action="store_true", help="print the report as JSON")
    convert.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    convert.set_defaults(run=_convert)

    page = commands.add_parser("page", help="the upload page, for hosting as static files")
    page_commands = page.add_subparsers(dest="page_command", required=True)
    export = page_commands.add_parser(
        "export",
        help="write the page and a config.json pointing at the API into a folder",
        description="Write index.html, app.js, app.css and config.json for a static host "
        "(a bucket website, say). Add the host's origin to DECKPIPE_ALLOWED_ORIGINS.",
    )
    export.add_argument("folder", help="where to write the files")
    export.add_argument("--upload-url", type=_url, required=True,
                        help="public URL of the upload function")
    export.add_argument("--status-url", type=_url, required=True,
                        help="public URL of the status function")
    export.add_argument("--result-url", type=_url, required=True,
                        help="public URL of the result function")
    export.add_argument("--max-upload-bytes", type=int, default=100 * 1024 * 1024,
                        help="largest file the page accepts (default: 100 MiB)")
    export.set_defaults(run=_page_export)

    reap = commands.add_parser(
        "reap", help="requeue or fail jobs whose message or worker is gone (the scheduled "
        "reaper), with the backend the environment configures")
    reap.add_argument("--every", type=float, metavar="SECONDS",
                      help="repeat every SECONDS until stopped (default: one pass)")
    reap.set_defaults(run=_reap)

    from .provision import command as provision_command  # argparse only; Google loads in run

    provision = commands.add_parser(
        "provision", help="create or check the bucket, topics, subscriptions, IAM and TTL the "
        "functions need (safe to run again; --cloud aws: S3, DynamoDB and SQS)",
        description=provision_command.DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    provision_command.add_arguments(provision)
    provision.set_defaults(run=provision_command.run)

    serve = commands.add_parser(
        "serve", help="run the whole service on this machine: the page, the API and workers "
        "(local backend: SQLite and files under DECKPIPE_DATA_DIR)")
    worker = commands.add_parser(
        "worker", help="run a worker against the data directory of a running deckpipe serve")
    if with_dev:  # like dev: `convert` does not pay for importing the web stack
        from . import serve as serve_command

        serve_command.add_arguments(serve, worker)

    dev = commands.add_parser("dev", help="run the emulators and the four functions locally")
    dev_module = None
    try:
        if with_dev:
            from deckpipe_emulators import dev as dev_module
    except ImportError:  # installed without the local stack
        dev_module = None
    if dev_module is not None:
        dev_module.add_arguments(dev)
    dev.set_defaults(run=_dev)

    deploy = commands.add_parser("deploy", help="stage the functions and deploy them to Google "
                                 "Cloud, or with --cloud aws to AWS Lambda with SAM (see "
                                 "deploy/README.md, deploy/aws/README.md)")
    try:
        if with_dev:  # like dev: `convert` does not pay for importing the deploy tooling
            from deckpipe_deploy import command as deploy_command

            deploy_command.add_arguments(deploy)  # sets run= too
    except ImportError as missing:  # installed without the checkout's deploy/ folder
        deploy.set_defaults(run=lambda args, why=str(missing): print(
            f"deckpipe deploy: unavailable ({why}); run it from a checkout", file=sys.stderr) or 2)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(with_dev=not words or words[0] not in ("convert",)).parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
