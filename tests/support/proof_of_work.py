"""Solving the forms' proof-of-work challenges as a browser does (tests and benches)."""

from __future__ import annotations

import json

import altcha


def solve(challenge: str) -> str:
    """The solution to an ALTCHA v2 challenge (its JSON), as the payload a form sends."""
    parsed = altcha.Challenge.from_dict(json.loads(challenge))
    solution = altcha.solve_challenge(parsed, timeout=60)
    assert solution is not None, "the challenge was not solved in a minute"
    return altcha.Payload(parsed, solution).to_base64()


def unsolved(challenge: str) -> str:
    """A payload for ``challenge`` with a guess instead of its solution."""
    parsed = altcha.Challenge.from_dict(json.loads(challenge))
    return altcha.Payload(parsed, altcha.Solution(counter=0, derived_key="00" * 32)).to_base64()
