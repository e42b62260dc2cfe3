"""Train-time spelling evasion (civility.training.augment): seeded, label-preserving, spans remapped."""

from __future__ import annotations

import random

import pytest

from civility.training.augment import KINDS, augment_rows, augment_text, remap_spans


def _words(text: str, spans: list[list[int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_changes_the_span_word_and_keeps_the_span_on_it(kind: str) -> None:
    text = "Refugees are vermin, all of them."
    spans = [[13, 19]]  # "vermin"
    out = augment_text(text, spans, random.Random(3), kinds=[kind])
    assert out is not None
    new, new_spans, got = out
    assert got == kind and new != text
    assert new.startswith("Refugees are ") and new.endswith(", all of them.")
    (word,) = _words(new, new_spans)
    assert word != "vermin"
    if kind == "spacing":
        assert word == "v e r m i n"
    if kind == "leet":
        assert len(word) == 6 and any(c.isdigit() for c in word)
    if kind in ("swap", "insert", "delete"):
        assert sorted(word.lower()) != sorted("vermin") or kind == "swap"
        assert abs(len(word) - 6) <= 1


def test_without_spans_a_content_word_changes() -> None:
    out = augment_text("you are such a pathetic loser", [], random.Random(1))
    assert out is not None
    new, spans, _ = out
    assert spans == [] and new != "you are such a pathetic loser"
    assert augment_text("ok no", [], random.Random(1)) is None  # no word of 4+ letters


def test_remap_drops_a_span_that_loses_every_character() -> None:
    from civility.training.augment import Edited

    e = Edited.of("ab cd")
    del e.chars[3:5], e.origin[3:5]
    assert remap_spans(e, [[3, 5]]) == []
    assert remap_spans(e, [[0, 2]]) == [[0, 2]]


def test_rows_are_seeded_deterministic_and_keep_labels() -> None:
    rows = [
        {"text": f"Group {i} are rats and vermin", "labels": {"TOXICITY": 1}, "spans": [[14, 18]]}
        for i in range(200)
    ]
    a = augment_rows(rows, 0.3, seed=13)
    b = augment_rows(rows, 0.3, seed=13)
    c = augment_rows(rows, 0.3, seed=14)
    assert a == b and a != c
    assert 30 <= len(a) <= 90  # about 30 % of 200
    for r in a:
        assert r["labels"] == {"TOXICITY": 1}
        assert r["augment"] in KINDS and r["source"].startswith("augment:")
        assert all(0 <= s < e <= len(r["text"]) for s, e in r["spans"])
    # A row's fate depends on its own text only: more rows do not reshuffle the chosen ones.
    more = augment_rows(rows + [{"text": "another row entirely", "labels": {}}], 0.3, seed=13)
    assert more[: len(a)] == a
    assert augment_rows(rows, 0.0) == []
