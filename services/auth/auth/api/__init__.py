"""HTTP API of the auth service: thin routes over the use cases."""

from . import admin, auth, internal, users

routers = (auth.router, users.router, internal.router, admin.router)

__all__ = ["routers"]
