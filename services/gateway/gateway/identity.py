"""Who is calling, and may they: the caller's identity (session cache, auth service), CSRF
and login-CSRF refusals, the client address, and the headers that carry them upstream."""

import ipaddress

from fastapi import Request

from lumi_shared.errors import Forbidden, ServiceUnavailable, Unauthorized
from lumi_shared.identity import IDENTITY_HEADER, client_ip_headers, sign_identity

from .config import Settings
from .cors import OriginPolicy
from .routes import Access
from .sessions import Caller, CredentialSource, SessionResolver

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# They set the session cookie: from a foreign browser origin they would be login CSRF.
SIGN_IN_PATHS = {"/api/auth/login", "/api/auth/verify-code", "/api/auth/register"}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Identities:
    def __init__(self, settings: Settings, policy: OriginPolicy,
                 resolver: SessionResolver) -> None:
        self.settings, self.policy, self.resolver = settings, policy, resolver
        self.trusted_proxies = [ipaddress.ip_network(c, strict=False)
                                for c in settings.TRUSTED_PROXIES]

    async def caller(self, request: Request, access: Access) -> Caller:
        if (request.scope["path"].rstrip("/") in SIGN_IN_PATHS and request.headers.get("origin")
                and not self._same_site(request)):
            raise Forbidden("Cross-site sign-in refused")
        caller = await self.resolver.caller(request, self.settings.SESSION_COOKIE_NAMES)
        if access is Access.LOGIN and caller.identity is None:
            if caller.unavailable:
                raise ServiceUnavailable("Authentication is temporarily unavailable")
            raise Unauthorized()
        # CSRF matters only when the ambient cookie really authenticates the request; a stale
        # cookie is ignored (anonymous), so it must not block e.g. a new login from the app.
        # Sign-in paths have their own Origin check above: a native app that kept the cookie
        # register set (no Origin header) must still be able to log in right after.
        if (caller.source is CredentialSource.COOKIE and caller.identity is not None
                and request.method not in SAFE_METHODS
                and request.scope["path"].rstrip("/") not in SIGN_IN_PATHS
                and not self._same_site(request)):
            raise Forbidden("Cross-site request refused")
        return caller

    def _same_site(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None and (referer := request.headers.get("referer")):
            origin = "/".join(referer.split("/", 3)[:3])
        return self.policy.allowed(origin)

    def upstream_headers(self, request: Request, caller: Caller) -> dict[str, str]:
        client_ip = self.client_ip(request)
        headers = {
            "x-request-id": request.scope.get("state", {}).get("request_id", ""),
            **client_ip_headers(client_ip, self.settings.IDENTITY_SECRET),
            "x-forwarded-for": client_ip,
            "x-forwarded-proto": request.scope.get("scheme", "http"),
            "x-forwarded-host": request.headers.get("host", ""),
        }
        if caller.identity:
            headers[IDENTITY_HEADER] = sign_identity(caller.identity, self.settings.IDENTITY_SECRET,
                                                     self.settings.IDENTITY_TTL)
        elif caller.invalid:
            headers["x-lumi-auth"] = "invalid"
        return headers

    def client_ip(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        if not self.trusted_proxies or not _in(peer, self.trusted_proxies):
            return peer
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in(hop, self.trusted_proxies):
                return hop
        return hops[0] if hops else peer


def _in(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
