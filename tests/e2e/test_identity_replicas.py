"""Two identity processes on one database, each behind a gateway, as two replicas are: what is
spent or signed out on one is spent or signed out on the other."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from servicekit.ports import SUBGRAPHS
from tests.privacy.test_audit import stack_database_url
from tests.support.authenticator import SoftAuthenticator
from tests.support.servers import free_port
from tests.support.stack import PROJECT, Stack, sign_in

pytestmark = pytest.mark.slow  # the whole stack and two more processes


@dataclass
class Replica:
    """The second identity process and the gateway in front of it."""

    identity: str
    gateway: str

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway, timeout=15)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def _process(argv: list[str], env: dict[str, str], ready: str, log: Path) -> Iterator[None]:
    with log.open("w") as output:
        process = subprocess.Popen(
            argv, env=env, cwd=PROJECT, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 90
            while not _ready(ready):
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            yield
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def second(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replica]:
    """`wnwa serve identity` on another port and the same database, and `wnwa serve gateway`
    in front of it, wired as `wnwa up` wires the first ones."""
    data_dir = Path(stack.env["WNWA_DATA_DIR"])
    identity_database = stack_database_url(data_dir).replace("/postgres?", "/wnwa_identity?")
    ports = {**stack.ports, "identity": free_port(), "gateway": free_port()}
    first_identity = f"http://127.0.0.1:{stack.ports['identity']}"
    shared = {
        **stack.env,
        # the same issuer and keys as the first replica: one deployment, two processes
        "WNWA_JWKS_URL": f"{first_identity}/.well-known/jwks.json",
        "WNWA_TOKEN_ISSUER": first_identity,
    }
    identity_env = {
        **shared,
        "WNWA_IDENTITY_PORT": str(ports["identity"]),
        "WNWA_IDENTITY_DATABASE_URL": identity_database,
        "WNWA_IDENTITY_PROVIDERS_FILE": str(data_dir / "dev-providers.toml"),
        "WNWA_IDENTITY_MEMBERSHIP_URL": f"http://127.0.0.1:{ports['membership']}/graphql",
    }
    gateway_env = {
        **shared,
        "WNWA_GATEWAY_PORT": str(ports["gateway"]),
        "WNWA_GATEWAY_IDENTITY_ORIGIN": f"http://127.0.0.1:{ports['identity']}",
        **{
            f"WNWA_GATEWAY_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}/graphql"
            for name in SUBGRAPHS
        },
    }
    logs = tmp_path_factory.mktemp("second-replica")
    serve = [sys.executable, "-m", "wnwa", "serve"]
    with (
        _process(
            [*serve, "identity"],
            identity_env,
            f"http://127.0.0.1:{ports['identity']}/readyz",
            logs / "identity.log",
        ),
        _process(
            [*serve, "gateway"],
            gateway_env,
            f"http://127.0.0.1:{ports['gateway']}/readyz",
            logs / "gateway.log",
        ),
    ):
        yield Replica(
            identity=f"http://127.0.0.1:{ports['identity']}",
            gateway=f"http://{stack.host}:{ports['gateway']}",
        )


def _callback_of(browser: httpx.Client, email: str) -> str:
    """Through the development IdP's page as far as its answer: the callback URL to open."""
    started = browser.post("/auth/login", data={"email": email})
    assert started.status_code == 303, started.text
    page = browser.get(started.headers["location"])
    fields = dict(re.findall(r'<input type=hidden name="([a-z_]+)" value="([^"]*)">', page.text))
    fields = {name: value.replace("&amp;", "&") for name, value in fields.items()}
    fields["account"] = email.split("@")[0]
    answer = browser.post(str(page.url).split("?")[0], data=fields)
    assert answer.status_code == 303
    return urljoin(str(answer.url), answer.headers["location"])


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_an_oidc_callback_replayed_to_the_other_replica_is_refused(
    stack: Stack, second: Replica
) -> None:
    with stack.browser() as browser:
        callback = _callback_of(browser, "dana.whitlock@harlow-park.pd.example")
        flight = browser.cookies["wnwa_signin"]
        completed = browser.get(_path_and_query(callback))
        assert completed.status_code == 303
        assert "wnwa_access" in browser.cookies
    with second.browser() as attacker:
        attacker.cookies.set("wnwa_signin", flight, path="/auth")
        replay = attacker.get(_path_and_query(callback))
        assert replay.status_code == 400
        assert "This sign-in was already completed" in replay.text
        assert "wnwa_access" not in attacker.cookies


def test_a_passkey_answer_replayed_to_the_other_replica_is_refused(
    stack: Stack, second: Replica
) -> None:
    device = SoftAuthenticator(origin=stack.gateway)
    with stack.browser() as browser:
        sign_in(browser, "jamie.fairbanks@harlow-park.pd.example")
        options = browser.post("/auth/passkeys/add/options", json={})
        assert options.status_code == 200, options.text
        added = browser.post(
            "/auth/passkeys/add", json={"credential": device.create(options.json())}
        )
        assert added.status_code == 200, added.text
    with stack.browser() as browser:
        options = browser.post("/auth/passkey/options", json={})
        ceremony = browser.cookies["wnwa_passkey"]
        answer = {"credential": device.get(options.json())}
        assert browser.post("/auth/passkey", json=answer).status_code == 200
        try:
            with second.browser() as attacker:
                attacker.cookies.set("wnwa_passkey", ceremony, path="/auth")
                replay = attacker.post("/auth/passkey", json=answer)
                assert replay.status_code == 401
                assert "already answered" in replay.json()["error"]
                assert "wnwa_access" not in attacker.cookies
        finally:
            # the shared stack's passkeys as they were
            assert browser.post("/auth/passkeys/mine/remove", json={}).json() == {"removed": True}


def test_a_session_signed_out_on_one_replica_renews_on_neither(
    stack: Stack, second: Replica
) -> None:
    for sign_out_through, renew_through in ((stack, second), (second, stack)):
        with stack.browser() as browser:
            sign_in(browser, "ruth.kowalczyk@fenwood.pd.example")
            session = browser.cookies["wnwa_session"]
        with renew_through.browser() as copy:
            copy.cookies.set("wnwa_session", session, path="/auth")
            assert copy.post("/auth/refresh", json={}).status_code == 200  # live: both renew it
        with sign_out_through.browser() as owner:
            owner.cookies.set("wnwa_session", session, path="/auth")
            assert owner.get("/auth/logout").status_code == 303
        with renew_through.browser() as copy:
            copy.cookies.set("wnwa_session", session, path="/auth")
            refused = copy.post("/auth/refresh", json={})
            assert refused.status_code == 401
            assert refused.json() == {"error": "signed_out"}
