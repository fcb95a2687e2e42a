"""Public routes under /api/auth: codes, login/register, me, logout."""

from fastapi import APIRouter, Response

from lumi_shared.openapi import JSend, Message, errors
from lumi_shared.responses import ok_json

from ..domain import SIGN_IN_PURPOSES
from ..security import session_id
from ..service import codes as code_cases
from ..service import sessions as session_cases
from ..service.users import load_profile, who_am_i
from .cookies import clear_session_cookie, set_session_cookie
from .deps import ClientIP, CredentialRejected, DepsDep, LenientUser, PresentedToken
from .schemas import CodeBody, SendCodeBody, public_user
from .views import CodeSent, Me, SignedIn

router = APIRouter(prefix="/api/auth", tags=["auth"])
SIGN_IN = {"response_model": JSend[SignedIn], "responses": errors(
    s400="Invalid body, or a wrong, expired or used code (code INVALID_CODE)",
    s403="Cross-site sign-in refused (a foreign Origin)",
    s429="Too many wrong codes for this address or from this client")}


@router.post("/send-code", response_model=JSend[CodeSent], responses=errors(
    s429="Resend cooldown, or too many codes for this address or from this client"))
async def send_code(body: SendCodeBody, deps: DepsDep, ip: ClientIP) -> Response:
    settings = deps.settings
    await code_cases.send_code(codes=deps.repos.codes, limiter=deps.repos.limiter,
                               mail=deps.mail, settings=settings, clock=deps.clock,
                               email=body.email, purpose=body.type, client_ip=ip)
    return ok_json({"message": "Code sent", "expiresIn": settings.CODE_TTL_SECONDS,
                    "resendAfter": settings.CODE_RESEND_COOLDOWN_SECONDS})


async def _sign_in(body: CodeBody, deps: DepsDep, previous: str | None, ip: str, *,
                   registering: bool = False, after_register: bool = False) -> Response:
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
    response = ok_json({"token": f"Bearer {signed.token}", "user": public_user(profile),
                        "expiresIn": deps.settings.SESSION_TTL_SECONDS},
                       headers={"Cache-Control": "no-store"})
    set_session_cookie(response, deps.settings, signed.token)
    return response


@router.post("/login", **SIGN_IN)
async def login(body: CodeBody, deps: DepsDep, previous: PresentedToken, ip: ClientIP) -> Response:
    """Also accepts, once, the code a registration of the same address just used."""
    return await _sign_in(body, deps, previous, ip, after_register=True)


@router.post("/verify-code", **SIGN_IN)
async def verify_code(body: CodeBody, deps: DepsDep, previous: PresentedToken,
                      ip: ClientIP) -> Response:
    """The older clients' name for login."""
    return await _sign_in(body, deps, previous, ip)


@router.post("/register", **SIGN_IN)
async def register(body: CodeBody, deps: DepsDep, previous: PresentedToken,
                   ip: ClientIP) -> Response:
    """Same as login (the account is created by the first successful code check), but the
    code stays good for one login of the same address: the mobile app logs in right after."""
    return await _sign_in(body, deps, previous, ip, registering=True)


@router.get("/me", response_model=JSend[Me])
async def me(deps: DepsDep, identity: LenientUser, rejected: CredentialRejected) -> Response:
    """Never 401: `status` says authenticated, unauthenticated or expired."""
    result = await who_am_i(users=deps.repos.users, stats=deps.stats, settings=deps.settings,
                            identity=identity, credential_rejected=rejected)
    user = public_user(result.profile) if result.profile else None
    return ok_json({"status": result.status.value, "user": user},
                   headers={"Cache-Control": "no-store"})


@router.post("/logout", response_model=JSend[Message])
async def logout(deps: DepsDep, token: PresentedToken, identity: LenientUser) -> Response:
    """Takes no body (clients send `{}`, nothing or anything). Always succeeds."""
    sids = {session_id(token)} if token else set()
    if identity and identity.session_id:
        sids.add(identity.session_id)
    for sid in sids:
        await session_cases.revoke_session(sessions=deps.repos.sessions,
                                           clock=deps.clock, session_id=sid)
    response = ok_json({"message": "Logged out"})
    clear_session_cookie(response, deps.settings)
    return response
