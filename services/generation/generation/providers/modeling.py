"""modeling's truth about a task's model, asked over its internal API (never through events):
the sweeper rebuilds a stalled task view from it instead of guessing."""

from typing import Protocol

import httpx

from lumi_shared.contracts import Event
from lumi_shared.errors import PoisonMessage, ServiceUnavailable
from lumi_shared.internal import InternalClient
from lumi_shared.messaging import decode_event


class ModelingUnavailable(ServiceUnavailable):
    default_message = "The modeling service is unavailable, please retry"


class ModelTruth(Protocol):
    async def model_of(self, task_id: str) -> Event | None:
        """The event stating the task's model as it is now; None when modeling has no model
        for the task; `ModelingUnavailable` when it cannot answer."""

    async def aclose(self) -> None: ...


class ModelingClient:
    def __init__(self, base_url: str, *, secret: str, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = InternalClient(base_url, caller="generation", secret=secret,
                                     timeout=timeout, transport=transport)

    async def model_of(self, task_id: str) -> Event | None:
        try:
            response = await self.client.request("GET", f"/internal/tasks/{task_id}/model")
        except httpx.HTTPError as exc:
            raise ModelingUnavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ModelingUnavailable()
        try:
            data = response.json()["data"]
            return decode_event(data["routingKey"], data["event"])
        except (ValueError, KeyError, TypeError, PoisonMessage) as exc:
            raise ModelingUnavailable() from exc

    async def aclose(self) -> None:
        await self.client.aclose()
