"""The ``warden`` command line.

Each subcommand lives in its own small function; ``main`` only parses and
dispatches. Exit codes: 0 success, 1 runtime failure, 2 usage or "not
available yet", 3 no daemon running (introspection commands).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from warden import __version__

EXIT_USAGE = 2


def _cmd_run(_args: argparse.Namespace) -> int:
    print(
        "warden run: the supervised trading daemon lands with the pipeline issue (#4); "
        "this build has the supervision runtime only.",
        file=sys.stderr,
    )
    return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="warden", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"warden {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="run the supervised daemon")
    run.set_defaults(handler=_cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
