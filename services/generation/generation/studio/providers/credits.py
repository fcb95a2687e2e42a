"""auth's wallet, seen from generation: the internal debit (conditional, idempotent per key)."""

import httpx

from lumi_shared.errors import InsufficientCredits, ServiceUnavailable
from lumi_shared.internal import InternalClient


class CreditsUnavailable(ServiceUnavailable):
    default_message = "The credits service is unavailable, please retry"


class AuthCredits:
    def __init__(self, base_url: str, *, secret: str, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = InternalClient(base_url, caller="generation", secret=secret,
                                     timeout=timeout, transport=transport)

    async def debit(self, *, user_id: str, amount: int, key: str, reason: str) -> int:
        """The balance after taking `amount`; the same key again never debits twice."""
        try:
            response = await self.client.request("POST", "/internal/credits/debit", json={
                "user_id": user_id, "amount": amount, "idempotency_key": key,
                "reason": reason[:200]})
        except httpx.HTTPError:
            raise CreditsUnavailable() from None
        if response.status_code == 402:
            details = (response.json().get("data") or {}).get("details")
            raise InsufficientCredits(details=details)
        if response.status_code != 200:
            raise CreditsUnavailable()
        return int(response.json()["data"]["balance"])

    async def aclose(self) -> None:
        await self.client.aclose()
