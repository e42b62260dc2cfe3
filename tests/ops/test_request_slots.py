"""At most CIVILITY_THREADS requests of a process run the application at once; probes skip."""

from __future__ import annotations

import threading
import time

from django.http import HttpResponse
from django.test import RequestFactory

from civility.ops.requests import RequestMiddleware


def test_requests_past_the_slots_wait_and_probes_do_not(settings):
    settings.THREADS = 3
    inside = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def view(request):
        nonlocal inside, most
        if request.path == "/healthz":
            return HttpResponse("ok")
        with lock:
            inside += 1
            most = max(most, inside)
        release.wait(10)
        with lock:
            inside -= 1
        return HttpResponse("done")

    middleware = RequestMiddleware(view)
    factory = RequestFactory()
    answers: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: answers.append(middleware(factory.get("/api/v1/x")).status_code)
        )
        for _ in range(7)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while inside < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the other four had time to get in, if they could
    assert inside == 3
    # Every slot is taken: a probe still answers at once.
    assert middleware(factory.get("/healthz")).status_code == 200
    release.set()
    for t in threads:
        t.join(10)
    assert answers == [200] * 7 and most == 3 and inside == 0


def test_a_request_waiting_for_a_score_lends_its_slot(settings):
    from civility import metrics

    settings.THREADS = 1
    order: list[str] = []
    a_waits, b_done = threading.Event(), threading.Event()

    def view(request):
        if request.path == "/a":
            with metrics.slots.waiting():  # as while the batcher's thread scores
                a_waits.set()
                assert b_done.wait(10)
            order.append("a resumed")
        else:
            order.append("b ran")
            b_done.set()
        return HttpResponse("ok")

    middleware = RequestMiddleware(view)
    factory = RequestFactory()
    a = threading.Thread(target=lambda: middleware(factory.get("/a")))
    a.start()
    assert a_waits.wait(5)
    # The one slot is lent while A waits: B runs now instead of after A.
    assert middleware(factory.get("/b")).status_code == 200
    a.join(10)
    assert order == ["b ran", "a resumed"]


def test_a_freed_slot_goes_to_the_longest_waiter():
    from civility.metrics import RequestSlots

    slots = RequestSlots(1)
    slots.acquire()  # this thread holds the one slot
    ran: list[int] = []

    def request(n: int) -> None:
        slots.acquire()
        ran.append(n)
        slots.release()

    threads = []
    for n in range(6):
        t = threading.Thread(target=request, args=(n,))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5
        while len(slots._waiters) < n + 1 and time.monotonic() < deadline:
            time.sleep(0.001)  # queued in this order
    slots.release()
    for t in threads:
        t.join(10)
    assert ran == list(range(6))
    # A newcomer never takes a slot from a waiter: with the slot free and nobody waiting, it
    # takes it at once.
    slots.acquire()
    slots.release()


def test_resizing_keeps_holders_and_waiters():
    from civility.metrics import RequestSlots

    slots = RequestSlots(1)
    slots.acquire()
    got = threading.Event()

    def waiter() -> None:
        slots.acquire()
        got.set()
        slots.release()

    t = threading.Thread(target=waiter)
    t.start()
    deadline = time.monotonic() + 5
    while not slots._waiters and time.monotonic() < deadline:
        time.sleep(0.001)
    # A second server part configuring the same slots (a new middleware instance) neither
    # strands the waiter nor forgets the holder: one more slot lets the waiter in at once.
    slots.configure(2)
    assert got.wait(5)
    t.join(5)
    slots.configure(1)  # shrinking while this thread still holds its slot
    slots.release()
    assert slots._free == 1 and slots.size == 1
