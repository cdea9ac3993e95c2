"""Identity's answers tell browsers to come back over https only when the public URL is
https (HSTS); plain-http development gets no such header, which would stick to localhost."""

from __future__ import annotations

from tests.conftest import ServiceFactory

HSTS = "max-age=63072000; includeSubDomains"
PATHS = ("/healthz", "/.well-known/jwks.json", "/auth/departments", "/auth/no-such-page")


async def test_an_https_deployment_sends_hsts_on_every_answer(
    start_service: ServiceFactory,
) -> None:
    async with start_service(
        "identity", environment={"WNWA_PUBLIC_URL": "https://portal.wnwa.example"}
    ) as identity:
        answers = [await identity.http.get(path) for path in PATHS]
        answers.append(await identity.http.post("/graphql", json={"query": "{ __typename }"}))
        answers.append(await identity.http.post("/auth/refresh"))
    for answer in answers:
        assert answer.headers.get_list("strict-transport-security") == [HSTS], answer.url


async def test_plain_http_development_sends_no_hsts(start_service: ServiceFactory) -> None:
    async with start_service("identity") as identity:
        answers = [await identity.http.get(path) for path in PATHS]
        answers.append(await identity.http.post("/graphql", json={"query": "{ __typename }"}))
    for answer in answers:
        assert "strict-transport-security" not in answer.headers
