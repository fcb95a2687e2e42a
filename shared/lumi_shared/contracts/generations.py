"""Events about studio-tools generations (producer: generation)."""

from .base import Event


class GenerationFailed(Event):
    """generation -> auth (refund): a studio generation ended without a result; auth gives
    back the debit keyed by `generation_id`, at most once."""

    generation_id: str
    user_id: str
    credits: int
    error_code: str
    error_message: str = ""
