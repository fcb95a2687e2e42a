"""Events about login sessions (producer: auth)."""

from .base import Event


class SessionRevoked(Event):
    """auth -> gateway: drop the cached session whose token hash is `session_id` on every replica."""

    session_id: str
    user_id: str
