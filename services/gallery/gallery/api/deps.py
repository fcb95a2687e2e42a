"""What the routes need, built once by the composition root (`main.create_app`)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from lumi_shared.identity import ClientIP

from ..cache import PageCache
from ..config import Settings
from ..providers.users import UserDirectory
from ..repository import CatalogueRepository, InteractionRepository


@dataclass
class Deps:
    settings: Settings
    catalogue: CatalogueRepository
    interactions: InteractionRepository
    directory: UserDirectory
    pages: PageCache


async def _deps(request: Request) -> Deps:
    return request.app.state.gallery


DepsDep = Annotated[Deps, Depends(_deps)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]
__all__ = ["ClientIP", "Deps", "DepsDep", "Limit", "Offset"]
