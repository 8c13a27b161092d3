"""The ``gomodbot`` command line: argument parsing, and the one place errors become exit codes.

Each sub-command is a ``cmd_*`` function that builds the real collaborators and returns an
exit code. :func:`main` catches :class:`bot.errors.BotError` and maps it to an exit status
(0 ok, 1 failures during a run, 2 bad usage or bad input files); nothing else does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.errors import EXIT_OK, EXIT_USAGE, BotError, InputError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of exiting on its own."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def cmd_modfile(args: argparse.Namespace) -> int:
    """Print a parsed go.mod / go.work; with ``--json`` exactly what ``go mod edit -json`` prints."""
    from bot import modfile

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    parsed = modfile.parse_bytes(data, path.name)
    if args.json:
        sys.stdout.write(modfile.go_json(parsed))
    else:
        sys.stdout.write(modfile.describe(parsed))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = _Parser(prog="gomodbot", description="Keep Go modules current.")
    parser.add_argument("--version", action="version", version=f"gomodbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("modfile", help="parse a go.mod or go.work and print it")
    p.add_argument("file", help="path to a go.mod or go.work file")
    p.add_argument("--json", action="store_true", help="print exactly what `go mod edit -json` prints")
    p.set_defaults(func=cmd_modfile)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run gomodbot; returns the process exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        code: int = args.func(args)
        return code
    except BotError as exc:
        print(f"gomodbot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gomodbot: interrupted", file=sys.stderr)
        return 130
