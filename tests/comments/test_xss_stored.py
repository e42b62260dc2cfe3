"""Stored XSS: no payload of the corpus survives in the HTML we store (browser half: tests/browser)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from civility.comments.models import Comment
from civility.comments.render import ALLOWED_TAGS

PAYLOADS = [
    line
    for line in (Path(__file__).parent / "xss_payloads.txt").read_text().splitlines()
    if line.strip()
]


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if tag == "a" and name == "href":
                if not (value or "").lower().startswith(("http://", "https://")):
                    self.problems.append(f"href {value!r}")
                if any(c in (value or "") for c in "\"'<> "):
                    self.problems.append(f"href breaks out {value!r}")
            elif tag == "a" and name == "rel":
                if value != "nofollow ugc noopener":
                    self.problems.append(f"rel {value!r}")
            else:
                self.problems.append(f"attribute {name}= on <{tag}>")


def test_corpus_is_big_enough():
    assert len(PAYLOADS) >= 50


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_does_not_survive_in_stored_html(story, reader, payload):
    _, alice = reader
    r = alice.post(f"/stories/{story.pk}/comments", {"body": payload})
    assert r.status_code == 201, r.json_body
    stored = Comment.objects.get(pk=r.json_body["comment"]["id"]).html
    audit = Audit()
    audit.feed(stored)
    assert audit.problems == [], stored
    assert r.json_body["comment"]["html"] == stored
