"""What every WeNeverWalkAlone service needs, and nothing a single service owns.

Settings from prefixed environment variables, the PostgreSQL pool and migrations,
verification of platform access tokens, health endpoints, identifier-free logging and
masking of unexpected errors, and the Starlette/GraphQL app that ties them together.
"""
