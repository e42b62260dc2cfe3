"""The widget's weight: its JavaScript and CSS (thread.js, thread.css and the embed loader) stay
under 40 KB compressed, gzip and brotli alike (brotli through Debian's node, when it is there)."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parents[2] / "civility" / "static" / "civility"
FILES = ("thread.js", "thread.css", "embed.js")
BUDGET = 40 * 1024


def test_widget_js_and_css_fit_in_40_kb_gzipped():
    sizes = {name: len(gzip.compress((ASSETS / name).read_bytes(), 9)) for name in FILES}
    assert sum(sizes.values()) <= BUDGET, sizes


def test_widget_js_and_css_fit_in_40_kb_brotli():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (its zlib has brotli)")
    script = (
        "const z=require('zlib'),fs=require('fs');"
        "console.log(JSON.stringify(process.argv.slice(1).map(f=>z.brotliCompressSync("
        "fs.readFileSync(f),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length)))"
    )
    out = subprocess.run(
        [node, "-e", script, *(str(ASSETS / n) for n in FILES)],
        capture_output=True,
        text=True,
        check=True,
    )
    sizes = dict(zip(FILES, json.loads(out.stdout), strict=True))
    assert sum(sizes.values()) <= BUDGET, sizes
