"""What the worker needs from providers, and the errors they raise."""

from typing import Protocol

import httpx


class ProviderError(Exception):
    """A provider call failed. `message` is safe to show to the task's owner."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class ImageProvider(Protocol):
    name: str

    async def generate(self, prompt: str, *, seed: int) -> bytes:
        """One image for `prompt`, as encoded bytes (PNG, JPEG or WebP)."""

    async def aclose(self) -> None: ...


class PromptWriter(Protocol):
    name: str

    async def variants(self, prompt: str, count: int) -> list[str]:
        """`count` image prompts derived from the user's prompt; raises ProviderError."""

    async def aclose(self) -> None: ...


def status_error(provider: str, response: httpx.Response) -> ProviderError:
    """Client errors (bad request, auth, moderation) are final; 408/429/5xx may pass."""
    code = response.status_code
    retryable = code in (408, 409, 425, 429) or code >= 500
    return ProviderError(f"{provider} answered HTTP {code}", retryable=retryable)


def json_body(provider: str, response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise ProviderError(f"{provider} returned a malformed answer") from None
    if not isinstance(body, dict):
        raise ProviderError(f"{provider} returned a malformed answer")
    return body


async def call(provider: str, request) -> httpx.Response:
    """Run an httpx request coroutine, mapping transport failures to ProviderError."""
    try:
        return await request
    except httpx.TimeoutException:
        raise ProviderError(f"{provider} timed out") from None
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} is unreachable ({type(exc).__name__})") from None
