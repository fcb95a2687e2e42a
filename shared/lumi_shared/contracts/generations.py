"""Events about studio-tools generations (producer: generation)."""

from .base import Event


class GenerationFailed(Event):
    """generation -> auth (refund): a charged studio generation ended without a result; auth gives back the debit made with `generation_id` as its key, at most once."""

    generation_id: str
    user_id: str
    credits: int
    error_code: str
    error_message: str = ""
