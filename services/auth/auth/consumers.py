"""Event handlers of the auth service: refunds of failed studio generations."""

from lumi_shared.contracts import GenerationFailed
from lumi_shared.messaging import ProcessedEvents, Subscription, idempotent

from .components import Components
from .service.credits import refund_credits

SERVICE = "auth"


def build_subscriptions(components: Components,
                        processed: ProcessedEvents) -> list[Subscription]:
    async def refund(event: GenerationFailed) -> None:
        # The debit was keyed by the generation id; refund_credits gives it back at most once,
        # so duplicated or reordered failure events for one generation refund once.
        await refund_credits(credits=components.repos.credits, clock=components.clock,
                             user_id=event.user_id, idempotency_key=event.generation_id)

    name = f"{SERVICE}.{GenerationFailed.routing_key}"
    return [Subscription(SERVICE, GenerationFailed, idempotent(name, processed, refund))]
