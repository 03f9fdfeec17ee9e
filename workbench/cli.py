"""Command line entry point: ``workbench`` opens the GUI; subcommands run headless. Layer: entry.

Each subcommand lives in its package's ``cli`` module, which exposes ``add_arguments(parser)`` and
``run(args) -> int`` and keeps its top-level imports light (argparse, pathlib): heavy imports go
inside ``run`` so that ``workbench`` starts fast and never imports litellm on the way to the window.
Exit codes: 0 ok, 1 failure, 2 invalid input or usage (one line on stderr naming the location).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("workbench.app.cli_gui", "open the workbench window (the default)"),
    "open": ("workbench.app.cli_gui", "open the window on a trace file or folder"),
    "shot": ("workbench.app.cli_shot", "render the main window offscreen to a PNG"),
    "info": ("workbench.traces.cli", "summarise a trace file: users, scenarios, actions, warnings"),
    "convert": ("workbench.traces.cli", "convert a trace file to the canonical Parquet table"),
    "demo": ("workbench.demo.cli", "write the synthetic demo dataset (OmniBehavior JSON)"),
    "predict": ("workbench.simulate.cli", "predict one event's behaviour with LLMs and baselines"),
    "sample": ("workbench.evaluate.cli", "list the benchmark's sampled test events per user"),
    "eval": ("workbench.evaluate.cli", "run a batch evaluation and write predictions and report"),
    "opera-eval": ("workbench.evaluate.opera_cli", "predict OPeRA shoppers' next actions and score them"),
    "compare": ("workbench.evaluate.compare_cli", "compare evaluation runs question by question, "
                "with paired statistics"),
    "rollout": ("workbench.annotate.rollout_cli", "let a model live a user's days (open and closed "
                "loop) beside the real trace"),
    "prompt-diff": ("workbench.simulate.cli_diff", "show our prompt beside the benchmark's (needs its checkout)"),
    "cases": ("workbench.annotate.cli", "add and export annotated bias cases"),
    "blind": ("workbench.annotate.blind_cli", "blind 'which one is the real user?' tests: build items, "
              "report detection rates"),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``workbench`` argument parser with every subcommand (each imports its package lazily)."""
    from workbench import __version__

    parser = argparse.ArgumentParser(prog="workbench", description="Behavior Trace Workbench")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            p.set_defaults(_unavailable=module_name)
            continue
        module.add_arguments(p, name) if _takes_name(module) else module.add_arguments(p)
        p.set_defaults(_module=module_name)
    return parser


def _takes_name(module) -> bool:
    import inspect

    return len(inspect.signature(module.add_arguments).parameters) >= 2


def main(argv: list[str] | None = None) -> int:
    """Run one command; every line it prints goes through :mod:`workbench.console` (control
    characters made visible, secrets redacted)."""
    from workbench import secrets
    from workbench.console import guarded

    secrets.install_log_redaction()
    with guarded():
        return _main(argv)


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["gui", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(f"workbench {args.command}: not available ({args._unavailable} missing)", file=sys.stderr)
        return 1
    if not getattr(args, "_module", None):
        parser.print_help()
        return 0
    module = importlib.import_module(args._module)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
