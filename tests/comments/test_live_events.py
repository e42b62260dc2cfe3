"""Live updates: an approved comment reaches readers on the story's SSE stream; held ones don't."""

from __future__ import annotations

import json
import threading

import pytest

from civility.comments import actions

pytestmark = pytest.mark.django_db(transaction=True)


def read_events(client, story, out: list, ready: threading.Event, **params) -> None:
    resp = client.get(f"/api/v1/stories/{story.pk}/events", {"max_seconds": 3, **params})
    out.append(resp["Content-Type"])
    for chunk in resp.streaming_content:
        ready.set()
        out.append(chunk.decode())


def start_reader(client, story, **params) -> tuple[threading.Thread, list, threading.Event]:
    """A reader's stream in a thread: (thread, chunks read so far, set once the first arrives)."""
    out: list = []
    ready = threading.Event()
    t = threading.Thread(target=read_events, args=(client, story, out, ready), kwargs=params)
    t.start()
    return t, out, ready


def parse(chunks: list[str]) -> list[tuple[str, dict]]:
    events = []
    for block in "".join(chunks[1:]).split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_new_approved_comment_is_pushed_and_held_one_is_not(client, site, story, make_reader):
    alice, _ = make_reader("alice")
    bob, _ = make_reader("bob")
    site.premoderation = "new"
    site.new_commenter_threshold = 1
    site.save()
    out: list = []
    ready = threading.Event()
    t = threading.Thread(target=read_events, args=(client, story, out, ready))
    t.start()
    assert ready.wait(5)
    held = actions.post_comment(story=story, author=bob, body="held for review")
    # Alice is established: one approved comment already.
    from civility.comments.models import Comment

    Comment.objects.create(
        story=story, author=alice, body="old", html="<p>old</p>", status="approved"
    )
    live = actions.post_comment(story=story, author=alice, body="hello *live*")
    t.join(10)
    assert out[0] == "text/event-stream"
    events = parse(out)
    created = [data["comment"]["id"] for kind, data in events if kind == "comment.created"]
    assert held.status == "pending" and live.status == "approved"
    assert created == [live.pk]
    assert [d for k, d in events if k == "comment.created"][0]["comment"][
        "html"
    ] == "<p>hello <em>live</em></p>"


def test_reconnect_catches_up_from_last_event_id(client, story, make_reader):
    alice, _ = make_reader("alice")
    first = actions.post_comment(story=story, author=alice, body="one")
    second = actions.post_comment(story=story, author=alice, body="two")
    out: list = []
    read_events(client, story, out, threading.Event(), after=first.pk, max_seconds=0.2)
    ids = [d["comment"]["id"] for k, d in parse(out) if k == "comment.created"]
    assert ids == [second.pk]


def _redis_up(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


REDIS_TEST_URL = "redis://127.0.0.1:6379/9"


@pytest.mark.skipif(not _redis_up(REDIS_TEST_URL), reason="no Redis answers at 127.0.0.1:6379")
def test_events_cross_workers_through_redis(client, settings, story, make_reader):
    # With CIVILITY_REDIS_URL every worker's stream subscribes to Redis, so a comment posted in
    # one process reaches readers connected to another.
    settings.REDIS_URL = REDIS_TEST_URL
    alice, _ = make_reader("alice")
    t, out, ready = start_reader(client, story, max_seconds=4)
    assert ready.wait(5)
    import time

    time.sleep(0.3)  # the stream has subscribed once its first chunk is out
    live = actions.post_comment(story=story, author=alice, body="via redis")
    t.join(10)
    created = [d["comment"]["id"] for k, d in parse(out) if k == "comment.created"]
    assert created == [live.pk]


def test_past_the_stream_cap_a_reader_gets_catch_up_and_polls(
    client, settings, monkeypatch, story, make_reader
):
    """With every live slot taken, the next reader is answered at once (no thread held): what it
    missed, then a long `retry` so its browser comes back later. The slot frees when the stream
    ends, and the next reader streams again."""
    from civility import events

    settings.LIVE_STREAMS = 1
    # Streams left open by earlier tests' live servers must not count against this one's cap.
    monkeypatch.setattr(events, "_open_streams", set())
    alice, _ = make_reader("alice")
    first = actions.post_comment(story=story, author=alice, body="one")
    second = actions.post_comment(story=story, author=alice, body="two")

    streaming, _, ready = start_reader(client, story, max_seconds=2)
    assert ready.wait(5)

    t, overflow, _ = start_reader(client, story, after=first.pk, max_seconds=30)
    t.join(5)
    assert not t.is_alive(), "an over-cap reader must not be held for the stream's length"
    body = "".join(overflow[1:])
    assert [d["comment"]["id"] for k, d in parse(overflow) if k == "comment.created"] == [second.pk]
    assert body.rstrip().endswith(f"retry: {events.OVERFLOW_RETRY_MS}")

    streaming.join(10)
    actions.post_comment(story=story, author=alice, body="three")  # before the stream: not sent
    t, again, again_ready = start_reader(client, story, max_seconds=3)
    assert again_ready.wait(5)
    import time

    time.sleep(0.3)
    fourth = actions.post_comment(story=story, author=alice, body="four")
    t.join(10)
    assert [d["comment"]["id"] for k, d in parse(again) if k == "comment.created"] == [fourth.pk]
