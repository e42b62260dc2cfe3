"""Disqus and WordPress imports: threads, nesting, statuses, dates, sanitizing, idempotency."""

import gzip

import pytest

from civility.comments.models import Comment, Site, Story
from civility.imports.actions import import_comments
from civility.imports.cli import import_main
from civility.imports.parsers import ImportFormatError, parse_disqus, parse_wordpress

DISQUS = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <category dsq:id="1"><forum>news</forum><title>General</title></category>
  <thread dsq:id="10">
    <id/><forum>news</forum><category dsq:id="1"/>
    <link>https://news.example/war-report</link><title>War report</title><message/>
    <createdAt>2026-01-01T10:00:00Z</createdAt>
    <author><name>Editor</name><email/><isAnonymous>false</isAnonymous><username/></author>
    <ipAddress/><isClosed>true</isClosed><isDeleted>false</isDeleted>
  </thread>
  <thread dsq:id="11"><id/></thread>
  <post dsq:id="102">
    <id/><message><![CDATA[<p>I agree with you.</p>]]></message>
    <createdAt>2026-01-01T12:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email>b@example.com</email><name>Bea</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>10.0.0.2</ipAddress><thread dsq:id="10"/><parent dsq:id="101"/>
  </post>
  <post dsq:id="101">
    <id/><message><![CDATA[<p>First &amp; <b>best</b></p><p>Second para<script>alert(1)</script></p>]]></message>
    <createdAt>2026-01-01T11:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email>a@example.com</email><name>Ann</name><isAnonymous>false</isAnonymous></author>
    <ipAddress>10.0.0.1</ipAddress><thread dsq:id="10"/>
  </post>
  <post dsq:id="103">
    <id/><message><![CDATA[<p>Buy pills now</p>]]></message>
    <createdAt>2026-01-01T13:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>true</isSpam>
    <author><email>s@example.com</email><name>Spam</name><isAnonymous>true</isAnonymous></author>
    <ipAddress/><thread dsq:id="10"/>
  </post>
  <post dsq:id="104">
    <id/><message><![CDATA[<p>Lost soul</p>]]></message>
    <createdAt>2026-01-01T14:00:00Z</createdAt>
    <isDeleted>false</isDeleted><isSpam>false</isSpam>
    <author><email/><name>Orphan</name><isAnonymous>true</isAnonymous></author>
    <ipAddress/><thread dsq:id="999"/>
  </post>
</disqus>
"""

WXR = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Blog</title><wp:wxr_version>1.2</wp:wxr_version>
  <item>
    <title>Budget vote</title><link>https://blog.example/?p=7</link>
    <wp:post_id>7</wp:post_id><wp:comment_status>open</wp:comment_status>
    <wp:comment>
      <wp:comment_id>1</wp:comment_id><wp:comment_author><![CDATA[Cy]]></wp:comment_author>
      <wp:comment_author_email>cy@example.com</wp:comment_author_email>
      <wp:comment_author_url>https://cy.example</wp:comment_author_url>
      <wp:comment_author_IP>10.1.1.1</wp:comment_author_IP>
      <wp:comment_date_gmt>2025-05-05 09:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Good analysis <img src=x onerror=alert(1)>]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>2</wp:comment_id><wp:comment_author><![CDATA[Di]]></wp:comment_author>
      <wp:comment_author_email>di@example.com</wp:comment_author_email>
      <wp:comment_author_url></wp:comment_author_url><wp:comment_author_IP></wp:comment_author_IP>
      <wp:comment_date_gmt>2025-05-05 10:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Not sure about that]]></wp:comment_content>
      <wp:comment_approved>0</wp:comment_approved><wp:comment_type>comment</wp:comment_type>
      <wp:comment_parent>1</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>3</wp:comment_id><wp:comment_author><![CDATA[Other blog]]></wp:comment_author>
      <wp:comment_author_email></wp:comment_author_email>
      <wp:comment_author_url></wp:comment_author_url><wp:comment_author_IP></wp:comment_author_IP>
      <wp:comment_date_gmt>2025-05-05 11:00:00</wp:comment_date_gmt>
      <wp:comment_content><![CDATA[pingback]]></wp:comment_content>
      <wp:comment_approved>1</wp:comment_approved><wp:comment_type>pingback</wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
  </item>
</channel>
</rss>
"""


@pytest.fixture
def site(db):
    return Site.objects.create(name="News", slug="news", allowed_origins=["https://news.example"])


def test_disqus_import_keeps_threads_nesting_status_and_dates(site, tmp_path):
    path = tmp_path / "export.xml.gz"
    path.write_bytes(gzip.compress(DISQUS.encode()))
    result = import_comments(site=site, data=parse_disqus(path))

    assert (result.stories_created, result.comments_created, result.orphans) == (1, 3, 1)
    story = Story.objects.get(site=site)
    assert story.url == "https://news.example/war-report"
    assert story.title == "War report" and story.closed
    first = Comment.objects.get(body__startswith="First")
    reply = Comment.objects.get(body="I agree with you.")
    spam = Comment.objects.get(body="Buy pills now")
    assert reply.parent_id == first.pk and reply.depth == 1
    assert first.status == "approved" and spam.status == "rejected"
    assert first.created_at.isoformat() == "2026-01-01T11:00:00+00:00"
    assert first.body == "First & best\n\nSecond paraalert(1)"
    assert "<script" not in first.html and first.html.count("<p>") == 2
    assert first.ip_hash and "10.0.0.1" not in first.ip_hash
    assert not first.author.has_usable_password()


def test_reimport_is_idempotent(site, tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(DISQUS)
    import_comments(site=site, data=parse_disqus(path))
    again = import_comments(site=site, data=parse_disqus(path))
    assert again.comments_created == 0 and again.comments_skipped == 3
    assert Comment.objects.count() == 3


def test_wordpress_import_maps_approval_and_skips_pingbacks(site, tmp_path):
    site.allowed_origins = []
    site.save()
    path = tmp_path / "wp.xml"
    path.write_text(WXR)
    result = import_comments(site=site, data=parse_wordpress(path))
    assert result.comments_created == 2
    cy = Comment.objects.get(author__display_name="Cy")
    di = Comment.objects.get(author__display_name="Di")
    assert cy.status == "approved" and di.status == "pending" and di.parent_id == cy.pk
    assert "onerror" not in cy.html and "<img" not in cy.html
    assert cy.author.profile_url == "https://cy.example"


def test_malformed_file_is_refused_and_nothing_is_stored(site, tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text(DISQUS[: len(DISQUS) // 2])
    with pytest.raises(ImportFormatError):
        import_comments(site=site, data=parse_disqus(path))
    assert Comment.objects.count() == 0 and Story.objects.count() == 0
    with pytest.raises(ImportFormatError):
        parse_wordpress(tmp_path / "missing.xml")
    wrong = tmp_path / "wrong.xml"
    wrong.write_text(DISQUS)
    with pytest.raises(ImportFormatError, match="WordPress"):
        parse_wordpress(wrong)


def test_entity_expansion_is_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<disqus xmlns="http://disqus.com">&b;</disqus>'
    )
    with pytest.raises(Exception) as info:
        parse_disqus(bomb)
    assert "Entities" in type(info.value).__name__ or "entit" in str(info.value).lower()


def test_cli_imports_and_reports_bad_input_with_nonzero_exit(site, tmp_path, capsys):
    path = tmp_path / "export.xml"
    path.write_text(DISQUS)
    assert import_main(["disqus", str(path), "--site", "nope"]) == 2
    assert "no site with slug 'nope'" in capsys.readouterr().err

    broken = tmp_path / "broken.xml"
    broken.write_text("<disqus")
    assert import_main(["disqus", str(broken), "--site", "news"]) == 2
    assert "nothing was imported" in capsys.readouterr().err

    assert import_main(["disqus", str(path), "--site", "news"]) == 0
    assert "imported 3 comments into 1 new stories" in capsys.readouterr().out
