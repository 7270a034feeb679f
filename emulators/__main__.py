"""`python -m deckpipe_emulators`: the same as `deckpipe dev`."""

import argparse

from deckpipe_emulators import dev


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="deckpipe dev", description="Run the local emulator stack and the four functions."
    )
    dev.add_arguments(parser)
    return dev.run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
