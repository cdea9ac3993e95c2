"""Uploaded documents: checked by their bytes (PDF, JPEG, PNG), never by name or declared type.

Uploads arrive as spooled temporary files (Starlette keeps anything over 1 MB on disk). Each
is read twice in fixed-size pieces: once to check it (size, magic bytes, end marker, digest)
before anything is written, once to copy it into PostgreSQL inside the application's
transaction. Neither pass holds a whole file in memory.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

CHUNK_BYTES = 256 * 1024
_TAIL_BYTES = 1024


class UploadedFile(Protocol):
    """What the service needs of an upload (Starlette's ``UploadFile`` has it)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...

    async def seek(self, offset: int) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class CheckedDocument:
    content_type: str
    size_bytes: int
    sha256: str


class DocumentProblem(Exception):
    """Why a document is refused, in words for the applicant."""


def sniff(head: bytes, tail: bytes) -> str | None:
    """The content type the bytes prove, or None: a PDF starts with ``%PDF-`` and ends with
    ``%%EOF``; a JPEG starts with FF D8 FF and ends with FF D9; a PNG starts with its
    8-byte signature and an IHDR chunk and ends with IEND."""
    if head.startswith(b"%PDF-") and b"%%EOF" in tail:
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in tail:
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and b"IEND" in tail:
        return "image/png"
    return None


async def check(upload: UploadedFile, *, max_bytes: int) -> CheckedDocument:
    """Read the upload once, in pieces; raise :class:`DocumentProblem` when it is refused."""
    await upload.seek(0)
    digest = hashlib.sha256()
    head = b""
    tail = b""
    size = 0
    while piece := await upload.read(CHUNK_BYTES):
        size += len(piece)
        if size > max_bytes:
            raise DocumentProblem(f"This file is larger than {_megabytes(max_bytes)}.")
        if len(head) < 16:
            head = (head + piece)[:16]
        tail = (tail + piece)[-_TAIL_BYTES:]
        digest.update(piece)
    await upload.seek(0)
    if size == 0:
        raise DocumentProblem("This file is empty.")
    content_type = sniff(head, tail)
    if content_type is None:
        raise DocumentProblem(
            "This file is not a PDF, JPEG or PNG (judged by its content, not its name)."
        )
    return CheckedDocument(content_type=content_type, size_bytes=size, sha256=digest.hexdigest())


def safe_filename(filename: str | None) -> str:
    """The upload's name without folders or control characters, for vetters' convenience."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"]", "", name).strip()
    return name[:200] or "document"


def _megabytes(value: int) -> str:
    return f"{value / (1024 * 1024):g} MB"
