"""Identity provider configuration: validation, and the declarative providers file.

The same checks apply to the file read at start and to the network admins' mutations, so
a configuration is refused with the same message whichever way it arrives.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from servicekit.graphql import InputErrors

from .rules import organisation_id, roles_granted_by
from .store import ClaimRule

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,100}$")
_CLAIM = re.compile(r"^[A-Za-z0-9_:/.\-]{1,100}$")


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """A validated provider; ``client_secret`` None keeps the stored one (updates only)."""

    organisation_id: uuid.UUID
    display_name: str
    issuer: str
    client_id: str
    client_secret: str | None
    client_auth_method: str
    scopes: list[str]
    claim_rules: list[ClaimRule]
    email_domains: list[str]
    enabled: bool = True
    source: str = "admin"
    shared: bool = False  # a shared issuer: several departments, its claims say whose


@dataclass(slots=True)
class RawProvider:
    """Provider settings as typed by a person, before validation."""

    organisation: str
    display_name: str
    issuer: str
    client_id: str
    client_secret: str | None
    client_auth_method: str = "client_secret_basic"
    scopes: list[str] = field(default_factory=lambda: ["openid"])
    claim_rules: list[dict[str, Any]] = field(default_factory=list)
    email_domains: list[str] = field(default_factory=list)
    enabled: bool = True


def is_loopback(host: str | None) -> bool:
    # RFC 6761: localhost and *.localhost name the loopback interface
    if host is not None and (host == "localhost" or host.endswith(".localhost")):
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def issuer_problem(issuer: str, *, allow_http_loopback: bool) -> str | None:
    """Why ``issuer`` cannot be an OpenID issuer identifier, or None."""
    try:
        parts = urlsplit(issuer)
        host = parts.hostname
    except ValueError:
        return "This is not a URL."
    if parts.query or parts.fragment or parts.username or parts.password:
        return "An issuer has no query, fragment or credentials."
    if not host:
        return "Give the issuer's full URL, such as https://login.example.gov/realms/pd."
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and allow_http_loopback and is_loopback(host):
        return None
    return "The issuer must use https (plain http only for loopback in development)."


def validate(
    raw: RawProvider,
    errors: InputErrors,
    *,
    prefix: str,
    network_id: uuid.UUID,
    allow_http_loopback: bool,
    secret_required: bool,
) -> ProviderConfig | None:
    """Check every field; adds field errors and returns None when anything is wrong."""
    organisation = organisation_id(raw.organisation, network_id)
    if organisation is None:
        errors.add(f"{prefix}organisation", "Give the department's id, or `network`.")
    name = raw.display_name.strip()
    if not 1 <= len(name) <= 200:
        errors.add(f"{prefix}displayName", "Give a name of 1 to 200 characters.")
    issuer = raw.issuer.strip()
    problem = issuer_problem(issuer, allow_http_loopback=allow_http_loopback)
    if problem or len(issuer) > 500:
        errors.add(f"{prefix}issuer", problem or "Keep the issuer under 500 characters.")
    client_id = raw.client_id.strip()
    if not 1 <= len(client_id) <= 255:
        errors.add(f"{prefix}clientId", "Give the client id the provider assigned (1-255).")
    secret = raw.client_secret
    if secret is not None and not 1 <= len(secret) <= 1024:
        errors.add(f"{prefix}clientSecret", "Give the client secret (at most 1024 characters).")
    elif secret is None and secret_required:
        errors.add(f"{prefix}clientSecret", "A new provider needs its client secret.")
    if raw.client_auth_method not in AUTH_METHODS:
        errors.add(f"{prefix}clientAuthMethod", f"Use one of {', '.join(AUTH_METHODS)}.")
    scopes = list(dict.fromkeys(scope.strip() for scope in raw.scopes))
    if "openid" not in scopes:
        errors.add(f"{prefix}scopes", "The scopes must include `openid`.")
    elif len(scopes) > 20 or not all(_SCOPE.match(scope) for scope in scopes):
        errors.add(f"{prefix}scopes", "Scopes are single words; at most 20.")
    allowed = roles_granted_by(organisation, network_id)
    rules: list[ClaimRule] = []
    for index, rule in enumerate(raw.claim_rules):
        where = f"{prefix}claimRules.{index}"
        claim, value, role = rule.get("claim"), rule.get("value"), rule.get("role")
        if not isinstance(claim, str) or not _CLAIM.match(claim):
            errors.add(f"{where}.claim", "Name the upstream claim, such as `groups`.")
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 200):
            errors.add(f"{where}.value", "The value is text of 1 to 200 characters, or absent.")
        if role not in allowed:
            errors.add(
                f"{where}.role",
                f"This organization's provider may grant only {', '.join(sorted(allowed))}.",
            )
        if not errors.has(f"{where}.claim") and not errors.has(f"{where}.value"):
            rules.append(ClaimRule(claim=str(claim), value=value, role=str(role)))
    if not raw.claim_rules:
        errors.add(f"{prefix}claimRules", "Add at least one rule, or nobody can be admitted.")
    domains = list(dict.fromkeys(domain.strip().lower() for domain in raw.email_domains))
    for domain in domains:
        if not _DOMAIN.match(domain):
            errors.add(f"{prefix}emailDomains", f"'{domain[:60]}' is not a domain name.")
            break
    if errors or organisation is None:
        return None
    return ProviderConfig(
        organisation_id=organisation,
        display_name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        client_auth_method=raw.client_auth_method,
        scopes=scopes,
        claim_rules=rules,
        email_domains=domains,
        enabled=raw.enabled,
        source="admin",
    )


class ProvidersFileError(Exception):
    """The providers file cannot be used; the message says where and why."""


def load_file(
    path: Path, *, network_id: uuid.UUID, allow_http_loopback: bool, environ: Any = None
) -> list[ProviderConfig]:
    """Read ``[[provider]]`` tables from a TOML file; refuses the whole file on any error.

    A secret is given as ``client_secret_env`` (the variable that holds it) or, for
    development only, inline as ``client_secret``.
    """
    environ = os.environ if environ is None else environ
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProvidersFileError(f"{path}: cannot be read ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ProvidersFileError(f"{path}: not valid TOML ({error})") from None
    entries = document.get("provider", [])
    if not isinstance(entries, list):
        raise ProvidersFileError(f"{path}: write each provider as a [[provider]] table")
    configs: list[ProviderConfig] = []
    errors = InputErrors()
    for index, entry in enumerate(entries):
        prefix = f"provider[{index}]."
        secret = entry.get("client_secret")
        if "client_secret_env" in entry:
            secret = environ.get(str(entry["client_secret_env"]))
            if not secret:
                errors.add(f"{prefix}client_secret_env", f"{entry['client_secret_env']} is unset")
        try:
            raw = RawProvider(
                organisation=str(entry["organisation"]),
                display_name=str(entry["display_name"]),
                issuer=str(entry["issuer"]),
                client_id=str(entry["client_id"]),
                client_secret=str(secret) if secret else None,
                client_auth_method=str(entry.get("client_auth_method", "client_secret_basic")),
                scopes=[str(scope) for scope in entry.get("scopes", ["openid"])],
                claim_rules=list(entry.get("claim_rules", [])),
                email_domains=[str(domain) for domain in entry.get("email_domains", [])],
                enabled=bool(entry.get("enabled", True)),
            )
        except KeyError as missing:
            errors.add(f"{prefix}{missing.args[0]}", "This is required.")
            continue
        except (TypeError, AttributeError):
            errors.add(prefix.rstrip("."), "A value has the wrong type.")
            continue
        config = validate(
            raw,
            errors,
            prefix=prefix,
            network_id=network_id,
            allow_http_loopback=allow_http_loopback,
            secret_required=True,
        )
        if config is not None:
            configs.append(replace(config, source="file"))
    seen_domains: dict[str, uuid.UUID] = {}
    seen_organisations: set[uuid.UUID] = set()
    seen_issuers: set[str] = set()
    for config in configs:
        if config.organisation_id in seen_organisations:
            errors.add("provider", f"organisation {config.organisation_id} is declared twice")
        seen_organisations.add(config.organisation_id)
        # one issuer signs in one organisation: a second would admit the first's people
        if config.issuer in seen_issuers:
            errors.add("provider", f"issuer {config.issuer} is declared twice")
        seen_issuers.add(config.issuer)
        for domain in config.email_domains:
            if seen_domains.setdefault(domain, config.organisation_id) != config.organisation_id:
                errors.add("provider", f"email domain {domain} is declared twice")
    if errors:
        problems = "; ".join(f"{item.field}: {item.message}" for item in errors.items)
        raise ProvidersFileError(f"{path}: {problems}")
    return configs


@dataclass(frozen=True, slots=True)
class DepartmentRuleIn:
    """A valid rule of a shared issuer's department: ``claim`` holding ``value``."""

    display_name: str
    claim: str
    value: str


def validate_department_rule(
    *, display_name: str, claim: str, value: str, errors: InputErrors
) -> DepartmentRuleIn | None:
    """The rule that puts a shared issuer's people in one department; a value is required
    (any value of a claim would put everyone in every department)."""
    name, claim, value = display_name.strip(), claim.strip(), value.strip()
    if not 1 <= len(name) <= 200:
        errors.add("input.displayName", "Give the department's name, 1 to 200 characters.")
    if not _CLAIM.match(claim):
        errors.add("input.claim", "Name the upstream claim, such as `extension_department`.")
    if not 1 <= len(value) <= 200:
        errors.add("input.value", "Give the value that names this department (1-200).")
    if errors:
        return None
    return DepartmentRuleIn(display_name=name, claim=claim, value=value)
