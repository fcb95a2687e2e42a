"""Action-figure-like pictures drawn with Pillow: the simulated provider's results and the
template thumbnails. One scene per template style (desk, blister pack, standing, cabinet,
brick minifigure, group), coloured from a seed so different prompts give different figures."""

import io
import random

from PIL import Image, ImageDraw, ImageFilter

STYLES = ("desk", "pack", "standing", "cabinet", "brick", "group")
KEYWORDS = {"desk": "sculpting program", "pack": "blister pack", "cabinet": "display cabinet",
            "brick": "minifigure", "group": "figure set", "standing": "acrylic base"}
Color = tuple[int, int, int]


def style_for_prompt(prompt: str) -> str:
    text = prompt.lower()
    return next((style for style, word in KEYWORDS.items() if word in text), "standing")


def size_for_ratio(ratio: str, width: int) -> tuple[int, int]:
    try:
        w, h = (int(p) for p in ratio.split(":"))
    except ValueError:
        w, h = 1, 1
    return width, max(64, round(width * h / w))


def _palette(rng: random.Random) -> dict[str, Color]:
    def c(lo: int = 30, hi: int = 230) -> Color:
        return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))
    return {"skin": rng.choice([(241, 205, 176), (224, 172, 130), (176, 122, 86), (255, 224, 196)]),
            "hair": c(10, 200), "outfit": c(), "accent": c(), "legs": c(20, 120), "bg": c(150, 240)}


def _backdrop(img: Image.Image, top: Color, bottom: Color) -> None:
    draw, (w, h) = ImageDraw.Draw(img), img.size
    for y in range(h):
        t = y / max(1, h - 1)
        shade = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (w, y)], fill=shade)


def _base(draw: ImageDraw.ImageDraw, cx: float, y: float, r: float) -> None:
    draw.ellipse([cx - r, y - r * 0.28, cx + r, y + r * 0.28], fill=(215, 232, 242),
                 outline=(250, 252, 255), width=2)
    draw.arc([cx - r * 0.8, y - r * 0.2, cx + r * 0.8, y + r * 0.2], 200, 330, fill=(255, 255, 255))


def _figure(draw: ImageDraw.ImageDraw, cx: float, feet: float, height: float,
            p: dict[str, Color], blocky: bool = False) -> None:
    u = height / 8
    head_r = u * 0.9
    head_y = feet - height + head_r
    draw.rectangle([cx - u * 0.9, feet - u * 3.6, cx - u * 0.15, feet], fill=p["legs"])
    draw.rectangle([cx + u * 0.15, feet - u * 3.6, cx + u * 0.9, feet], fill=p["legs"])
    draw.rectangle([cx - u * 1.1, feet - u * 0.35, cx - u * 0.05, feet], fill=(40, 40, 45))
    draw.rectangle([cx + u * 0.05, feet - u * 0.35, cx + u * 1.1, feet], fill=(40, 40, 45))
    torso_top, torso_bottom = head_y + head_r * 1.1, feet - u * 3.4
    if blocky:
        draw.rectangle([cx - u * 1.3, torso_top, cx + u * 1.3, torso_bottom], fill=p["outfit"])
    else:
        draw.polygon([(cx - u * 1.4, torso_top), (cx + u * 1.4, torso_top),
                      (cx + u * 1.0, torso_bottom), (cx - u * 1.0, torso_bottom)], fill=p["outfit"])
    draw.rectangle([cx - u * 1.0, torso_bottom - u * 0.45, cx + u * 1.0, torso_bottom],
                   fill=p["accent"])
    for side in (-1, 1):
        x0 = cx + side * u * 1.4
        draw.line([(x0, torso_top + u * 0.2), (x0 + side * u * 0.6, torso_bottom)],
                  fill=p["outfit"], width=max(3, int(u * 0.6)))
        draw.ellipse([x0 + side * u * 0.6 - u * 0.3, torso_bottom - u * 0.3,
                      x0 + side * u * 0.6 + u * 0.3, torso_bottom + u * 0.3], fill=p["skin"])
    box = [cx - head_r, head_y - head_r, cx + head_r, head_y + head_r]
    if blocky:
        draw.rounded_rectangle(box, radius=head_r * 0.3, fill=(255, 214, 10))
        draw.rectangle([cx - head_r * 0.4, head_y - head_r * 1.3, cx + head_r * 0.4, head_y - head_r],
                       fill=(255, 214, 10))
    else:
        draw.ellipse(box, fill=p["skin"])
        draw.chord([box[0] - 2, box[1] - 3, box[2] + 2, box[3] - head_r * 0.6], 180, 360,
                   fill=p["hair"])
    for side in (-1, 1):
        ex = cx + side * head_r * 0.38
        draw.ellipse([ex - head_r * 0.12, head_y - head_r * 0.05, ex + head_r * 0.12,
                      head_y + head_r * 0.2], fill=(30, 30, 40))


def _scene(style: str, img: Image.Image, p: dict[str, Color], rng: random.Random) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img, "RGBA")
    cx, floor = w / 2, h * 0.86
    if style == "desk":
        _backdrop(img, (70, 76, 90), (40, 42, 50))
        draw.rectangle([0, h * 0.72, w, h], fill=(120, 86, 60))
        draw.rectangle([w * 0.08, h * 0.18, w * 0.62, h * 0.55], fill=(25, 25, 30))
        draw.rectangle([w * 0.1, h * 0.2, w * 0.6, h * 0.53], fill=(70, 74, 82))
        _figure(draw, w * 0.35, h * 0.5, h * 0.26, p)
        draw.rectangle([w * 0.66, h * 0.4, w * 0.94, h * 0.78], fill=p["accent"], outline=(20, 20, 20))
        _figure(draw, w * 0.8, h * 0.74, h * 0.26, p)
        _base(draw, w * 0.4, floor, w * 0.16)
        _figure(draw, w * 0.4, floor, h * 0.42, p)
    elif style == "pack":
        _backdrop(img, p["bg"], (250, 250, 250))
        draw.rounded_rectangle([w * 0.06, h * 0.06, w * 0.94, h * 0.96], radius=w * 0.05,
                               fill=p["accent"], outline=(30, 30, 30), width=3)
        draw.ellipse([cx - w * 0.08, h * 0.08, cx + w * 0.08, h * 0.14], fill=(250, 250, 250))
        draw.rounded_rectangle([w * 0.12, h * 0.2, w * 0.58, h * 0.92], radius=w * 0.06,
                               fill=(255, 255, 255, 90), outline=(255, 255, 255), width=2)
        _figure(draw, w * 0.35, h * 0.88, h * 0.62, p)
        for i in range(3):
            y = h * (0.22 + i * 0.24)
            draw.rounded_rectangle([w * 0.64, y, w * 0.88, y + h * 0.2], radius=8,
                                   fill=(255, 255, 255, 110), outline=(255, 255, 255))
            shape = [w * 0.7, y + h * 0.05, w * 0.82, y + h * 0.15]
            (draw.ellipse if i % 2 else draw.rectangle)(shape, fill=_palette(rng)["accent"])
    elif style == "cabinet":
        _backdrop(img, (60, 45, 35), (30, 24, 20))
        draw.rectangle([w * 0.06, h * 0.04, w * 0.94, h * 0.98], fill=(245, 230, 200, 60),
                       outline=(200, 180, 150), width=4)
        for y in (h * 0.3, floor + 6):
            draw.rectangle([w * 0.06, y, w * 0.94, y + 6], fill=(220, 235, 245, 160))
        _figure(draw, w * 0.25, h * 0.3, h * 0.2, _palette(rng))
        _figure(draw, w * 0.75, h * 0.3, h * 0.2, _palette(rng))
        _base(draw, cx, floor, w * 0.2)
        _figure(draw, cx, floor, h * 0.5, p)
        draw.line([(w * 0.7, h * 0.1), (w * 0.85, h * 0.5)], fill=(255, 255, 255, 80), width=6)
    elif style == "brick":
        _backdrop(img, (255, 240, 200), (250, 250, 250))
        bx, by, bw, bh = w * 0.08, h * 0.18, w * 0.44, h * 0.68
        draw.polygon([(bx + bw, by), (bx + bw + w * 0.08, by - h * 0.08),
                      (bx + bw + w * 0.08, by + bh - h * 0.08), (bx + bw, by + bh)], fill=(180, 30, 30))
        draw.rectangle([bx, by, bx + bw, by + bh], fill=(220, 40, 40), outline=(60, 0, 0), width=2)
        draw.rectangle([bx + bw * 0.1, by + bh * 0.15, bx + bw * 0.9, by + bh * 0.9], fill=p["bg"])
        _figure(draw, bx + bw / 2, by + bh * 0.88, bh * 0.65, p, blocky=True)
        _figure(draw, w * 0.76, floor, h * 0.6, p, blocky=True)
    elif style == "group":
        _backdrop(img, p["bg"], (235, 235, 240))
        draw.rounded_rectangle([w * 0.1, floor - h * 0.04, w * 0.9, floor + h * 0.06], radius=12,
                               fill=(40, 40, 48))
        for i, x in enumerate((0.28, 0.5, 0.72)):
            _figure(draw, w * x, floor, h * (0.62 if i == 1 else 0.52), p if i == 1 else _palette(rng))
    else:
        _backdrop(img, (200, 203, 208), (150, 153, 160))
        _base(draw, cx, floor, w * 0.24)
        _figure(draw, cx, floor, h * 0.7, p)


def render_figure(style: str, seed: str, size: tuple[int, int]) -> bytes:
    """A PNG of one action-figure scene in `style`, varied by `seed`."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, (255, 255, 255))
    _scene(style if style in STYLES else "standing", img, _palette(rng), rng)
    img = img.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
