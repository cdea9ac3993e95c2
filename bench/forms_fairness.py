"""The anonymous forms under a flood: does a person still get through, and what does the
flood cost the flooder?

Usage: .venv/bin/python bench/forms_fairness.py [--seconds 90] [--attackers 3]
       [--browser-rate 130000] [--every 5] [--workers 1]

Starts the whole stack as `wnwa up` does (its own data folder, loopback ports, every service
with ``--workers`` processes, which share one busyness and one spent-set), then for each
target — the joining inquiry through the gateway's GraphQL, and enrolment-code tries through
the gateway's ``/auth`` — runs for ``--seconds``:

- an attacker: ``--attackers`` processes, each fetching a challenge, solving it natively as
  fast as Python's hashlib goes, and sending a submission (an inquiry; a wrong code), again
  and again, with no pause;
- a person: every ``--every`` seconds, one submission (an inquiry; the README's demo code),
  solved at ``--browser-rate`` counts a second — what headless Chromium's WebCrypto did on
  this 2-core machine, one worker per core — sent again with a fresh challenge when the
  answer says the price rose meanwhile.

Prints, per target: how long the person waited for each success (median, worst, from the
moment they pressed send), the attacker's accepted submissions a second and the hashes it
spent per accepted one, and the price at the end. Loopback only; every loop is bounded by
``--seconds``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import multiprocessing
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.support.stack import Stack, running_stack  # noqa: E402

CHALLENGE = """query Challenge($form: ContactKind!) {
  contactFormChallenge(form: $form) { challenge maxNumber } }"""
INQUIRE = """mutation Ask($input: JoinInquiryInput!, $proof: String) {
  submitJoinInquiry(input: $input, proofOfWork: $proof) { reference errors { field message } } }"""
DEMO_CODE = "DEM0-KPPD-0FFC-R000-0001"  # the README's; trying it does not spend it
WRONG_CODE = "0000-0000-0000-0000-0000"
_PACK = struct.Struct(">I").pack


def inquiry(agency: str) -> dict[str, Any]:
    return {
        "agency": agency,
        "contactName": "Bench Sender",
        "contactRole": "Chief",
        "email": "chief@bench.example",
        "message": "How does joining work?",
    }


def solve(challenge: str) -> tuple[str, int]:
    """The proofOfWork payload for ``challenge`` (ALTCHA v2 JSON) and the counts tried."""
    parsed = json.loads(challenge)
    parameters = parsed["parameters"]
    start = hashlib.sha256(bytes.fromhex(parameters["salt"]) + bytes.fromhex(parameters["nonce"]))
    prefix = bytes.fromhex(parameters["keyPrefix"])
    width = len(prefix)
    count = 0
    while True:
        digest = start.copy()
        digest.update(_PACK(count))
        key = digest.digest()
        if key[:width] == prefix:
            break
        count += 1
    solution = {"challenge": parsed, "solution": {"counter": count, "derivedKey": key.hex()}}
    return base64.b64encode(json.dumps(solution).encode()).decode(), count + 1


class Target:
    """One anonymous form, as a client sees it through the gateway."""

    name = ""

    def challenge(self, client: httpx.Client) -> tuple[str, int]:
        raise NotImplementedError

    def send(self, client: httpx.Client, proof: str, person: bool) -> str:
        """``accepted``, ``proof`` (refused for its proof of work) or what else came back."""
        raise NotImplementedError


class Inquiries(Target):
    name = "joining inquiry (GraphQL)"

    def challenge(self, client: httpx.Client) -> tuple[str, int]:
        answer = client.post(
            "/graphql", json={"query": CHALLENGE, "variables": {"form": "JOIN_INQUIRY"}}
        ).json()
        found = answer["data"]["contactFormChallenge"]
        return found["challenge"], found["maxNumber"]

    def send(self, client: httpx.Client, proof: str, person: bool) -> str:
        variables = {"input": inquiry("Person PD" if person else "Flood PD"), "proof": proof}
        answer = client.post("/graphql", json={"query": INQUIRE, "variables": variables}).json()
        if answer.get("data") and answer["data"]["submitJoinInquiry"]["reference"]:
            return "accepted"
        code = str(answer.get("errors", [{}])[0].get("extensions", {}).get("code"))
        return "proof" if code.startswith("PROOF_OF_WORK_") else code


class CodeTries(Target):
    name = "enrolment-code tries (/auth)"

    def challenge(self, client: httpx.Client) -> tuple[str, int]:
        found = client.get("/auth/enroll/challenge").json()
        return found["challenge"], found["maxNumber"]

    def send(self, client: httpx.Client, proof: str, person: bool) -> str:
        code = DEMO_CODE if person else WRONG_CODE
        answer = client.post("/auth/enroll/options", json={"code": code, "proofOfWork": proof})
        if answer.status_code == 200 or (not person and "does not work" in answer.text):
            return "accepted"  # a guess that was tried (and failed) paid and was counted
        code_of = str(answer.json().get("code"))
        return "proof" if code_of.startswith("PROOF_OF_WORK_") else str(answer.status_code)


TARGETS: dict[str, Callable[[], Target]] = {"inquiries": Inquiries, "codes": CodeTries}


def attacker(
    gateway: str, target: str, until: float, results: multiprocessing.Queue[tuple[int, int]]
) -> None:
    """One attacking process: solve and send as fast as it can until ``until``."""
    form = TARGETS[target]()
    accepted = hashes = 0
    with httpx.Client(base_url=gateway, timeout=30) as client:
        while time.time() < until:
            challenge, _ = form.challenge(client)
            proof, tried = solve(challenge)
            hashes += tried
            if time.time() >= until:
                break
            if form.send(client, proof, person=False) == "accepted":
                accepted += 1
    results.put((accepted, hashes))


@dataclass
class Person:
    """Someone sending the form now and then, solving at a browser's speed."""

    form: Target
    gateway: str
    rate: float
    every: float
    until: float
    waits: list[float] = field(default_factory=list)
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    prices: list[int] = field(default_factory=list)

    def run(self) -> None:
        with httpx.Client(base_url=self.gateway, timeout=30) as client:
            while time.time() + self.every < self.until:
                time.sleep(self.every)
                pressed = time.monotonic()
                for _ in range(5):
                    challenge, price = self.form.challenge(client)
                    self.prices.append(price)
                    started = time.monotonic()
                    proof, tried = solve(challenge)
                    # the browser would still be counting: wait out the rest of its time
                    time.sleep(max(0.0, tried / self.rate - (time.monotonic() - started)))
                    outcome = self.form.send(client, proof, person=True)
                    if outcome == "accepted":
                        self.waits.append(time.monotonic() - pressed)
                        break
                    if outcome != "proof":
                        self.failures.append(outcome)
                        break
                    self.retries += 1  # the price rose while it solved: a fresh one


def price_now(gateway: str, form: Target) -> int:
    with httpx.Client(base_url=gateway, timeout=30) as client:
        return form.challenge(client)[1]


def run(stack: Stack, target: str, args: argparse.Namespace) -> None:
    form = TARGETS[target]()
    until = time.time() + args.seconds
    results: multiprocessing.Queue[tuple[int, int]] = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=attacker, args=(stack.gateway, target, until, results))
        for _ in range(args.attackers)
    ]
    person = Person(form, stack.gateway, args.browser_rate, args.every, until)
    started = time.time()
    for process in processes:
        process.start()
    thread = threading.Thread(target=person.run)
    thread.start()
    totals = [results.get(timeout=args.seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    thread.join()
    elapsed = time.time() - started
    accepted = sum(a for a, _ in totals)
    hashes = sum(h for _, h in totals)
    print(f"\n{form.name}: {args.seconds:.0f} s, {args.attackers} attacking processes")
    if person.waits:
        print(
            f"  person: {len(person.waits)} successes, waited median "
            f"{statistics.median(person.waits):5.1f} s, worst {max(person.waits):5.1f} s "
            f"({person.retries} fresh challenges after a price rise; prices met "
            f"{min(person.prices):,} to {max(person.prices):,})"
        )
    else:
        print("  person: no success")
    if person.failures:
        print(f"  person refused otherwise: {person.failures}")
    print(
        f"  attacker: {accepted} accepted, {accepted / elapsed:.2f}/s, "
        f"{hashes / elapsed / 1e6:.2f} M hashes/s, "
        f"{hashes / max(accepted, 1) / 1e6:.2f} M hashes per accepted submission"
    )
    print(f"  price at the end: {price_now(stack.gateway, form):,} counts at most")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--attackers", type=int, default=3)
    parser.add_argument("--browser-rate", type=float, default=130_000.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--only", choices=sorted(TARGETS))
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600 or not 1 <= args.attackers <= 8:
        parser.error("--seconds is 1 to 600 and --attackers 1 to 8")
    with tempfile.TemporaryDirectory(prefix="wnwa-forms-bench-") as folder:
        print(f"starting the stack ({args.workers} processes per service)")
        with running_stack(Path(folder) / "data", WNWA_WORKERS=str(args.workers)) as stack:
            for target in [args.only] if args.only else list(TARGETS):
                run(stack, target, args)


if __name__ == "__main__":
    main()
