"""The formatting subset: paragraphs, bold, italic, quotes, links with rel=nofollow ugc noopener."""

from civility.comments.render import render


def test_paragraphs_and_line_breaks():
    assert render("one\ntwo\n\nthree") == "<p>one<br>two</p><p>three</p>"


def test_bold_italic_quote():
    assert render("**b** *i* _j_") == "<p><strong>b</strong> <em>i</em> <em>j</em></p>"
    assert render("> quoted\n> more\n\nreply") == (
        "<blockquote><p>quoted<br>more</p></blockquote><p>reply</p>"
    )


def test_links_get_rel_and_trailing_punctuation_stays_out():
    html = render("See https://news.example/a?b=1&c=2. And [docs](https://docs.example/x)")
    assert '<a href="https://news.example/a?b=1&amp;c=2" rel="nofollow ugc noopener">' in html
    assert "</a>. And" in html
    assert '<a href="https://docs.example/x" rel="nofollow ugc noopener">docs</a>' in html


def test_everything_else_is_escaped_not_dropped():
    assert render("1 < 2 & <b>x</b>") == "<p>1 &lt; 2 &amp; &lt;b&gt;x&lt;/b&gt;</p>"
    assert render("snake_case_name and 2*3*4") == "<p>snake_case_name and 2*3*4</p>"


def test_code_keeps_its_indentation_and_is_escaped():
    body = "Try:\n```python\ndef f(x):\n    return x < 2  # <b>\n```\nthen `a_b*c*` here"
    assert render(body) == (
        "<p>Try:</p><pre><code>def f(x):\n    return x &lt; 2  # &lt;b&gt;</code></pre>"
        "<p>then <code>a_b*c*</code> here</p>"
    )
    assert render("```\n  unclosed") == "<pre><code>  unclosed</code></pre>"
