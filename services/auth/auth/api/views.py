"""Response models of the auth routes: they document what `schemas` builds (the routes send
those dicts with pydantic-core; the fuzz run checks the two agree)."""

from pydantic import BaseModel, Field

from ..domain import AuthStatus, EntryKind, Role


class UserStats(BaseModel):
    totalModels: int
    publicModels: int
    privateModels: int
    totalLikes: int
    totalFavorites: int
    totalViews: int
    totalDownloads: int
    likedModelsCount: int
    favoritedModelsCount: int
    totalRequests: int
    completedRequests: int
    failedRequests: int


class PublicUser(BaseModel):
    id: str
    email: str
    name: str
    userName: str
    nickName: str | None
    avatar: str | None
    gender: str | None
    role: Role
    createdAt: str | None
    lastLoginAt: str | None
    stats: UserStats


class CardStats(BaseModel):
    publicModels: int
    totalLikes: int
    totalFavorites: int
    totalViews: int
    totalDownloads: int


class CardUser(BaseModel):
    id: str
    name: str
    nickName: str | None
    avatar: str | None
    createdAt: str | None
    stats: CardStats


class Card(BaseModel):
    user: CardUser


class CodeSent(BaseModel):
    message: str
    expiresIn: int = Field(description="Seconds the code stays valid")
    resendAfter: int = Field(description="Seconds before another code may be asked for")


class SignedIn(BaseModel):
    token: str = Field(description="`Bearer <token>`, sent back as the Authorization header")
    user: PublicUser
    expiresIn: int = Field(description="Seconds the session lives")


class Me(BaseModel):
    status: AuthStatus
    user: PublicUser | None


class Updated(BaseModel):
    message: str
    user: PublicUser


class LedgerEntry(BaseModel):
    id: str
    kind: EntryKind
    amount: int
    delta: int
    reason: str
    balanceAfter: int | None
    createdAt: str | None
    actorId: str | None


class Wallet(BaseModel):
    balance: int
    entries: list[LedgerEntry]


class UserWallet(Wallet):
    userId: str


class Adjusted(BaseModel):
    userId: str
    balance: int
    entry: LedgerEntry
