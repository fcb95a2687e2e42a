"""Admin routes of the credits wallet: read any wallet, adjust it with a reason (audited)."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field

from lumi_shared.errors import NotFound, ValidationFailed
from lumi_shared.identity import AdminUser
from lumi_shared.openapi import JSend, errors
from lumi_shared.responses import ok_json

from ..service.adjust import adjust_credits
from ..service.credits import get_wallet
from .deps import DepsDep
from .schemas import ledger_entry
from .views import Adjusted, UserWallet

router = APIRouter(prefix="/api/admin/credits", tags=["admin"])


class AdjustBody(BaseModel):
    amount: int = Field(strict=True, ge=-1_000_000, le=1_000_000, json_schema_extra={"not": {"const": 0}})
    reason: str = Field(min_length=1, max_length=200)
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


ADMIN = errors(s403="The caller is not an admin", s404="Unknown user")
UserId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/{user_id}", response_model=JSend[UserWallet], responses=ADMIN)
async def read_wallet(user_id: UserId, admin: AdminUser, deps: DepsDep,
                      limit: int = Query(20, ge=1, le=100)) -> Response:
    if await deps.repos.users.get(user_id) is None:
        raise NotFound("Unknown user")
    wallet = await get_wallet(credits=deps.repos.credits, settings=deps.settings,
                              clock=deps.clock, user_id=user_id, limit=limit)
    return ok_json({"userId": user_id, "balance": wallet.balance,
               "entries": [ledger_entry(e) for e in wallet.entries]})


@router.post("/{user_id}", response_model=JSend[Adjusted], responses={**ADMIN, **errors(
    s400="Invalid body, or an amount of 0", s409="The balance cannot go below zero")})
async def adjust(user_id: UserId, body: AdjustBody, admin: AdminUser, deps: DepsDep,
                 idempotency_key: str | None = Header(None, max_length=200)) -> Response:
    if body.amount == 0:
        raise ValidationFailed("amount must not be 0")
    entry = await adjust_credits(
        credits=deps.repos.credits, users=deps.repos.users, settings=deps.settings,
        clock=deps.clock, admin_id=admin.user_id, user_id=user_id, amount=body.amount,
        reason=body.reason.strip(), idempotency_key=body.idempotency_key or idempotency_key)
    return ok_json({"userId": user_id, "balance": entry.balance_after, "entry": ledger_entry(entry)})
