"""Request bodies and response shapes of the auth service's HTTP API."""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from lumi_shared.text import CONTROL_MESSAGE, has_control
from lumi_shared.timeutil import iso

from ..domain import CodePurpose, LedgerEntry, User
from ..security import BadEmail, normalize_email
from ..service.users import Profile

_CODE = re.compile(r"^\d{4,8}$")


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except BadEmail as exc:
        raise PydanticCustomError("email", str(exc)) from None


def _code(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # old clients send numbers; only digit strings are accepted below
    if not isinstance(value, str) or not _CODE.match(value.strip()):
        raise PydanticCustomError("code", "Code must be 4 to 8 digits")
    return value.strip()


def _text(value: str) -> str:
    value = value.strip()
    if has_control(value):
        raise PydanticCustomError("text", CONTROL_MESSAGE)
    return value


_NO_CONTROL = r"\u0000-\u001f\u007f-\u009f"
AVATAR_PATTERN = rf"^$|^https?://[^\s/$.?#{_NO_CONTROL}][^\s{_NO_CONTROL}]*$"


def _avatar(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value) or has_control(value):
        raise PydanticCustomError("url", "Avatar must be an http(s) URL")
    return value


Email = Annotated[str, Field(max_length=320, json_schema_extra={"format": "email"}),
                  AfterValidator(_email)]
Code = Annotated[str, BeforeValidator(_code), WithJsonSchema({
    "description": "The mailed code: 4 to 8 digits (older clients send it as a number)",
    "anyOf": [{"type": "string", "pattern": r"^\d{4,8}$"},
              {"type": "integer", "minimum": 1000, "maximum": 99_999_999}]})]


class SendCodeBody(BaseModel):
    email: Email
    type: CodePurpose = CodePurpose.LOGIN


class CodeBody(BaseModel):
    email: Email
    code: Code


class UpdateProfileBody(BaseModel):
    """Only these fields can change; anything else in the body (role, email...) is ignored."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, max_length=64)
    nick_name: Annotated[str, Field(min_length=1, max_length=50),
                         AfterValidator(_text)] | None = None
    avatar: Annotated[str | None, Field(max_length=2048), AfterValidator(_avatar),
                      WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 2048,
                                                 "pattern": AVATAR_PATTERN}, {"type": "null"}],
                                      "description": "http(s) URL; empty or null clears it"})] = None
    gender: Annotated[str, Field(max_length=20), AfterValidator(_text)] | None = None

    def changes(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in ("nick_name", "avatar", "gender")
                if field in self.model_fields_set}


class ResolveBody(BaseModel):
    token: str = Field(min_length=1, max_length=600)


class LookupBody(BaseModel):
    ids: list[Annotated[str, Field(max_length=64)]] = Field(max_length=100)


class DebitBody(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=1_000_000, strict=True)
    idempotency_key: str = Field(min_length=1, max_length=200)
    reason: str = Field("", max_length=200)


class RefundBody(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    idempotency_key: str = Field(min_length=1, max_length=200)



def public_user(profile: Profile) -> dict[str, Any]:
    """The superset of user fields the web and mobile clients read."""
    user = profile.user
    return {"id": user.id, "email": user.email, "name": user.name, "userName": user.user_name,
            "nickName": user.nick_name, "avatar": user.avatar, "gender": user.gender,
            "role": profile.role.value, "createdAt": iso(user.created_at),
            "lastLoginAt": iso(user.last_login_at), "stats": profile.stats}


CARD_STATS = ("publicModels", "totalLikes", "totalFavorites", "totalViews", "totalDownloads")


def card_user(profile: Profile) -> dict[str, Any]:
    """The public profile card anyone signed in may see: no e-mail, nothing derived from it,
    and only counters about public models."""
    user = profile.user
    return {"id": user.id, "name": user.public_name, "nickName": user.nick_name,
            "avatar": user.avatar, "createdAt": iso(user.created_at),
            "stats": {k: int(profile.stats.get(k, 0)) for k in CARD_STATS}}


def summary_user(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.public_name, "avatar": user.avatar}


def ledger_entry(entry: LedgerEntry) -> dict[str, Any]:
    return {"id": entry.id, "kind": entry.kind.value, "amount": entry.amount,
            "delta": entry.delta, "reason": entry.reason, "balanceAfter": entry.balance_after,
            "createdAt": iso(entry.created_at), "actorId": entry.actor_id}
