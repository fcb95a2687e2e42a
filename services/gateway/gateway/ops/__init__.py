"""Operator routes of the gateway: workers status and dead letters, gathered from the services
(`api` routes, `service` use cases, `models` answers)."""

from .api import router
from .service import Operators

__all__ = ["router", "Operators"]
