"""Use cases of user profiles: who am I, update my profile, look users up."""

import asyncio
from dataclasses import dataclass
from typing import Any

from lumi_shared.errors import Forbidden, NotFound
from lumi_shared.identity import Identity

from ..config import Settings
from ..domain import AuthStatus, Clock, Role, User, role_for
from ..repository import UserRepository
from .stats import StatsSource, safe_stats


@dataclass(frozen=True)
class Profile:
    user: User
    role: Role
    stats: dict[str, int]


@dataclass(frozen=True)
class Me:
    status: AuthStatus
    profile: Profile | None = None


async def load_profile(*, users: UserRepository, stats: StatsSource, settings: Settings,
                       user: User | None = None, user_id: str | None = None) -> Profile | None:
    if user is None:
        found, numbers = await asyncio.gather(users.get(user_id or ""),
                                              safe_stats(stats, user_id or ""))
        if found is None:
            return None
        user = found
    else:
        numbers = await safe_stats(stats, user.id)
    return Profile(user=user, role=role_for(user.email, settings.admin_emails), stats=numbers)


async def who_am_i(*, users: UserRepository, stats: StatsSource, settings: Settings,
                   identity: Identity | None, credential_rejected: bool) -> Me:
    """Never fails: an unusable credential is `expired`, no credential `unauthenticated`."""
    if identity is None:
        return Me(AuthStatus.EXPIRED if credential_rejected else AuthStatus.UNAUTHENTICATED)
    profile = await load_profile(users=users, stats=stats, settings=settings,
                                 user_id=identity.user_id)
    if profile is None:
        return Me(AuthStatus.EXPIRED)
    return Me(AuthStatus.AUTHENTICATED, profile)


async def update_profile(*, users: UserRepository, clock: Clock, caller: Identity,
                         target_id: str | None, changes: dict[str, Any]) -> User:
    """Only the caller's own profile; an `id` naming anyone else is refused, not obeyed."""
    if target_id is not None and target_id != caller.user_id:
        raise Forbidden("You can only update your own profile")
    user = await users.update_profile(caller.user_id, changes, clock()) if changes else \
        await users.get(caller.user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def lookup_users(*, users: UserRepository, user_ids: list[str]) -> dict[str, User]:
    found = await users.get_many(list(dict.fromkeys(user_ids)))
    return {u.id: u for u in found}
