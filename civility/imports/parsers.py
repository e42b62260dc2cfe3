"""Reading other platforms' exports: the neutral records every source yields, opening files
safely, streaming XML, and the Disqus and WordPress (WXR) readers.

A source (this module, `isso`, `coral`, `civility_jsonl`) is read twice by the importer
(civility.imports.actions): a *scan* that checks the whole file and collects the threads (and
authors, where the file lists them apart), then the import itself, which streams the comments.
So a file that is broken anywhere, or hostile, is refused before anything is written, and the
import keeps only one batch of comments in memory, whatever the size of the file.

Formats: shared/reference/comment-platforms.md, section (e).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse  # refuses entity bombs and external entities

from civility.imports.markup import html_to_markup

DISQUS_NS = "http://disqus.com"
DSQ_NS = "http://disqus.com/disqus-internals"


class ImportFormatError(ValueError):
    """The file is not a readable, well-formed export of the expected format (or is hostile):
    the import is refused, in one line."""


# --- records --------------------------------------------------------------------------------


@dataclass
class ImportedThread:
    key: str
    url: str
    title: str = ""
    closed: bool = False


@dataclass
class ImportedUser:
    """An author listed apart from the comments (Coral, Civility's own export)."""

    key: str
    name: str = ""
    url: str = ""
    badges: list[str] = field(default_factory=list)


@dataclass
class ImportedComment:
    key: str  # the source's own id: what makes a re-run find it again
    thread_key: str
    parent_key: str | None
    # Who wrote it, by the source's own identity (a Disqus username, a WordPress user id, else
    # name and e-mail): one account per identity and site. See author_identity().
    author_key: str
    author_name: str
    body: str  # Civility's markup (civility.imports.markup), "" for deleted comments
    created_at: datetime
    status: str  # approved / pending / rejected / deleted
    author_email: str = ""
    ip: str = ""
    author_url: str = ""
    # Comment fields the source knows beyond these (edited, featured, counts; Civility's own
    # export: everything it exported), written as they are.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Skip:
    """A record the import leaves out, and why (``reason`` groups them in the summary).

    With ``thread_key`` it is a thread (its comments are left out with it); ``warn`` says
    whether the summary names it (a bad record) or only counts it (a pingback)."""

    reason: str
    where: str
    detail: str = ""
    thread_key: str | None = None
    key: str = ""  # a skipped comment's key: replies to it are stored at the top level
    warn: bool = True

    def message(self) -> str:
        return f"{self.where}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


# What a source yields: in a scan, None stands for each comment record (counted, not read).
Record = ImportedThread | ImportedUser | ImportedComment | Skip | None


@dataclass
class ImportData:
    """A whole export in memory (small files, tests): see parse_disqus and friends."""

    source: str
    threads: dict[str, ImportedThread] = field(default_factory=dict)
    users: dict[str, ImportedUser] = field(default_factory=dict)
    comments: list[ImportedComment] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


class Source:
    """One export file of one platform. Subclasses implement ``records``."""

    name = ""  # disqus, wordpress, isso, coral, civility
    label = ""  # how the platform is called in messages
    # Whether a thread without comments is still a story (Civility's own export: it was one).
    keeps_empty_threads = False
    # XML sources: characters XML does not allow, removed in the last read (see XmlCleaner).
    removed_chars = 0
    first_removed = ""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ImportFormatError("no such file")

    def records(self, *, scan: bool) -> Iterator[Record]:
        raise NotImplementedError

    def fingerprint(self) -> str:
        return file_fingerprint(self.path)

    def load(self) -> ImportData:
        data = ImportData(source=self.name)
        for rec in self.records(scan=True):
            if isinstance(rec, ImportedThread):
                data.threads[rec.key] = rec
            elif isinstance(rec, ImportedUser):
                data.users[rec.key] = rec
            elif isinstance(rec, Skip):
                data.skipped.append(rec)
        for rec in self.records(scan=False):
            if isinstance(rec, ImportedComment):
                data.comments.append(rec)
            elif isinstance(rec, Skip) and rec.thread_key is None:
                data.skipped.append(rec)
        return data


def file_fingerprint(path: Path) -> str:
    """The same file (not a newer export of the same site): its size, first and last MiB."""
    digest = hashlib.sha256()
    paths = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for p in paths:
        size = p.stat().st_size
        digest.update(f"{p.name}:{size}:".encode())
        with p.open("rb") as fh:
            digest.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(size - (1 << 20))
                digest.update(fh.read())
    return digest.hexdigest()


# --- identities and small helpers ----------------------------------------------------------

# Addresses exports fill in when they have none: Disqus gives guests imported from WordPress
# "none@wordpress.disqus.net"; spam bots and forms use the like of noreply@, none@, test@.
_PLACEHOLDER_LOCAL = {
    "none", "noreply", "no-reply", "nobody", "noemail", "no-email", "nomail", "anonymous",
    "anon", "email", "test", "null", "unknown", "invalid", "guest", "user", "x",
}  # fmt: skip
_PLACEHOLDER_DOMAIN = re.compile(r"(^|\.)(disqus\.net|invalid|localhost|example\.invalid)$")


def real_email(address: str) -> str:
    """The address, lowercased, unless it is a placeholder shared by unrelated people."""
    address = (address or "").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain:
        return ""
    if local in _PLACEHOLDER_LOCAL or _PLACEHOLDER_DOMAIN.search(domain):
        return ""
    return address


def guest_identity(name: str, email: str) -> str:
    """A commenter without an account on the old platform: their name and (real) e-mail."""
    return "guest:" + " ".join((name or "").split()).lower() + "|" + real_email(email)


DELETED_AUTHOR = "deleted"  # the one placeholder author of comments deleted with their author


def parse_when(value: str, formats: tuple[str, ...]) -> datetime | None:
    value = (value or "").strip()
    for fmt in formats:
        try:
            when = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return None


def http_url(url: str) -> bool:
    parts = urlsplit((url or "").strip())
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


# --- opening files ---------------------------------------------------------------------------


class _GzipReader:
    """gzip.open with its failures said in one line (truncated, corrupt)."""

    def __init__(self, path: Path) -> None:
        self._fh = gzip.open(path, "rb")

    def read(self, size: int = -1) -> bytes:
        return self._guarded(self._fh.read, size)

    def readline(self, size: int = -1) -> bytes:
        return self._guarded(self._fh.readline, size)

    @staticmethod
    def _guarded(read: Any, size: int) -> bytes:
        try:
            return read(size)  # type: ignore[no-any-return]
        except EOFError:
            raise ImportFormatError(
                "the gzip file is truncated (it ends before its end marker): download it again"
            ) from None
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise ImportFormatError(f"the gzip file is corrupt ({exc})") from None

    def close(self) -> None:
        self._fh.close()


def open_export(path: Path) -> Any:
    """A binary stream of the file, gunzipped when it is gzip (by its first bytes)."""
    if not path.is_file():
        raise ImportFormatError("no such file" if not path.exists() else "not a file")
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return _GzipReader(path)
    if path.suffix.lower() == ".gz":
        raise ImportFormatError(
            "the name ends in .gz but the file is not gzip-compressed"
            " (plain XML? rename it without .gz)"
        )
    return path.open("rb")


# Characters XML 1.0 does not allow at all (controls but tab, newline and carriage return), as
# bytes and as character references. WordPress's own importer reads files that have them (a
# form feed pasted into a blog post); we drop them the same way instead of refusing the file.
_BAD_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
_BAD_REF = re.compile(
    rb"&#(?:x0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]));"
)


class XmlCleaner:
    """A stream with what XML 1.0 forbids removed (UTF-8 files; UTF-16 ones pass untouched)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._carry = b""
        self._first = True
        self._passthrough = False
        self.removed = 0
        self.first_removed = ""

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if self._first:
            self._first = False
            self._passthrough = chunk[:2] in (b"\xff\xfe", b"\xfe\xff")
        if self._passthrough:
            return chunk  # type: ignore[no-any-return]
        data = self._carry + chunk
        self._carry = b""
        if chunk:  # a character reference may go on in the next chunk
            amp = data.rfind(b"&", max(0, len(data) - 12))
            if amp != -1 and b";" not in data[amp:]:
                data, self._carry = data[:amp], data[amp:]
        cleaned = data.translate(None, _BAD_BYTES)
        removed = len(data) - len(cleaned)
        cleaned, refs = _BAD_REF.subn(b"", cleaned)
        if removed or refs:
            if not self.removed:
                bad = next((b for b in data if b in _BAD_BYTES), None)
                self.first_removed = f"U+{bad:04X}" if bad is not None else "a character reference"
            self.removed += removed + refs
        if not cleaned and chunk:
            return self.read(size)  # never signal the end of the file early
        return cleaned

    def close(self) -> None:
        self._stream.close()


def iter_elements(source: Source, tags: set[str], depth: int) -> Iterator[Element]:
    """The elements named in ``tags`` at ``depth`` below the root, each freed once the caller
    is done with it (so memory stays flat however long the file), and everything else around
    them freed as it ends. Refusals (hostile or broken XML, bad gzip) raise ImportFormatError."""
    stream = XmlCleaner(open_export(source.path))
    stack: list[Element] = []
    try:
        for event, elem in iterparse(stream, events=("start", "end")):
            if event == "start":
                stack.append(elem)
                continue
            stack.pop()
            level = len(stack)
            if level == depth and elem.tag in tags:
                yield elem
            if 0 < level <= depth:
                elem.clear()
                stack[-1].remove(elem)
    except DefusedXmlException as exc:
        raise ImportFormatError(
            f"refused: the file declares XML entities or a DTD ({type(exc).__name__}); exports"
            " never do (an entity-expansion bomb or an external entity?)"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        message = str(exc).split(":")[0]
        raise ImportFormatError(
            f"malformed XML at line {line}, column {column} ({message}): is the file complete?"
        ) from None
    finally:
        stream.close()
        source.removed_chars, source.first_removed = stream.removed, stream.first_removed


def _text(elem: Element | None, path: str, ns: dict[str, str]) -> str:
    if elem is None:
        return ""
    child = elem.find(path, ns)
    return (child.text or "").strip() if child is not None else ""


# --- Disqus ------------------------------------------------------------------------------------

_DISQUS_DATES = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S%z")


class DisqusSource(Source):
    """Disqus's export (`<disqus>`: categories, then threads, then posts)."""

    name, label = "disqus", "Disqus"

    def records(self, *, scan: bool) -> Iterator[Record]:
        ns = {"d": DISQUS_NS, "dsq": DSQ_NS}
        thread_tag, post_tag = f"{{{DISQUS_NS}}}thread", f"{{{DISQUS_NS}}}post"
        saw_any = False
        for elem in iter_elements(self, {thread_tag, post_tag}, depth=1):
            saw_any = True
            if elem.tag == thread_tag:
                thread = self._thread(elem, ns) if scan else None
                if thread is not None:
                    yield thread
            elif scan:
                yield None
            else:
                yield self._post(elem, ns)
        if not saw_any:
            raise ImportFormatError(
                "no Disqus <thread> or <post> elements (is this a Disqus export?)"
            )

    @staticmethod
    def _thread(elem: Element, ns: dict[str, str]) -> ImportedThread | Skip | None:
        key = elem.get(f"{{{DSQ_NS}}}id", "")
        link = _text(elem, "d:link", ns)
        if not key or not link:
            return None  # a bare <thread dsq:id="…"/> reference
        where = f"Disqus thread {key} ({link[:200]})"
        if _text(elem, "d:isDeleted", ns) == "true":
            return Skip("thread deleted on Disqus", where, thread_key=key, warn=False)
        if not http_url(link):
            return Skip("the thread's link is not an http(s) URL", where, thread_key=key)
        return ImportedThread(
            key=key,
            url=link,
            title=_text(elem, "d:title", ns),
            closed=_text(elem, "d:isClosed", ns) == "true",
        )

    @staticmethod
    def _post(elem: Element, ns: dict[str, str]) -> ImportedComment | Skip:
        dsq_id = f"{{{DSQ_NS}}}id"
        key = elem.get(dsq_id, "")
        where = f"Disqus post {key or '(no id)'}"
        if not key:
            return Skip("a post without an id", where)
        created = _text(elem, "d:createdAt", ns)
        when = parse_when(created, _DISQUS_DATES)
        if when is None:
            return Skip("bad date", where, f"createdAt {created!r}", key=key)
        thread = elem.find("d:thread", ns)
        parent = elem.find("d:parent", ns)
        author = elem.find("d:author", ns)
        name = _text(author, "d:name", ns)
        username = _text(author, "d:username", ns)
        email = _text(author, "d:email", ns)
        if _text(elem, "d:isDeleted", ns) == "true":
            status = "deleted"
        elif _text(elem, "d:isSpam", ns) == "true":
            status = "rejected"
        elif _text(elem, "d:isApproved", ns) == "false":
            status = "pending"
        else:
            status = "approved"
        if username:
            identity = "user:" + username.lower()
        elif name or real_email(email):
            identity = guest_identity(name, email)
        else:  # Disqus blanks the author of a deleted post
            identity = DELETED_AUTHOR if status == "deleted" else guest_identity("", "")
        return ImportedComment(
            key=key,
            thread_key=thread.get(dsq_id, "") if thread is not None else "",
            parent_key=(parent.get(dsq_id) or None) if parent is not None else None,
            author_key=identity,
            author_name=name or username,
            author_email=real_email(email),
            # Deleted comments stay as placeholders, whatever text Disqus left in them, so
            # replies keep their place; so do comments with nothing but an image.
            body="" if status == "deleted" else html_to_markup(_text(elem, "d:message", ns)),
            created_at=when,
            status=status,
            ip=_text(elem, "d:ipAddress", ns),
        )


def parse_disqus(source: str | Path) -> ImportData:
    return DisqusSource(source).load()


# --- WordPress -----------------------------------------------------------------------------

_WP_NS = re.compile(rb'xmlns:wp="(http://wordpress\.org/export/1\.[0-2]/)"')
WP_STATUS = {
    "1": "approved",
    "approve": "approved",
    "0": "pending",
    "hold": "pending",
    "spam": "rejected",
    "trash": "deleted",
    "post-trashed": "deleted",
}
_WP_DATES = ("%Y-%m-%d %H:%M:%S",)
_WP_COMMENT_TYPES = {"", "comment", "review"}


class WordPressSource(Source):
    """WordPress's WXR 1.0-1.2 (`<rss><channel><item>` per post, `<wp:comment>` inside)."""

    name, label = "wordpress", "WordPress"

    def _namespace(self) -> dict[str, str]:
        stream = XmlCleaner(open_export(self.path))
        try:
            head = stream.read(65536)
        finally:
            stream.close()
        match = _WP_NS.search(head)
        if not match:
            raise ImportFormatError("no WordPress WXR namespace (is this a WordPress export?)")
        return {
            "wp": match.group(1).decode(),
            "content": "http://purl.org/rss/1.0/modules/content/",
        }

    def records(self, *, scan: bool) -> Iterator[Record]:
        ns = self._namespace()
        for item in iter_elements(self, {"item"}, depth=2):  # rss > channel > item
            post_id = _text(item, "wp:post_id", ns)
            link = _text(item, "link", {})
            comments = item.findall("wp:comment", ns)
            if not comments:
                continue
            kinds = [_text(c, "wp:comment_type", ns) for c in comments]
            if scan and post_id and any(k in _WP_COMMENT_TYPES for k in kinds):
                where = f"WordPress post {post_id} ({link[:200] or 'no link'})"
                if not http_url(link):
                    yield Skip("the post's link is not an http(s) URL", where, thread_key=post_id)
                else:
                    yield ImportedThread(
                        key=post_id,
                        url=link,
                        title=_text(item, "title", {}),
                        closed=_text(item, "wp:comment_status", ns) == "closed",
                    )
            for c, kind in zip(comments, kinds, strict=True):
                yield None if scan else self._comment(c, kind, post_id, link, ns)

    @staticmethod
    def _comment(
        c: Element, kind: str, post_id: str, link: str, ns: dict[str, str]
    ) -> ImportedComment | Skip:
        comment_id = _text(c, "wp:comment_id", ns)
        where = f"WordPress comment {comment_id or '(no id)'} on post {post_id} ({link[:200]})"
        if kind in {"pingback", "trackback"}:
            return Skip("pingback or trackback", where, key=comment_id, warn=False)
        if kind not in _WP_COMMENT_TYPES:
            return Skip(f"comment type {kind!r}", where, key=comment_id, warn=False)
        if not comment_id or not post_id:
            return Skip("a comment without an id", where)
        gmt = _text(c, "wp:comment_date_gmt", ns)
        when = parse_when(gmt, _WP_DATES)
        if when is None:  # WordPress falls back on the local date; so do we (taken as UTC)
            local = _text(c, "wp:comment_date", ns)
            when = parse_when(local, _WP_DATES)
            if when is None:
                return Skip("bad date", where, f"comment_date_gmt {gmt!r}", key=comment_id)
        status = WP_STATUS.get(_text(c, "wp:comment_approved", ns), "pending")
        name = _text(c, "wp:comment_author", ns)
        email = _text(c, "wp:comment_author_email", ns)
        user_id = _text(c, "wp:comment_user_id", ns)
        parent = _text(c, "wp:comment_parent", ns)
        url = _text(c, "wp:comment_author_url", ns)
        return ImportedComment(
            key=comment_id,
            thread_key=post_id,
            parent_key=parent if parent not in {"", "0"} else None,
            author_key=f"wpuser:{user_id}"
            if user_id not in {"", "0"}
            else guest_identity(name, email),
            author_name=name,
            author_email=real_email(email),
            author_url=url if http_url(url) else "",
            # WordPress stores what was typed (it adds paragraphs when it shows them).
            body=""
            if status == "deleted"
            else html_to_markup(_text(c, "wp:comment_content", ns), text_newlines=True),
            created_at=when,
            status=status,
            ip=_text(c, "wp:comment_author_IP", ns),
        )


def parse_wordpress(source: str | Path) -> ImportData:
    return WordPressSource(source).load()
