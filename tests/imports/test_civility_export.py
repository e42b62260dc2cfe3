"""Publisher export (`civility export`: JSON Lines and Disqus XML) and the round trip through
`civility import civility`: nothing a thread is made of is lost."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction

from civility.comments.models import Comment, Reaction, Site, Story
from civility.exports import export_main, export_site
from civility.imports.actions import import_comments
from civility.imports.civility_jsonl import parse_civility
from civility.imports.cli import import_main
from civility.imports.parsers import ImportFormatError, parse_disqus

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def _user(username: str, **fields: Any) -> Any:
    from civility.accounts.models import User

    return User.objects.create_user(username=username, password="pw-" + username * 2, **fields)


@pytest.fixture
def source() -> Site:
    """A site with every shape a thread takes: nesting, all statuses, a deleted parent with a
    live reply, reactions, scores and reasons, edited and featured comments, two authors with
    one name, guests, SSO and an erased account."""
    from civility.accounts.data_rights import erase_user
    from civility.comments.actions import store_comment

    site = Site.objects.create(name="News", slug="news", allowed_origins=["https://news.example"])
    open_story = Story.objects.create(site=site, url="https://news.example/a", title="Budget")
    closed = Story.objects.create(
        site=site, url="https://news.example/b", title="Old news", closed=True
    )
    ann = _user("ann@example.org", email="ann@example.org", display_name="Ann")
    ann2 = _user("other-ann@example.org", email="other-ann@example.org", display_name="Ann")
    guest = _user("guest-1", display_name="Gus", is_guest=True)
    sso = _user("sso-1-x", display_name="Sam", sso_site=site, sso_id="pub-9", badges=["Staff"])
    leaver = _user("leaver@example.org", email="leaver@example.org", display_name="Lee")
    fans = [_user(f"fan{i}") for i in range(3)]

    made: list[Comment] = []

    def post(story: Story, author: Any, body: str, status: str = "approved", parent=None, **kw):
        with transaction.atomic():
            c = store_comment(
                story=story,
                author=author,
                body=body,
                status=status,
                parent=parent,
                reasons=kw.pop("reasons", [{"action": "approve", "code": "model_ok"}]),
                scores=kw.pop("scores", {"version": "v1", "scores": {"TOXICITY": 0.02}}),
                created_at=T0 + timedelta(hours=len(made), microseconds=len(made)),
                announce=False,
            )
        if kw:
            Comment.objects.filter(pk=c.pk).update(**kw)
            c.refresh_from_db()
        made.append(c)
        return c

    root = post(open_story, ann, "Root by the first Ann.", featured=True)
    r1 = post(open_story, ann2, "Reply by the other Ann.", parent=root, edited=True)
    r2 = post(open_story, guest, "A guest answers *both*.", parent=r1)
    r3 = post(open_story, sso, "Staff here, deep reply.", parent=r2)
    gone = post(open_story, leaver, "I will leave soon.", parent=root)
    post(open_story, ann, "Still here under a leaver.", parent=gone)
    selfdel = post(open_story, guest, "I regret this one.", status="deleted")
    post(open_story, ann2, "Reply to a self-deleted comment.", parent=selfdel)
    post(
        open_story,
        sso,
        "Held for review.",
        status="pending",
        reasons=[{"action": "hold", "code": "suspect_word", "message": 'Suspect "review"'}],
    )
    post(
        open_story,
        ann,
        "Rejected words.",
        status="rejected",
        rejection_reason="Insulting",
        scores={"version": "v1", "scores": {"TOXICITY": 0.97}, "spans": [{"start": 0, "end": 8}]},
    )
    post(closed, leaver, "On the closed story.")
    post(closed, guest, "Guest on the closed story.")
    for fan in fans:
        Reaction.objects.create(comment=root, user=fan)
    Reaction.objects.create(comment=r3, user=fans[0])
    Comment.objects.filter(pk=root.pk).update(reaction_count=3, report_count=1)
    Comment.objects.filter(pk=r3.pk).update(reaction_count=1)
    erase_user(user=leaver, actor=leaver, reason="test", site=None)
    return site


def _canon(site: Site) -> dict[str, Any]:
    """What a site's threads are made of, independent of row ids."""
    comments = list(
        Comment.objects.filter(story__site=site).select_related("story", "author", "parent")
    )

    def key(c: Comment) -> tuple[str, str]:
        return (c.story.url, c.created_at.isoformat())

    authors: dict[int, set[tuple[str, str]]] = {}
    names: dict[int, str] = {}
    for c in comments:
        authors.setdefault(c.author_id, set()).add(key(c))
        names[c.author_id] = c.author.display_name
    deleted = Comment.Status.DELETED
    return {
        "stories": sorted(
            (s.url, s.title, s.closed) for s in Story.objects.filter(site=site).order_by("url")
        ),
        "comments": {
            key(c): {
                "parent": key(c.parent) if c.parent else None,
                "status": c.status,
                "body": "" if c.status == deleted else c.body,
                "html": "" if c.status == deleted else c.html,
                "depth": c.depth,
                "edited": c.edited,
                "featured": c.featured,
                "reaction_count": c.reaction_count,
                "scores": {} if c.status == deleted else c.scores,
                "reasons": [] if c.status == deleted else c.moderation_reasons,
                "rejection_reason": c.rejection_reason,
                "updated_at": c.updated_at.isoformat(),
            }
            for c in comments
        },
        # Who wrote what: the same groups of comments per author, and each author's name.
        "authors": sorted((sorted(keys), names[pk] or "Anonymous") for pk, keys in authors.items()),
    }


def _normalized(site: Site) -> list[dict[str, Any]]:
    ids: dict[tuple[str, Any], int] = {}

    def rid(space: str, value: Any) -> Any:
        return None if value is None else ids.setdefault((space, value), len(ids))

    out = []
    for line in _export(site).splitlines()[1:]:
        r = json.loads(line)
        if r["type"] == "story":
            r["id"] = rid("story", r["id"])
            r.pop("created_at")
        elif r["type"] == "user":
            r["id"] = rid("user", r["id"])
            r["name"] = r["name"] or "Anonymous"
            for field in ("kind", "badges", "joined"):
                r.pop(field)
        elif r["type"] == "comment":
            r["id"] = rid("comment", r["id"])
            r["parent"] = rid("comment", r["parent"])
            r["story"] = rid("story", r["story"])
            r["author"] = rid("user", r["author"])
        out.append(r)
    return out


def _export(site: Site, fmt: str = "jsonl", **kw: Any) -> str:
    out = io.StringIO()
    export_site(site=site, out=out, fmt=fmt, **kw)
    return out.getvalue()


def test_jsonl_export_shape_and_privacy(source):
    text = _export(source)
    records = [json.loads(line) for line in text.splitlines()]
    kinds = [r["type"] for r in records]
    assert kinds[0] == "export" and kinds[-1] == "end"
    assert kinds == sorted(kinds, key=["export", "story", "user", "comment", "end"].index)
    assert records[-1]["counts"] == {"stories": 2, "users": 5, "comments": 12}
    users = [r for r in records if r["type"] == "user"]
    assert all(u["id"].startswith("u-") for u in users)
    assert sorted(u["kind"] for u in users) == ["erased", "guest", "local", "local", "sso"]
    # No password hashes, no e-mail addresses, no SSO ids, nothing of the erased account.
    for needle in ("md5$", "pbkdf2", "ann@example.org", "pub-9", "leaver@", "Lee", "I will leave"):
        assert needle not in text, needle
    comments = {r["body"]: r for r in records if r["type"] == "comment"}
    root = comments["Root by the first Ann."]
    assert root["reaction_count"] == 3
    assert root["featured"] and root["report_count"] == 1
    assert comments["Reply by the other Ann."]["parent"] == root["id"]
    assert comments["Rejected words."]["rejection_reason"] == "Insulting"
    assert comments["Rejected words."]["scores"]["scores"]["TOXICITY"] == 0.97
    # Deleted comments are placeholders: no text, and nothing derived from it.
    deleted = [r for r in records if r["type"] == "comment" and r["status"] == "deleted"]
    assert len(deleted) == 3 and all(r["body"] == "" and r["reasons"] == [] for r in deleted)
    assert "I regret" not in text
    # --with-emails adds contact identities, for a publisher moving its accounts.
    assert "ann@example.org" in _export(source, with_emails=True)
    # The export is audited.
    from civility.moderation.models import AuditEntry

    assert AuditEntry.objects.filter(action="site.exported", site=source).count() == 2


def test_round_trip_through_the_cli_loses_nothing(source, tmp_path, capsys):
    path = tmp_path / "news.jsonl.gz"
    assert export_main(["news", "-o", str(path)]) == 0
    assert "12 comments" in capsys.readouterr().err
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert json.loads(fh.readline())["format"] == "civility-site-export"

    target = Site.objects.create(name="Moved", slug="moved")
    assert import_main(["civility", str(path), "--site", "moved"]) == 0
    assert "imported 12 comments into 2 new stories (5 new authors)" in capsys.readouterr().out
    before, after = _canon(source), _canon(target)
    assert after["stories"] == before["stories"]
    assert after["authors"] == before["authors"]
    assert set(after["comments"]) == set(before["comments"])
    for key, expected in before["comments"].items():
        assert after["comments"][key] == expected, key
    assert after == before

    # Exporting the imported site gives the same records, but for ids, export times and what
    # the import cannot know (imported authors are placeholder accounts, stories new rows).
    assert _normalized(target) == _normalized(source)

    # A second import of the same file adds nothing.
    assert import_main(["civility", str(path), "--site", "moved"]) == 0
    assert "imported 0 comments" in capsys.readouterr().out
    assert Comment.objects.filter(story__site=target).count() == 12


def test_bad_civility_files_are_refused_whole(source, tmp_path):
    good = _export(source).splitlines()
    cases = {
        "empty": [],
        "not-json": ["<disqus>"],
        "no-header": good[1:],
        "truncated": good[:-3],
        "bad-status": [
            line.replace('"status":"approved"', '"status":"shown"', 1) if i == 10 else line
            for i, line in enumerate(good)
        ],
    }
    target = Site.objects.create(name="Moved", slug="moved")
    for name, lines in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(ImportFormatError):
            parse_civility(path)
        assert import_main(["civility", str(path), "--site", "moved"]) == 2, name
    assert not Comment.objects.filter(story__site=target).exists()


def test_disqus_export_reads_back_as_disqus(source, tmp_path):
    assert export_main(["news", "--format", "disqus", "-o", str(tmp_path / "d.xml")]) == 0
    xml = (tmp_path / "d.xml").read_text()
    assert xml.startswith(
        '<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com"'
    )
    assert "ann@example.org" not in xml and "I regret" not in xml
    data = parse_disqus(tmp_path / "d.xml")
    stories = {s.url: s for s in Story.objects.filter(site=source)}
    assert {t.url for t in data.threads.values()} == set(stories)
    assert {t.url: t.closed for t in data.threads.values()} == {
        u: s.closed for u, s in stories.items()
    }
    # Everything but the one comment still awaiting moderation, with parents and statuses.
    by_key = {c.key: c for c in data.comments}
    originals = Comment.objects.filter(story__site=source).exclude(status="pending")
    assert set(by_key) == {str(c.pk) for c in originals}
    for c in originals:
        got = by_key[str(c.pk)]
        assert got.parent_key == (str(c.parent_id) if c.parent_id else None)
        assert got.status == c.status
        assert got.created_at == c.created_at.replace(microsecond=0)
        # The markup survives the trip through HTML (*both* is <em> in the XML, *both* again).
        assert got.body == ("" if c.status == "deleted" else c.body)
    names = {c.author_name for c in data.comments}
    assert {"Ann", "Gus", "Sam"} <= names
    # Civility's own Disqus importer takes it: the reply under a deleted comment keeps its place.
    moved = Site.objects.create(name="Moved", slug="moved")
    result = import_comments(site=moved, data=data)
    assert result.comments_created == 11
    orphan_reply = Comment.objects.get(story__site=moved, body="Reply to a self-deleted comment.")
    assert orphan_reply.parent is not None and orphan_reply.parent.status == "deleted"


def test_export_cli_refusals(db, tmp_path, capsys):
    assert export_main(["nope"]) == 2
    assert "no site" in capsys.readouterr().err
    Site.objects.create(name="News", slug="news")
    assert export_main(["news", "-o", str(tmp_path / "missing" / "x.jsonl")]) == 2


def test_reimport_of_a_newer_export_updates_by_source_id(source, tmp_path, capsys):
    """Our own export is matched by its comment ids: a newer export of the same site updates
    the copy (edits, deletions, counts) instead of adding comments; empty stories come too."""
    Story.objects.create(site=source, url="https://news.example/empty", title="No comments")
    path = tmp_path / "v1.jsonl"
    assert export_main(["news", "-o", str(path)]) == 0
    target = Site.objects.create(name="Moved", slug="moved")
    assert import_main(["civility", str(path), "--site", "moved"]) == 0
    capsys.readouterr()
    assert Story.objects.filter(site=target, url="https://news.example/empty").exists()
    copies = {c.source_key: c for c in Comment.objects.filter(story__site=target)}
    assert set(copies) == {
        f"{target.pk}:civility:{pk}"
        for pk in Comment.objects.filter(story__site=source).values_list("pk", flat=True)
    }

    root = Comment.objects.get(story__site=source, body="Root by the first Ann.")
    Comment.objects.filter(pk=root.pk).update(
        body="Root, edited.", html="<p>Root, edited.</p>", reaction_count=5
    )
    held = Comment.objects.get(story__site=source, body="Held for review.")
    Comment.objects.filter(pk=held.pk).update(status="deleted")
    path2 = tmp_path / "v2.jsonl"
    assert export_main(["news", "-o", str(path2)]) == 0
    assert import_main(["civility", str(path2), "--site", "moved"]) == 0
    out = capsys.readouterr().out
    assert "imported 0 comments into 0 new stories (0 new authors); updated 2, unchanged 10" in out
    assert "1 text edited" in out and "1 deleted since" in out
    assert _canon(target) == _canon(source)
