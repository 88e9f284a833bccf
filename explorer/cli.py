"""The ``explorer`` console script (also ``python -m explorer``)."""

from __future__ import annotations

import argparse
import importlib
import sys

from explorer.errors import ExplorerError

# Each name is a module in explorer.commands.
COMMANDS = ("train", "evaluate", "explain", "demo", "extract", "report")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's default exits 2 too; keep its wording short and clear
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="explorer", description="STAN Explorer: train, evaluate and explain audio-visual models.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"explorer.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # so a checkpoint can record the command that made it
    try:
        return int(args.run(args) or 0)
    except ExplorerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
