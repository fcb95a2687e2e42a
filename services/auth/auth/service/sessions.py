"""Use cases of sessions: sign in with a checked code, resolve a token, sign out."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from lumi_shared.errors import NotFound

from ..config import Settings
from ..domain import Clock, Role, Session, User, role_for
from ..repository import CreditsRepository, SessionRepository, UserRepository
from ..security import new_session_token, session_id
from .credits import open_wallet

log = structlog.get_logger("lumi.auth.sessions")


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: User
    role: Role
    session: Session
    created: bool


@dataclass(frozen=True)
class ResolvedSession:
    user_id: str
    role: Role
    session_id: str
    expires_at: datetime


async def start_session(*, users: UserRepository, sessions: SessionRepository,
                        credits: CreditsRepository,
                        settings: Settings, clock: Clock, email: str,
                        previous_token: str | None) -> SignedIn:
    """Called once the code is consumed: create the account on first login, issue a new
    token (never reuse one the client brought: session fixation) and revoke that old one."""
    now = clock()
    user, created = await users.upsert_on_login(email, now)
    if created:
        await open_wallet(credits=credits, settings=settings, clock=clock, user_id=user.id)
        log.info("user_created", user_id=user.id)
    token = new_session_token()
    sid = session_id(token)
    expires_at = now + timedelta(seconds=settings.SESSION_TTL_SECONDS)
    await sessions.create(sid, user.id, now, expires_at)
    if previous_token:
        await revoke_session(sessions=sessions, clock=clock,
                             session_id=session_id(previous_token))
    log.info("session_started", user_id=user.id, session_id=sid[:12])
    return SignedIn(token=token, user=user, role=role_for(user.email, settings.admin_emails),
                    session=Session(sid, user.id, expires_at), created=created)


async def resolve_session(*, sessions: SessionRepository, users: UserRepository,
                          settings: Settings, clock: Clock, token: str) -> ResolvedSession:
    sid = session_id(token)
    session = await sessions.get(sid)
    if session is None or not session.active(clock()):
        raise NotFound("Unknown or expired session")
    user = await users.get(session.user_id)
    if user is None:
        raise NotFound("Unknown or expired session")
    return ResolvedSession(user_id=user.id, role=role_for(user.email, settings.admin_emails),
                           session_id=sid, expires_at=session.expires_at)


async def revoke_session(*, sessions: SessionRepository,
                         clock: Clock, session_id: str) -> bool:
    """Revoke and announce (`SessionRevoked` via the outbox, the store kicks the relay) so
    gateway caches drop it."""
    revoked = await sessions.revoke(session_id, clock())
    if revoked is None:
        return False
    log.info("session_revoked", user_id=revoked.user_id, session_id=session_id[:12])
    return True
