"""Event handlers of the auth service, declared once in SUBSCRIPTIONS (event -> use case)."""

from lumi_shared.contracts import GenerationFailed
from lumi_shared.messaging import ProcessedEvents, Subscription, bind_subscriptions

from .deps import Deps
from .service.credits import refund_credits

SERVICE = "auth"


async def refund_failed_generation(deps: Deps, event: GenerationFailed) -> None:
    # The debit was keyed by the generation id; refund_credits gives it back at most once,
    # so duplicated or reordered failure events for one generation refund once.
    await refund_credits(credits=deps.repos.credits, clock=deps.clock,
                         user_id=event.user_id, idempotency_key=event.generation_id)


SUBSCRIPTIONS = {GenerationFailed: refund_failed_generation}


def subscriptions(deps: Deps, processed: ProcessedEvents) -> list[Subscription]:
    return bind_subscriptions(SERVICE, SUBSCRIPTIONS, deps, processed)
