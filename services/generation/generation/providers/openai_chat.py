"""Prompt variants from an OpenAI-compatible chat completions API (SiliconFlow, DashScope
compatible mode, OpenAI)."""

import httpx

from .base import ProviderError, call, json_body, status_error
from .prompts import parse_variants, system_prompt


class OpenAIChatPromptWriter:
    name = "openai"

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float = 20.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.model = model
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                      transport=transport, follow_redirects=False,
                                      headers={"Authorization": f"Bearer {api_key}"})

    async def variants(self, prompt: str, count: int) -> list[str]:
        body = {"model": self.model, "temperature": 0.7,
                "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": system_prompt(count)},
                             {"role": "user", "content": prompt}]}
        response = await call("LLM provider", self.http.post("/chat/completions", json=body))
        if response.status_code != 200:
            raise status_error("LLM provider", response)
        data = json_body("LLM provider", response)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ProviderError("LLM provider returned a malformed answer") from None
        variants = parse_variants(content, count) if isinstance(content, str) else None
        if variants is None:
            raise ProviderError("LLM provider did not return the expected variants")
        return variants

    async def aclose(self) -> None:
        await self.http.aclose()
