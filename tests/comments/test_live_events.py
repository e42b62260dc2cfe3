"""Live updates: an approved comment reaches readers on the story's SSE stream; held ones don't.

Each reader reads its stream in a thread until the event a test waits for arrives, then goes away
(closes the response, as a browser closing the tab does): no test waits out a stream's length.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from civility.comments import actions

pytestmark = pytest.mark.django_db(transaction=True)

Events = list[tuple[str, dict]]


def parse(chunks: list[str]) -> Events:
    events = []
    for block in "".join(chunks).split("\n\n"):
        fields = dict(
            line.split(": ", 1)
            for line in block.splitlines()
            if ": " in line and not line.startswith(":")
        )
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def created(events: Events) -> list[int]:
    return [data["comment"]["id"] for kind, data in events if kind == "comment.created"]


def any_created(events: Events) -> bool:
    return bool(created(events))


class Reader(threading.Thread):
    """One reader's stream of `story`, read in a thread until `until(events so far)` holds (or,
    without `until`, until the server ends the stream); then the reader goes away."""

    def __init__(
        self, client: Any, story: Any, until: Callable[[Events], bool] | None = None, **params: Any
    ) -> None:
        super().__init__(daemon=True)
        self.client, self.story, self.until, self.params = client, story, until, params
        self.content_type = ""
        self.chunks: list[str] = []
        # Set with the first chunk: the server sends it once it has subscribed to the story.
        self.subscribed = threading.Event()

    def run(self) -> None:
        resp = self.client.get(f"/api/v1/stories/{self.story.pk}/events", self.params)
        self.content_type = resp["Content-Type"]
        try:
            for chunk in resp.streaming_content:
                self.chunks.append(chunk.decode())
                self.subscribed.set()
                if self.until is not None and self.until(parse(self.chunks)):
                    break
        finally:
            resp.close()  # ends the server's stream: it unsubscribes and frees its slot
            connections.close_all()

    def events(self, timeout: float = 10) -> Events:
        """The events read, once the reader is done; fails if that takes over `timeout`."""
        self.join(timeout)
        assert not self.is_alive(), f"the awaited event did not arrive: {self.chunks}"
        return parse(self.chunks)


def start_reader(client: Any, story: Any, **kwargs: Any) -> Reader:
    reader = Reader(client, story, **kwargs)
    reader.start()
    return reader


def subscribed_reader(client: Any, story: Any, **kwargs: Any) -> Reader:
    reader = start_reader(client, story, **kwargs)
    assert reader.subscribed.wait(10), "the stream never started"
    return reader


def test_new_approved_comment_is_pushed_and_held_one_is_not(client, site, story, make_reader):
    alice, _ = make_reader("alice")
    bob, _ = make_reader("bob")
    site.premoderation = "new"
    site.new_commenter_threshold = 1
    site.save()
    # Reads up to the first comment pushed: were the held one pushed, it would come first.
    reader = subscribed_reader(client, story, until=any_created)
    held = actions.post_comment(story=story, author=bob, body="held for review")
    # Alice is established: one approved comment already.
    from civility.comments.models import Comment

    Comment.objects.create(
        story=story, author=alice, body="old", html="<p>old</p>", status="approved"
    )
    live = actions.post_comment(story=story, author=alice, body="hello *live*")
    events = reader.events()
    assert reader.content_type == "text/event-stream"
    assert held.status == "pending" and live.status == "approved"
    assert created(events) == [live.pk]
    assert [d for k, d in events if k == "comment.created"][0]["comment"][
        "html"
    ] == "<p>hello <em>live</em></p>"


def test_reconnect_catches_up_from_last_event_id(client, story, make_reader):
    alice, _ = make_reader("alice")
    first = actions.post_comment(story=story, author=alice, body="one")
    second = actions.post_comment(story=story, author=alice, body="two")
    # The catch-up comes in id order, so an event for `first` would arrive before `second`'s.
    reader = start_reader(client, story, until=any_created, after=first.pk)
    assert created(reader.events()) == [second.pk]


def _redis_up(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


REDIS_TEST_URL = "redis://127.0.0.1:6379/9"


@pytest.mark.skipif(not _redis_up(REDIS_TEST_URL), reason="no Redis answers at 127.0.0.1:6379")
# Channels are named by story id, which repeats across xdist workers' databases: one worker runs
# every test that uses the Redis test database (test_redis_batch.py too).
@pytest.mark.xdist_group("redis")
def test_events_cross_workers_through_redis(client, settings, story, make_reader):
    # With CIVILITY_REDIS_URL every worker's stream subscribes to Redis, so a comment posted in
    # one process reaches readers connected to another.
    import redis

    settings.REDIS_URL = REDIS_TEST_URL
    alice, _ = make_reader("alice")
    reader = subscribed_reader(client, story, until=any_created)
    # The stream has sent SUBSCRIBE; wait until Redis has it, or a publish could overtake it.
    channel = f"civility:story:{story.pk}"
    r = redis.Redis.from_url(REDIS_TEST_URL)
    deadline = time.monotonic() + 10
    while dict(r.pubsub_numsub(channel)).get(channel.encode(), 0) < 1:
        assert time.monotonic() < deadline, "the stream never subscribed in Redis"
    live = actions.post_comment(story=story, author=alice, body="via redis")
    assert created(reader.events()) == [live.pk]


def test_past_the_stream_cap_a_reader_gets_catch_up_and_polls(
    client, settings, monkeypatch, story, make_reader
):
    """With every live slot taken, the next reader is answered at once (no thread held): what it
    missed, then a long `retry` so its browser comes back later. The slot frees when the reader
    of the stream goes away, and the next reader streams again."""
    from civility import events

    settings.LIVE_STREAMS = 1
    # Streams left open by earlier tests' live servers must not count against this one's cap.
    monkeypatch.setattr(events, "_open_streams", set())
    alice, _ = make_reader("alice")
    first = actions.post_comment(story=story, author=alice, body="one")
    second = actions.post_comment(story=story, author=alice, body="two")

    streaming = subscribed_reader(client, story, until=any_created)

    overflow = start_reader(client, story, after=first.pk)  # reads until the server ends it
    overflow.join(5)
    assert not overflow.is_alive(), "an over-cap reader must not be held for the stream's length"
    assert created(overflow.events()) == [second.pk]
    assert "".join(overflow.chunks).rstrip().endswith(f"retry: {events.OVERFLOW_RETRY_MS}")

    third = actions.post_comment(story=story, author=alice, body="three")
    assert created(streaming.events()) == [third.pk]  # then that reader goes away
    assert not events._open_streams, "a reader that went away still holds its slot"

    again = subscribed_reader(client, story, until=any_created)
    fourth = actions.post_comment(story=story, author=alice, body="four")
    assert created(again.events()) == [fourth.pk]
