"""Tiny synthetic datasets for pipeline tests (written to tmp_path by each test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civility.scoring.constants import ATTRIBUTES as ATTRS

TOXIC = [
    "you are a stupid idiot",
    "shut up idiot",
    "what a stupid moron",
    "you idiot",
    "moron, shut up",
    "stupid clown",
    "idiot and moron",
    "a total idiot",
    "dumb moron",
    "stupid stupid idiot",
    "go away idiot",
    "such a moron",
]
CLEAN = [
    "thanks for the article",
    "the council meets today",
    "great reporting",
    "the weather is nice",
    "i agree with the mayor",
    "see you at the market",
    "the school opens monday",
    "nice photos",
    "good point about rents",
    "the bus was late",
    "lovely parade",
    "well written piece",
]


def _labels(toxic: bool) -> dict[str, int]:
    return {a: int(toxic and a in ("TOXICITY", "INSULT")) for a in ATTRS}


def _span(text: str) -> list[int]:
    out: list[int] = []
    for w in ("idiot", "moron", "stupid"):
        start = 0
        while (i := text.find(w, start)) >= 0:
            out.extend(range(i, i + len(w)))
            start = i + 1
    return sorted(out)


@pytest.fixture
def tiny(tmp_path: Path) -> dict[str, Path]:
    pytest.importorskip("sklearn")
    pytest.importorskip("scipy")
    from civility.training.train import minilm_tokenizer_path

    try:
        minilm_tokenizer_path()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    data = tmp_path / "data"
    data.mkdir()
    rows = [(t, True) for t in TOXIC] + [(t, False) for t in CLEAN]
    with open(data / "train.jsonl", "w") as fh:
        for t, tox in rows[::1]:
            fh.write(json.dumps({"text": t, "labels": _labels(tox), "spans": []}) + "\n")
    with open(data / "heldout.jsonl", "w") as fh:
        for t, tox in [
            ("you stupid idiot", True),
            ("the market opens today", False),
            ("idiot", True),
            ("thanks for the photos", False),
        ]:
            fh.write(json.dumps({"text": t, "labels": _labels(tox)}) + "\n")
    spans = tmp_path / "spans"
    spans.mkdir()
    for split, texts in (("train", TOXIC), ("trial", TOXIC[:4]), ("test", TOXIC[4:8])):
        with open(spans / f"{split}.jsonl", "w") as fh:
            for t in texts:
                fh.write(json.dumps({"text": t, "spans": _span(t)}) + "\n")
    cfg = tmp_path / "datasets.toml"
    labels = "\n".join(f'labels.{a} = {{ field = "{a}", pos = [1], neg = [0] }}' for a in ATTRS)
    cfg.write_text(
        f'[[dataset]]\nname = "tiny"\nloader = "own"\npath = "{data}"\n{labels}\n\n'
        f'[spans]\nformat = "jsonl"\npath = "{spans}"\n',
        encoding="utf-8",
    )
    return {"root": tmp_path, "config": cfg, "out": tmp_path / "artifact"}
