"""How routes reach `Deps` (`DepsDep`), and the query parameters they share."""

from typing import Annotated

from fastapi import Depends, Query, Request

from lumi_shared.identity import ClientIP

from ..deps import Deps


async def _deps(request: Request) -> Deps:
    return request.app.state.gallery


DepsDep = Annotated[Deps, Depends(_deps)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]
__all__ = ["ClientIP", "Deps", "DepsDep", "Limit", "Offset"]
