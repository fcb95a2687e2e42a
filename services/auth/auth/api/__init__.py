"""HTTP API of the auth service: thin routes over the use cases."""

from . import auth, internal, users

routers = (auth.router, users.router, internal.router)

__all__ = ["routers"]
