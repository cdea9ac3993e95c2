"""Peak Python memory while the professionals service takes a 10 MB document.

Usage: .venv/bin/python bench/professionals_upload.py [--megabytes N]

Streams one application per the GraphQL multipart request specification through the
service's ASGI app (in-process, with its lifespan) into a scratch database on the bench
server, the large licence copy generated piece by piece so the client holds no copy of it.
tracemalloc measures every Python allocation in the process during the request: Starlette's
multipart parsing (spooled to disk past 1 MB), the content check, the copy into PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.professionals_seed import database_server  # noqa: E402
from servicekit.database_urls import with_database  # noqa: E402
from servicekit.migrations import apply_migrations  # noqa: E402
from services.professionals.app import MIGRATIONS, create_app  # noqa: E402
from services.professionals.demo import demo_pdf  # noqa: E402
from services.professionals.settings import load  # noqa: E402
from tests.support.graphql import running  # noqa: E402

SCRATCH_DATABASE = "wnwa_professionals_upload_bench"
BOUNDARY = "wnwa-bench-boundary-7c1f"
PIECE = 64 * 1024

SUBMIT = """
mutation ($input: ProfessionalApplicationInput!, $documents: [DocumentUpload!]!) {
  submitProfessionalApplication(input: $input, documents: $documents) {
    reference errors { field message }
  }
}
"""


def application() -> dict[str, object]:
    return {
        "clientKey": uuid.uuid4().hex,
        "fullName": "Bench Applicant",
        "credentials": "PhD",
        "licenses": [
            {
                "licenseType": "PSYCHOLOGIST",
                "number": "071-1",
                "state": "IL",
                "expiresOn": "2099-01-01",
            }
        ],
        "locations": [
            {"street": "1 Main St", "city": "Chicago", "state": "IL", "zipCode": "60606"}
        ],
        "phone": "+1 312 555 0100",
        "email": "bench@practice.example",
        "languages": ["en"],
        "specialties": ["TRAUMA_AND_PTSD"],
        "modalities": ["INDIVIDUAL"],
        "lawEnforcementExperienceYears": 2,
        "lawEnforcementExperience": "Two years with a county sheriff's peer team.",
        "professionalAssociation": "APA",
        "disciplinaryAction": False,
        "selfPay": True,
        "answersCallsAnyHour": True,
    }


async def large_pdf(size: int) -> AsyncIterator[bytes]:
    """A PDF-shaped file of exactly ``size`` bytes, made piece by piece."""
    head, tail = b"%PDF-1.4\n%", b"\n%%EOF\n"
    yield head
    remaining = size - len(head) - len(tail)
    while remaining > 0:
        piece = min(PIECE, remaining)
        yield b"x" * piece
        remaining -= piece
    yield tail


async def multipart_body(size: int) -> AsyncIterator[bytes]:
    operations = {
        "query": SUBMIT,
        "variables": {
            "input": application(),
            "documents": [
                {"kind": kind, "file": None}
                for kind in ("LICENSE_COPY", "CV", "LIABILITY_INSURANCE")
            ],
        },
    }
    files_map = {str(i): [f"variables.documents.{i}.file"] for i in range(3)}

    def part(name: str, filename: str | None = None) -> bytes:
        disposition = f'form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        kind = "application/pdf" if filename else "application/json"
        return (
            f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: {kind}\r\n\r\n"
        ).encode()

    yield part("operations") + json.dumps(operations).encode() + b"\r\n"
    yield part("map") + json.dumps(files_map).encode() + b"\r\n"
    yield part("0", "licence.pdf")
    async for piece in large_pdf(size):
        yield piece
    yield b"\r\n"
    for index, name in ((1, "cv.pdf"), (2, "insurance.pdf")):
        yield part(str(index), name) + demo_pdf(name) + b"\r\n"
    yield f"--{BOUNDARY}--\r\n".encode()


async def run(megabytes: float) -> None:
    size = int(megabytes * 1024 * 1024)
    with database_server() as server_url:
        admin = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
        finally:
            await admin.close()
        database_url = with_database(server_url, SCRATCH_DATABASE)
        connection = await asyncpg.connect(database_url)
        await apply_migrations(connection, MIGRATIONS)
        settings = load(
            {
                "WNWA_PROFESSIONALS_DATABASE_URL": database_url,
                "WNWA_PROFESSIONALS_MAX_DOCUMENT_BYTES": str(max(size, 10 * 1024 * 1024)),
            }
        )
        app = create_app(settings)
        async with running(app) as http:
            tracemalloc.start()
            tracemalloc.reset_peak()
            started = time.perf_counter()
            response = await http.post(
                "/graphql",
                content=multipart_body(size),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                timeout=httpx.Timeout(120),
            )
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        payload = response.json()["data"]["submitProfessionalApplication"]
        assert payload["errors"] == [], payload
        stored = await connection.fetchval(
            "SELECT sum(length(data)) FROM document_chunks c JOIN documents d"
            " ON d.id = c.document_id WHERE d.kind = 'license_copy'"
        )
        await connection.close()
        print(f"document: {size / 1024 / 1024:.1f} MiB ({size} bytes); stored: {stored} bytes")
        print(f"reference {payload['reference']} in {elapsed:.2f} s")
        print(f"peak traced Python memory during the request: {peak / 1024 / 1024:.2f} MiB")
        print(f"that is {peak / size:.2f} times the document")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0)
    asyncio.run(run(parser.parse_args().megabytes))


if __name__ == "__main__":
    main()
