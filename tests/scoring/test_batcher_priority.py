"""The micro-batcher yields the CPU to requests and says how long its queue will take."""

from __future__ import annotations

import os
import threading
import time

import pytest

from civility.scoring.batcher import MicroBatcher


def _nice_of(native_id: int) -> int:
    # Field 19 of /proc/PID/task/TID/stat is the nice value (after "pid (comm)").
    stat = open(f"/proc/{os.getpid()}/task/{native_id}/stat").read()
    return int(stat.rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")
def test_scoring_thread_and_the_threads_it_starts_run_niced_callers_do_not() -> None:
    seen: dict[str, int] = {}

    def score(texts: list[str]) -> list[str]:
        seen["scorer"] = _nice_of(threading.get_native_id())
        child = threading.Thread(
            target=lambda: seen.update(child=_nice_of(threading.get_native_id()))
        )
        child.start()  # like the encoder's pool, started from the scoring thread
        child.join()
        return texts

    caller = _nice_of(threading.get_native_id())
    batcher = MicroBatcher(score, max_batch=4, max_wait_ms=0, nice=10)
    assert batcher.score("x") == "x"
    assert seen["scorer"] == min(caller + 10, 19)
    assert seen["child"] == seen["scorer"]
    assert _nice_of(threading.get_native_id()) == caller  # the caller's thread is untouched


def test_queue_wait_follows_the_pace_of_recent_batches() -> None:
    release = threading.Event()

    def slow(texts: list[str]) -> list[str]:
        if texts == ["block"]:
            release.wait(5)
        else:
            time.sleep(0.02 * len(texts))
        return texts

    batcher = MicroBatcher(slow, max_batch=1, max_wait_ms=0)
    assert batcher.queue_wait() == 0.0  # no pace yet: nothing says the caller should not wait
    for i in range(3):
        batcher.score(f"warm {i}")
    pace = batcher.queue_wait()
    assert pace == 0.0  # queue empty, nothing running
    blocked = batcher.submit("block")  # a batch that does not finish
    queued = [batcher.submit(f"t{i}") for i in range(5)]
    time.sleep(0.3)
    assert batcher.unscored == 6
    # Five texts queued behind a batch already running longer than the recent pace: the
    # estimate grows with both. (The batch started a moment after its submit: CI once saw it
    # 0.299 s old after the 0.3 s sleep, so the bound leaves room for that moment.)
    assert batcher.queue_wait() >= 5 * 0.25
    release.set()
    assert blocked.result(5) == "block"
    assert [f.result(5) for f in queued] == [f"t{i}" for i in range(5)]
    assert batcher.unscored == 0


def test_background_texts_wait_for_a_gap_between_requests_waited_ones_do_not() -> None:
    busy = threading.Event()
    busy.set()
    batches: list[list[str]] = []

    def score(texts: list[str]) -> list[str]:
        batches.append(list(texts))
        return texts

    batcher = MicroBatcher(score, max_batch=8, max_wait_ms=0, yield_while=busy.is_set)
    later = [batcher.submit(f"held {i}", background=True) for i in range(3)]
    time.sleep(0.2)
    assert not any(f.done() for f in later)  # the process is busy: background texts wait
    assert batcher.backlog == 3 and batcher.unscored == 3
    assert batcher.score("someone waits", timeout=2) == "someone waits"
    assert batches == [["someone waits"]]  # scored at once, without the background company
    busy.clear()  # a gap between requests
    assert [f.result(2) for f in later] == ["held 0", "held 1", "held 2"]
    assert batches[1:] == [["held 0", "held 1", "held 2"]]
    assert batcher.unscored == 0


def test_background_texts_wait_at_most_max_yield() -> None:
    batcher = MicroBatcher(
        lambda texts: texts, max_batch=8, max_wait_ms=0, yield_while=lambda: True, max_yield_s=0.3
    )
    started = time.monotonic()
    future = batcher.submit("never a gap", background=True)
    assert future.result(3) == "never a gap"
    assert time.monotonic() - started >= 0.3  # scored once it had waited max_yield


def test_background_texts_do_not_wake_the_thread_while_it_waits_for_a_gap() -> None:
    """In a burst every post submits a background text: woken by each, the scoring thread took
    the GIL once a post. While it waits for a gap it looks at new ones every yield_poll."""
    looks = 0
    busy = True

    def serving() -> bool:
        nonlocal looks
        looks += 1
        return busy

    batcher = MicroBatcher(
        lambda texts: texts, max_batch=64, max_wait_ms=0, yield_while=serving, yield_poll_s=0.05
    )
    first = batcher.submit("burst 0", background=True)
    time.sleep(0.1)
    started, looks = time.monotonic(), 0
    later = []
    for i in range(1, 201):
        later.append(batcher.submit(f"burst {i}", background=True))
        time.sleep(0.001)
    elapsed = time.monotonic() - started
    assert looks <= elapsed / 0.05 + 3  # once a poll, not once a text (200 texts)
    assert batcher.backlog == 201 and not first.done()
    # A text someone waits for still wakes it at once.
    assert batcher.score("waited for", timeout=1) == "waited for"  # busy: not a gap
    busy = False
    assert [f.result(2) for f in [first, *later]] == [f"burst {i}" for i in range(201)]
    # Idle, a background text wakes it.
    time.sleep(0.1)
    assert batcher.submit("alone", background=True).result(1) == "alone"


def test_a_batch_being_scored_finishes_before_the_process_exits(tmp_path) -> None:
    """Cut off inside onnxruntime at exit (the thread is a daemon), a batch aborted the
    process (exit status 134)."""
    import subprocess
    import sys

    done = tmp_path / "done"
    script = f"""
import time
from civility.scoring.batcher import MicroBatcher

def slow(texts):
    time.sleep(1.0)
    open({str(done)!r}, "w").write("finished")
    return texts

batcher = MicroBatcher(slow, max_wait_ms=0)
batcher.submit("still scoring at exit", background=True)
time.sleep(0.2)  # the batch has started; the interpreter ends now
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert done.read_text() == "finished"
