"""The safe Markdown subset news posts are written in, rendered to HTML on the server.

Every character of the source is escaped; only these shapes become markup: paragraphs
(blank lines), `## ` and `### ` headings, `- ` or `* ` lists, `1. ` numbered lists,
**strong**, *emphasis*, `code`, and [links](https://…) to https addresses or paths on this
site. No raw HTML, no images, no attributes but a link's address.
"""

from __future__ import annotations

import re
from html import escape

_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(([^)\s]{1,500})\)")
_CODE = re.compile(r"`([^`\n]{1,200})`")
_STRONG = re.compile(r"\*\*(?=\S)([^*\n]{1,500}?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])[*_](?=\S)([^*_\n]{1,500}?)(?<=\S)[*_](?![\w*])")
_HEADING = re.compile(r"^(#{2,3})\s+(.+)$")
_BULLET = re.compile(r"^[-*]\s+(.+)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.+)$")


def _safe_address(address: str) -> str | None:
    if address.startswith("https://") or (address.startswith("/") and not address.startswith("//")):
        return address
    return None


def _styled(text: str) -> str:
    """Escaped text with strong, emphasis and code (which keeps its content literal)."""
    parts = _CODE.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"<code>{escape(part)}</code>")
        else:
            html = escape(part, quote=False)
            html = _STRONG.sub(r"<strong>\1</strong>", html)
            html = _EMPHASIS.sub(r"<em>\1</em>", html)
            out.append(html)
    return "".join(out)


def inline(text: str) -> str:
    """One line or paragraph of the subset as HTML."""
    out = []
    position = 0
    for link in _LINK.finditer(text):
        out.append(_styled(text[position : link.start()]))
        address = _safe_address(link.group(2))
        label = _styled(link.group(1))
        out.append(f'<a href="{escape(address)}">{label}</a>' if address else label)
        position = link.end()
    out.append(_styled(text[position:]))
    return "".join(out)


def to_html(source: str) -> str:
    """A post's Markdown source as HTML: block by block, everything escaped."""
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def close() -> None:
        nonlocal list_tag
        if paragraph:
            blocks.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            blocks.append(f"<{list_tag}>{''.join(items)}</{list_tag}>")
            items.clear()
            list_tag = ""

    for raw in source.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if not line:
            close()
        elif heading:
            close()
            level = len(heading.group(1))
            blocks.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif bullet or numbered:
            tag = "ul" if bullet else "ol"
            if paragraph or (items and list_tag != tag):
                close()
            list_tag = tag
            match = bullet or numbered
            assert match is not None
            items.append(f"<li>{inline(match.group(1))}</li>")
        else:
            if items:
                close()
            paragraph.append(line)
    close()
    return "\n".join(blocks)


def to_text(source: str, limit: int = 240) -> str:
    """A plain-text summary of the post (for lists and the feed), cut at a word."""
    text = _LINK.sub(r"\1", source)
    text = re.sub(r"[#*_`]+", "", text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
