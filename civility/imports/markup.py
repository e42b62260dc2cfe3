"""Other platforms' comment HTML (or Markdown) to Civility's own markup, which
civility.comments.render turns into sanitized HTML like any comment a reader writes here.

What survives: paragraphs and line breaks, links with their real target (Disqus shortens the text
of long links, "https://github.com/ipython/...": the href is what counts), **bold** and *italic*,
quotes, lists as lines, images as a link to the image, and code (inline `code`, and blocks
verbatim between ``` fences, indentation included). Scripts, styles and embedded frames are
dropped with their content; any other tag is dropped and its text kept.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, unquote, urlsplit

_BLOCK = {
    "p", "div", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "ul", "ol", "dl", "dd", "dt", "hr", "figure", "figcaption", "center",
}  # fmt: skip
_DROP = {"script", "style", "iframe", "object", "embed", "noscript", "template", "head", "title"}
_BOLD = {"b", "strong"}
_ITALIC = {"i", "em", "cite"}
# Characters a link target may not carry into our markup as they are (see render._MD_LINK).
_URL_SAFE = "/:?#@!$&*+,;=%~-._[]"
_ELLIPSIS = re.compile(r"(\.\.\.|…)$")
# Marks both ends of a bare URL until the paragraph is done: then a space goes where text would
# otherwise run into the URL (render links a bare URL up to the next white space).
_BARE = "\x01"
_BARE_AFTER = re.compile(_BARE + r"(?![.,;:!?)]*(?:\s|$|" + _BARE + r"))")


def _clean_href(href: str) -> str:
    """An absolute http(s) target with nothing that could end our link syntax early, or ""."""
    href = (href or "").strip()
    parts = urlsplit(href)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return ""
    # Disqus sends outbound links through its redirector: keep where they lead.
    if parts.netloc.lower() in {"disq.us", "www.disq.us"} and parts.path.startswith("/url"):
        target = parse_qs(parts.query).get("url", [""])[0]
        target = re.sub(r":[A-Za-z0-9_-]{20,40}$", "", target)  # Disqus appends ":<hash>"
        if target and target != href:
            return _clean_href(target)
    return quote(href, safe=_URL_SAFE)


def _shortened(text: str, href: str) -> bool:
    """Whether the link text is just the URL (maybe shortened with an ellipsis, maybe without
    its scheme), so the target itself is the better text."""
    text = text.strip()
    cut = _ELLIPSIS.sub("", text)
    bare = cut.rstrip("/")
    if not bare:
        return True
    for url in {href, unquote(href)}:
        for candidate in (url, re.sub(r"^https?://", "", url), re.sub(r"^https?://www\.", "", url)):
            if candidate.rstrip("/") == bare or (cut != text and candidate.startswith(bare)):
                return True
    return False


class _Converter(HTMLParser):
    def __init__(self, text_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        # WordPress and Isso store what was typed: a newline there is a line break. In HTML
        # (Disqus, Coral) a newline is white space and <br>/<p> make the breaks.
        self.text_newlines = text_newlines
        self.blocks: list[str] = []  # finished blocks, markup
        self.inline: list[str] = []  # the paragraph being built
        self.quote_depth = 0
        self.quote_blocks: list[str] = []
        self.drop = 0
        self.pre = 0
        self.pre_text: list[str] = []
        self.code: list[str] | None = None  # inside <code> outside <pre>
        self.link: tuple[str, list[str]] | None = None
        self.marks: list[tuple[str, int]] = []  # open bold/italic: (marker, where in inline)

    # --- blocks ---------------------------------------------------------------------------
    def _emit(self, block: str) -> None:
        if not block.strip():
            return
        if self.quote_depth:
            self.quote_blocks.append(block)
        else:
            self.blocks.append(block)

    def _flush(self) -> None:
        text = "".join(self.inline)
        self.inline = []
        self.marks = []
        if _BARE in text:
            text = re.sub(r"(?<=[\w\"'=>])" + _BARE + "(?=https?://)", " ", text)
            text = re.sub(_BARE + "(?=https?://)", "", text)
            text = _BARE_AFTER.sub(" ", text).replace(_BARE, "")
        lines = [" ".join(line.split()) for line in text.split("\n")]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        paragraph: list[str] = []
        for line in lines + [""]:
            if line:
                paragraph.append(line)
            elif paragraph:
                self._emit("\n".join(paragraph))
                paragraph = []

    def _code_block(self, text: str) -> None:
        text = text.replace("\r\n", "\n").strip("\n")
        if not text.strip():
            return
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, longest + 1)
        self._flush()
        self._emit(f"{fence}\n{text.rstrip()}\n{fence}")

    # --- the parser's callbacks -------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in _DROP:
            self.drop += 1
            return
        if self.drop:
            return
        if tag == "pre":
            if not self.pre:
                self._flush()
                self.pre_text = []
            self.pre += 1
            return
        if self.pre:
            if tag == "br":
                self.pre_text.append("\n")
            return
        if tag == "code":
            self.code = []
            return
        if tag == "br":
            self._text("\n", raw=True)
        elif tag == "li":
            self._text("\n- ", raw=True)
        elif tag in _BLOCK:
            self._flush()
        elif tag == "blockquote":
            self._flush()
            if not self.quote_depth:
                self.quote_blocks = []
            self.quote_depth += 1
        elif tag == "a":
            self.link = (a.get("href", ""), [])
        elif tag == "img":
            src = _clean_href(a.get("src", ""))
            alt = " ".join(a.get("alt", "").split()).replace("[", "(").replace("]", ")")[:100]
            if self.link is not None:  # a linked image: the link stays, the image names it
                self.link[1].append(alt or "image")
            elif src:
                self._text(f"[{alt or 'image'}]({src})", raw=True)
        elif tag in _BOLD or tag in _ITALIC:
            marker = "**" if tag in _BOLD else "*"
            self.marks.append((marker, len(self.inline)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            return
        self.handle_starttag(tag, attrs)
        if tag in {"a", "code", "pre", "blockquote"} or tag in _BOLD or tag in _ITALIC:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self.drop = max(0, self.drop - 1)
            return
        if self.drop:
            return
        if tag == "pre":
            if self.pre:
                self.pre -= 1
                if not self.pre:
                    self._code_block("".join(self.pre_text))
            return
        if self.pre:
            return
        if tag == "code" and self.code is not None:
            text, self.code = "".join(self.code), None
            if "\n" in text.strip("\n"):
                self._code_block(text)
            elif text.strip():
                inline = " ".join(text.split()).replace("`", "'")
                self._text(f"`{inline}`", raw=True)
        elif tag in _BLOCK:
            self._flush()
        elif tag == "blockquote" and self.quote_depth:
            self._flush()
            self.quote_depth -= 1
            if not self.quote_depth:
                inner = "\n>\n".join(
                    "\n".join(f"> {line}" if line else ">" for line in block.split("\n"))
                    for block in self.quote_blocks
                )
                self._emit(inner)
        elif tag == "a" and self.link is not None:
            href, parts = self.link
            self.link = None
            self._text(self._link(_clean_href(href), " ".join("".join(parts).split())), raw=True)
        elif (tag in _BOLD or tag in _ITALIC) and self.marks:
            marker, start = self.marks.pop()
            inner = "".join(self.inline[start:])
            core = inner.strip()
            if core and "\n" not in core and marker not in core:
                lead = inner[: len(inner) - len(inner.lstrip())]
                trail = inner[len(inner.rstrip()) :]
                self.inline[start:] = [f"{lead}{marker}{core}{marker}{trail}"]

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        if self.pre:
            self.pre_text.append(data)
        elif self.code is not None:
            self.code.append(data)
        elif self.link is not None:
            self.link[1].append(data)
        else:
            self._text(data)

    # --- text -------------------------------------------------------------------------------
    def _text(self, data: str, raw: bool = False) -> None:
        if self.link is not None and not raw:
            self.link[1].append(data)
            return
        if raw:
            self.inline.append(data)
            return
        data = data.replace("\r\n", "\n").replace("\r", "\n")
        if not self.text_newlines:
            self.inline.append(re.sub(r"\s+", " ", data))
            return
        for i, chunk in enumerate(re.split(r"\n[ \t]*\n\s*", data)):
            if i:
                self._flush()
            self.inline.append(chunk)

    @staticmethod
    def _link(href: str, text: str) -> str:
        if not href:
            return text
        if _shortened(text, href) and not href.endswith((".", ",", ";", ":", "!", "?", ")")):
            return f"{_BARE}{href}{_BARE}"
        label = text.replace("[", "(").replace("]", ")")[:200]
        return f"[{label}]({href})"

    def result(self) -> str:
        if self.pre:
            self._code_block("".join(self.pre_text))
        if self.code is not None:
            self._text("".join(self.code))
        while self.quote_depth:
            self.handle_endtag("blockquote")
        self._flush()
        return "\n\n".join(self.blocks)


def html_to_markup(fragment: str, *, text_newlines: bool = False) -> str:
    """Convert a comment's HTML to Civility's markup (see the module docstring)."""
    if not fragment or not fragment.strip():
        return ""
    converter = _Converter(text_newlines)
    converter.feed(fragment)
    converter.close()
    return converter.result()


_INDENTED = re.compile(r"^(?: {4}|\t)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")


def markdown_to_markup(text: str) -> str:
    """Isso stores what the reader typed, in Markdown: keep it, with indented code blocks as
    fenced ones (our markup's only kind) and any HTML in it converted."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if _HTML_TAG.search(text):
        return html_to_markup(text, text_newlines=True)
    out: list[str] = []
    code: list[str] = []
    previous_blank = True
    in_fence = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if not in_fence and (code or previous_blank) and _INDENTED.match(line):
            code.append(line[4:] if line.startswith("    ") else line[1:])
            continue
        if code and not line.strip():
            code.append("")
            continue
        if code:
            while code and not code[-1]:
                code.pop()
            out += ["```", *code, "```", ""]
            code = []
        out.append(line.rstrip())
        previous_blank = not line.strip()
    if code:
        while code and not code[-1]:
            code.pop()
        out += ["```", *code, "```"]
    return "\n".join(out).strip("\n")
