"""Isso (its SQLite database, with Isso's own schema) and Coral (CSV in coral-importer's layout,
and JSON as mongoexport writes it): the same guarantees as Disqus and WordPress."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime

import pytest

from civility.comments.models import Comment, Site, Story
from civility.imports.actions import import_comments
from civility.imports.cli import import_main
from civility.imports.coral import CoralSource
from civility.imports.isso import IssoSource
from tests.imports.builders import coral_csv, coral_json, isso_db

BLOG = "https://blog.example"
T = datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def site(db) -> Site:
    return Site.objects.create(name="Blog", slug="blog", allowed_origins=[BLOG])


def make_isso(path, changes=None):
    comments = [
        dict(tid=1, id=1, created=T, text="Hello *there*\n\n    indented code\n        more",
             author="Ann", email="ann@mail.example", website="ann.example", likes=3),
        dict(tid=1, id=2, parent=1, created=T + 60, text="Reply to Ann", author="Bob",
             email="none@example.invalid"),
        # Isso keeps a deleted comment that has replies as mode 4, text and author blanked.
        dict(tid=1, id=3, created=T + 120, mode=4, text="", author=None),
        dict(tid=1, id=4, parent=3, created=T + 180, text="Reply to the deleted one",
             author="Cy"),
        dict(tid=2, id=5, created=T + 240, mode=2, text="Awaiting moderation", author="Di",
             modified=T + 300),
        dict(tid=3, id=6, created=T, text="On a dev copy", author="Ed"),
        dict(tid=1, id=7, created="n/a", text="No date", author="Fay"),
    ]  # fmt: skip
    for c in comments:
        c.update((changes or {}).get(c["id"], {}))
    threads = [(1, "/2024/hello/", "Hello"), (2, "/about", None), (4, "/empty/", "Nobody")]
    threads.append((3, "http://localhost:1313/draft/", "Draft"))
    return isso_db(path, threads, comments)


def test_isso_database_imports_threads_replies_statuses(site, tmp_path, capsys):
    db = make_isso(tmp_path / "comments.db")
    # The site's one allowed origin is where Isso's paths live (or --base-url says).
    assert import_main(["isso", str(db), "--site", "blog"]) == 0
    out = capsys.readouterr().out
    assert "imported 5 comments into 2 new stories" in out
    assert "1 bad date" in out and "1 story not at an allowed origin (http://localhost:1313)" in out
    assert sorted(Story.objects.values_list("url", "title")) == [
        (f"{BLOG}/2024/hello/", "Hello"),
        (f"{BLOG}/about", ""),
    ]
    ann = Comment.objects.get(author__display_name="Ann")
    assert ann.body == "Hello *there*\n\n```\nindented code\n    more\n```"
    assert "<pre><code>indented code\n    more</code></pre>" in ann.html
    assert ann.reaction_count == 3 and ann.author.profile_url == "https://ann.example"
    assert ann.created_at == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert Comment.objects.get(body="Reply to Ann").parent == ann
    deleted = Comment.objects.get(source_key=f"{site.pk}:isso:3")
    assert deleted.status == "deleted"
    assert Comment.objects.get(body="Reply to the deleted one").parent == deleted
    pending = Comment.objects.get(body="Awaiting moderation")
    assert pending.status == "pending" and pending.edited

    # Re-run with Isso's database as it is now: an edit and a deletion there.
    db.unlink()
    make_isso(tmp_path / "comments.db", {2: {"text": "Reply to Ann, edited"}, 5: {"mode": 4}})
    result = import_comments(site=site, source=IssoSource(db, BLOG))
    assert (result.created, result.updated) == (0, 2)
    assert result.changes == {"text edited": 1, "deleted since": 1}


def test_isso_refusals(site, tmp_path, capsys):
    db = make_isso(tmp_path / "comments.db")
    site.allowed_origins = ["https://a.example", "https://b.example"]
    site.save()
    assert import_main(["isso", str(db), "--site", "blog"]) == 2
    err = capsys.readouterr().err
    assert "Isso names its threads by path ('/2024/hello/')" in err and "--base-url" in err
    not_db = tmp_path / "comments.xml"
    not_db.write_text("<disqus/>")
    assert import_main(["isso", str(not_db), "--site", "blog", "--base-url", BLOG]) == 2
    assert "not an SQLite database" in capsys.readouterr().err
    assert not Comment.objects.exists()


STORIES = [["s1", f"{BLOG}/one", "One", "", "", "", "COMMENTS"],
           ["s2", f"{BLOG}/two", "Two", "", "", "2024-01-01T00:00:00Z", "COMMENTS"],
           ["s3", f"{BLOG}/three", "Nobody commented", "", "", "", "COMMENTS"]]  # fmt: skip
USERS = [["u1", "ann@mail.example", "ann", "COMMENTER", "false", "2023-01-01T00:00:00Z"],
         ["u2", "bob@mail.example", "bob", "COMMENTER", "false", "2023-01-01T00:00:00Z"]]  # fmt: skip
COMMENTS = [
    ["c2", "u2", "s1", "2024-02-01T10:05:00Z", "Agreed!<br>Twice.", "c1", "APPROVED", ""],
    ["c1", "u1", "s1", "2024-02-01T10:00:00Z", "<p>First, see <a href=\"https://x.example/a\">"
     "this</a></p>", "", "NONE", ""],
    ["c3", "u1", "s2", "2024-02-02T10:00:00Z", "Rejected words", "", "REJECTED", ""],
    ["c4", "u2", "s2", "2024-02-03T10:00:00Z", "Held", "", "PREMOD", ""],
    ["c5", "u2", "s1", "not a date", "Bad", "", "APPROVED", ""],
]  # fmt: skip


def _check_coral(site):
    c1 = Comment.objects.get(source_key=f"{site.pk}:coral:c1")
    c2 = Comment.objects.get(source_key=f"{site.pk}:coral:c2")
    assert c1.body == "First, see [this](https://x.example/a)" and c1.status == "approved"
    assert c2.parent == c1 and c2.body == "Agreed!\nTwice."
    assert c1.author.display_name == "ann" and c2.author.display_name == "bob"
    assert Comment.objects.get(source_key=f"{site.pk}:coral:c3").status == "rejected"
    assert Comment.objects.get(source_key=f"{site.pk}:coral:c4").status == "pending"
    assert Story.objects.get(url=f"{BLOG}/two").closed
    assert not Story.objects.filter(url=f"{BLOG}/three").exists()


@pytest.mark.parametrize("header", [False, True])
def test_coral_csv(site, tmp_path, capsys, header):
    folder = coral_csv(tmp_path / "coral", STORIES, COMMENTS, USERS, header=header)
    assert import_main(["coral", str(folder), "--site", "blog"]) == 0
    out = capsys.readouterr()
    assert "imported 4 comments into 2 new stories (2 new authors)" in out.out
    assert "Coral comment c5" in out.err and "bad date" in out.err
    _check_coral(site)
    # Again, zipped: the same file content, nothing new.
    archive = tmp_path / "coral.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in folder.iterdir():
            z.write(p, f"export/{p.name}")
    assert import_main(["coral", str(archive), "--site", "blog"]) == 0
    assert "imported 0 comments" in capsys.readouterr().out


@pytest.mark.parametrize("array", [False, True])
def test_coral_mongoexport_json(site, tmp_path, array):
    d = {"$date": "2024-02-01T10:00:00.000Z"}
    stories = [
        {"id": "s1", "url": f"{BLOG}/one", "metadata": {"title": "One"}, "closedAt": False},
        {"id": "s2", "url": f"{BLOG}/two", "metadata": {"title": "Two"},
         "closedAt": {"$date": "2024-01-01T00:00:00Z"}},
    ]  # fmt: skip
    users = [{"id": "u1", "username": "ann", "email": "a@x.example"},
             {"id": "u2", "username": "bob"}]  # fmt: skip
    comments = [
        {"id": "c1", "storyID": "s1", "authorID": "u1", "createdAt": d, "status": "NONE",
         "revisions": [{"body": "first draft"},
                       {"body": '<p>First, see <a href="https://x.example/a">this</a></p>'}],
         "tags": [{"type": "FEATURED"}], "actionCounts": {"REACTION": 4}},
        {"id": "c2", "storyID": "s1", "authorID": "u2", "parentID": "c1",
         "createdAt": {"$date": {"$numberLong": "1706781900000"}}, "status": "APPROVED",
         "revisions": [{"body": "Agreed!<br>Twice."}]},
        {"id": "c3", "storyID": "s2", "authorID": "u1", "createdAt": d, "status": "REJECTED",
         "revisions": [{"body": "Rejected words"}]},
        {"id": "c4", "storyID": "s2", "authorID": "u2", "createdAt": d,
         "status": "SYSTEM_WITHHELD", "revisions": [{"body": "Held"}]},
        {"id": "c6", "storyID": "s1", "authorID": None, "createdAt": d, "status": "APPROVED",
         "revisions": [], "deletedAt": d, "parentID": None},
    ]  # fmt: skip
    folder = coral_json(tmp_path / "coral", stories, comments, users, array=array)
    result = import_comments(site=site, source=CoralSource(folder))
    assert result.created == 5 and not result.skipped
    _check_coral(site)
    c1 = Comment.objects.get(source_key=f"{site.pk}:coral:c1")
    assert c1.featured and c1.reaction_count == 4 and c1.edited
    assert Comment.objects.get(source_key=f"{site.pk}:coral:c6").status == "deleted"


def test_coral_refusals(site, tmp_path, capsys):
    folder = coral_csv(tmp_path / "coral", STORIES, [["c1", "u1", "s1"]], USERS)
    assert import_main(["coral", str(folder), "--site", "blog"]) == 2
    assert "comments.csv line 1: 3 columns" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert import_main(["coral", str(tmp_path / "empty"), "--site", "blog"]) == 2
    assert "no stories or comments file" in capsys.readouterr().err
    folder = coral_json(tmp_path / "j", [], [], [], array=True)
    (folder / "comments.json").write_text('[{"id": "c1"}, {"id": ')
    assert import_main(["coral", str(folder), "--site", "blog"]) == 2
    assert "document 2 is not JSON, or the array is not closed" in capsys.readouterr().err
    assert not Comment.objects.exists()
