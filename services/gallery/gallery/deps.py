"""What the routes and handlers need, built once by the composition root (`main.create_app`)."""

from dataclasses import dataclass

from .cache import PageCache
from .config import Settings
from .providers.users import UserDirectory
from .repository import CatalogueRepository, InteractionRepository


@dataclass
class Deps:
    settings: Settings
    catalogue: CatalogueRepository
    interactions: InteractionRepository
    directory: UserDirectory
    pages: PageCache
