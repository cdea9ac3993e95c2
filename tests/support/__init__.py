"""Shared test support: a real PostgreSQL, a token issuer, GraphQL clients."""
