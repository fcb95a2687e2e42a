"""Public routes about the caller's profile and credits."""

from fastapi import APIRouter, Path, Query, Response

from lumi_shared.errors import NotFound
from lumi_shared.identity import CurrentUser
from lumi_shared.openapi import JSend, errors
from lumi_shared.responses import ok_json

from ..service.credits import get_wallet
from ..service.users import load_profile, update_profile
from .deps import DepsDep
from .schemas import UpdateProfileBody, card_user, ledger_entry, public_user
from .views import Card, Updated, Wallet

router = APIRouter(tags=["users"])


@router.post("/api/users/update", response_model=JSend[Updated], responses=errors(
    s403="`id` names another user", s404="The caller's account no longer exists"))
async def update_me(body: UpdateProfileBody, caller: CurrentUser, deps: DepsDep) -> Response:
    user = await update_profile(users=deps.repos.users, clock=deps.clock, caller=caller,
                                target_id=body.id, changes=body.changes())
    profile = await load_profile(users=deps.repos.users, stats=deps.stats,
                                 settings=deps.settings, user=user)
    return ok_json({"message": "Profile updated", "user": public_user(profile)})


@router.get("/api/credits", response_model=JSend[Wallet])
async def my_credits(caller: CurrentUser, deps: DepsDep,
                     limit: int = Query(20, ge=1, le=100)) -> Response:
    wallet = await get_wallet(credits=deps.repos.credits, settings=deps.settings,
                              clock=deps.clock, user_id=caller.user_id, limit=limit)
    return ok_json({"balance": wallet.balance, "entries": [ledger_entry(e) for e in wallet.entries]})


@router.get("/api/users/{user_id}", response_model=JSend[Card], responses=errors(404))
async def user_card(caller: CurrentUser, deps: DepsDep,
                    user_id: str = Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")) -> Response:
    """Public profile card of any user (FY `GET /api/users/:id`, which needed a login)."""
    profile = await load_profile(users=deps.repos.users, stats=deps.stats,
                                 settings=deps.settings, user_id=user_id)
    if profile is None:
        raise NotFound("User not found")
    return ok_json({"user": card_user(profile)})
