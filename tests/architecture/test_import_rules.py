"""The import rules docs/architecture.md states, checked on the source (static imports)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "civility"

LEAVES = {"errors", "verdicts", "audit", "db"}
INNER = {"accounts", "comments", "moderation", "webhooks"}
OUTER = {"api", "perspective", "imports", "demo"}


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "civility":
        return None
    return parts[1] if len(parts) > 1 else "civility"


def _imports() -> list[tuple[str, str, str]]:
    """(room, file, imported module) for every absolute import in civility/."""
    out = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT).with_suffix("")
        room = _room(".".join(rel.parts)) or ""
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            out.extend((room, rel.as_posix(), n) for n in names)
    return out


IMPORTS = _imports()


def _violations(rooms: set[str], allowed: callable) -> list[str]:  # type: ignore[valid-type]
    return [f"{f} imports {m}" for room, f, m in IMPORTS if room in rooms and not allowed(m)]


def test_scoring_is_a_plain_library() -> None:
    def allowed(m: str) -> bool:
        top = m.split(".")[0]
        if top in {"django", "torch", "sklearn", "transformers", "ninja"}:
            return False
        return _room(m) in {None, "scoring"}

    assert not _violations({"scoring"}, allowed)


def test_leaf_modules_import_no_app() -> None:
    assert not _violations(LEAVES, lambda m: _room(m) in {None} | LEAVES)


def test_nothing_in_the_server_imports_training() -> None:
    serving = {r for r, _, _ in IMPORTS} - {"training"}
    assert not _violations(serving, lambda m: _room(m) != "training")


def test_inner_apps_never_import_outer_apps() -> None:
    assert not _violations(INNER, lambda m: _room(m) not in OUTER | {"serve", "cli"})


def test_outer_apps_do_not_import_each_other() -> None:
    for room in OUTER:
        others = OUTER - {room}
        assert not _violations({room}, lambda m, o=others: _room(m) not in o)


def test_the_rules_see_the_code() -> None:
    # Guards against a checker that checks nothing (e.g. a moved package).
    rooms = {r for r, _, _ in IMPORTS}
    assert {"scoring", "comments", "moderation", "api", "perspective"} <= rooms
    assert any(m.startswith("civility.moderation.pipeline") for _, _, m in IMPORTS)


def test_the_task_layer_imports_no_app() -> None:
    # civility/tasks is infrastructure like events.py: apps use it, it names their sweeps by
    # path only (civility/tasks/maintenance.py), so any app may queue tasks.
    allowed = {None, "tasks", "cli"} | LEAVES
    assert not _violations({"tasks"}, lambda m: _room(m) in allowed)


def test_metrics_import_no_app() -> None:
    # Any app records through civility.metrics, so it must pull in none of them.
    assert not _violations({"metrics"}, lambda m: _room(m) is None)


def test_only_the_assembly_imports_ops() -> None:
    # civility/ops (probes, /metrics, request ids) plugs into the settings, the URL conf and
    # `civility serve`; apps record metrics through civility.metrics instead.
    allowed = {"ops", "serve", "urls", "settings"}
    bad = [
        f"{f} imports {m}" for room, f, m in IMPORTS if _room(m) == "ops" and room not in allowed
    ]
    assert not bad
