"""Disqus and WordPress imports: threads, nesting, statuses, dates, authors, formatting,
re-runs, empty stories, origins, tolerant parsing and refusals. Each defect of issue 17 has a
fixture here that reproduced it."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from civility.comments.models import Comment, Site, Story
from civility.imports.actions import import_comments
from civility.imports.cli import import_main
from civility.imports.models import ImportRun
from civility.imports.parsers import (
    DisqusSource,
    ImportFormatError,
    WordPressSource,
    parse_disqus,
    parse_wordpress,
)
from civility.moderation.models import AuditEntry
from tests.imports.builders import (
    disqus,
    disqus_post,
    disqus_thread,
    wp_comment,
    wp_item,
    wxr,
)

NEWS = "https://news.example"

DISQUS = disqus(
    disqus_thread("10", f"{NEWS}/war-report", "War report", closed=True),
    '<thread dsq:id="11"><id/></thread>\n',  # a bare reference
    disqus_thread("12", f"{NEWS}/nobody-commented", "Quiet"),
    # The reply comes before its parent in the file.
    disqus_post("102", "10", "<p>I agree with you.</p>", created="2026-01-01T12:00:00Z",
                parent="101", name="Bea", email="b@example.com", ip="10.0.0.2"),
    disqus_post("101", "10", "<p>First &amp; <b>best</b></p><p>Second para<script>alert(1)"
                "</script></p>", created="2026-01-01T11:00:00Z", name="Ann",
                email="a@example.com", ip="10.0.0.1"),
    disqus_post("103", "10", "<p>Buy pills now</p>", created="2026-01-01T13:00:00Z",
                name="Spam", email="s@example.com", spam=True),
    disqus_post("104", "999", "<p>Lost soul</p>", name="Orphan"),
)  # fmt: skip


@pytest.fixture
def site(db) -> Site:
    return Site.objects.create(name="News", slug="news", allowed_origins=[NEWS])


def _write(tmp_path, name: str, text: str, gz: bool = False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


def _import(site: Site, path, fmt: str = "disqus", **kw: Any):
    source = {"disqus": DisqusSource, "wordpress": WordPressSource}[fmt](path)
    return import_comments(site=site, source=source, **kw)


def test_disqus_import_keeps_threads_nesting_status_and_dates(site, tmp_path):
    result = _import(site, _write(tmp_path, "export.xml.gz", DISQUS, gz=True))

    assert (result.created, result.stories_created) == (3, 1)
    assert result.skipped == {"its thread is not in the file": 1}
    story = Story.objects.get(site=site)  # none for the thread nobody commented on
    assert story.url == f"{NEWS}/war-report" and story.title == "War report" and story.closed
    first = Comment.objects.get(body__startswith="First")
    reply = Comment.objects.get(body="I agree with you.")
    spam = Comment.objects.get(body="Buy pills now")
    assert reply.parent_id == first.pk and reply.depth == 1
    assert first.status == "approved" and spam.status == "rejected"
    assert first.created_at.isoformat() == "2026-01-01T11:00:00+00:00"
    assert first.body == "First & **best**\n\nSecond para"  # a script's text is no comment
    assert first.html == "<p>First &amp; <strong>best</strong></p><p>Second para</p>"
    assert first.ip_hash and "10.0.0.1" not in first.ip_hash
    assert first.source_key == f"{site.pk}:disqus:101"
    assert not first.author.has_usable_password()
    # Audited once, as a whole; the run is recorded as finished.
    entry = AuditEntry.objects.get(action="site.imported", site=site)
    assert entry.data["created"] == 3 and entry.data["state"] == "finished"
    assert ImportRun.objects.get().state == "finished"


def test_deleted_parent_with_a_live_reply_keeps_its_place(site, tmp_path):
    """Disqus blanks the text and author of a deleted post; image-only posts have no text."""
    xml = disqus(
        disqus_thread("1", f"{NEWS}/a", "A"),
        disqus_post("1", "1", "", deleted=True, created="2026-01-01T10:00:00Z"),
        disqus_post("2", "1", "<p>Answering the deleted one</p>", parent="1", name="Cy",
                    created="2026-01-01T11:00:00Z"),
        disqus_post("3", "1", '<p><a href="https://uploads.disquscdn.com/images/cat.jpg">'
                    '<img src="https://uploads.disquscdn.com/images/cat.jpg"></a></p>',
                    name="Di", created="2026-01-01T12:00:00Z"),
        disqus_post("4", "1", "<p>Nice cat</p>", parent="3", name="Ed",
                    created="2026-01-01T13:00:00Z"),
        disqus_post("5", "1", "<p>I said something</p>", deleted=True, parent="3",
                    created="2026-01-01T14:00:00Z"),
    )  # fmt: skip
    result = _import(site, _write(tmp_path, "d.xml", xml))
    assert result.created == 5 and not result.skipped and not result.top_level
    deleted = Comment.objects.get(source_key=f"{site.pk}:disqus:1")
    assert deleted.status == "deleted" and deleted.body == "" and deleted.html == ""
    reply = Comment.objects.get(body="Answering the deleted one")
    assert reply.parent_id == deleted.pk and reply.depth == 1
    image = Comment.objects.get(source_key=f"{site.pk}:disqus:3")
    assert image.body == "[image](https://uploads.disquscdn.com/images/cat.jpg)"
    assert 'href="https://uploads.disquscdn.com/images/cat.jpg"' in image.html
    assert Comment.objects.get(body="Nice cat").parent_id == image.pk
    # A deleted comment keeps no text, whatever Disqus left in it.
    assert Comment.objects.get(source_key=f"{site.pk}:disqus:5").body == ""


def test_authors_are_told_apart_by_their_own_identity_never_a_placeholder_email(db, tmp_path):
    placeholder = "none@wordpress.disqus.net"
    xml = disqus(
        disqus_thread("1", f"{NEWS}/a", "A"),
        # Three different people whose address Disqus replaced by the same placeholder.
        disqus_post("1", "1", "<p>one</p>", name="Alice", email=placeholder),
        disqus_post("2", "1", "<p>two</p>", name="Bob", email=placeholder),
        disqus_post("3", "1", "<p>three</p>", name="Carol", email=placeholder),
        disqus_post("4", "1", "<p>four</p>", name="Alice", email=placeholder),
        # The owner's Disqus account, shown under the names she used over the years.
        disqus_post("5", "1", "<p>five</p>", name="Editor", username="owner"),
        disqus_post("6", "1", "<p>six</p>", name="The Editor", username="owner"),
        # Two guests with one name but different real addresses are two people.
        disqus_post("7", "1", "<p>seven</p>", name="Sam", email="sam1@mail.example"),
        disqus_post("8", "1", "<p>eight</p>", name="Sam", email="sam2@mail.example"),
    )  # fmt: skip
    path = _write(tmp_path, "d.xml", xml)
    sites = [
        Site.objects.create(name=f"S{i}", slug=f"s{i}", allowed_origins=[NEWS]) for i in (1, 2)
    ]
    for s in sites:
        _import(s, path)

    def by_body(s: Site) -> dict[str, Any]:
        return {c.body: c.author for c in Comment.objects.filter(story__site=s)}

    authors = by_body(sites[0])
    names = {body: a.display_name for body, a in authors.items()}
    assert names["one"] == "Alice" and names["two"] == "Bob" and names["three"] == "Carol"
    assert authors["one"] == authors["four"] and authors["one"] != authors["two"]
    assert authors["five"] == authors["six"]  # one account
    assert authors["seven"] != authors["eight"]
    assert len({a.pk for a in authors.values()}) == 6
    # Scoped to the site: the second site's import shares no account with the first's.
    assert not {a.pk for a in authors.values()} & {a.pk for a in by_body(sites[1]).values()}
    assert not any(a.has_usable_password() for a in authors.values())


def test_wordpress_authors_by_user_id_else_name_and_email(site, tmp_path):
    spam_address = "noreply@spam.example"
    xml = wxr(
        wp_item(7, f"{NEWS}/?p=7", "Budget vote",
                # Spam bots sharing one address, under different names: different people.
                wp_comment(1, "Buy now", author="Pills", email=spam_address, approved="spam"),
                wp_comment(2, "Cheap", author="Watches", email=spam_address, approved="spam"),
                # A registered user (comment_user_id) who changed display names.
                wp_comment(3, "Hello", author="admin", email="me@blog.example", user_id=1),
                wp_comment(4, "Again", author="Blog Owner", email="me@blog.example", user_id=1),
                wp_comment(5, "Guest", author="Gus", email="none@example.invalid")),
    )  # fmt: skip
    _import(site, _write(tmp_path, "wp.xml", xml), "wordpress")
    by = {c.body: c.author for c in Comment.objects.all()}
    assert by["Buy now"] != by["Cheap"]
    assert by["Buy now"].display_name == "Pills" and by["Cheap"].display_name == "Watches"
    assert by["Hello"] == by["Again"]
    assert Comment.objects.get(body="Buy now").status == "rejected"


def test_links_keep_their_target_and_text_keeps_its_shape(site, tmp_path):
    long = "https://github.com/ipython/ipython/issues/12345#issuecomment-678"
    message = (
        f'<p>See <a href="{long}" rel="nofollow noopener" title="{long}">'
        "https://github.com/ipython/...</a> and "
        '<a href="https://docs.example/guide">the guide</a>.</p>'
        "<p>line one<br>line two</p>"
        "<blockquote>quoted <i>words</i></blockquote>"
        "<pre><code>def f(x):\n    if x:\n        return 1</code></pre>"
        "<p>inline <code>a &lt; b</code></p>"
    )
    xml = disqus(disqus_thread("1", f"{NEWS}/a", "A"), disqus_post("1", "1", message, name="A"))
    _import(site, _write(tmp_path, "d.xml", xml))
    c = Comment.objects.get()
    assert c.body == (
        f"See {long} and [the guide](https://docs.example/guide).\n\n"
        "line one\nline two\n\n"
        "> quoted *words*\n\n"
        "```\ndef f(x):\n    if x:\n        return 1\n```\n\n"
        "inline `a < b`"
    )
    assert f'<a href="{long}" rel="nofollow ugc noopener">{long}</a>' in c.html
    assert (
        '<a href="https://docs.example/guide" rel="nofollow ugc noopener">the guide</a>' in c.html
    )
    assert "<p>line one<br>line two</p>" in c.html
    assert "<blockquote><p>quoted <em>words</em></p></blockquote>" in c.html
    assert "<pre><code>def f(x):\n    if x:\n        return 1</code></pre>" in c.html
    assert "<code>a &lt; b</code>" in c.html

    # WordPress stores what was typed: its newlines are the line breaks.
    xml = wxr(wp_item(7, f"{NEWS}/?p=7", "T", wp_comment(
        1, "First line\nsecond line\n\nNew paragraph with <a href=\"https://x.example/p\">a"
           " link</a>\n<code>x = 1</code>\n<img src=x onerror=alert(1)>", author="Cy")))  # fmt: skip
    _import(site, _write(tmp_path, "wp.xml", xml), "wordpress")
    wp = Comment.objects.get(author__display_name="Cy")
    assert wp.body == (
        "First line\nsecond line\n\nNew paragraph with [a link](https://x.example/p)\n`x = 1`"
    )
    assert "onerror" not in wp.html and "<img" not in wp.html


def test_rerun_updates_edited_text_status_and_deletions_and_says_what_changed(
    site, tmp_path, capsys
):
    def export(*posts: str) -> str:
        return disqus(disqus_thread("1", f"{NEWS}/a", "A"), *posts)

    v1 = export(
        disqus_post("1", "1", "<p>Original text</p>", name="Ann"),
        disqus_post("2", "1", "<p>Will be spam</p>", name="Bob"),
        disqus_post("3", "1", "<p>Will be deleted</p>", name="Cy"),
        disqus_post("4", "1", "<p>Unchanged</p>", name="Di"),
        disqus_post("5", "1", "<p>Rejected here, edited there</p>", name="Ed"),
    )
    path1 = _write(tmp_path, "v1.xml", v1)
    assert import_main(["disqus", str(path1), "--site", "news"]) == 0
    capsys.readouterr()
    # A moderator here rejects comment 5 after the import.
    Comment.objects.filter(source_key=f"{site.pk}:disqus:5").update(status="rejected")

    v2 = export(
        disqus_post("1", "1", "<p>Edited text</p>", name="Ann"),
        disqus_post("2", "1", "<p>Will be spam</p>", name="Bob", spam=True),
        disqus_post("3", "1", "", deleted=True),
        disqus_post("4", "1", "<p>Unchanged</p>", name="Di"),
        disqus_post("5", "1", "<p>Edited there</p>", name="Ed"),
        disqus_post("6", "1", "<p>New since</p>", name="Fay"),
    )
    path2 = _write(tmp_path, "v2.xml", v2)
    assert import_main(["disqus", str(path2), "--site", "news"]) == 0
    out = capsys.readouterr().out
    assert "imported 1 comments into 0 new stories (1 new authors); updated 4, unchanged 1" in out
    assert "2 text edited" in out and "1 status changed" in out and "1 deleted since" in out

    def get(n: int) -> Comment:
        return Comment.objects.get(source_key=f"{site.pk}:disqus:{n}")

    assert get(1).body == "Edited text" and get(1).edited and "Edited" in get(1).html
    assert get(2).status == "rejected"
    assert get(3).status == "deleted" and get(3).body == "" and get(3).html == ""
    assert get(5).status == "rejected" and get(5).body == "Edited there"  # moderated here
    assert Comment.objects.count() == 6

    # The same file again changes nothing.
    assert import_main(["disqus", str(path2), "--site", "news"]) == 0
    assert "imported 0 comments into 0 new stories (0 new authors); updated 0, unchanged 6" in (
        capsys.readouterr().out
    )


def test_no_empty_stories_and_urls_checked_against_the_sites_origins(site, tmp_path, capsys):
    xml = disqus(
        disqus_thread("1", f"{NEWS}/has-comments", "Yes"),
        *[disqus_thread(str(i), f"{NEWS}/empty-{i}", "Empty") for i in range(2, 30)],
        disqus_thread("40", "http://localhost:4000/draft", "Dev copy"),
        disqus_thread("41", "http://news.example/old-http", "Before https"),
        disqus_thread("42", "https://elsewhere.example/x", "Other site"),
        disqus_post("1", "1", "<p>a</p>", name="A"),
        disqus_post("2", "40", "<p>b</p>", name="B"),
        disqus_post("3", "40", "<p>c</p>", name="C"),
        disqus_post("4", "41", "<p>d</p>", name="D"),
        disqus_post("5", "42", "<p>e</p>", name="E"),
    )
    assert import_main(["disqus", str(_write(tmp_path, "d.xml", xml)), "--site", "news"]) == 0
    captured = capsys.readouterr()
    urls = sorted(Story.objects.values_list("url", flat=True))
    # http://news.example is the site moving to https: same story, allowed scheme.
    assert urls == [f"{NEWS}/has-comments", f"{NEWS}/old-http"]
    assert "2 story not at an allowed origin (http://localhost:4000)" in captured.out
    assert "1 story not at an allowed origin (https://elsewhere.example)" in captured.out
    assert "stories at http://localhost:4000 are skipped" in captured.err
    assert "news's allowed origins (https://news.example)" in captured.err

    # WordPress: a post with only pingbacks makes no story.
    xml = wxr(
        wp_item(1, f"{NEWS}/?p=1", "Pinged", wp_comment(1, "[...] linked", kind="pingback"),
                wp_comment(2, "[...] tracked", kind="trackback")),
        wp_item(2, f"{NEWS}/?p=2", "Commented", wp_comment(3, "Real", author="R")),
    )  # fmt: skip
    result = _import(site, _write(tmp_path, "wp.xml", xml), "wordpress")
    assert result.created == 1 and result.skipped == {"pingback or trackback": 2}
    assert not Story.objects.filter(url=f"{NEWS}/?p=1").exists()


def test_a_site_without_origins_still_gets_no_local_stories(db, tmp_path):
    site = Site.objects.create(name="Fresh", slug="fresh")
    xml = disqus(
        disqus_thread("1", "https://blog.example/a", "A"),
        disqus_thread("2", "http://127.0.0.1:8000/a", "Local"),
        disqus_post("1", "1", "<p>a</p>", name="A"),
        disqus_post("2", "2", "<p>b</p>", name="B"),
    )
    result = _import(site, _write(tmp_path, "d.xml", xml))
    assert result.created == 1
    assert result.skipped == {"story at a local address (http://127.0.0.1:8000)": 1}


def test_bad_records_are_skipped_with_a_warning_naming_them(site, tmp_path, capsys):
    xml = disqus(
        disqus_thread("1", f"{NEWS}/a", "A"),
        disqus_thread("2", "news.example/no-scheme", "No scheme"),
        disqus_post("1", "1", "<p>fine</p>", name="A"),
        disqus_post("2", "2", "<p>on the bad thread</p>", name="B"),
        disqus_post("3", "1", "<p>bad date</p>", name="C", created="0000-00-00T00:00:00Z"),
        disqus_post("4", "1", "<p>reply to the bad date</p>", name="D", parent="3"),
    )
    assert import_main(["disqus", str(_write(tmp_path, "d.xml", xml)), "--site", "news"]) == 0
    captured = capsys.readouterr()
    assert "Disqus thread 2 (news.example/no-scheme): the thread's link is not an http(s) URL" in (
        captured.err
    )
    assert "Disqus post 3: bad date (createdAt '0000-00-00T00:00:00Z')" in captured.err
    assert "imported 2 comments" in captured.out
    # The reply to the skipped comment is kept, at the top level.
    reply = Comment.objects.get(body="reply to the bad date")
    assert reply.parent_id is None and reply.depth == 0
    assert "replies stored at the top level: 1 its parent is not in the file" in captured.out

    # WordPress: 0000-00-00 dates (WordPress itself falls back on the local date when only the
    # GMT one is missing), and a blog post (not a comment) with a form feed in it.
    xml = wxr(
        wp_item(7, f"{NEWS}/?p=7", "Form\x0cfeed", wp_comment(1, "ok", author="A"),
                wp_comment(2, "no date at all", author="B", date_gmt="0000-00-00 00:00:00"),
                wp_comment(3, "local date only", author="C", date_gmt="0000-00-00 00:00:00",
                           date="2024-02-03 04:05:06"),
                body="A post\x0c with a form feed &#12; and a \x01"),
    )  # fmt: skip
    path = _write(tmp_path, "wp.xml", xml)
    assert import_main(["wordpress", str(path), "--site", "news"]) == 0
    captured = capsys.readouterr()
    assert "WordPress comment 2 on post 7" in captured.err and "bad date" in captured.err
    assert "removed 4 character(s) XML does not allow (first: U+000C)" in captured.err
    assert "imported 2 comments" in captured.out
    local = Comment.objects.get(body="local date only")
    assert local.created_at.isoformat() == "2024-02-03T04:05:06+00:00"
    assert Story.objects.get(url=f"{NEWS}/?p=7").title == "Formfeed"


HOSTILE = {
    "bomb.xml": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    '<disqus xmlns="http://disqus.com">&c;</disqus>',
    "external.xml": '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<disqus xmlns="http://disqus.com"><post>&x;</post></disqus>',
}


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("export.xml.gz", lambda: gzip.compress(DISQUS.encode())[:-40], "truncated"),
        ("export.xml.gz", lambda: DISQUS.encode(), "not gzip-compressed"),
        ("bomb.xml", lambda: HOSTILE["bomb.xml"].encode(), "refused: the file declares"),
        ("external.xml", lambda: HOSTILE["external.xml"].encode(), "refused: the file declares"),
        ("cut.xml", lambda: DISQUS[: len(DISQUS) * 2 // 3].encode(), "malformed XML at line"),
        ("empty.xml", lambda: b"", "malformed XML"),
        ("wp.xml", lambda: wxr().encode(), "no Disqus <thread> or <post>"),
    ],
)
def test_refusals_are_one_line_exit_2_and_write_nothing(
    site, tmp_path, capsys, name, make, expected
):
    path = tmp_path / name
    path.write_bytes(make())
    assert import_main(["disqus", str(path), "--site", "news"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "nothing was imported" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not Comment.objects.exists() and not Story.objects.exists()
    assert not ImportRun.objects.exists()


def test_other_refusals(site, tmp_path, capsys):
    assert import_main(["disqus", str(tmp_path / "nope.xml"), "--site", "news"]) == 2
    assert "no such file" in capsys.readouterr().err
    path = _write(tmp_path, "d.xml", DISQUS)
    assert import_main(["disqus", str(path), "--site", "nope"]) == 2
    assert "no site with slug 'nope'" in capsys.readouterr().err
    assert import_main(["wordpress", str(path), "--site", "news"]) == 2
    assert "no WordPress WXR namespace" in capsys.readouterr().err
    with pytest.raises(ImportFormatError):
        parse_wordpress(tmp_path / "missing.xml")


def test_parse_helpers_return_everything_in_memory(tmp_path):
    data = parse_disqus(_write(tmp_path, "d.xml", DISQUS))
    assert set(data.threads) == {"10", "12"}
    assert [c.key for c in data.comments] == ["102", "101", "103", "104"]
    assert data.comments[0].parent_key == "101"


def test_cli_prints_progress_and_a_summary(site, tmp_path, capsys):
    path = _write(tmp_path, "export.xml", DISQUS)
    assert import_main(["disqus", str(path), "--site", "news"]) == 0
    captured = capsys.readouterr()
    assert f"Disqus export {path}: 4 comments in 2 threads" in captured.err
    assert "100%: 4 of 4 comments" in captured.err
    assert captured.out.splitlines()[0] == (
        "imported 3 comments into 1 new stories (3 new authors); updated 0, unchanged 0, skipped 1"
    )
    assert "skipped: 1 its thread is not in the file" in captured.out


def test_comments_of_the_first_importer_are_matched_not_imported_twice(site, tmp_path):
    """The first importer stored no source id and shared its authors across sites
    ("disqus:<hash>"): a re-run finds its comments by story and date."""
    from datetime import UTC, datetime

    from civility.accounts.models import User
    from civility.comments.actions import store_comment

    story = Story.objects.create(site=site, url=f"{NEWS}/war-report", title="War report")
    shared = User.objects.create(username="disqus:0123456789abcdef0123", display_name="Ann")
    old = store_comment(
        story=story,
        author=shared,
        body="First & best\n\nSecond paraalert(1)",
        status="approved",
        reasons=[{"action": "import", "code": "imported_disqus"}],
        created_at=datetime(2026, 1, 1, 11, 0, tzinfo=UTC),
        audit_action=None,
        announce=False,
    )
    result = _import(site, _write(tmp_path, "export.xml", DISQUS))
    assert result.created == 2 and result.updated == 1
    assert result.changes["matched to the first importer's copy"] == 1
    old.refresh_from_db()
    assert old.source_key == f"{site.pk}:disqus:101"
    assert old.body == "First & **best**\n\nSecond para"  # converted as it is now
    assert old.author != shared and old.author.username.startswith(f"imported-{site.pk}-")
    assert Comment.objects.filter(story__site=site).count() == 3
    assert Comment.objects.get(body="I agree with you.").parent == old


def test_a_reader_erased_here_is_not_brought_back_by_a_rerun(site, tmp_path):
    from civility.accounts.data_rights import erase_user

    path = _write(tmp_path, "export.xml", DISQUS)
    _import(site, path)
    ann = Comment.objects.get(source_key=f"{site.pk}:disqus:101")
    erase_user(user=ann.author, actor=None, reason="GDPR request", site=None)
    result = _import(site, path)
    assert result.created == 0 and result.updated == 0 and result.unchanged == 3
    ann.refresh_from_db()
    assert ann.status == "deleted" and ann.body == "" and ann.html == ""


def test_a_progress_bar_on_a_terminal(site, tmp_path):
    import io

    from civility.imports.cli import TerminalProgress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    progress = TerminalProgress(out)
    progress.label = "Disqus export"
    _import(site, _write(tmp_path, "export.xml", DISQUS), progress=progress)
    progress.end_line()
    text = out.getvalue()
    assert text.startswith("Disqus export: 4 comments in 2 threads\n")
    assert "\r[##############################] 100%  4/4" in text and "ETA" in text
    assert text.endswith("\n")
