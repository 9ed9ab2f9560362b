"""The subcommands of `python -m qa`: one module each, exposing `add_parser(subparsers)` and `run(args) -> int`.

Every module is imported to build the parser, so a command keeps its heavy imports
(torch, pypdf, the database) inside `run()`.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

#: Command name -> module under qa/commands/ (add a line for a new command).
COMMANDS: dict[str, str] = {
    "extract": "extract",
    "worker": "worker",
    "export": "export",
    "convert": "convert",
    "train": "train",
}


def load(name: str) -> ModuleType:
    return import_module(f"qa.commands.{COMMANDS[name]}")
