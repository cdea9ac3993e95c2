"""A small, standards-following OpenID Provider for development and tests.

Each organisation in ``accounts.TENANTS`` is its own issuer (``{base}/{slug}``) with its
own client, like realms or tenants of a real provider: discovery, JWKS, the
authorization endpoint with a sign-in page (choose a demo account), the token endpoint
(client_secret_basic or _post, PKCE S256 required), RS256 ID tokens with the nonce, the
RFC 9207 ``iss`` parameter, and RP-initiated logout. Codes live in memory for a minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from servicekit.clock import SYSTEM_CLOCK, Clock

from .accounts import TENANTS, DemoAccount, Tenant, tenant_named
from .settings import DevIdpSettings

CODE_SECONDS = 60
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; "
    "style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'",
}


@dataclass(frozen=True, slots=True)
class _Grant:
    tenant: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    account: DemoAccount
    expires_at: float


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;"
        "padding:0 1rem}button{font:inherit;display:block;width:100%;text-align:left;"
        "margin:.4rem 0;padding:.6rem}small{color:#555}.dev{background:#fff4d6;padding:.5rem}"
        f"</style><body><p class=dev>Development identity provider: demo accounts only.</p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status_code,
        headers=_HEADERS,
    )


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


class DevelopmentProvider:
    def __init__(self, settings: DevIdpSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock  # stamps its ID tokens and ends its codes
        self.key = RSAKey.generate_key(2048, parameters={"kid": f"dev-{secrets.token_hex(4)}"})
        self.codes: dict[str, _Grant] = {}

    def issuer(self, tenant: Tenant) -> str:
        return f"{self.settings.base_url}/{tenant.slug}"

    def _tenant(self, request: Request) -> Tenant | None:
        return tenant_named(request.path_params["tenant"])

    async def index(self, request: Request) -> Response:
        items = "".join(
            f"<li>{escape(t.display_name)}: <code>{escape(self.issuer(t))}</code><ul>"
            + "".join(
                f"<li>{escape(a.name)}, {escape(a.role_note)}: "
                f"<code>{escape(a.login)}@{escape(t.email_domain)}</code></li>"
                for a in t.accounts
            )
            + "</ul></li>"
            for t in TENANTS
        )
        return _page("Demo organizations and accounts", f"<ul>{items}</ul>")

    async def discovery(self, request: Request) -> Response:
        tenant = self._tenant(request)
        if tenant is None:
            return JSONResponse({"error": "not_found"}, 404)
        issuer = self.issuer(tenant)
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks",
                "end_session_endpoint": f"{issuer}/logout",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": ["openid", "profile", "email"],
                "claims_supported": ["sub", "name", "email", "groups"],
                "authorization_response_iss_parameter_supported": True,
            }
        )

    async def jwks(self, request: Request) -> Response:
        if self._tenant(request) is None:
            return JSONResponse({"error": "not_found"}, 404)
        public = {**self.key.as_dict(private=False), "use": "sig", "alg": "RS256"}
        return JSONResponse({"keys": [public]})

    async def authorize(self, request: Request) -> Response:
        tenant = self._tenant(request)
        values = dict(request.query_params)
        if request.method == "POST":
            form = await request.form()
            values = {key: value for key, value in form.items() if isinstance(value, str)}
        if tenant is None:
            return _page("Unknown organization", "<p>No such tenant.</p>", 404)
        redirect_uri = values.get("redirect_uri", "")
        if values.get("client_id") != tenant.client_id:
            return _page("Unknown client", "<p>The client_id is not registered here.</p>", 400)
        if redirect_uri not in self.settings.redirect_uris:
            return _page("Unregistered redirect", "<p>The redirect_uri is not registered.</p>", 400)
        state = values.get("state", "")

        def refuse(error: str) -> Response:
            params = {"error": error, "iss": self.issuer(tenant)}
            if state:
                params["state"] = state
            return RedirectResponse(_with_query(redirect_uri, params), status_code=303)

        if values.get("response_type") != "code":
            return refuse("unsupported_response_type")
        if "openid" not in values.get("scope", "").split():
            return refuse("invalid_scope")
        challenge = values.get("code_challenge", "")
        if values.get("code_challenge_method") != "S256" or not 43 <= len(challenge) <= 128:
            return refuse("invalid_request")
        login = values.get("account")
        if request.method == "POST" and values.get("cancel"):
            return refuse("access_denied")
        account = next((a for a in tenant.accounts if a.login == login), None)
        if request.method == "GET" or account is None:
            return self._sign_in_page(tenant, values)
        code = secrets.token_urlsafe(32)
        self._forget_expired()
        self.codes[code] = _Grant(
            tenant=tenant.slug,
            client_id=tenant.client_id,
            redirect_uri=redirect_uri,
            code_challenge=challenge,
            nonce=values.get("nonce") or None,
            account=account,
            expires_at=self.clock.timestamp() + CODE_SECONDS,
        )
        params = {"code": code, "iss": self.issuer(tenant)}
        if state:
            params["state"] = state
        return RedirectResponse(_with_query(redirect_uri, params), status_code=303)

    def _sign_in_page(self, tenant: Tenant, values: dict[str, str]) -> Response:
        keep = (
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
        )
        hidden = "".join(
            f'<input type=hidden name="{name}" value="{escape(values.get(name, ""))}">'
            for name in keep
        )
        buttons = "".join(
            f'<button name=account value="{escape(a.login)}">{escape(a.name)}'
            f"<br><small>{escape(a.role_note)}</small></button>"
            for a in tenant.accounts
        )
        return _page(
            f"Sign in to {tenant.display_name}",
            f"<form method=post>{hidden}<p>Choose a demo account:</p>{buttons}"
            "<button name=cancel value=1>Cancel</button></form>",
        )

    def _forget_expired(self) -> None:
        now = self.clock.timestamp()
        for code in [code for code, grant in self.codes.items() if grant.expires_at < now]:
            del self.codes[code]

    async def token(self, request: Request) -> Response:
        tenant = self._tenant(request)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if tenant is None:
            return JSONResponse({"error": "invalid_request"}, 404)
        client_id, client_secret = _client_credentials(request, form)
        if client_id != tenant.client_id or not hmac.compare_digest(
            client_secret.encode(), tenant.client_secret.encode()
        ):
            return JSONResponse({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if (
            grant is None
            or grant.expires_at < self.clock.timestamp()
            or grant.tenant != tenant.slug
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if not verifier or not hmac.compare_digest(
            digest.rstrip(b"=").decode(), grant.code_challenge
        ):
            return JSONResponse({"error": "invalid_grant"}, 400)
        now = int(self.clock.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer(tenant),
            "sub": f"{tenant.slug}|{grant.account.login}",
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "name": grant.account.name,
            "email": f"{grant.account.login}@{tenant.email_domain}",
            "groups": list(grant.account.groups),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(32),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def logout(self, request: Request) -> Response:
        tenant = self._tenant(request)
        if tenant is None:
            return _page("Unknown organization", "<p>No such tenant.</p>", 404)
        target = request.query_params.get("post_logout_redirect_uri")
        allowed = {
            uri.rsplit("/auth/", 1)[0] + "/auth/signed-out" for uri in self.settings.redirect_uris
        }
        if (
            target
            and target in allowed
            and request.query_params.get("client_id") == tenant.client_id
        ):
            return RedirectResponse(target, status_code=303)
        return _page(f"Signed out of {tenant.display_name}", "<p>You may close this window.</p>")


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            name, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        return unquote(name), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def create_app(settings: DevIdpSettings, *, clock: Clock = SYSTEM_CLOCK) -> Starlette:
    """The development provider; refuses production and non-loopback addresses."""
    settings.check()
    provider = DevelopmentProvider(settings, clock)
    return Starlette(
        routes=[
            Route("/", provider.index),
            Route("/{tenant}/.well-known/openid-configuration", provider.discovery),
            Route("/{tenant}/jwks", provider.jwks),
            Route("/{tenant}/authorize", provider.authorize, methods=["GET", "POST"]),
            Route("/{tenant}/token", provider.token, methods=["POST"]),
            Route("/{tenant}/logout", provider.logout),
        ]
    )
