"""The checks an identity provider passes before it is saved, without any server: the same
checks apply to the providers file and to the network admins' form."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from servicekit.graphql import InputErrors
from services.identity.providers import (
    ProviderConfig,
    ProvidersFileError,
    RawProvider,
    is_loopback,
    issuer_problem,
    load_file,
    validate,
)
from services.identity.store import ClaimRule

NETWORK = uuid.UUID("00000000-0000-4000-8000-00000000beef")
DEPARTMENT = uuid.UUID("6f1c1f4e-2f55-4b8f-9a57-2c1c3e1d0a11")
GOOD = RawProvider(
    organisation=f" {DEPARTMENT} ",
    display_name=" Harlow Park PD ",
    issuer=" https://login.harlow-park.example/realms/pd ",
    client_id=" wnwa ",
    client_secret="s3cret",
    scopes=["openid", " email", "openid"],
    claim_rules=[{"claim": "groups", "value": "peer-support", "role": "peer_supporter"}],
    email_domains=[" Harlow-Park.PD.example ", "harlow-park.pd.example"],
)


def check(
    raw: RawProvider, *, secret_required: bool = True, loopback: bool = False
) -> tuple[ProviderConfig | None, dict[str, str]]:
    errors = InputErrors()
    config = validate(
        raw,
        errors,
        prefix="input.",
        network_id=NETWORK,
        allow_http_loopback=loopback,
        secret_required=secret_required,
    )
    return config, {item.field: item.message for item in errors.items}


def test_a_good_provider_comes_back_trimmed_and_without_repeats() -> None:
    config, errors = check(GOOD)
    assert errors == {}
    assert config == ProviderConfig(
        organisation_id=DEPARTMENT,
        display_name="Harlow Park PD",
        issuer="https://login.harlow-park.example/realms/pd",
        client_id="wnwa",
        client_secret="s3cret",
        client_auth_method="client_secret_basic",
        scopes=["openid", "email"],
        claim_rules=[ClaimRule(claim="groups", value="peer-support", role="peer_supporter")],
        email_domains=["harlow-park.pd.example"],
        enabled=True,
        source="admin",
    )


def test_network_is_the_networks_own_organisation_and_grants_staff_roles_only() -> None:
    staff = replace(
        GOOD,
        organisation="Network",
        claim_rules=[{"claim": "groups", "value": None, "role": "vetter"}],
    )
    config, errors = check(staff)
    assert errors == {}
    assert config is not None
    assert config.organisation_id == NETWORK
    _, errors = check(replace(staff, claim_rules=GOOD.claim_rules))
    assert errors == {
        "input.claimRules.0.role": "This organization's provider may grant only network_admin, "
        "vetter."
    }


def test_every_wrong_field_is_named_with_its_reason() -> None:
    config, errors = check(
        RawProvider(
            organisation="nope",
            display_name=" ",
            issuer="http://login.example",
            client_id="",
            client_secret="",
            client_auth_method="private_key_jwt",
            scopes=["email"],
            claim_rules=[],
            email_domains=["not a domain"],
        )
    )
    assert config is None
    assert errors == {
        "input.organisation": "Give the department's id, or `network`.",
        "input.displayName": "Give a name of 1 to 200 characters.",
        "input.issuer": "The issuer must use https (plain http only for loopback in development).",
        "input.clientId": "Give the client id the provider assigned (1-255).",
        "input.clientSecret": "Give the client secret (at most 1024 characters).",
        "input.clientAuthMethod": "Use one of client_secret_basic, client_secret_post.",
        "input.scopes": "The scopes must include `openid`.",
        "input.claimRules": "Add at least one rule, or nobody can be admitted.",
        "input.emailDomains": "'not a domain' is not a domain name.",
    }


def test_a_claim_rule_is_checked_part_by_part() -> None:
    rules: list[dict[str, Any]] = [
        {"claim": "groups with space", "value": "x", "role": "officer"},
        {"claim": "groups", "value": "", "role": "officer"},
        {"claim": "groups", "value": None, "role": "network_admin"},
    ]
    _, errors = check(replace(GOOD, claim_rules=rules))
    assert errors == {
        "input.claimRules.0.claim": "Name the upstream claim, such as `groups`.",
        "input.claimRules.1.value": "The value is text of 1 to 200 characters, or absent.",
        "input.claimRules.2.role": "This organization's provider may grant only civilian, "
        "coordinator, officer, peer_supporter.",
    }


def test_the_secret_may_be_left_out_only_when_one_is_kept() -> None:
    config, errors = check(replace(GOOD, client_secret=None), secret_required=False)
    assert errors == {}
    assert config is not None
    assert config.client_secret is None
    _, errors = check(replace(GOOD, client_secret=None))
    assert errors == {"input.clientSecret": "A new provider needs its client secret."}


def test_too_many_or_malformed_scopes_are_refused() -> None:
    message = {"input.scopes": "Scopes are single words; at most 20."}
    assert check(replace(GOOD, scopes=["openid", 'a"b']))[1] == message
    assert check(replace(GOOD, scopes=["openid", *(f"s{n}" for n in range(20))]))[1] == message


@pytest.mark.parametrize(
    ("issuer", "loopback", "problem"),
    [
        ("https://login.example", False, None),
        ("http://127.0.0.1:8080", True, None),
        ("http://localhost:8080/realms/x", True, None),
        ("http://dev.localhost", True, None),
        ("http://127.0.0.1:8080", False, "The issuer must use https"),
        ("http://login.example", True, "The issuer must use https"),
        ("https://login.example?tenant=1", False, "An issuer has no query"),
        ("https://user:pw@login.example", False, "An issuer has no query"),
        ("login.example", False, "Give the issuer's full URL"),
        ("https://[::1", False, "This is not a URL."),
    ],
)
def test_an_issuer_is_an_https_url_or_loopback_in_development(
    issuer: str, loopback: bool, problem: str | None
) -> None:
    found = issuer_problem(issuer, allow_http_loopback=loopback)
    assert found == problem if problem is None else (found or "").startswith(problem)


def test_loopback_names_and_addresses() -> None:
    assert is_loopback("localhost")
    assert is_loopback("::1")
    assert is_loopback("127.9.9.9")
    assert not is_loopback("10.0.0.1")
    assert not is_loopback("example.org")
    assert not is_loopback(None)


def test_the_providers_file_refuses_repeats_and_reads_secrets_from_the_environment(
    tmp_path: Path,
) -> None:
    entry = (
        "[[provider]]\n"
        f'organisation = "{DEPARTMENT}"\n'
        'display_name = "Harlow Park PD"\n'
        'issuer = "https://login.harlow-park.example"\n'
        'client_id = "wnwa"\n'
        'client_secret_env = "HARLOW_SECRET"\n'
        'claim_rules = [{ claim = "groups", role = "officer" }]\n'
        'email_domains = ["harlow-park.pd.example"]\n'
    )
    path = tmp_path / "providers.toml"
    path.write_text(entry, encoding="utf-8")
    [config] = load_file(
        path, network_id=NETWORK, allow_http_loopback=False, environ={"HARLOW_SECRET": "x"}
    )
    assert config.client_secret == "x"
    assert config.source == "file"
    assert config.claim_rules == [ClaimRule(claim="groups", value=None, role="officer")]

    path.write_text(entry + "\n" + entry, encoding="utf-8")
    with pytest.raises(ProvidersFileError) as refused:
        load_file(
            path, network_id=NETWORK, allow_http_loopback=False, environ={"HARLOW_SECRET": "x"}
        )
    assert f"organisation {DEPARTMENT} is declared twice" in str(refused.value)
    other = entry.replace(str(DEPARTMENT), str(uuid.uuid4()))
    path.write_text(entry + "\n" + other, encoding="utf-8")
    with pytest.raises(ProvidersFileError, match=r"domain harlow-park\.pd\.example is declared"):
        load_file(
            path, network_id=NETWORK, allow_http_loopback=False, environ={"HARLOW_SECRET": "x"}
        )

    # one issuer for two organisations would let either's people sign in as the other's
    same_issuer = other.replace("harlow-park.pd.example", "other.pd.example")
    path.write_text(entry + "\n" + same_issuer, encoding="utf-8")
    with pytest.raises(ProvidersFileError, match=r"issuer https://login\.harlow-park\.example is"):
        load_file(
            path, network_id=NETWORK, allow_http_loopback=False, environ={"HARLOW_SECRET": "x"}
        )

    path.write_text("[[provider]]\norganisation = ", encoding="utf-8")
    with pytest.raises(ProvidersFileError, match="not valid TOML"):
        load_file(path, network_id=NETWORK, allow_http_loopback=False, environ={})
    path.write_text('[[provider]]\norganisation = "network"\n', encoding="utf-8")
    with pytest.raises(ProvidersFileError, match=r"provider\[0\]\.display_name: This is required"):
        load_file(path, network_id=NETWORK, allow_http_loopback=False, environ={})
