"""Names and arguments of the RabbitMQ topology (shared by every service and by tests)."""

EXCHANGE = "lumi.events"
DEAD_LETTER_EXCHANGE = "lumi.events.dlx"
UNROUTED_EXCHANGE = "lumi.events.unrouted"
UNROUTED_QUEUE = "lumi.unrouted"
UNROUTED_MAX_LENGTH = 10_000
# Dead letters are kept for inspection, but bounded: past this the oldest are dropped, so a
# poison storm cannot fill the broker's disk (RabbitMQ then blocks every publisher).
DEAD_LETTER_MAX_LENGTH = 100_000


def queue_name(service: str, routing_key: str) -> str:
    """One durable queue per subscription: `<service>.<routing key>`."""
    return f"{service}.{routing_key}"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dlq"


def dead_letter_queue_arguments() -> dict:
    return {"x-max-length": DEAD_LETTER_MAX_LENGTH, "x-overflow": "drop-head"}


def queue_arguments(queue: str, delivery_limit: int) -> dict:
    """Quorum queue whose messages go to `<queue>.dlq` after `delivery_limit` deliveries.

    RabbitMQ 3.10 has no default delivery limit, so it is always set explicitly.
    """
    return {
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` is zero or more words."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        if not k:
            return False
        return (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), routing_key.split("."))
