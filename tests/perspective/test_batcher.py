"""The micro-batcher: concurrent requests scored together, each gets its own result."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from civility.perspective.views import utf16_offsets
from civility.scoring.batcher import MicroBatcher


def test_concurrent_requests_share_batches_and_get_their_own_results() -> None:
    sizes: list[int] = []

    def slow_upper(texts: list[str]) -> list[str]:
        sizes.append(len(texts))
        time.sleep(0.02)  # a batch takes time, so requests arriving meanwhile queue up
        return [t.upper() for t in texts]

    batcher = MicroBatcher(slow_upper, max_batch=8, max_wait_ms=2)
    texts = [f"text {i}" for i in range(40)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(batcher.score, texts))
    assert results == [t.upper() for t in texts]
    assert sum(sizes) == 40
    assert max(sizes) > 1  # some requests were scored together
    assert max(sizes) <= 8  # never beyond the cap
    assert batcher.batches == len(sizes) < 40


def test_a_failing_batch_fails_its_requests_and_the_batcher_keeps_going() -> None:
    calls = {"n": 0}

    def flaky(texts: list[str]) -> list[str]:
        calls["n"] += 1
        if any("boom" in t for t in texts):
            raise RuntimeError("model exploded")
        return texts

    batcher = MicroBatcher(flaky, max_batch=4, max_wait_ms=0)
    with pytest.raises(RuntimeError, match="model exploded"):
        batcher.score("boom")
    assert batcher.score("fine") == "fine"


def test_wrong_result_count_is_an_error_not_a_mixup() -> None:
    batcher = MicroBatcher(lambda texts: texts[:-1], max_batch=4, max_wait_ms=0)
    with pytest.raises(RuntimeError, match="results"):
        batcher.score("x")


def test_real_scorer_through_the_batcher_matches_direct_scoring(scorer: Any) -> None:
    batcher = MicroBatcher(scorer.score, max_batch=16, max_wait_ms=5)
    texts = [
        "You are an idiot.",
        "Lovely weather for the parade today.",
        "I will find you and hurt you.",
        "Café owners 😀 deserve better.",
    ] * 5
    barrier = threading.Barrier(len(texts))

    def go(text: str) -> Any:
        barrier.wait()
        return batcher.score(text)

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        results = list(pool.map(go, texts))
    direct = scorer.score(texts)
    for got, want in zip(results, direct, strict=True):
        assert got.scores == pytest.approx(want.scores, abs=1e-6)
    assert batcher.batches < len(texts)


def test_utf16_offsets() -> None:
    # é is one UTF-16 unit, 😀 (U+1F600) is a surrogate pair: two units.
    assert utf16_offsets("é😀a") == [0, 1, 3, 4]
    assert utf16_offsets("") == [0]
    text = "naïve 👍🏽 ok"
    offsets = utf16_offsets(text)
    encoded = text.encode("utf-16-le")
    for i in range(len(text)):
        for j in range(i, len(text) + 1):
            assert encoded[2 * offsets[i] : 2 * offsets[j]].decode("utf-16-le") == text[i:j]
