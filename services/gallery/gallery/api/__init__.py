"""HTTP routes of the gallery: public catalogue, interactions, user lists, internal stats."""

from .deps import Deps
from .gallery import router as gallery_router
from .internal import router as internal_router
from .users import router as users_router

routers = (gallery_router, users_router, internal_router)

__all__ = ["Deps", "routers"]
