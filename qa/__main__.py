"""`python -m qa COMMAND ...`: the domain's command line; each command is a module of `qa/commands/`."""

from __future__ import annotations

import argparse
import sys

from qa.commands import COMMANDS, load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa", description="qapair's command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        load(name).add_parser(sub)
    args = parser.parse_args(argv)
    return load(args.command).run(args)


if __name__ == "__main__":
    sys.exit(main())
