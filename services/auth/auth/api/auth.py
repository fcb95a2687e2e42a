"""Public routes under /api/auth: codes, login/register, me, logout."""

from typing import Any

from fastapi import APIRouter, Response

from lumi_shared.http import ok

from ..domain import SIGN_IN_PURPOSES
from ..security import session_id
from ..service import codes as code_cases
from ..service import sessions as session_cases
from ..service.users import load_profile, who_am_i
from .cookies import clear_session_cookie, set_session_cookie
from .deps import ClientIP, CredentialRejected, DepsDep, LenientUser, PresentedToken
from .schemas import CodeBody, SendCodeBody, public_user

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/send-code")
async def send_code(body: SendCodeBody, deps: DepsDep, ip: ClientIP) -> dict[str, Any]:
    settings = deps.settings
    await code_cases.send_code(codes=deps.repos.codes, limiter=deps.repos.limiter,
                               mail=deps.mail, settings=settings, clock=deps.clock,
                               email=body.email, purpose=body.type, client_ip=ip)
    return ok({"message": "Code sent", "expiresIn": settings.CODE_TTL_SECONDS,
               "resendAfter": settings.CODE_RESEND_COOLDOWN_SECONDS})


async def _sign_in(body: CodeBody, deps: DepsDep, response: Response,
                   previous: str | None, ip: str, *, registering: bool = False,
                   after_register: bool = False) -> dict[str, Any]:
    repos = deps.repos
    await code_cases.check_code(codes=repos.codes, limiter=repos.limiter, settings=deps.settings,
                                clock=deps.clock, email=body.email, code=body.code,
                                purposes=SIGN_IN_PURPOSES, client_ip=ip, registering=registering,
                                after_register=after_register)
    signed = await session_cases.start_session(
        users=repos.users, sessions=repos.sessions, credits=repos.credits,
        settings=deps.settings, clock=deps.clock, email=body.email, previous_token=previous)
    profile = await load_profile(users=repos.users, stats=deps.stats, settings=deps.settings,
                                 user=signed.user)
    set_session_cookie(response, deps.settings, signed.token)
    response.headers["Cache-Control"] = "no-store"
    return ok({"token": f"Bearer {signed.token}", "user": public_user(profile),
               "expiresIn": deps.settings.SESSION_TTL_SECONDS})


@router.post("/login")
async def login(body: CodeBody, deps: DepsDep, response: Response,
                previous: PresentedToken, ip: ClientIP) -> dict[str, Any]:
    """Also accepts, once, the code a registration of the same address just used."""
    return await _sign_in(body, deps, response, previous, ip, after_register=True)


@router.post("/verify-code")
async def verify_code(body: CodeBody, deps: DepsDep, response: Response,
                      previous: PresentedToken, ip: ClientIP) -> dict[str, Any]:
    """The older clients' name for login."""
    return await _sign_in(body, deps, response, previous, ip)


@router.post("/register")
async def register(body: CodeBody, deps: DepsDep, response: Response,
                   previous: PresentedToken, ip: ClientIP) -> dict[str, Any]:
    """Same as login (the account is created by the first successful code check), but the
    code stays good for one login of the same address: the mobile app logs in right after."""
    return await _sign_in(body, deps, response, previous, ip, registering=True)


@router.get("/me")
async def me(deps: DepsDep, identity: LenientUser, rejected: CredentialRejected,
             response: Response) -> dict[str, Any]:
    result = await who_am_i(users=deps.repos.users, stats=deps.stats, settings=deps.settings,
                            identity=identity, credential_rejected=rejected)
    response.headers["Cache-Control"] = "no-store"
    user = public_user(result.profile) if result.profile else None
    return ok({"status": result.status.value, "user": user})


@router.post("/logout")
async def logout(deps: DepsDep, response: Response, token: PresentedToken,
                 identity: LenientUser) -> dict[str, Any]:
    """Takes no body (clients send `{}`, nothing or anything). Always succeeds."""
    sids = {session_id(token)} if token else set()
    if identity and identity.session_id:
        sids.add(identity.session_id)
    for sid in sids:
        await session_cases.revoke_session(sessions=deps.repos.sessions,
                                           clock=deps.clock, session_id=sid)
    clear_session_cookie(response, deps.settings)
    return ok({"message": "Logged out"})
