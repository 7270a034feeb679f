"""The ``deckpipe`` command: convert a deck locally, or run the local stack."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .errors import DeckError


def _convert(args: argparse.Namespace) -> int:
    from .render import RenderOptions, render_deck

    source = Path(args.deck)
    target = Path(args.output) if args.output else source.with_suffix(".pdf")
    if not source.is_file():
        print(f"deckpipe: {source}: no such file", file=sys.stderr)
        return 2
    started = time.perf_counter()
    partial = target.with_name(target.name + ".part")
    try:
        with source.open("rb") as deck, partial.open("wb") as pdf:
            report = render_deck(
                deck,
                pdf,
                options=RenderOptions(include_hidden=args.include_hidden),
                progress=None if args.quiet else _print_progress,
            )
    except DeckError as exc:
        partial.unlink(missing_ok=True)
        print(f"\ndeckpipe: cannot convert {source}: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({"output": str(target), "seconds": round(elapsed, 3),
                          **report.as_dict()}))
    else:
        print(f"\n{target}: {report.pages} page(s) in {elapsed:.2f} s", file=sys.stderr)
        for warning in report.warnings:
            where = f"slide {warning.slide}: " if warning.slide else ""
            print(f"  warning: {where}{warning.message} ({warning.code})", file=sys.stderr)
    return 0


def _print_progress(done: int, total: int) -> None:
    print(f"\rrendering slide {done} of {total}", end="", file=sys.stderr, flush=True)


def _dev(args: argparse.Namespace) -> int:
    from deckpipe_emulators import dev

    return dev.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deckpipe", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    convert = commands.add_parser("convert", help="convert one deck to PDF")
    convert.add_argument("deck", help="the .pptx file")
    convert.add_argument("-o", "--output", help="the PDF to write (default: DECK.pdf)")
    convert.add_argument("--include-hidden", action="store_true", help="render hidden slides")
    convert.add_argument("--json", action="store_true", help="print the report as JSON")
    convert.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    convert.set_defaults(run=_convert)

    dev = commands.add_parser("dev", help="run the emulators and the four functions locally")
    try:
        from deckpipe_emulators import dev as dev_module
    except ImportError:  # installed without the local stack
        dev_module = None
    if dev_module is not None:
        dev_module.add_arguments(dev)
    dev.set_defaults(run=_dev)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
