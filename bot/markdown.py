"""Markdown for text that comes from outside: it renders as exactly that text.

This module owns escaping module paths, versions, advisory summaries, release notes,
reasons and compiler output for Markdown on GitHub and GitLab (PR bodies, issues, CI job
summaries): HTML and Markdown characters become entities (also safe inside ``<summary>``
and table cells), ``@mentions`` and same-repository issue references (``#123``,
``GH-123``) get a zero-width space, lines cannot start a list, heading, quote or a GitLab
quick action (``/merge``), control and bidirectional-override characters are dropped,
compiler output goes into a fence nothing can close, and only tame ``https`` URLs are
linked. Pure functions, no dependencies: :mod:`bot.render` (PR text) and
:mod:`bot.report` / :mod:`bot.fleet` (summaries) all escape through here.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates that can make text read differently from what it is ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "[": "&#91;",
    "]": "&#93;",
    "|": "&#124;",
    "~": "&#126;",
    "$": "&#36;",
}
# What makes the start of a line a block (list item, heading, setext underline or
# thematic break, ordered list item) or a GitLab quick action ("/merge"); the character at
# the returned index is turned into an entity.
_BLOCK_START = re.compile(
    r"[-+*](?=[ \t]|$)|-+[ \t]*$|#{1,6}(?=[ \t]|$)|=+[ \t]*$|/|[0-9]{1,9}[.)](?=[ \t]|$)"
)
_DIGITS = frozenset("0123456789")
_ZWSP = "&#8203;"


def _block_start(line: str) -> int:
    """The index of the character to neutralize so ``line`` starts no block, or -1."""
    m = _BLOCK_START.match(line)
    if m is None:
        return -1
    return m.end() - 1 if line[0] in _DIGITS else 0


def clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


def _escape_line(line: str, *, line_start: bool = True) -> str:
    n = len(line)
    neutral = _block_start(line) if line_start else -1
    out: list[str] = []
    for i, ch in enumerate(line):
        prev = line[i - 1] if i else ""
        nxt = line[i + 1] if i + 1 < n else ""
        if i == neutral:
            piece = f"&#{ord(ch)};"
        elif ch in _ENTITIES:
            piece = _ENTITIES[ch]
        elif ch == "_":
            piece = "_" if prev.isalnum() and nxt.isalnum() else "&#95;"
        else:
            piece = ch
        if ch == "@":
            piece += _ZWSP  # no @mention
        elif ch == "#" and nxt in _DIGITS and not prev.isalnum():
            piece += _ZWSP  # no "#123" (owner/repo#123 still links)
        elif (
            ch == "-"
            and nxt in _DIGITS
            and line[max(0, i - 2) : i].lower() == "gh"
            and (i < 3 or not line[i - 3].isalnum())
        ):
            piece = _ZWSP + piece  # no "GH-123"
        out.append(piece)
    return "".join(out)


def md_inline(text: str) -> str:
    """Outside text as one line of Markdown that renders as exactly that text.

    White space is collapsed, control characters dropped, Markdown/HTML characters
    turned into entities (so the result is also safe inside HTML such as ``<summary>``
    and inside table cells), mentions and same-repository issue references broken with a
    zero-width space. Never put the result inside a code span (entities show there)."""
    return _escape_line(" ".join(clean(text).split()))


def md_cell(text: str) -> str:
    """:func:`md_inline` for a table cell or the middle of a line, where nothing can start
    a block: a lone ``-`` placeholder stays ``-``."""
    return _escape_line(" ".join(clean(text).split()), line_start=False)


def md_block(text: str) -> str:
    """Outside multi-line text (release notes) as Markdown paragraphs showing the text.

    Each line as :func:`md_inline` escapes it, with its indentation dropped (no code
    blocks) and its first character unable to start a block; runs of blank lines become
    one."""
    lines: list[str] = []
    for raw in clean(text).split("\n"):
        line = " ".join(raw.split())
        if not line and (not lines or not lines[-1]):
            continue
        lines.append(_escape_line(line))
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _longest_run(text: str, ch: str) -> int:
    runs = re.findall(re.escape(ch) + "+", text)
    return max((len(r) for r in runs), default=0)


def md_code_block(text: str) -> str:
    """Outside text (compiler output) verbatim in a fenced code block that nothing in it
    can close: the fence is longer than the longest backtick run."""
    body = "\n".join(line.rstrip() for line in clean(text).split("\n")).strip("\n")
    fence = "`" * max(3, _longest_run(body, "`") + 1)
    return f"{fence}text\n{body}\n{fence}"


_TAME = re.compile(r"[A-Za-z0-9 ._~/+:=,()-]*")


def md_code_span(text: str) -> str:
    """Text as an inline code span (one line) when it is made of tame characters only
    (letters, digits, `` ._~/+:=,()-`` and spaces), else as :func:`md_inline` escapes it:
    outside text never appears unescaped. Not for table cells."""
    body = " ".join(clean(text).split())
    if not body or not _TAME.fullmatch(body):
        return md_inline(body)
    return f"`{body}`"


_URL = re.compile(
    r"https://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
    r"(?:/[A-Za-z0-9._~!$&*+,;=:@%/-]*)?(?:\?[A-Za-z0-9._~!$&*+,;=:@%/?-]*)?"
    r"(?:#[A-Za-z0-9._~!$&*+,;=:@%/?-]*)?"
)
GO_ID = re.compile(r"GO-[0-9]{4}-[0-9]{4,}")


def safe_url(url: str | None) -> str:
    """``url`` when it is an ``https`` URL made only of characters that cannot end or
    break a Markdown link (no spaces, parentheses, angle brackets, quotes), else ``""``."""
    if not url or len(url) > 2000:
        return ""
    return url if _URL.fullmatch(url) else ""


def plain(text: str) -> str:
    return " ".join(clean(text).split())


def plain_block(text: str) -> str:
    return "\n".join(line.rstrip() for line in clean(text).split("\n")).strip("\n")
