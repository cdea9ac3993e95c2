"""Identity: the OpenID Connect broker and issuer of the platform's access tokens.

It stores configuration only (department identity providers, its own signing keys) and
nothing about who signs in.
"""
