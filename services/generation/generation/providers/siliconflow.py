"""Images from an OpenAI-compatible images API (SiliconFlow `POST /images/generations`)."""

import base64
import binascii

import httpx

from .base import ProviderError, call, json_body, status_error
from .fetch import GuardedFetcher

NAME = "Image provider"


class SiliconFlowImageProvider:
    name = "siliconflow"

    def __init__(self, *, base_url: str, api_key: str, model: str, fetcher: GuardedFetcher,
                 image_size: str = "1024x1024", timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.model, self.image_size, self.fetcher = model, image_size, fetcher
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                      transport=transport, follow_redirects=False,
                                      headers={"Authorization": f"Bearer {api_key}"})

    async def generate(self, prompt: str, *, seed: int) -> bytes:
        body = {"model": self.model, "prompt": prompt, "image_size": self.image_size,
                "batch_size": 1, "num_inference_steps": 20, "guidance_scale": 7.5,
                "negative_prompt": "", "seed": seed}
        response = await call(NAME, self.http.post("/images/generations", json=body))
        if response.status_code != 200:
            raise status_error(NAME, response)
        data = json_body(NAME, response)
        items = data.get("images") or data.get("data")
        first = items[0] if isinstance(items, list) and items else None
        if not isinstance(first, dict):
            raise ProviderError(f"{NAME} returned no image")
        if isinstance(first.get("b64_json"), str):
            try:
                return base64.b64decode(first["b64_json"], validate=True)
            except (binascii.Error, ValueError):
                raise ProviderError(f"{NAME} returned a malformed image") from None
        if not isinstance(first.get("url"), str):
            raise ProviderError(f"{NAME} returned no image URL")
        return await self.fetcher.fetch(first["url"])

    async def aclose(self) -> None:
        await self.http.aclose()
