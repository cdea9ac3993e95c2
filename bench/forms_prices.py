"""What the anonymous forms' price asks of a person, and what holding it costs one sender.

Usage: .venv/bin/python bench/forms_prices.py [--browser-rate 130000] [--dearest N]
       [--busy-at N] [--seconds 2]

No server: the figures follow from the pricing (`servicekit/proof_of_work.py`, the defaults,
or ``--dearest`` / ``--busy-at`` to compare another) and from two rates measured here, one
core each: Python's hashlib counting as `bench/forms_fairness.py`'s attacker does, and
OpenSSL's own SHA-256 (``openssl speed``, when installed), which a native solver reaches.

Prints, per busyness: the price and how long a browser at ``--browser-rate`` (what headless
Chromium's WebCrypto did on a small 2-core machine) takes on average and at worst. Then, at
the ceiling: the hashes a second that keep a form there (``busy_at`` accepted per window at
half the dearest price each), what one core accepts a second at that price, and the marks a
flood leaves in the database server's lock table per process. Asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from servicekit.proof_of_work import SPENT_MARKS, Pricing  # noqa: E402

_PACK = struct.Struct(">I").pack


def hashlib_rate(seconds: float) -> float:
    """Counts a second, as a Python solver tries them (a copy of the salted digest each)."""
    start = hashlib.sha256(bytes(32))
    count, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for _ in range(10_000):
            digest = start.copy()
            digest.update(_PACK(count))
            digest.digest()
            count += 1
    return count / (time.perf_counter() - began)


def openssl_rate(seconds: float) -> float | None:
    """SHA-256 over 64-byte inputs a second, by OpenSSL's own loop (a native solver's)."""
    if shutil.which("openssl") is None:
        return None
    command = ["openssl", "speed", "-seconds", str(max(1, round(seconds)))]
    answer = subprocess.run(
        [*command, "-bytes", "64", "-evp", "sha256"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = re.search(r"^sha256\s+([\d.]+)k", answer, re.MULTILINE)
    return float(found.group(1)) * 1000 / 64 if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--browser-rate", type=float, default=130_000)
    parser.add_argument("--dearest", type=int, default=Pricing().dearest)
    parser.add_argument("--busy-at", type=int, default=Pricing().busy_at)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    pricing = Pricing(dearest=args.dearest, busy_at=args.busy_at)
    window = pricing.window.total_seconds()
    lifetime = pricing.lifetime.total_seconds()
    browser = args.browser_rate

    print(
        f"pricing: cheapest {pricing.cheapest:,}, dearest {pricing.dearest:,}, busiest at "
        f"{pricing.busy_at} accepted per {window / 60:.0f} min; a browser at {browser:,.0f}/s"
    )
    print(f"{'accepted in window':>20} {'price':>12} {'browser avg':>12} {'browser worst':>14}")
    for busy in sorted({0, pricing.busy_at // 4, pricing.busy_at // 2, pricing.busy_at}):
        price = pricing.price(busy)
        print(f"{busy:>20} {price:>12,} {price / 2 / browser:>11.1f}s {price / browser:>13.1f}s")

    hold = pricing.busy_at * pricing.dearest / 2 / window
    python_rate = hashlib_rate(args.seconds)
    native_rate = openssl_rate(args.seconds)
    print(f"\nholding the ceiling takes {hold:,.0f} hashes/s ({hold / browser:.1f} browsers)")
    for name, rate in (("Python hashlib", python_rate), ("OpenSSL (native)", native_rate)):
        if rate is None:
            print(f"{name}: openssl not installed")
            continue
        accepted = rate / (pricing.dearest / 2)
        print(
            f"{name}: {rate / 1e6:.2f} M hashes/s on one core here = {rate / hold:.1f}x what "
            f"holds the ceiling; at the ceiling one core gets {accepted:.1f} accepted/s "
            f"({2 * accepted:.1f} messages/s into an outbox), and its spent solutions would "
            f"hold {accepted * lifetime:,.0f} lock-table slots per process unbounded, "
            f"{min(accepted * lifetime, SPENT_MARKS):,.0f} within the budget of {SPENT_MARKS:,}"
        )


if __name__ == "__main__":
    main()
