"""Local providers doing real work: prompt variants by template, pictures rendered with Pillow
(colours and shapes seeded by the prompt's hash, the prompt text drawn on the picture)."""

import asyncio
import hashlib
import io
import random
import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .base import ProviderError

STYLES = ("cute collectible figurine", "realistic stone sculpture", "stylised cartoon toy",
          "low-poly geometric model", "chibi vinyl figure", "art-deco bronze statue")


class SimulatedPromptWriter:
    name = "simulated"

    def __init__(self, latency: float = 0.05) -> None:
        self.latency = latency

    async def variants(self, prompt: str, count: int) -> list[str]:
        await asyncio.sleep(self.latency)
        return [f"{prompt}, {STYLES[i % len(STYLES)]}, plain background, stable base"
                for i in range(count)]

    async def aclose(self) -> None:
        return None


def _palette(rng: random.Random, n: int) -> list[tuple[int, int, int]]:
    return [tuple(rng.randrange(40, 236) for _ in range(3)) for _ in range(n)]  # type: ignore[misc]


def render(prompt: str, seed: int, size: int = 512) -> bytes:
    """A PNG recognisably derived from `prompt`: same prompt and seed, same picture."""
    digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
    rng = random.Random(digest)
    top, bottom, *colours = _palette(rng, 8)
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    gradient = (np.array(top) * (1 - ramp) + np.array(bottom) * ramp).astype(np.uint8)
    image = Image.fromarray(np.broadcast_to(gradient, (size, size, 3)).copy(), "RGB")
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cx, base_y = size // 2, int(size * 0.86)
    draw.ellipse((cx - size * 0.3, base_y - size * 0.05, cx + size * 0.3, base_y + size * 0.05),
                 fill=(*colours[0], 230))
    for colour in colours[1:1 + rng.randint(3, 5)]:
        w, h = rng.uniform(0.15, 0.4) * size, rng.uniform(0.15, 0.4) * size
        x = cx + rng.uniform(-0.2, 0.2) * size
        y = rng.uniform(0.38, 0.7) * size
        box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        fill = (*colour, rng.randint(150, 230))
        if shape == "ellipse":
            draw.ellipse(box, fill=fill)
        elif shape == "rectangle":
            draw.rounded_rectangle(box, radius=int(min(w, h) / 5), fill=fill)
        else:
            points = [(x + rng.uniform(-w, w) / 2, y + rng.uniform(-h, h) / 2) for _ in range(5)]
            draw.polygon(points, fill=fill)
    image = Image.alpha_composite(image.convert("RGBA"), layer)
    _caption(ImageDraw.Draw(image), prompt, size)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()


def _caption(draw: ImageDraw.ImageDraw, prompt: str, size: int) -> None:
    font = ImageFont.load_default(size=max(12, size // 24))
    lines = textwrap.wrap(prompt, width=34, max_lines=4, placeholder=" ...") or [""]
    line_height = int(size / 24 * 1.3)
    height = line_height * len(lines) + 16
    draw.rounded_rectangle((12, 12, size - 12, 12 + height), radius=10, fill=(255, 255, 255, 215))
    for i, line in enumerate(lines):
        draw.text((24, 20 + i * line_height), line, fill=(20, 20, 20), font=font)


class SimulatedImageProvider:
    name = "simulated"

    def __init__(self, *, latency: float = 0.4, size: int = 512,
                 failure_rate: float = 0.0) -> None:
        self.latency, self.size, self.failure_rate = latency, size, failure_rate

    async def generate(self, prompt: str, *, seed: int) -> bytes:
        await asyncio.sleep(self.latency)
        if self.failure_rate and random.random() < self.failure_rate:
            raise ProviderError("Simulated provider failure")
        return await asyncio.to_thread(render, prompt, seed, self.size)

    async def aclose(self) -> None:
        return None
