"""Persistence of the auth service; every repository runs on MongoDB and the in-process store."""

from collections.abc import Callable
from typing import Any

from .codes import CodeRepository, MongoCodeRepository, StoredCode
from .credits import CreditsRepository, MongoCreditsRepository
from .ratelimit import Limit, RateLimiter
from .sessions import MongoSessionRepository, SessionRepository
from .users import MongoUserRepository, UserRepository


class Repositories:
    """Every repository of the service over one database."""

    def __init__(self, db: Any, *, on_outbox: Callable[[], None] | None = None) -> None:
        self.users = MongoUserRepository(db["users"])
        self.sessions = MongoSessionRepository(db["sessions"], on_outbox=on_outbox)
        self.codes = MongoCodeRepository(db["login_codes"])
        self.limiter = RateLimiter(db["rate_limits"])
        self.credits = MongoCreditsRepository(db["wallets"], db["ledger"])

    async def ensure_indexes(self) -> None:
        for repo in (self.users, self.sessions, self.codes, self.limiter, self.credits):
            await repo.ensure_indexes()


__all__ = ["CodeRepository", "CreditsRepository", "Limit", "MongoCodeRepository",
           "MongoCreditsRepository", "MongoSessionRepository", "MongoUserRepository",
           "RateLimiter", "Repositories", "SessionRepository", "StoredCode", "UserRepository"]
