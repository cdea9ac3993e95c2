"""The GraphQL documents the portal sends, read from where they are written.

The portal's scripts (`static/*.js`), the inline scripts of its pages (`*.html`), the pages
rendered on the server (`published.py`) and GraphiQL's examples (`gateway/playground.py`).
A script writes a document as a string or template literal (or a `+` chain of them)
beginning with `query` or `mutation`, with `${NAME}` standing only for a constant of the same
file (a selection such as `FIELDS`). The gateway checks and plans them before it says it is
ready, and a test validates each against the supergraph (a part decided at run time would
hide a field the schema lacks, so it is reported, to be written whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graphql import OperationDefinitionNode, parse

from gateway import playground
from gateway.portal import published

PORTAL = Path(__file__).parent
SCRIPTS = sorted((PORTAL / "static").glob("*.js"))
PAGES = sorted(PORTAL.glob("*.html"))

# an operation's head as written anywhere in a script: the documents found must hold them all
OPERATION_HEAD = re.compile(r"\b(?:query|mutation|subscription)\s+[A-Z]\w*")
DOCUMENT_START = re.compile(r"\s*(?:query|mutation|subscription)\b")
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
# after these, a `/` starts a regular expression rather than a division
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "yield",
    "await",
}


@dataclass(frozen=True, slots=True)
class Literal:
    """A string or template literal: its text parts, and the expressions between them."""

    parts: tuple[str, ...]
    expressions: tuple[str, ...]
    line: int


Token = Literal | str


class Unresolved(Exception):
    """A document with a part decided at run time."""


def _skip_quoted(source: str, at: int, quote: str) -> tuple[str, int]:
    text: list[str] = []
    while source[at] != quote:
        if source[at] == "\\":
            text.append(source[at : at + 2])
            at += 2
        else:
            text.append(source[at])
            at += 1
    return "".join(text), at + 1


def _template(source: str, at: int) -> tuple[Literal, int]:
    """The template literal whose opening backtick is just before ``at``."""
    line = source.count("\n", 0, at) + 1
    parts: list[str] = []
    expressions: list[str] = []
    text: list[str] = []
    while source[at] != "`":
        if source[at] == "\\":
            text.append(source[at : at + 2])
            at += 2
        elif source.startswith("${", at):
            parts.append("".join(text))
            text = []
            _, end = _scan(source, at + 2, inside=True)
            expressions.append(source[at + 2 : end - 1].strip())
            at = end
        else:
            text.append(source[at])
            at += 1
    parts.append("".join(text))
    return Literal(tuple(parts), tuple(expressions), line), at + 1


def tokens(source: str) -> list[Token]:
    """The script's tokens: literals, identifiers and punctuation (comments and regular
    expressions left out)."""
    return _scan(source, 0, inside=False)[0]


def _scan(source: str, at: int, *, inside: bool) -> tuple[list[Token], int]:
    """Tokens from ``at``; ``inside`` a template's `${`, up to and past its closing brace."""
    found: list[Token] = []
    depth = 0
    while at < len(source):
        char = source[at]
        if char.isspace():
            at += 1
        elif source.startswith("//", at):
            end = source.find("\n", at)
            at = len(source) if end < 0 else end
        elif source.startswith("/*", at):
            at = source.index("*/", at) + 2
        elif char == "/" and (not found or found[-1] in REGEX_AFTER):
            at += 1
            in_class = False
            while in_class or source[at] != "/":
                if source[at] == "\\":
                    at += 1
                elif source[at] in "[]":
                    in_class = source[at] == "["
                at += 1
            at += 1
            while at < len(source) and source[at].isalpha():  # its flags
                at += 1
            found.append("/regex/")
        elif char in "\"'":
            line = source.count("\n", 0, at) + 1
            text, at = _skip_quoted(source, at + 1, char)
            found.append(Literal((text,), (), line))
        elif char == "`":
            literal, at = _template(source, at + 1)
            found.append(literal)
        elif match := IDENTIFIER.match(source, at):
            found.append(match.group())
            at = match.end()
        else:
            depth += {"{": 1, "}": -1}.get(char, 0)
            at += 1
            if inside and depth < 0:
                return found, at
            found.append(char)
    return found, at


def _chain(found: list[Token], at: int) -> tuple[list[Token], int]:
    """The terms of the `+` chain starting at ``at``, and where it ends."""
    terms = [found[at]]
    at += 1
    while at + 1 < len(found) and found[at] == "+":
        terms.append(found[at + 1])
        at += 2
    return terms, at


def _text(terms: list[Token], constants: dict[str, str | None]) -> str:
    """A chain's text; Unresolved when a part of it is not a constant of the script."""
    text: list[str] = []
    for term in terms:
        if isinstance(term, Literal):
            for index, part in enumerate(term.parts):
                text.append(part)
                if index < len(term.expressions):
                    text.append(_constant(term.expressions[index], constants))
        else:
            text.append(_constant(term, constants))
    return "".join(text)


def _constant(name: str, constants: dict[str, str | None]) -> str:
    value = constants.get(name)
    if value is None:
        raise Unresolved(name)
    return value


def script_documents(source: str) -> tuple[list[tuple[int, str]], list[str]]:
    """The documents a script writes, by line, and the ones with a part decided at run time."""
    found = tokens(source)
    constants: dict[str, str | None] = {}
    for at in range(len(found) - 3):
        if found[at] == "const" and isinstance(found[at + 1], str) and found[at + 2] == "=":
            terms, end = _chain(found, at + 3)
            name = str(found[at + 1])
            try:
                value: str | None = _text(terms, constants)
            except Unresolved:
                value = None
            # a name given two values (or one decided at run time) stands for no constant
            ends = end >= len(found) or found[end] in {";", ",", ")", "}"}
            known = (
                name not in constants
                and ends
                and all(isinstance(term, Literal) or term in constants for term in terms)
            )
            constants[name] = value if known else None
    documents: list[tuple[int, str]] = []
    unresolved: list[str] = []
    for at, token in enumerate(found):
        if not isinstance(token, Literal) or (at and found[at - 1] == "+"):
            continue
        if not DOCUMENT_START.match(token.parts[0]):
            continue
        terms, _ = _chain(found, at)
        try:
            documents.append((token.line, _text(terms, constants)))
        except Unresolved as missing:
            unresolved.append(f"line {token.line}: ${{{missing}}} is decided at run time")
    return documents, unresolved


def _inline_scripts(page: str) -> list[str]:
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, re.DOTALL)


def portal_documents() -> tuple[dict[str, str], list[str]]:
    """Every document the portal sends, named by where it is written, and what keeps a
    document from being read (a part decided at run time, an operation not followed)."""
    documents: dict[str, str] = {}
    problems: list[str] = []
    sources = [(path.name, path.read_text(encoding="utf-8")) for path in SCRIPTS]
    for page in PAGES:
        for index, script in enumerate(_inline_scripts(page.read_text(encoding="utf-8"))):
            sources.append((f"{page.name} script {index}", script))
    for name, source in sources:
        found, unresolved = script_documents(source)
        problems += [f"{name} {problem}" for problem in unresolved]
        written = len(OPERATION_HEAD.findall(source))
        operations = sum(_operation_count(text) for _, text in found)
        # an operation written in a way the reader above does not follow is not skipped
        if operations != written and not unresolved:
            problems.append(f"{name}: {written} operations written, {operations} read")
        for line, text in found:
            documents[f"{name}:{line}"] = text
    for name, value in sorted(vars(published).items()):
        if isinstance(value, str) and DOCUMENT_START.match(value):
            documents[f"published.py {name}"] = value
    for example in playground.EXAMPLES:
        documents[f"playground.py {_names(example.query)}"] = example.query
    return documents, problems


def _operation_count(text: str) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in parse(text).definitions)


def _names(text: str) -> str:
    return " ".join(
        d.name.value
        for d in parse(text).definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    )
