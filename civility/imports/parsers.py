"""Streaming parsers for other platforms' exports: Disqus XML and WordPress WXR.

Both yield the same neutral records, so one importer (`civility.imports.actions`) writes them.
Formats: see shared/reference/comment-platforms.md section (e); gotchas follow Isso's and
Remark42's importers (empty threads, orphan posts, deleted parents kept so replies survive).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml.ElementTree import iterparse  # refuses entity bombs and external entities

DISQUS_NS = "http://disqus.com"
DSQ_NS = "http://disqus.com/disqus-internals"


class ImportFormatError(ValueError):
    """The file is not a well-formed export of the expected format."""


@dataclass
class ImportedThread:
    key: str
    url: str
    title: str = ""
    closed: bool = False


@dataclass
class ImportedComment:
    key: str
    thread_key: str
    parent_key: str | None
    author_name: str
    author_email: str
    body: str  # plain text with blank lines between paragraphs
    created_at: datetime
    status: str  # approved / pending / rejected / deleted
    ip: str = ""
    author_url: str = ""
    # Civility's own export only (civility.imports.civility_jsonl): the author's pseudonymous id
    # (identifies them when there is no e-mail), and Comment fields kept as exported.
    author_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportData:
    source: str
    threads: dict[str, ImportedThread] = field(default_factory=dict)
    comments: list[ImportedComment] = field(default_factory=list)


_BLOCK_END = re.compile(r"(?i)</p\s*>|<br\s*/?>|</blockquote\s*>|</div\s*>")
_TAG = re.compile(r"<[^>]*>")


def html_to_text(fragment: str) -> str:
    """Exports carry HTML bodies; we store what the reader wrote as text and re-render it."""
    text = _BLOCK_END.sub("\n\n", fragment or "")
    text = html.unescape(_TAG.sub("", text))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _text(elem: Element | None, path: str, ns: dict[str, str]) -> str:
    if elem is None:
        return ""
    child = elem.find(path, ns)
    return (child.text or "").strip() if child is not None else ""


def _open(source: str | Path | IO[bytes]) -> IO[bytes]:
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ImportFormatError(f"{path}: no such file")
        if path.suffix == ".gz":
            import gzip

            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    return source


def _iter_elements(
    source: str | Path | IO[bytes], tags: set[str], depth: int = 1
) -> Iterator[Element]:
    """Yield elements named in `tags` found at `depth` below the root, then free them."""
    stream = _open(source)
    level = -1
    try:
        for event, elem in iterparse(stream, events=("start", "end")):
            if event == "start":
                level += 1
                continue
            if level == depth and elem.tag in tags:
                yield elem
                elem.clear()  # streaming: keep memory flat on large exports
            level -= 1
    except ParseError as exc:
        raise ImportFormatError(f"malformed XML: {exc}") from exc
    finally:
        if isinstance(source, str | Path):
            stream.close()


def parse_disqus(source: str | Path | IO[bytes]) -> ImportData:
    ns = {"d": DISQUS_NS, "dsq": DSQ_NS}
    dsq_id = f"{{{DSQ_NS}}}id"
    data = ImportData(source="disqus")
    saw_root = False
    for elem in _iter_elements(source, {f"{{{DISQUS_NS}}}thread", f"{{{DISQUS_NS}}}post"}):
        saw_root = True
        if elem.tag == f"{{{DISQUS_NS}}}thread":
            key = elem.get(dsq_id, "")
            link = _text(elem, "d:link", ns)
            if not key or not link:
                continue  # a bare <thread dsq:id=.../> reference or an empty thread
            if _text(elem, "d:isDeleted", ns) == "true":
                continue
            data.threads[key] = ImportedThread(
                key=key,
                url=link,
                title=_text(elem, "d:title", ns),
                closed=_text(elem, "d:isClosed", ns) == "true",
            )
            continue
        thread = elem.find("d:thread", ns)
        parent = elem.find("d:parent", ns)
        created = _text(elem, "d:createdAt", ns)
        try:
            when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError as exc:
            raise ImportFormatError(f"post {elem.get(dsq_id)}: bad createdAt {created!r}") from exc
        if _text(elem, "d:isDeleted", ns) == "true":
            status = "deleted"
        elif _text(elem, "d:isSpam", ns) == "true":
            status = "rejected"
        else:
            status = "approved"
        author = elem.find("d:author", ns)
        data.comments.append(
            ImportedComment(
                key=elem.get(dsq_id, ""),
                thread_key=thread.get(dsq_id, "") if thread is not None else "",
                parent_key=parent.get(dsq_id) if parent is not None else None,
                author_name=_text(author, "d:name", ns) or _text(author, "d:username", ns),
                author_email=_text(author, "d:email", ns),
                body=html_to_text(_text(elem, "d:message", ns)),
                created_at=when,
                status=status,
                ip=_text(elem, "d:ipAddress", ns),
            )
        )
    if not saw_root:
        raise ImportFormatError("no Disqus <thread> or <post> elements (is this a Disqus export?)")
    return data


_WP_NS = re.compile(rb'xmlns:wp="(http://wordpress\.org/export/1\.[0-2]/)"')
WP_STATUS = {"1": "approved", "0": "pending", "spam": "rejected", "trash": "deleted"}


def parse_wordpress(source: str | Path | IO[bytes]) -> ImportData:
    stream = _open(source)
    head = stream.read(4096)
    stream.seek(0)
    match = _WP_NS.search(head)
    if not match:
        raise ImportFormatError("no WordPress WXR namespace (is this a WordPress export?)")
    ns = {"wp": match.group(1).decode(), "content": "http://purl.org/rss/1.0/modules/content/"}
    data = ImportData(source="wordpress")
    try:
        for item in _iter_elements(stream, {"item"}, depth=2):  # rss > channel > item
            post_id = _text(item, "wp:post_id", ns)
            link = _text(item, "link", {})
            comments = item.findall("wp:comment", ns)
            if not post_id or not link or not comments:
                continue
            data.threads[post_id] = ImportedThread(
                key=post_id,
                url=link,
                title=_text(item, "title", {}),
                closed=_text(item, "wp:comment_status", ns) == "closed",
            )
            for c in comments:
                if _text(c, "wp:comment_type", ns) in {"pingback", "trackback"}:
                    continue
                created = _text(c, "wp:comment_date_gmt", ns)
                try:
                    when = datetime.strptime(created, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                except ValueError as exc:
                    raise ImportFormatError(f"comment: bad comment_date_gmt {created!r}") from exc
                parent = _text(c, "wp:comment_parent", ns)
                data.comments.append(
                    ImportedComment(
                        key=f"{post_id}:{_text(c, 'wp:comment_id', ns)}",
                        thread_key=post_id,
                        parent_key=f"{post_id}:{parent}" if parent not in {"", "0"} else None,
                        author_name=_text(c, "wp:comment_author", ns),
                        author_email=_text(c, "wp:comment_author_email", ns),
                        author_url=_text(c, "wp:comment_author_url", ns),
                        body=html_to_text(_text(c, "wp:comment_content", ns)),
                        created_at=when,
                        status=WP_STATUS.get(_text(c, "wp:comment_approved", ns), "pending"),
                        ip=_text(c, "wp:comment_author_IP", ns),
                    )
                )
    finally:
        if isinstance(source, str | Path):
            stream.close()
    return data
