"""The OpenID Connect relying party: discovery, the authorization request, the token
request, ID token validation.

The protocol steps are authlib's public API: the authorization URL with PKCE S256
(``authlib.oauth2.OAuth2Client.create_authorization_url``), the code exchange with
client_secret_basic or client_secret_post (``AsyncOAuth2Client.fetch_token`` of
``authlib.integrations.httpx_client``) and the ID token's claims (``authlib.oidc.core.CodeIDToken``:
iss, aud, exp, iat, nbf, nonce, azp, at_hash). JWS and JWK are joserfc's, the JOSE library
authlib's own clients use now that ``authlib.jose`` is deprecated. This module keeps the
checks authlib leaves open or makes looser: discovery, an algorithm allowlist (never
``none`` or HMAC), a JWKS cache that refetches at most once a minute, symmetric keys
ignored, a 200 Bearer token response, the ID token's age and subject, the exact issuer.
Nothing here depends on one vendor.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oauth2 import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import errors as jose_errors
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from servicekit.clock import SYSTEM_CLOCK, Clock

from .providers import is_loopback, issuer_problem

# asymmetric only: never `none`, never HMAC (whose "key" would be public)
ID_TOKEN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
_KEY_TYPE = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
CLOCK_SKEW_SECONDS = 60
MAX_ID_TOKEN_AGE_SECONDS = 600
_TIMEOUT = aiohttp.ClientTimeout(total=10)
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


class SignInProblem(Exception):
    """Why a sign-in or a provider check failed, in words safe to show and to log."""


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    id_token_algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...]
    issuer_parameter: bool  # RFC 9207: the provider promises `iss` in its answers


def _endpoint(document: Mapping[str, Any], name: str, *, allow_http_loopback: bool) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise SignInProblem(f"The discovery document has no {name}.")
    parts = urlsplit(value)
    secure = parts.scheme == "https" or (
        allow_http_loopback and parts.scheme == "http" and is_loopback(parts.hostname)
    )
    if not secure or not parts.hostname:
        raise SignInProblem(f"The {name} must be an https URL.")
    return value


def parse_metadata(
    document: Mapping[str, Any], *, expected_issuer: str, allow_http_loopback: bool
) -> ProviderMetadata:
    """Check a discovery document the way the issue asks; raises with what is wrong."""
    issuer = document.get("issuer")
    if issuer != expected_issuer:
        raise SignInProblem(
            f"The provider calls itself {str(issuer)[:200]!r}, not {expected_issuer!r};"
            " the issuer must match exactly."
        )
    response_types = document.get("response_types_supported") or []
    if "code" not in response_types:
        raise SignInProblem("The provider does not offer the authorization code flow.")
    if "S256" not in (document.get("code_challenge_methods_supported") or []):
        raise SignInProblem("The provider does not offer PKCE with S256.")
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    usable = tuple(alg for alg in ID_TOKEN_ALGORITHMS if alg in algorithms)
    if not usable:
        raise SignInProblem(
            "The provider signs ID tokens with none of "
            f"{', '.join(ID_TOKEN_ALGORITHMS)}; we accept no others."
        )
    # client_secret_basic is the default when the field is absent (Discovery 1.0 §3)
    methods = tuple(
        document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    )
    end_session = document.get("end_session_endpoint")
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=_endpoint(
            document, "authorization_endpoint", allow_http_loopback=allow_http_loopback
        ),
        token_endpoint=_endpoint(
            document, "token_endpoint", allow_http_loopback=allow_http_loopback
        ),
        jwks_uri=_endpoint(document, "jwks_uri", allow_http_loopback=allow_http_loopback),
        end_session_endpoint=(
            _endpoint(document, "end_session_endpoint", allow_http_loopback=allow_http_loopback)
            if end_session
            else None
        ),
        id_token_algorithms=usable,
        auth_methods=methods,
        issuer_parameter=document.get("authorization_response_iss_parameter_supported") is True,
    )


@dataclass(slots=True)
class _CachedKeys:
    keys: KeySet
    fetched_at: float


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """What the token endpoint answered that the callback needs; dropped with the request."""

    id_token: str
    access_token: str | None  # only to check the ID token's at_hash; never used or kept


class RelyingParty:
    """Talks to department providers; caches discovery and keys per issuer."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        allow_http_loopback: bool,
        metadata_seconds: float = 3600.0,
        min_key_refetch_seconds: float = 60.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._session = session
        self._clock = clock
        self._allow_http_loopback = allow_http_loopback
        self._metadata_seconds = metadata_seconds
        self._min_key_refetch = min_key_refetch_seconds
        self._metadata: dict[str, tuple[ProviderMetadata, float]] = {}
        self._keys: dict[str, _CachedKeys] = {}
        self._lock = asyncio.Lock()
        # one TLS context for every code exchange: each exchange has a client of its own
        self._tls = ssl.create_default_context()
        # httpx2 logs each request at INFO (httpcore2 at DEBUG): a line per sign-in naming the
        # department's provider would be a sign-in log
        for name in ("httpx2", "httpcore2"):
            logging.getLogger(name).setLevel(logging.WARNING)

    async def _get_json(self, url: str, what: str) -> Mapping[str, Any]:
        try:
            async with self._session.get(url, timeout=_TIMEOUT, allow_redirects=False) as response:
                if response.status != 200:
                    raise SignInProblem(f"The {what} answered HTTP {response.status}.")
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError, UnicodeDecodeError):
            raise SignInProblem(f"The {what} could not be fetched or is not JSON.") from None
        if not isinstance(document, dict):
            raise SignInProblem(f"The {what} is not a JSON object.")
        return document

    async def discover(self, issuer: str, *, fresh: bool = False) -> ProviderMetadata:
        """The provider's checked metadata (cached for an hour unless ``fresh``)."""
        problem = issuer_problem(issuer, allow_http_loopback=self._allow_http_loopback)
        if problem:
            raise SignInProblem(problem)
        cached = self._metadata.get(issuer)
        if cached and not fresh and time.monotonic() - cached[1] < self._metadata_seconds:
            return cached[0]
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(url, "provider's discovery document")
        metadata = parse_metadata(
            document, expected_issuer=issuer, allow_http_loopback=self._allow_http_loopback
        )
        self._metadata[issuer] = (metadata, time.monotonic())
        return metadata

    async def _key_set(self, metadata: ProviderMetadata, kid: str | None) -> KeySet:
        """The provider's keys; refetched once, at most every minute, for an unknown kid."""
        cached = self._keys.get(metadata.issuer)
        if cached is not None and (kid is None or _find(cached.keys, kid)):
            return cached.keys
        async with self._lock:
            cached = self._keys.get(metadata.issuer)
            if cached is not None and (kid is None or _find(cached.keys, kid)):
                return cached.keys
            if cached is None or time.monotonic() - cached.fetched_at >= self._min_key_refetch:
                document = await self._get_json(metadata.jwks_uri, "provider's key set")
                cached = _CachedKeys(_public_keys(document), time.monotonic())
                self._keys[metadata.issuer] = cached
        return cached.keys

    @staticmethod
    def authorization_url(
        metadata: ProviderMetadata,
        *,
        client_id: str,
        redirect_uri: str,
        scopes: list[str] | tuple[str, ...],
        state: str,
        nonce: str,
        code_verifier: str,
    ) -> str:
        """Where to send the browser: the code flow with ``state``, ``nonce`` and PKCE S256."""
        client = OAuth2Client(
            None,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=" ".join(scopes),
            code_challenge_method="S256",
        )
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint,
            state=state,
            code_verifier=code_verifier,
            nonce=nonce,
        )
        return str(url)

    async def redeem_code(
        self,
        metadata: ProviderMetadata,
        *,
        client_id: str,
        client_secret: str,
        auth_method: str,
        code: str,
        code_verifier: str,
        redirect_uri: str,
    ) -> TokenResponse:
        """Exchange the code at the provider's token endpoint (authlib's client)."""
        async with AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method=auth_method,
            redirect_uri=redirect_uri,
            timeout=_TOKEN_TIMEOUT,
            verify=self._tls,
            trust_env=False,  # as the discovery session: no proxy from the environment
            follow_redirects=False,
        ) as client:
            # RFC 6749 §2.3.1: form-encode both parts before joining them (authlib does not)
            client.register_client_auth_method(("client_secret_basic", _client_secret_basic))
            client.register_compliance_hook("access_token_response", _only_success)
            try:
                token = await client.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            except OAuthError as refused:
                raise SignInProblem(
                    f"The provider refused to redeem the sign-in ({_error_code(refused.error)})."
                ) from None
            except (httpx2.HTTPError, ValueError, UnicodeDecodeError):
                raise SignInProblem("The provider's token endpoint could not be reached.") from None
        if str(token.get("token_type", "")).lower() != "bearer":
            raise SignInProblem("The provider's token response is not a Bearer token response.")
        id_token = token.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise SignInProblem("The provider's token response holds no ID token.")
        access_token = token.get("access_token")
        return TokenResponse(
            id_token=id_token, access_token=access_token if isinstance(access_token, str) else None
        )

    async def verify_id_token(
        self,
        id_token: str,
        metadata: ProviderMetadata,
        *,
        client_id: str,
        nonce: str,
        access_token: str | None = None,
    ) -> dict[str, Any]:
        """Signature, algorithm, issuer, audience, times, nonce (and at_hash with the access
        token it was issued with); returns the claims."""
        try:
            header = jws.extract_compact(id_token.encode()).protected
        except (jose_errors.JoseError, ValueError):
            raise SignInProblem("The ID token is malformed.") from None
        algorithm = header.get("alg")
        if algorithm not in metadata.id_token_algorithms:
            raise SignInProblem("The ID token's signing algorithm is not accepted.")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise SignInProblem("The ID token's key id is malformed.")
        keys = await self._key_set(metadata, kid)
        key = _select_key(keys, kid, str(algorithm))
        try:
            token = jwt.decode(id_token, key, algorithms=[str(algorithm)])
        except (jose_errors.JoseError, ValueError, UnicodeDecodeError):
            raise SignInProblem("The ID token's signature is not valid.") from None
        claims = token.claims
        if not isinstance(claims, dict):
            raise SignInProblem("The ID token's claims are malformed.")
        # OpenID Connect Core §3.1.3.7 as authlib reads it, then this project's stricter reading
        checked = CodeIDToken(
            claims,
            token.header,
            {"iss": {"essential": True, "value": metadata.issuer}, "aud": {"value": client_id}},
            {"client_id": client_id, "nonce": nonce, "access_token": access_token},
        )
        try:
            now = self._clock.timestamp()
            checked.validate(now=int(now), leeway=CLOCK_SKEW_SECONDS)
        except jose_errors.ClaimError as wrong:
            raise _claim_problem(wrong) from None
        check_claims(claims, issuer=metadata.issuer, client_id=client_id, nonce=nonce, now=now)
        return dict(claims)


_TOKEN_TIMEOUT = httpx2.Timeout(10.0)

# what each claim authlib refuses means, in the words the sign-in page shows
_CLAIM_PROBLEMS = {
    "iss": "The ID token was issued by a different provider.",
    "aud": "The ID token was issued for a different client.",
    "azp": "The ID token was issued for a different client.",
    "exp": "The ID token has expired.",
    "iat": "The ID token's issue time is not plausible.",
    "nbf": "The ID token is not valid yet.",
    "nonce": "The ID token does not answer this sign-in (nonce mismatch).",
    "at_hash": "The ID token does not belong to the access token issued with it (at_hash).",
    "sub": "The ID token has no subject.",
}


def _claim_problem(wrong: jose_errors.ClaimError) -> SignInProblem:
    names = wrong.claim.split(",")
    if isinstance(wrong, jose_errors.MissingClaimError) and {"exp", "iat"} & set(names):
        return SignInProblem("The ID token lacks its expiry or issue time.")
    for name in names:
        if name in _CLAIM_PROBLEMS:
            return SignInProblem(_CLAIM_PROBLEMS[name])
    return SignInProblem("The ID token's claims are not valid.")


def _error_code(value: object) -> str:
    """An OAuth error code safe to show, or "" for anything else a provider sent."""
    return value if isinstance(value, str) and _ERROR_CODE.match(value) else ""


def _client_secret_basic(
    client: Any, method: str, uri: str, headers: dict[str, str], body: str
) -> tuple[str, dict[str, str], str]:
    pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return uri, headers, body


def _only_success(response: httpx2.Response) -> httpx2.Response:
    """A token response other than 200 is a refusal, whatever its body says."""
    if response.status_code == 200:
        return response
    try:
        body = response.json()
    except ValueError:
        body = None
    code = _error_code(body.get("error")) if isinstance(body, dict) else ""
    raise SignInProblem(
        f"The provider refused to redeem the sign-in ({code or response.status_code})."
    )


def check_claims(
    claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str, now: float
) -> None:
    """OpenID Connect Core §3.1.3.7, items 2-4, 9-11, read strictly: exact types, the azp
    rule whenever azp is present, and an ID token at most 10 minutes old."""
    if claims.get("iss") != issuer:
        raise SignInProblem("The ID token was issued by a different provider.")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise SignInProblem("The ID token was issued for a different client.")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise SignInProblem("The ID token was issued for a different client.")
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise SignInProblem("The ID token lacks its expiry or issue time.")
    if expires + CLOCK_SKEW_SECONDS < now:
        raise SignInProblem("The ID token has expired.")
    if issued - CLOCK_SKEW_SECONDS > now or issued + MAX_ID_TOKEN_AGE_SECONDS < now:
        raise SignInProblem("The ID token's issue time is not plausible.")
    if not isinstance(claims.get("nonce"), str) or claims.get("nonce") != nonce:
        raise SignInProblem("The ID token does not answer this sign-in (nonce mismatch).")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
        raise SignInProblem("The ID token has no subject.")


def _find(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _public_keys(document: Mapping[str, Any]) -> KeySet:
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise SignInProblem("The provider's key set is malformed.")
    usable: list[RSAKey | ECKey | OKPKey] = []
    for entry in entries:
        # public asymmetric signing keys only; a symmetric or private key is ignored
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        public = {name: value for name, value in entry.items() if name not in ("d", "p", "q")}
        try:
            if entry.get("kty") == "RSA":
                usable.append(RSAKey.import_key(public))
            elif entry.get("kty") == "EC":
                usable.append(ECKey.import_key(public))
            elif entry.get("kty") == "OKP":
                usable.append(OKPKey.import_key(public))
        except (jose_errors.JoseError, ValueError, TypeError):
            continue
    return KeySet(usable)  # type: ignore[arg-type]


def _select_key(keys: KeySet, kid: str | None, algorithm: str) -> RSAKey | ECKey | OKPKey:
    key_type = _KEY_TYPE[algorithm[:2]]
    candidates = [
        key for key in keys.keys if key.key_type == key_type and (kid is None or key.kid == kid)
    ]
    if kid is not None and not candidates:
        raise SignInProblem("The ID token was signed with a key the provider does not publish.")
    if len(candidates) != 1:
        raise SignInProblem("The ID token does not say which of the provider's keys signed it.")
    key = candidates[0]
    assert isinstance(key, RSAKey | ECKey | OKPKey)
    return key
