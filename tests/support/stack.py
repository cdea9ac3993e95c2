"""The whole stack as `wnwa up` starts it, on free loopback ports, for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.support.servers import free_port
from wnwa.registry import available_services

PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    """A running `wnwa up`: its ports, its environment and everything it printed."""

    ports: dict[str, int]
    env: dict[str, str]
    output: list[str]
    host: str = "127.0.0.1"

    @property
    def gateway(self) -> str:
        return f"http://{self.host}:{self.ports['gateway']}"

    def browser(self) -> httpx.Client:
        """A cookie-keeping client on the gateway's origin, as a browser would be."""
        return httpx.Client(
            base_url=self.gateway, timeout=15, headers={"Accept": "text/html,application/json"}
        )


@contextlib.contextmanager
def running_stack(
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    identity_host: str | None = None,
    **extra_env: str,
) -> Iterator[Stack]:
    """Start `wnwa up` with its own data folder and ports; stop it on exit.

    ``host`` is the browser-facing host name of the gateway (``localhost`` for passkeys,
    which browsers refuse on an IP address). ``identity_host``, when given, is the name the
    gateway reaches identity by (a host name, as in compose and Kubernetes, rather than the
    loopback address).
    """
    ports = {service.name: free_port() for service in available_services()}
    ports["gateway"] = free_port()
    ports["devidp"] = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WNWA_")}
    env.update({"WNWA_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra_env})
    env.update({f"WNWA_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env.setdefault("WNWA_PUBLIC_URL", f"http://{host}:{ports['gateway']}")
    if identity_host is not None:
        env["WNWA_GATEWAY_IDENTITY_ORIGIN"] = f"http://{identity_host}:{ports['identity']}"
    process = subprocess.Popen(
        [sys.executable, "-m", "wnwa", "up"],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise AssertionError("wnwa up stopped:\n" + "".join(output))
            output.append(line)
            if line.startswith("Ready in"):
                break
        else:
            raise AssertionError("wnwa up was not ready in time:\n" + "".join(output))
        yield Stack(ports=ports, env=env, output=output, host=host)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output.append(process.stdout.read())
            process.wait(timeout=60)
        finally:
            process.stdout.close()


def sign_in(browser: httpx.Client, email: str, account: str | None = None) -> httpx.Response:
    """Sign in through the gateway and the development IdP's page, as a person would."""
    response = browser.post("/auth/login", data={"email": email})
    assert response.status_code == 303, response.text
    page = browser.get(response.headers["location"])
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type=hidden name="([a-z_]+)" value="([^"]*)">', page.text))
    fields = {name: value.replace("&amp;", "&") for name, value in fields.items()}
    fields["account"] = account or email.split("@")[0]
    answer = browser.post(str(page.url).split("?")[0], data=fields)
    while answer.status_code in (302, 303):
        answer = browser.get(urljoin(str(answer.url), answer.headers["location"]))
    return answer
