"""Loaders on the real ../shared/datasets (skipped, with the reason, where it is absent)."""

from __future__ import annotations

from collections import Counter

import pytest

from civility.training.datasets import (
    build_train_val,
    datasets_root,
    dedup_key,
    hash_split,
    load_config,
    load_labeled,
    load_semeval_spans,
)

ROOT = datasets_root()
pytestmark = pytest.mark.skipif(
    not (ROOT / "olid2019").exists(), reason=f"public datasets not found at {ROOT}"
)


def _entry(name: str) -> dict:  # type: ignore[type-arg]
    return next(e for e in load_config()["dataset"] if e["name"] == name)


def test_olid_official_split_and_labels() -> None:
    s = load_labeled(_entry("olid2019"), ROOT)
    splits = Counter(s.splits)
    assert splits["test"] == 860
    assert splits["train"] + splits["val"] == 13240
    test = s.select("test")
    assert int((test.labels[:, 0] == 1).sum()) == 240  # OFF in labels-levela.csv


def test_semeval_official_test_split() -> None:
    test = load_semeval_spans(ROOT, "test")
    assert len(test) == 2000
    assert sum(1 for _, g in test if not g) == 394


def test_no_eval_text_leaks_into_training() -> None:
    sets = [load_labeled(_entry(n), ROOT) for n in ("civility-own", "olid2019", "ethos")]
    train, val, stats = build_train_val(sets)
    held = {
        dedup_key(t)
        for s in sets
        for t, sp in zip(s.texts, s.splits, strict=True)
        if sp == "test" or s.role == "eval"
    }
    assert not held & {dedup_key(t) for t in train.texts + val.texts}
    assert stats["removed_eval_overlap"] > 0  # OLID train/test overlap is known (4 texts)


def test_hash_split_is_deterministic_and_duplicate_safe() -> None:
    assert hash_split("Hello, World!") == hash_split("hello world")
    shares = Counter(hash_split(f"text {i}") for i in range(5000))
    assert 0.75 < shares["train"] / 5000 < 0.85
