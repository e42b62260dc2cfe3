"""Export files written the way each platform writes them, for the import tests: Disqus XML,
WordPress WXR, Isso's SQLite database (Isso's own schema), Coral's CSV and JSON."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

# --- Disqus ------------------------------------------------------------------------------------


def disqus_thread(
    tid: str, link: str, title: str = "", closed: bool = False, deleted: bool = False
) -> str:
    return (
        f'<thread dsq:id="{tid}"><id/><forum>news</forum><category dsq:id="1"/>'
        f"<link>{escape(link)}</link><title>{escape(title)}</title><message/>"
        "<createdAt>2026-01-01T10:00:00Z</createdAt>"
        "<author><name>Editor</name><email/><isAnonymous>false</isAnonymous><username/></author>"
        f"<ipAddress/><isClosed>{str(closed).lower()}</isClosed>"
        f"<isDeleted>{str(deleted).lower()}</isDeleted></thread>\n"
    )


def disqus_post(
    pid: str,
    thread: str,
    message: str,
    *,
    created: str = "2026-01-01T12:00:00Z",
    parent: str | None = None,
    name: str = "",
    email: str = "",
    username: str = "",
    deleted: bool = False,
    spam: bool = False,
    ip: str = "",
) -> str:
    return (
        f'<post dsq:id="{pid}"><id/><message><![CDATA[{message}]]></message>'
        f"<createdAt>{created}</createdAt>"
        f"<isDeleted>{str(deleted).lower()}</isDeleted><isSpam>{str(spam).lower()}</isSpam>"
        f"<author><email>{escape(email)}</email><name>{escape(name)}</name>"
        f"<isAnonymous>{str(not username).lower()}</isAnonymous>"
        f"<username>{escape(username)}</username></author>"
        f'<ipAddress>{ip}</ipAddress><thread dsq:id="{thread}"/>'
        + (f'<parent dsq:id="{parent}"/>' if parent else "")
        + "</post>\n"
    )


def disqus(*parts: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<category dsq:id="1"><forum>news</forum><title>General</title></category>\n'
        + "".join(parts)
        + "</disqus>\n"
    )


# --- WordPress ---------------------------------------------------------------------------------


def wp_comment(
    cid: int,
    content: str,
    *,
    author: str = "",
    email: str = "",
    url: str = "",
    ip: str = "",
    date_gmt: str = "2025-05-05 09:00:00",
    date: str | None = None,
    approved: str = "1",
    kind: str = "",
    parent: int = 0,
    user_id: int = 0,
) -> str:
    return (
        "<wp:comment>"
        f"<wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
        f"<wp:comment_author_email>{escape(email)}</wp:comment_author_email>"
        f"<wp:comment_author_url>{escape(url)}</wp:comment_author_url>"
        f"<wp:comment_author_IP>{ip}</wp:comment_author_IP>"
        f"<wp:comment_date>{date or date_gmt}</wp:comment_date>"
        f"<wp:comment_date_gmt>{date_gmt}</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{content}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{kind}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent>"
        f"<wp:comment_user_id>{user_id}</wp:comment_user_id>"
        "</wp:comment>\n"
    )


def wp_item(
    post_id: int, link: str, title: str, *comments: str, body: str = "", status: str = "open"
) -> str:
    return (
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id><wp:comment_status>{status}</wp:comment_status>"
        f"<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n"
        + "".join(comments)
        + "</item>\n"
    )


def wxr(*items: str, version: str = "1.2") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        f' xmlns:wp="http://wordpress.org/export/{version}/">\n<channel>\n'
        f"<title>Blog</title><wp:wxr_version>{version}</wp:wxr_version>\n"
        "<wp:author><wp:author_id>1</wp:author_id><wp:author_login>admin</wp:author_login>"
        "</wp:author>\n" + "".join(items) + "</channel>\n</rss>\n"
    )


# --- Isso --------------------------------------------------------------------------------------

# isso/db/__init__.py and isso/db/comments.py, as Isso creates them.
ISSO_SCHEMA = """
CREATE TABLE IF NOT EXISTS preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE,
    title VARCHAR(256));
CREATE TABLE IF NOT EXISTS comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER NOT NULL DEFAULT 0);
"""


def isso_db(
    path: Path, threads: list[tuple[int, str, str]], comments: list[dict[str, Any]]
) -> Path:
    db = sqlite3.connect(path)
    db.executescript(ISSO_SCHEMA)
    db.execute("INSERT INTO preferences VALUES ('session-key', 'abc')")
    db.executemany("INSERT INTO threads VALUES (?, ?, ?)", threads)
    for c in comments:
        row = {
            "parent": None,
            "modified": None,
            "mode": 1,
            "remote_addr": "192.168.1.0",
            "author": None,
            "email": None,
            "website": None,
            "likes": 0,
            **c,
        }
        db.execute(
            "INSERT INTO comments (tid, id, parent, created, modified, mode, remote_addr, text,"
            " author, email, website, likes, voters) VALUES"
            " (:tid, :id, :parent, :created, :modified, :mode, :remote_addr, :text, :author,"
            " :email, :website, :likes, x'00')",
            row,
        )
    db.commit()
    db.close()
    return path


# --- Coral -------------------------------------------------------------------------------------


def coral_csv(folder: Path, stories: list[list[str]], comments: list[list[str]],
              users: list[list[str]], header: bool = False) -> Path:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    heads = {
        "stories": ["id", "url", "title", "author", "published_at", "closed_at", "mode"],
        "comments": [
            "id", "author_id", "story_id", "created_at", "body", "parent_id", "status", "rating",
        ],
        "users": ["id", "email", "username", "role", "banned", "created_at"],
    }  # fmt: skip
    for name, rows in (("stories", stories), ("comments", comments), ("users", users)):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if header:
                writer.writerow(heads[name])
            writer.writerows(rows)
    return folder


def coral_json(folder: Path, stories: list[dict], comments: list[dict], users: list[dict],
               array: bool = False) -> Path:  # fmt: skip
    """mongoexport output: one document a line, or one array (--jsonArray)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, docs in (("stories", stories), ("comments", comments), ("users", users)):
        with (folder / f"{name}.json").open("w", encoding="utf-8") as fh:
            if array:
                fh.write("[" + ",\n".join(json.dumps(d) for d in docs) + "]\n")
            else:
                fh.writelines(json.dumps(d) + "\n" for d in docs)
    return folder
