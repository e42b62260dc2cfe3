"""Every CIVILITY_* setting is read in civility/settings.py and listed in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bCIVILITY_[A-Z0-9_]*[A-Z0-9]\b")
OFFLINE_ONLY = {"CIVILITY_DATASETS"}  # read by civility/training, which never runs in the server


def _readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in NAME.findall(row.split("|")[1])}


def test_readme_table_lists_exactly_the_settings_read_in_settings_py() -> None:
    read = set(NAME.findall((ROOT / "civility" / "settings.py").read_text(encoding="utf-8")))
    assert read, "settings.py reads no CIVILITY_* variable?"
    assert _readme_table() == read


def test_no_module_outside_settings_reads_the_environment_for_a_setting() -> None:
    offenders = []
    for path in (ROOT / "civility").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "civility/settings.py" or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        for name in set(NAME.findall(text)) - OFFLINE_ONLY:
            if re.search(rf"environ(?:\.get)?\(?\[?\s*[\"']{name}", text) or re.search(
                rf"getenv\(\s*[\"']{name}", text
            ):
                offenders.append(f"{rel}: {name}")
    assert not offenders, "read these in civility/settings.py instead: " + ", ".join(offenders)


def test_offline_settings_are_documented_too() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in OFFLINE_ONLY:
        assert f"`{name}`" in text
