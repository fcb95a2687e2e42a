"""Request-level dependencies: components, client address, presented credentials."""

from typing import Annotated

from fastapi import Depends, Request

from lumi_shared.errors import Unauthorized
from lumi_shared.identity import ClientIP, Identity, bearer_token, optional_user

from ..config import COOKIE_BASE_NAME, HOST_PREFIX
from ..deps import Deps

AUTH_STATE_HEADER = "x-lumi-auth"


async def components(request: Request) -> Deps:
    return request.app.state.auth


async def presented_token(request: Request) -> str | None:
    """The session token from `Authorization: Bearer` or either cookie name, if any."""
    if token := bearer_token(request.headers.get("authorization")):
        return token[:512]
    settings = request.app.state.auth.settings
    base = settings.SESSION_COOKIE_NAME.removeprefix(HOST_PREFIX)
    for name in (settings.session_cookie_name, f"{HOST_PREFIX}{base}", base,
                 f"{HOST_PREFIX}{COOKIE_BASE_NAME}", COOKIE_BASE_NAME):
        if value := request.cookies.get(name):
            return value[:512]
    return None


async def lenient_user(request: Request) -> Identity | None:
    """Like `OptionalUser`, but a bad identity header means anonymous instead of 401."""
    try:
        return optional_user(request)
    except Unauthorized:
        return None


async def credential_rejected(request: Request) -> bool:
    if request.headers.get(AUTH_STATE_HEADER, "").lower() == "invalid":
        return True
    try:
        optional_user(request)
    except Unauthorized:
        return True
    return False


DepsDep = Annotated[Deps, Depends(components)]
PresentedToken = Annotated[str | None, Depends(presented_token)]
LenientUser = Annotated[Identity | None, Depends(lenient_user)]
CredentialRejected = Annotated[bool, Depends(credential_rejected)]
__all__ = ["ClientIP", "CredentialRejected", "DepsDep", "LenientUser", "PresentedToken"]
