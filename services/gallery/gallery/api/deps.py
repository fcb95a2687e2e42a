"""What the routes need, built once by the composition root (`main.create_app`)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from ..cache import PageCache
from ..config import Settings
from ..providers.users import UserDirectory
from ..repository import CatalogueRepository, InteractionRepository

CLIENT_IP_HEADER = "x-lumi-client-ip"


@dataclass
class GalleryDeps:
    settings: Settings
    catalogue: CatalogueRepository
    interactions: InteractionRepository
    directory: UserDirectory
    pages: PageCache


def _deps(request: Request) -> GalleryDeps:
    return request.app.state.gallery


def _client_ip(request: Request) -> str | None:
    return request.headers.get(CLIENT_IP_HEADER)


Deps = Annotated[GalleryDeps, Depends(_deps)]
ClientIP = Annotated[str | None, Depends(_client_ip)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]
