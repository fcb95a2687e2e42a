"""Entities, enums and domain errors of the auth service."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from lumi_shared.aggregate import Change, Transition
from lumi_shared.contracts import SessionRevoked
from lumi_shared.errors import AppError
from lumi_shared.timeutil import as_utc

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


# Enums whose values are their lower-cased member names.
CodePurpose = StrEnum("CodePurpose", "LOGIN REGISTER MODIFY_PASSWORD", module=__name__)
Role = StrEnum("Role", "USER ADMIN", module=__name__)
EntryKind = StrEnum("EntryKind", "GRANT DEBIT REFUND ADMIN_CREDIT ADMIN_DEBIT", module=__name__)
AuthStatus = StrEnum("AuthStatus", "AUTHENTICATED UNAUTHENTICATED EXPIRED", module=__name__)

SIGN_IN_PURPOSES = frozenset({CodePurpose.LOGIN, CodePurpose.REGISTER})
OUTGOING = frozenset({EntryKind.DEBIT, EntryKind.ADMIN_DEBIT})


class InvalidCode(AppError):
    status, code, default_message = 400, "INVALID_CODE", "Invalid or expired code"


@dataclass(frozen=True)
class User:
    """An account, known by its e-mail address; `role` is not stored (see `role_for`)."""

    id: str
    email: str
    user_name: str
    nick_name: str | None = None
    avatar: str | None = None
    gender: str | None = None
    created_at: datetime | None = None
    last_login_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.nick_name or self.user_name

    @property
    def public_name(self) -> str:
        """What strangers see (gallery): never derived from the e-mail address."""
        return self.nick_name or f"Lumi user {self.id[-6:]}"

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "User":
        return cls(id=str(doc["_id"]), email=doc["email"], user_name=doc.get("user_name") or "",
                   nick_name=doc.get("nick_name"), avatar=doc.get("avatar"),
                   gender=doc.get("gender"), created_at=_opt(doc.get("created_at")),
                   last_login_at=_opt(doc.get("last_login_at")))


def _opt(value: datetime | None) -> datetime | None:
    return as_utc(value) if value else None


def role_for(email: str, admin_emails: frozenset[str]) -> Role:
    """Computed on every read, so editing ADMIN_EMAILS applies without touching the data."""
    return Role.ADMIN if email.lower() in admin_emails else Role.USER


@dataclass(frozen=True)
class Session:
    """A sign-in; `id` is the sha256 hex of its token (what `SessionRevoked` carries)."""

    id: str
    user_id: str
    expires_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


def revoke(session: dict[str, Any], now: datetime) -> Change | None:
    """Revoke once and announce it (gateway caches drop the session)."""
    if session.get("revoked_at") is not None:
        return None
    event = SessionRevoked(session_id=session["_id"], user_id=session["user_id"])
    return Change({"revoked_at": now}, [event])


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    user_id: str
    kind: EntryKind
    amount: int
    reason: str
    idempotency_key: str
    created_at: datetime
    balance_after: int | None = None
    actor_id: str | None = None  # the admin who made an adjustment (audit)

    @property
    def delta(self) -> int:
        return -self.amount if self.kind in OUTGOING else self.amount

    @property
    def dedupe(self) -> str:
        return dedupe_key(self.kind, self.idempotency_key)

    def to_doc(self) -> dict[str, Any]:
        return {"_id": self.id, "user_id": self.user_id, "kind": self.kind.value,
                "amount": self.amount, "reason": self.reason,
                "idempotency_key": self.idempotency_key, "dedupe": self.dedupe,
                "created_at": self.created_at, "balance_after": self.balance_after,
                "actor_id": self.actor_id}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "LedgerEntry":
        return cls(id=doc["_id"], user_id=doc["user_id"], kind=EntryKind(doc["kind"]),
                   amount=doc["amount"], reason=doc.get("reason", ""),
                   idempotency_key=doc["idempotency_key"], created_at=as_utc(doc["created_at"]),
                   balance_after=doc.get("balance_after"), actor_id=doc.get("actor_id"))


def dedupe_key(kind: EntryKind, idempotency_key: str) -> str:
    return f"{kind.value}:{idempotency_key}"


@dataclass
class Wallet:
    user_id: str
    balance: int
    entries: list[LedgerEntry] = field(default_factory=list)


def journal(entry: LedgerEntry, *, require_funds: bool) -> Transition:
    """Move the wallet's balance and journal the entry; None (refused) when this kind:key is
    already journalled or, for a debit, the balance is short."""
    def apply(wallet: dict[str, Any], now: datetime) -> Change | None:
        pending = wallet.get("pending", [])
        if any(p["dedupe"] == entry.dedupe for p in pending):
            return None
        if require_funds and wallet["balance"] < entry.amount:
            return None
        return Change({"pending": [*pending, entry.to_doc()], "updated_at": entry.created_at},
                      inc={"balance": entry.delta})

    return apply
