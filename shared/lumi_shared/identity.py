"""The signed identity header the gateway forwards to services (architecture §3).

Format: `base64url(json{sub, role, sid, exp}) "." base64url(HMAC-SHA256(secret, payload))`.
A request without the header is anonymous; a forged or expired one is refused (401).
"""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from .errors import Forbidden, Unauthorized

IDENTITY_HEADER = "x-lumi-identity"
CLIENT_IP_HEADER = "x-lumi-client-ip"
GATEWAY_PROOF_HEADER = "x-lumi-gateway"  # signs the client address: only the gateway sets it
SERVICE_ROLE = "service"
CLIENT_IP_TTL = 60  # seconds a signed client address stays valid


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: str = "user"
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class InvalidIdentity(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_identity(identity: Identity, secret: str, ttl_seconds: int = 60,
                  now: float | None = None) -> str:
    claims = {"sub": identity.user_id, "role": identity.role, "sid": identity.session_id,
              "exp": int((now or time.time()) + ttl_seconds)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


class _Verified:
    """Signatures already checked, so a caller's next requests skip the HMAC and the JSON:
    (secret, signed value) -> (result, expiry). Expiry is still checked on every use, and a
    value is remembered only once fully verified. Bounded: emptied when full."""

    def __init__(self, max_size: int = 4096) -> None:
        self.max_size = max_size
        self._values: dict[tuple[str, str], tuple[object, int]] = {}

    def get(self, secret: str, value: str, now: float) -> object | None:
        hit = self._values.get((secret, value))
        return hit[0] if hit is not None and hit[1] >= now else None

    def put(self, secret: str, value: str, result: object, expires: int) -> None:
        if len(self._values) >= self.max_size:
            self._values.clear()
        self._values[(secret, value)] = (result, expires)


_verified_identities = _Verified()
_verified_client_ips = _Verified()


def verify_identity(token: str, secret: str, now: float | None = None) -> Identity:
    now = now or time.time()
    if (known := _verified_identities.get(secret, token, now)) is not None:
        return known  # type: ignore[return-value]
    identity, expires = _verify_identity(token, secret, now)
    _verified_identities.put(secret, token, identity, expires)
    return identity


def _verify_identity(token: str, secret: str, now: float) -> tuple[Identity, int]:
    try:
        payload, signature = token.split(".", 1)
        expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(signature)):
            raise InvalidIdentity("bad signature")
        claims = json.loads(_unb64(payload))
    except (ValueError, TypeError) as exc:
        raise InvalidIdentity("malformed identity") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise InvalidIdentity("malformed claims")
    if (expires := int(claims.get("exp", 0))) < now:
        raise InvalidIdentity("expired")
    return Identity(claims["sub"], str(claims.get("role") or "user"), claims.get("sid")), expires


def service_identity_header(service: str, secret: str) -> dict[str, str]:
    """Header for an internal call made by `service` itself (not on behalf of a user)."""
    return {IDENTITY_HEADER: sign_identity(Identity(f"service:{service}", SERVICE_ROLE), secret)}


def _proof_mac(client_ip: str, expires: int, secret: str) -> bytes:
    return hmac.new(secret.encode(), f"gateway|{client_ip}|{expires}".encode(),
                    hashlib.sha256).digest()


def client_ip_headers(client_ip: str, secret: str, ttl_seconds: int = CLIENT_IP_TTL,
                      now: float | None = None) -> dict[str, str]:
    """What the gateway sends so a service may key per-IP limits on the caller's address."""
    expires = int((now or time.time()) + ttl_seconds)
    proof = f"{expires}.{_b64(_proof_mac(client_ip, expires, secret))}"
    return {CLIENT_IP_HEADER: client_ip, GATEWAY_PROOF_HEADER: proof}


def client_ip(request: Request) -> str:
    """The caller's address: the gateway's signed `X-Lumi-Client-IP`, else the socket peer
    (never an unsigned header - anyone reaching a service port could pick any value)."""
    claimed = request.headers.get(CLIENT_IP_HEADER, "").strip()
    proof = request.headers.get(GATEWAY_PROOF_HEADER, "")
    if claimed and "." in proof:
        secret, now = request.app.state.settings.IDENTITY_SECRET, time.time()
        if _verified_client_ips.get(secret, f"{claimed}|{proof}", now) is not None:
            return claimed[:64]
        expires, _, mac = proof.partition(".")
        try:
            valid = (int(expires) >= now and hmac.compare_digest(
                _unb64(mac), _proof_mac(claimed, int(expires), secret)))
        except (ValueError, TypeError):
            valid = False
        if valid:
            _verified_client_ips.put(secret, f"{claimed}|{proof}", True, int(expires))
            return claimed[:64]
    return request.client.host if request.client else "unknown"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <t>` header, or None. Clients store the login
    answer ("Bearer <t>") verbatim and prefix it again, so repeated prefixes are removed."""
    value = (authorization or "").strip()
    if value[:7].lower() != "bearer ":
        return None
    while value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value or None


def _identity(request: Request) -> Identity | None:
    if "lumi_identity" in request.scope:
        return request.scope["lumi_identity"]
    raw = request.headers.get(IDENTITY_HEADER)
    identity = None
    if raw:
        try:
            identity = verify_identity(raw, request.app.state.settings.IDENTITY_SECRET)
        except InvalidIdentity:
            raise Unauthorized("Invalid or expired identity") from None
    request.scope["lumi_identity"] = identity
    return identity


def optional_user(request: Request) -> Identity | None:
    identity = _identity(request)
    return identity if identity and identity.role != SERVICE_ROLE else None


def require_user(request: Request) -> Identity:
    identity = optional_user(request)
    if identity is None:
        raise Unauthorized()
    return identity


def require_admin(request: Request) -> Identity:
    identity = require_user(request)
    if not identity.is_admin:
        raise Forbidden("Admin role required")
    return identity


def require_service(request: Request) -> Identity:
    identity = _identity(request)
    if identity is None or identity.role != SERVICE_ROLE:
        raise Unauthorized("Internal endpoint")
    return identity


def _on_loop(check):
    """`check` as a coroutine dependency: FastAPI runs a plain `def` dependency in its thread
    pool, a hop per request that costs more than the check itself."""
    async def dependency(request: Request):
        return check(request)

    dependency.__name__ = dependency.__qualname__ = check.__name__
    return dependency


CurrentUser = Annotated[Identity, Depends(_on_loop(require_user))]
OptionalUser = Annotated[Identity | None, Depends(_on_loop(optional_user))]
AdminUser = Annotated[Identity, Depends(_on_loop(require_admin))]
ServiceCaller = Annotated[Identity, Depends(_on_loop(require_service))]
ClientIP = Annotated[str, Depends(_on_loop(client_ip))]
