"""Bearer JWTs (RS256/ES256) → ``Principal``; the FastAPI dependencies that guard routes.

Routes declare who may call them as dependencies, so FastAPI checks them before it validates
the body (CONTRACT: 401/403 come before 422)::

    @router.post("/v1/envelopes", dependencies=[require_roles("funding_committee")])
    async def open_envelope(body: EnvelopeIn, ctx: CommandDep, store: StoreDep) -> EnvelopeOut: ...

Authorisation checks are ``Gate`` dependencies: when FastAPI reports an undecodable body before
resolving any dependency, the error handler runs the route's gates first (``check_route_gates``).

Each gate also says what it allows (``Gate.roles``, ``Gate.scope``): ``route_policy`` reads a
route's gates into the ``x-campus-roles`` / ``x-campus-scope`` of its OpenAPI operation, so the
OpenAPI documents are the authorisation table (docs/authorization.md is generated from them). A
rule a handler decides on a resource it loads is declared with ``authorize(…, scope=Scope(…))``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from campus_events.envelope import MINISTRY_CODE, Actor

from .errors import ForbiddenError, ServiceUnavailableError, UnauthorizedError
from .roles import ROLE_PRECEDENCE, ROLES, STAFF_ROLES

PRINCIPAL_SCOPE_KEY = "campus.principal"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: the pseudonymous agent id, ministry and roles.

    ``email``, ``given_name`` and ``usual_name`` stay in memory for this request (e.g. to fill the
    erasable personal-details table): never put them into an event or a log line.
    """

    sub: UUID
    ministry: str | None
    roles: frozenset[str]
    email: str | None = field(default=None, repr=False)
    given_name: str | None = field(default=None, repr=False)
    usual_name: str | None = field(default=None, repr=False)

    @property
    def agent_id(self) -> UUID:
        return self.sub

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    @property
    def primary_role(self) -> str:
        """The most privileged of the roles (what an event records as the actor's role)."""
        return next((r for r in ROLE_PRECEDENCE if r in self.roles), min(self.roles, default="agent"))

    def actor(self, role: str | None = None) -> Actor:
        return Actor(id=self.sub, role=role or self.primary_role)


VERIFIED_TOKENS = 4096  # tokens whose verification is remembered (see TokenVerifier.verify)
VERIFIED_FOR = 60.0  # seconds a remembered verification stands (a rotated key takes effect by then)


class TokenVerifier:
    """Checks signature (RS256/ES256 only), ``exp``, ``iss`` and ``aud`` against a PEM key or a JWKS.

    A token that passed is remembered (its exact text, up to ``VERIFIED_TOKENS`` of them, for
    ``VERIFIED_FOR`` seconds): a client sends the same token with every request, and the
    signature check is the costliest step of a request (bench/http_routes.py). Its expiry is
    checked again at every use.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        public_key_pem: str | None = None,
        jwks_url: str | None = None,
        leeway: float = 30.0,
    ) -> None:
        if (public_key_pem is None) == (jwks_url is None):
            raise ValueError("give exactly one of public_key_pem and jwks_url")
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._verified: dict[str, tuple[Principal, float, float]] = {}
        self._key: Any = None
        self._jwks: jwt.PyJWKClient | None = None
        if public_key_pem is not None:
            self._key = serialization.load_pem_public_key(public_key_pem.encode())
            if not isinstance(self._key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
                raise ValueError("the JWT public key must be an EC (ES256) or RSA (RS256) key")
        else:
            self._jwks = jwt.PyJWKClient(jwks_url or "", cache_keys=True, lifespan=300, timeout=5)

    async def verify(self, token: str) -> Principal:
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires_at, verified_at = remembered
            if now < expires_at + self.leeway and now - verified_at < VERIFIED_FOR:
                return principal
            del self._verified[token]
            if now >= expires_at + self.leeway:
                raise UnauthorizedError("the token has expired", invalid_token=True)
        principal, expires_at = await self._verify(token)
        self._verified[token] = (principal, expires_at, now)
        while len(self._verified) > VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest first (insertion order)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        key = self._key if self._jwks is None else await self._jwks_key(token)
        algorithms = ["ES256"] if isinstance(key, ec.EllipticCurvePublicKey) else ["RS256"]
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise UnauthorizedError("the token has expired", invalid_token=True) from None
        except jwt.InvalidIssuerError:
            raise UnauthorizedError("the token's issuer is not accepted", invalid_token=True) from None
        except jwt.InvalidAudienceError:
            raise UnauthorizedError("the token is not meant for this audience", invalid_token=True) from None
        except jwt.InvalidSignatureError:
            raise UnauthorizedError("the token's signature is invalid", invalid_token=True) from None
        except jwt.PyJWTError as exc:
            raise UnauthorizedError(f"invalid token: {exc}", invalid_token=True) from None
        return principal_from_claims(claims), float(claims["exp"])

    async def _jwks_key(self, token: str) -> Any:
        assert self._jwks is not None
        try:  # PyJWKClient fetches with blocking urllib (rarely: keys are cached)
            return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
        except jwt.PyJWKClientConnectionError as exc:
            raise ServiceUnavailableError(f"the JWKS cannot be fetched: {exc}") from None
        except jwt.PyJWTError as exc:
            raise UnauthorizedError(f"invalid token: {exc}", invalid_token=True) from None


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        sub = UUID(str(claims["sub"]))
    except ValueError:
        raise UnauthorizedError("the token's sub is not a UUID", invalid_token=True) from None
    ministry = claims.get("ministry")
    if ministry is not None and (not isinstance(ministry, str) or not MINISTRY_CODE.match(ministry)):
        raise UnauthorizedError("the token's ministry is not a ministry code", invalid_token=True)
    roles = claims.get("roles") or []
    if isinstance(roles, str):
        roles = roles.split()
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise UnauthorizedError("the token's roles are not a list of strings", invalid_token=True)
    return Principal(
        sub=sub,
        ministry=ministry,
        roles=frozenset(roles),
        email=claims.get("email"),
        given_name=claims.get("given_name"),
        usual_name=claims.get("usual_name"),
    )


def _verifier(request: Request) -> TokenVerifier:
    runtime = getattr(request.app.state, "runtime", None)
    verifier = getattr(runtime, "verifier", None)
    if verifier is None:
        raise ServiceUnavailableError("the service is starting")
    return verifier  # type: ignore[no-any-return]


async def authenticate(request: Request) -> Principal:
    """The request's verified principal (cached on the request); ``UnauthorizedError`` otherwise."""
    cached = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    header = request.headers.get("authorization")
    if not header:
        raise UnauthorizedError("a bearer token is required")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("the Authorization header is not a bearer token", invalid_token=True)
    principal = await _verifier(request).verify(token.strip())
    request.scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


bearer_scheme = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT")


async def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """Dependency: the authenticated caller, or 401 (``WWW-Authenticate: Bearer``)."""
    return await authenticate(request)


async def optional_principal(request: Request) -> Principal | None:
    """Dependency: the caller if a token is given (a bad one is still 401), else ``None``."""
    if "authorization" not in request.headers:
        return None
    return await authenticate(request)


SCOPE_KINDS = {
    "public": "no token needed",
    "none": "no ministry or ownership rule: every caller with one of the roles",
    "token-ministry": "acts on or lists the ministry named in the caller's token only",
    "path-ministry": "the ministry in the path must be the caller's",
    "resource-ministry": "the resource must belong to the caller's ministry",
    "self": "the caller's own resource: the id in the path (or the resource created) is the caller's `sub`",
    "relation": "the caller must stand in a relation to the resource (owner, proposer, trainer…)",
    "registered-trainer": "the caller must be registered (and not withdrawn) in the trainers service",
}
"""The scope rules a route may declare (``Scope.kind``)."""


@dataclass(frozen=True, slots=True)
class Scope:
    """The ministry or ownership rule of a route, beyond its roles.

    ``exempt``: roles the rule does not apply to (e.g. campus_staff sees every ministry).
    ``other_ministry``: what a caller outside the rule gets on a real resource — 403, or 404 where
    existence itself must not leak (``None``: the rule does not concern a resource).
    ``decided``: ``gate`` (a dependency, before the body is read) or ``handler`` (on the loaded resource).
    """

    kind: str = "none"
    rule: str = ""
    exempt: tuple[str, ...] = ()
    other_ministry: int | None = None
    decided: str = "gate"

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"unknown scope kind {self.kind!r}: one of {', '.join(SCOPE_KINDS)}")
        if self.other_ministry not in (None, 403, 404) or self.decided not in ("gate", "handler"):
            raise ValueError(f"invalid scope {self!r}")
        if not set(self.exempt) <= ROLES:
            raise ValueError(f"unknown roles in {self.exempt!r}")

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": self.kind, "rule": self.rule or SCOPE_KINDS[self.kind]}
        if self.exempt:
            doc["exempt"] = list(self.exempt)
        if self.other_ministry is not None:
            doc["other_ministry"] = self.other_ministry
        if self.kind != "public":
            doc["decided"] = self.decided
        return doc


class Gate:
    """An authorisation rule run as a dependency: subclasses implement ``check`` (raise to refuse).

    ``roles``: the roles it lets through (``None``: it does not look at roles); ``scope``: the
    ministry or ownership rule it applies (``None``: none). Both are documented per route.
    """

    roles: tuple[str, ...] | None = None
    scope: Scope | None = None

    async def check(self, request: Request, principal: Principal) -> None:
        raise NotImplementedError

    async def __call__(
        self, request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        await self.check(request, principal)
        return principal


class RequireRoles(Gate):
    def __init__(self, roles: Iterable[str]) -> None:
        self.roles = self.required = tuple(roles)

    async def check(self, request: Request, principal: Principal) -> None:
        if not principal.has_role(*self.required):
            raise ForbiddenError(f"this needs one of the roles: {', '.join(self.required)}")


class SameMinistryAsPath(Gate):
    """The path parameter ``param`` must be the caller's ministry (staff and admins pass)."""

    def __init__(self, param: str = "ministry") -> None:
        self.param = param
        self.scope = Scope(
            "path-ministry", f"`{{{param}}}` must be the caller's ministry", STAFF_ROLES, other_ministry=403
        )

    async def check(self, request: Request, principal: Principal) -> None:
        ensure_same_ministry(principal, request.path_params.get(self.param))


class Policy(Gate):
    """Checks roles (if given) and declares a scope that the route's handler enforces itself."""

    def __init__(self, roles: Iterable[str] | None, scope: Scope) -> None:
        self.roles = None if roles is None else tuple(roles)
        self.scope = scope

    async def check(self, request: Request, principal: Principal) -> None:
        if self.roles is not None and not principal.has_role(*self.roles):
            raise ForbiddenError(f"this needs one of the roles: {', '.join(self.roles)}")


def authorize(*roles: str, scope: Scope) -> Any:
    """Dependency: 401 without a token, 403 without one of ``roles`` (any role if none given);
    ``scope`` documents the rule the handler applies to the resource it loads."""
    return Depends(Policy(roles or None, scope))


def require_roles(*roles: str) -> Any:
    """Dependency: 401 without a valid token, 403 unless the caller has one of ``roles``."""
    return Depends(RequireRoles(roles))


def require_same_ministry(param: str = "ministry") -> Any:
    return Depends(SameMinistryAsPath(param))


def ensure_same_ministry(principal: Principal, ministry: str | None) -> None:
    """403 unless ``ministry`` is the caller's own, or the caller is campus_staff or admin."""
    if principal.is_staff:
        return
    if ministry is None or principal.ministry != ministry:
        raise ForbiddenError("this belongs to another ministry")


def _walk(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _walk(sub)


async def check_route_gates(request: Request) -> None:
    """Run the matched route's authentication and gates (raising 401/403) outside FastAPI's resolution."""
    scope = request.scope
    context = scope.get("fastapi", {}).get("effective_route_context")
    dependant = getattr(context, "dependant", None) or getattr(scope.get("route"), "dependant", None)
    if dependant is None:
        return
    calls = list(_walk(dependant))
    overrides = getattr(request.app, "dependency_overrides", {})
    gates = [c for c in calls if isinstance(c, Gate) and c not in overrides]
    if current_principal in overrides or not (gates or current_principal in calls):
        return
    principal = await authenticate(request)
    for gate in gates:
        await gate.check(request, principal)


def route_policy(dependant: Dependant) -> tuple[list[str], dict[str, Any]]:
    """A route's roles and scope, read from its gates: ``(x-campus-roles, x-campus-scope)``.

    No token needed (no ``current_principal`` and no gate) → every role and scope ``public``;
    a token needed and no gate → every role and scope ``none``. The roles are those every role
    gate lets through; at most one gate may declare a scope.
    """
    calls = list(_walk(dependant))
    gates = [c for c in calls if isinstance(c, Gate)]
    if not gates and current_principal not in calls:
        return sorted(ROLES), Scope("public").document()
    allowed = set(ROLES)
    for gate in gates:
        if gate.roles is not None:
            allowed &= set(gate.roles)
    scopes = [g.scope for g in gates if g.scope is not None]
    if len(scopes) > 1:
        raise ValueError(f"a route declares several scopes: {scopes}")
    return sorted(allowed), (scopes[0] if scopes else Scope()).document()


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
