"""Tries of enrolment codes: each pays a proof of work, priced by how many codes were tried
across every identity process lately; a code that cannot be one is refused for free.

``GET /auth/enroll/challenge`` hands out a challenge; ``/auth/enroll/options`` sends its
solution with the typed code as ``proofOfWork`` and calls :func:`refusal` before it looks the
code up. A guesser pays for every guess, and however many it makes, the price only rises:
no department is ever locked out of enrolling.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servicekit.proof_of_work import ProofRefused, ProofUnavailable

from ..runtime import NO_STORE, Identity, identity_of


async def challenge(request: Request) -> Response:
    """A challenge to solve before trying a code (JSON, as the forms' ``FormChallenge``)."""
    try:
        made = await identity_of(request).code_tries.challenge()
    except ProofUnavailable as unavailable:
        return _refused(unavailable, 503)
    return JSONResponse(
        {
            "challenge": made.challenge,
            "maxNumber": made.max_number,
            "expiresAt": made.expires_at.isoformat(),
        },
        headers=NO_STORE,
    )


async def refusal(identity: Identity, body: dict[str, Any]) -> Response | None:
    """Spend the try's solution (``proofOfWork`` in ``body``): None when it is accepted, the
    answer to send otherwise. Call it once the code is known to be well-formed."""
    proof = body.get("proofOfWork")
    try:
        await identity.code_tries.admit(proof if isinstance(proof, str) else None)
    except ProofUnavailable as unavailable:
        return _refused(unavailable, 503)
    except ProofRefused as refused:
        return _refused(refused, 400)
    return None


def _refused(error: ProofRefused | ProofUnavailable, status_code: int) -> Response:
    return JSONResponse(
        {"error": str(error), "code": error.code}, status_code=status_code, headers=NO_STORE
    )


ROUTES = [Route("/auth/enroll/challenge", challenge, methods=["GET"])]
