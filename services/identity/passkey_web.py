"""Passkey endpoints under /auth: enrol from a code, sign in, add and remove one's own.

JSON in and out, for the portal's pages (same origin, through the gateway). A ceremony's
challenge travels in a sealed, HttpOnly cookie and is spent once; a passkey sign-in reads
the credential and writes nothing. Refusals say why in words for the person and leave
nothing half-written. The ceremonies live beside this list: ``passkey_enroll`` (from a
one-time code), ``passkey_sign_in``, ``passkey_mine`` (one's own, after signing in), and
what they share, ``passkey_ceremony``.
"""

from __future__ import annotations

from starlette.routing import Route

from . import passkey_enroll, passkey_mine, passkey_sign_in

ROUTES = [
    Route("/auth/enroll/options", passkey_enroll.enroll_options, methods=["POST"]),
    Route("/auth/enroll", passkey_enroll.enroll, methods=["POST"]),
    Route("/auth/passkey/options", passkey_sign_in.sign_in_options, methods=["POST"]),
    Route("/auth/passkey", passkey_sign_in.sign_in, methods=["POST"]),
    Route("/auth/passkeys/mine", passkey_mine.mine, methods=["GET"]),
    Route("/auth/passkeys/mine/remove", passkey_mine.remove_mine, methods=["POST"]),
    Route("/auth/passkeys/add/options", passkey_mine.add_options, methods=["POST"]),
    Route("/auth/passkeys/add", passkey_mine.add, methods=["POST"]),
]
