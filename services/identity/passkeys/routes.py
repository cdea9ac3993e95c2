"""Passkey endpoints under /auth: enrol from a code, sign in, add and remove one's own.

JSON in and out, for the portal's pages (same origin, through the gateway). A ceremony's
challenge travels in a sealed, HttpOnly cookie and is spent once; a passkey sign-in reads
the credential and writes nothing about it. Refusals say why in words for the person and
leave nothing half-written. The ceremonies live beside this list: ``enrol`` (from a one-time
code), ``sign_in``, ``mine`` (one's own, after signing in), and what they share,
``ceremony``.
"""

from __future__ import annotations

from starlette.routing import Route

from . import enrol, mine, sign_in

ROUTES = [
    Route("/auth/enroll/options", enrol.enroll_options, methods=["POST"]),
    Route("/auth/enroll", enrol.enroll, methods=["POST"]),
    Route("/auth/passkey/options", sign_in.sign_in_options, methods=["POST"]),
    Route("/auth/passkey", sign_in.sign_in, methods=["POST"]),
    Route("/auth/passkeys/mine", mine.mine, methods=["GET"]),
    Route("/auth/passkeys/mine/remove", mine.remove_mine, methods=["POST"]),
    Route("/auth/passkeys/add/options", mine.add_options, methods=["POST"]),
    Route("/auth/passkeys/add", mine.add, methods=["POST"]),
]
