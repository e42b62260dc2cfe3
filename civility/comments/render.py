"""Comment formatting: a small Markdown-like subset rendered once, at write time.

Readers get paragraphs, **bold**, *italic*, "> " quotes, links, `code` and code blocks between
lines of three backticks (kept verbatim, indentation included). Everything they type is escaped
first, so HTML in a comment shows as text; the few tags we generate then pass through nh3 (an
allow-list sanitizer) as a second line of defence.
"""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "blockquote", "a", "code", "pre"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "nofollow ugc noopener"

# Links: [text](https://...) or a bare http(s) URL. Matched on already-escaped text, so a URL
# also stops at an escaped quote or angle bracket: it can never carry one into the href.
_URL_CHAR = r"(?:(?!&quot;|&#x27;|&lt;|&gt;)[^\s<>\"'])"
_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\((https?://(?:(?![()])" + _URL_CHAR + r"){1,1000})\)")
_BARE_URL = re.compile(r"(?<![\"'=>])\bhttps?://" + _URL_CHAR + r"{1,1000}")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_ITALIC_US = re.compile(r"(?<![_\w])_(?=\S)([^_\n]+?)(?<=\S)_(?![_\w])")
_CODE = re.compile(r"`([^`\n]+)`")
# A code block opens with a line of three or more backticks (a language name may follow) and
# closes with a line of at least as many; an unclosed one runs to the end of the comment.
_FENCE = re.compile(r"^ {0,3}(`{3,})[\w+.#-]*\s*$")


def _link(url: str, text: str) -> str:
    # url is already HTML-escaped text; quotes cannot occur in it (see the patterns).
    return f'<a href="{url}">{text}</a>'


def _inline(escaped: str) -> str:
    placeholders: list[str] = []

    def keep(fragment: str) -> str:
        placeholders.append(fragment)
        return f"\x00{len(placeholders) - 1}\x00"

    def md_link(m: re.Match[str]) -> str:
        return keep(_link(m.group(2), m.group(1)))

    def code(m: re.Match[str]) -> str:
        return keep(f"<code>{m.group(1)}</code>")

    def bare(m: re.Match[str]) -> str:
        url = m.group(0)
        trail = ""
        # Sentence punctuation after a URL is not part of it.
        while url and url[-1] in ".,;:!?)":
            trail = url[-1] + trail
            url = url[:-1]
        return keep(_link(url, url)) + trail

    text = _CODE.sub(code, escaped)
    text = _MD_LINK.sub(md_link, text)
    text = _BARE_URL.sub(bare, text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    text = _ITALIC_US.sub(r"<em>\1</em>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: placeholders[int(m.group(1))], text)


def _paragraphs(lines: list[str]) -> list[str]:
    out: list[str] = []
    para: list[str] = []
    for line in lines + [""]:
        if line.strip():
            para.append(_inline(html.escape(line.strip(), quote=True)))
        elif para:
            out.append("<p>" + "<br>".join(para) + "</p>")
            para = []
    return out


def render(body: str) -> str:
    """Render a comment body to sanitized HTML."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    blocks: list[str] = []
    normal: list[str] = []
    quote: list[str] = []
    lines = text.split("\n")
    fence: str | None = None  # inside a code block: its fence
    code: list[str] = []
    for line in lines:
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) == {"`"}:
                blocks.append("<pre><code>" + html.escape("\n".join(code)) + "</code></pre>")
                fence, code = None, []
            else:
                code.append(line.rstrip())
            continue
        opening = _FENCE.match(line)
        if opening:
            if quote:
                blocks.append("<blockquote>" + "".join(_paragraphs(quote)) + "</blockquote>")
                quote = []
            blocks += _paragraphs(normal)
            normal = []
            fence = opening.group(1)
            continue
        stripped = line.lstrip()
        if stripped.startswith(">"):
            if normal:
                blocks += _paragraphs(normal)
                normal = []
            quote.append(stripped[1:].lstrip())
        else:
            if quote:
                blocks.append("<blockquote>" + "".join(_paragraphs(quote)) + "</blockquote>")
                quote = []
            normal.append(line)
    if fence is not None:
        blocks.append("<pre><code>" + html.escape("\n".join(code)) + "</code></pre>")
    if quote:
        blocks.append("<blockquote>" + "".join(_paragraphs(quote)) + "</blockquote>")
    blocks += _paragraphs(normal)
    return sanitize("".join(blocks))


def sanitize(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=LINK_REL,
        url_schemes={"http", "https"},
        strip_comments=True,
    )
