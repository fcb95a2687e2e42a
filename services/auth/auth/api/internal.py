"""Internal routes (service callers only; never routed by the gateway)."""

from fastapi import APIRouter, Response

from lumi_shared.identity import ServiceCaller
from lumi_shared.responses import ok_json

from ..service import credits as credit_cases
from ..service.sessions import resolve_session
from ..service.users import lookup_users
from .deps import DepsDep
from .schemas import DebitBody, LookupBody, RefundBody, ResolveBody, iso, summary_user

router = APIRouter(prefix="/internal", tags=["internal"])


@router.post("/sessions/resolve")
async def resolve(body: ResolveBody, _: ServiceCaller, deps: DepsDep) -> Response:
    token = body.token.removeprefix("Bearer ").strip()
    found = await resolve_session(sessions=deps.repos.sessions, users=deps.repos.users,
                                  settings=deps.settings, clock=deps.clock, token=token)
    return ok_json({"user_id": found.user_id, "role": found.role.value,
               "session_id": found.session_id, "expires_at": iso(found.expires_at)})


@router.post("/users/lookup")
async def lookup(body: LookupBody, _: ServiceCaller, deps: DepsDep) -> Response:
    found = await lookup_users(users=deps.repos.users, user_ids=body.ids)
    return ok_json({user_id: summary_user(user) for user_id, user in found.items()})


@router.post("/credits/debit")
async def debit(body: DebitBody, _: ServiceCaller, deps: DepsDep) -> Response:
    result = await credit_cases.debit_credits(
        credits=deps.repos.credits, users=deps.repos.users, settings=deps.settings,
        clock=deps.clock, user_id=body.user_id, amount=body.amount,
        idempotency_key=body.idempotency_key, reason=body.reason)
    return ok_json({"balance": result.balance, "entry_id": result.entry_id})


@router.post("/credits/refund")
async def refund(body: RefundBody, _: ServiceCaller, deps: DepsDep) -> Response:
    result = await credit_cases.refund_credits(credits=deps.repos.credits, clock=deps.clock,
                                               user_id=body.user_id,
                                               idempotency_key=body.idempotency_key)
    return ok_json({"balance": result.balance, "refunded": result.refunded})
