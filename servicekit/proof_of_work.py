"""Proof of work for the anonymous forms: a flood costs the flooder, and closes no form.

A public form (a joining inquiry, a demo request or a move of one, a professional's
application, a try of an enrolment code) knows nothing about who sends it — no address, no
cookie, no fingerprint — so it cannot ration senders. It prices submissions instead. Before
sending, the browser fetches a *challenge* and solves it: it counts from 0 until SHA-256 over
the challenge's salt, nonce and the count starts with the challenge's key prefix (an ALTCHA v2
challenge, ``SHA-256`` with cost 1, made by the ``altcha`` library: the server picks the count
at random below the *price*, so a solver tries half the price on average and the price at
most). The challenge is HMAC-signed with the service's key and names its form, its price and
its expiry: making one stores nothing, so asking for challenges costs the server a signature
and fills nothing. A solution is accepted once across every process and replica (a mark in
:class:`EphemeralMarks`, held until the challenge's expiry, memory only).

The price rises with how busy *this* form is across the whole network — its own submissions
accepted in the last ``window``, counted as marks every process sees; a flood of one form
leaves the others' prices alone — from ``cheapest`` (idle: a fraction of a second in a
browser) to ``dearest`` (at ``busy_at`` and beyond). Every sender pays the same price. There is
no hard cap: a form is never closed, so whoever pays the current price gets through, and an
attacker's share of the accepted submissions is its share of the work done. A solution priced
for a calmer moment than now (below a quarter of the current price) is refused, so work
stockpiled while the form was quiet buys only the first few submissions of a flood.

Why the ceiling is low. Keeping a form at its ceiling takes ``busy_at`` submissions per
window at half the dearest price each: 250,000 hashes a second at the former 5,000,000 (two
browsers' worth; a small share of one core, natively a twenty-fifth), and every person then
waited up to 40 s in a browser, longer on a phone, on every form at once. Any ceiling is
within one machine's reach this way — making it out of reach would mean accepting hundreds
of thousands of submissions a window before the price peaks — so ``dearest`` is set to what
a person can always pay: 1,000,000, under 8 s at the 130,000 hashes a second headless
Chromium did on a small 2-core machine (about 4 s on average, usually solved while the form is
typed). What a stronger sender gets for its work is rows and mail, not other people's access:
those are made cheap to absorb elsewhere (a bounded share of the marks, below; an outbox in
which one message's failure is its own, :mod:`servicekit.mail`). The figures:
``bench/forms_prices.py``.

Why the spent solutions have a budget. Each spent solution is a slot of the database server's
lock table, which every purpose of every service on that server shares (sign-ins, passkey
ceremonies, the other forms). Unbounded, a flood's solutions fill it, and then every form and
every sign-in fails closed. So each process holds at most ``spent_marks`` of a form's spent
solutions as marks (the earliest let go first) and remembers many more in its own memory
(``SPENT_HERE``, about 100 bytes each): a solution whose mark was let go is still refused by
the process that took it, and can be taken at most once more by each other process (while
their memories hold it: ten minutes of a flood of 160 a second) — the flooder's own work,
reused, never anyone's access.
"""

from __future__ import annotations

import binascii
import datetime as dt
import json
import math
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

import altcha
import strawberry

from servicekit.clock import Clock
from servicekit.ephemeral import EphemeralMarks, MarksUnavailable
from servicekit.errors import UNAVAILABLE_ERROR
from servicekit.graphql import PublicError
from servicekit.settings import ConfigurationError, Environment, Secret

ALGORITHM = "SHA-256"
LONGEST_PAYLOAD = 2_000  # characters of a solution's base64; a real one is about 600
# a solution priced under this share of the current price was solved for a calmer moment
STALE_SHARE = 4
# how long a process goes by the busyness it last read (its own submissions refresh it)
BUSYNESS_REFRESH = dt.timedelta(seconds=1)
# a form's spent solutions each process keeps as marks every process sees (slots of the
# database server's lock table), and in its own memory (about 100 bytes each)
SPENT_MARKS = 1_000
SPENT_HERE = 100_000


class ProofRefused(PublicError):
    """The submission's proof of work was refused; nothing was saved."""

    code = "PROOF_OF_WORK_INVALID"


class ProofMissing(ProofRefused):
    code = "PROOF_OF_WORK_MISSING"


class ProofExpired(ProofRefused):
    code = "PROOF_OF_WORK_EXPIRED"


class ProofSpent(ProofRefused):
    code = "PROOF_OF_WORK_SPENT"


class ProofUnavailable(PublicError):
    """The marks cannot be consulted, so no solution can be accepted (fail closed)."""

    code = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Pricing:
    """How a form's price follows its busyness: counts a solver tries at most."""

    cheapest: int = 20_000  # idle: about a tenth of a second in a browser
    dearest: int = 1_000_000  # at its busiest: under 8 s in a browser (see the docstring)
    busy_at: int = 60  # submissions accepted in one window that make the form its busiest
    window: dt.timedelta = dt.timedelta(minutes=10)
    lifetime: dt.timedelta = dt.timedelta(minutes=10)  # a challenge's, from its making
    spent_marks: int = SPENT_MARKS  # spent solutions a process holds in the shared marks

    def __post_init__(self) -> None:
        if not 1 <= self.cheapest <= self.dearest <= 2**32:
            raise ValueError("a form's prices need 1 <= cheapest <= dearest <= 2**32")
        if self.busy_at < 1 or self.window <= dt.timedelta(0) or self.lifetime <= dt.timedelta(0):
            raise ValueError("a form's busyness needs a positive count, window and lifetime")
        if self.spent_marks < 1:
            raise ValueError("a form needs room for at least one spent solution")

    def price(self, busy: int) -> int:
        """The price when ``busy`` submissions were accepted in the last window: rising
        geometrically from ``cheapest`` (none) to ``dearest`` (``busy_at`` or more)."""
        share = min(max(busy, 0), self.busy_at) / self.busy_at
        growth: float = (self.dearest / self.cheapest) ** share
        return min(self.dearest, math.ceil(self.cheapest * growth))


def load_pricing(env: Environment, name: str, default: Pricing | None = None) -> Pricing:
    """A form's pricing from ``{NAME}_CHEAPEST``, ``_DEAREST``, ``_BUSY_AT``,
    ``_WINDOW_MINUTES``, ``_LIFETIME_MINUTES`` and ``_SPENT_MARKS`` (``default``'s values when
    unset)."""
    default = default or Pricing()
    minutes = dt.timedelta(minutes=1)
    try:
        return Pricing(
            cheapest=env.integer(f"{name}_CHEAPEST", default.cheapest),
            dearest=env.integer(f"{name}_DEAREST", default.dearest),
            busy_at=env.integer(f"{name}_BUSY_AT", default.busy_at),
            window=env.integer(f"{name}_WINDOW_MINUTES", default.window // minutes) * minutes,
            lifetime=env.integer(f"{name}_LIFETIME_MINUTES", default.lifetime // minutes) * minutes,
            spent_marks=env.integer(f"{name}_SPENT_MARKS", default.spent_marks),
        )
    except ValueError as wrong:
        raise ConfigurationError(f"{env.prefix}_{name}_*: {wrong}") from None


def challenge_key(secret: Secret) -> bytes:
    """The key a service signs its challenges with, from its configured secret."""
    if len(secret.value) < 32:
        raise ConfigurationError("a challenge key needs at least 32 characters")
    return secret.value.encode()


@strawberry.federation.type(
    shareable=True,
    description="A puzzle the sender's browser solves before sending an anonymous form: "
    "every sender pays the same price, which rises while the form is busy.",
)
class FormChallenge:
    challenge: str = strawberry.field(
        description="An ALTCHA v2 challenge (JSON): find the count whose SHA-256 over the "
        "salt, the nonce (both hex) and the count (4 bytes, big-endian) starts with "
        "`keyPrefix`, and send the challenge back with it, base64 JSON "
        "`{challenge, solution: {counter, derivedKey}}`, as the form's `proofOfWork`."
    )
    max_number: int = strawberry.field(description="The count is below this: the form's price now.")
    expires_at: dt.datetime = strawberry.field(description="Solutions are refused after this.")


# the argument each anonymous form's mutation takes its solution in
ProofOfWork = Annotated[
    str | None,
    strawberry.argument(
        description="The solved challenge (see `FormChallenge`), base64 JSON as ALTCHA sends "
        "it; without a fresh one nothing is saved."
    ),
]


@dataclass(frozen=True, slots=True)
class Challenge:
    """What a client solves: ``challenge`` (ALTCHA v2 JSON, sent back as it came inside
    the solution), the count it will be found under, and when it stops being accepted."""

    challenge: str
    max_number: int
    expires_at: dt.datetime

    def as_graphql(self) -> FormChallenge:
        return FormChallenge(
            challenge=self.challenge, max_number=self.max_number, expires_at=self.expires_at
        )


@dataclass(frozen=True, slots=True)
class Proof:
    """A solution that checked out, not yet spent."""

    signature: bytes
    expires_at: dt.datetime


class FormProof:
    """The proof of work one form asks for: challenges priced by its network-wide busyness,
    each solution accepted once anywhere."""

    def __init__(
        self,
        form: str,
        *,
        key: bytes,
        marks: EphemeralMarks,
        clock: Clock,
        pricing: Pricing | None = None,
        what: str = "form",
    ) -> None:
        if len(key) < 32:
            raise ValueError("a challenge key needs at least 32 bytes")
        self.form = form
        self.what = what  # how refusals name it to a person: "form", "code"
        self.pricing = pricing or Pricing()
        self.marks = marks
        self.clock = clock
        self._key = key
        self._slots = [b"%s|busy|%d" % (form.encode(), n) for n in range(self.pricing.busy_at)]
        self._spent = f"proof-of-work spent|{form}"
        # this process's spent solutions, oldest first, with their expiry
        self._spent_here: dict[bytes, dt.datetime] = {}
        self._busy = 0
        self._busy_read: dt.datetime | None = None

    async def busyness(self) -> int:
        """Submissions accepted in the last window, every process's (read at most once a
        second per process)."""
        now = self.clock.now()
        if self._busy_read is None or now >= self._busy_read + BUSYNESS_REFRESH:
            try:
                self._busy = await self.marks.count_held(self.form, self._slots)
            except MarksUnavailable as failure:
                raise ProofUnavailable(UNAVAILABLE_ERROR) from failure
            self._busy_read = now
        return self._busy

    async def price(self) -> int:
        return self.pricing.price(await self.busyness())

    async def challenge(self) -> Challenge:
        """A new challenge at the form's current price."""
        price = await self.price()
        expires_at = self.clock.now() + self.pricing.lifetime
        made = altcha.create_challenge(
            ALGORITHM,
            1,
            counter=secrets.randbelow(price),
            # the expiry goes by the service's clock, so it is checked here, not by the
            # library (which reads the system's)
            data={"form": self.form, "price": price, "expires": int(expires_at.timestamp())},
            hmac_secret=self._key,
        )
        return Challenge(
            challenge=json.dumps(made.to_dict(), separators=(",", ":")),
            max_number=price,
            expires_at=expires_at,
        )

    async def check(self, payload: str | None) -> Proof:
        """The solution in ``payload`` (base64, as ALTCHA sends it) if it solves a challenge
        this form set, still valid and priced for now; refused otherwise. Spends nothing."""
        if not payload:
            raise ProofMissing(
                f"This {self.what} is sent with the small puzzle your browser solves first "
                "(proofOfWork), and none came. Nothing was saved: please send it again."
            )
        opened = self._open(payload) if len(payload) <= LONGEST_PAYLOAD else None
        if opened is None:
            raise ProofRefused(
                f"The puzzle sent with this {self.what} was not one we set, or was not solved. "
                "Nothing was saved: please send it again, and your browser will solve a new one."
            )
        price, expires_at, signature = opened
        if expires_at <= self.clock.now():
            raise ProofExpired(
                f"The puzzle sent with this {self.what} has expired. Nothing was saved: please "
                "send it again, and your browser will solve a new one."
            )
        if price * STALE_SHARE < await self.price():
            raise ProofExpired(
                f"Many have been sent since this {self.what}'s puzzle was set, so it now takes "
                "a harder one. Nothing was saved: please send it again, and your browser will "
                "solve a new one."
            )
        return Proof(signature=signature, expires_at=expires_at)

    async def spend(self, proof: Proof) -> None:
        """Accept ``proof`` once across every process, and count the submission.

        The spent solution is a mark every process sees, within this form's budget of marks
        per process (past it the earliest is released: a flood holds a bounded share of the
        server's lock table and cannot close every form and sign-in by filling it), and is
        remembered in this process's memory too, for longer, so a solution whose mark was
        released is still refused here."""
        now = self.clock.now()
        self._forget_spent(now)
        try:
            first = proof.signature not in self._spent_here and await self.marks.claim(
                self._spent, proof.signature, proof.expires_at, budget=self.pricing.spent_marks
            )
            if not first:
                raise ProofSpent(
                    f"The puzzle sent with this {self.what} was used already. Nothing was "
                    "saved: please send it again, and your browser will solve a new one."
                )
            self._spent_here[proof.signature] = proof.expires_at
            # one of the busyness slots, for a window; when all are taken the form is at
            # its dearest, and the submission is accepted all the same
            await self.marks.claim_one_of(
                self.form, self._slots, self.clock.now() + self.pricing.window
            )
        except MarksUnavailable as failure:
            raise ProofUnavailable(UNAVAILABLE_ERROR) from failure
        self._busy_read = None

    def _forget_spent(self, now: dt.datetime) -> None:
        """Drop expired solutions (no longer accepted anyway), and the oldest past
        ``SPENT_HERE``."""
        spent = self._spent_here
        while spent and (len(spent) >= SPENT_HERE or next(iter(spent.values())) <= now):
            del spent[next(iter(spent))]

    async def admit(self, payload: str | None) -> None:
        """Check and spend the solution in ``payload`` (see :meth:`check`, :meth:`spend`)."""
        await self.spend(await self.check(payload))

    def _open(self, payload: str) -> tuple[int, dt.datetime, bytes] | None:
        """The price, expiry and signature of a solution to a challenge of this form."""
        try:
            solution = altcha.Payload.from_base64(payload)
            result = altcha.verify_solution(solution, self._key)
            data: Any = solution.challenge.parameters.data
            signature = bytes.fromhex(str(solution.challenge.signature))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, binascii.Error):
            return None
        if not result.verified or not isinstance(data, dict) or data.get("form") != self.form:
            return None
        price, expires = data.get("price"), data.get("expires")
        if type(price) is not int or type(expires) is not int:
            return None
        return price, dt.datetime.fromtimestamp(expires, dt.UTC), signature
