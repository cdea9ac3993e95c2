"""Passkeys the network holds: enrolment codes, WebAuthn ceremonies, one's own passkeys.

``credentials`` (codes, labels, user handles, the WebAuthn checks), ``ceremony`` (what the
/auth endpoints share), ``enrol``, ``sign_in``, ``mine`` (the ceremonies), ``routes`` (their
list), ``code_tries`` (the proof of work a code's try pays), ``validity`` (how long a
passkey works), ``store`` (their SQL) and ``schema`` (GraphQL for coordinators and admins).
"""
