"""The `civility` command. Each subcommand lives with the code it drives; this only dispatches.

Subcommands that need Django set it up themselves (see `setup_django`), so `civility score` stays a
plain-library command that loads no web framework.
"""

from __future__ import annotations

import importlib
import os
import sys

# name -> (module, function, help). Functions take argv (list[str]) and return an exit code.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("civility.demo", "demo_main", "create the demo site and serve it on 127.0.0.1:8000"),
    "serve": ("civility.serve", "serve_main", "production server (gunicorn)"),
    "manage": ("civility.cli", "manage_main", "run a Django management command"),
    "score": ("civility.scoring.cli", "score_main", "score text with the bundled model"),
    "train": ("civility.training.cli", "train_main", "train the scoring model"),
    "eval": ("civility.training.cli", "eval_main", "evaluate the scoring model"),
    "bench": ("civility.cli", "bench_main", "benchmarks: `civility bench scoring`"),
    "apikey": ("civility.perspective.cli", "apikey_main", "create, list, revoke API keys"),
    "perspective": (
        "civility.perspective.cli",
        "perspective_main",
        "leave Perspective: `calibrate --from FILE` to a site's logged scores, `log` mode",
    ),
    "import": (
        "civility.imports.cli",
        "import_main",
        "import Disqus, WordPress, Isso, Coral or Civility (`civility export`) comments",
    ),
    "export": ("civility.exports", "export_main", "export a site's comments: JSON Lines or Disqus"),
    "backup": ("civility.backup", "backup_main", "back up the database (safe while serving)"),
    "restore": ("civility.backup", "restore_main", "restore the database from a backup"),
    "worker": ("civility.tasks.worker", "worker_main", "run background tasks (webhooks, scoring)"),
    "compilemessages": (
        "civility.i18n",
        "compile_main",
        "compile the translation catalogues (serve and demo do it at start)",
    ),
    "rescore": (
        "civility.cli",
        "rescore_main",
        "score comments again with the current model; list what it would hold",
    ),
}


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
    import django

    django.setup()


def manage_main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civility.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["civility manage", *argv])
    return 0


def rescore_main(argv: list[str]) -> int:
    setup_django()
    from civility.moderation.rescore import rescore_main as main

    return main(argv)


def bench_main(argv: list[str]) -> int:
    benches = {"scoring": ("civility.training.bench_scoring", "bench_main")}
    if not argv or argv[0] not in benches:
        print(f"usage: civility bench {{{','.join(benches)}}} [options]", file=sys.stderr)
        return 2
    module, func = benches[argv[0]]
    return int(getattr(importlib.import_module(module), func)(argv[1:]) or 0)


def _usage() -> str:
    lines = ["usage: civility <command> [options]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"civility: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, func, _ = COMMANDS[name]
    return int(getattr(importlib.import_module(module), func)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
