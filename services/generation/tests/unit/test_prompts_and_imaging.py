import io

import pytest
from PIL import Image

from generation.providers.base import ProviderError
from generation.providers.imaging import sniff, to_png
from generation.providers.prompts import parse_variants, system_prompt
from generation.providers.simulated import SimulatedPromptWriter, render


def test_parse_variants_accepts_exactly_four_strings_also_inside_a_code_fence():
    assert parse_variants('{"variants": ["a", "b", "c", "d"]}', 4) == ["a", "b", "c", "d"]
    assert parse_variants('```json\n{"variants": [" a ", "b", "c", "d"]}\n```', 4)[0] == "a"


@pytest.mark.parametrize("content", [
    "not json", '{"variants": ["a", "b", "c"]}', '{"variants": ["a", "b", "c", "d", "e"]}',
    '{"variants": ["a", "b", "c", 4]}', '{"variants": ["a", "b", "c", "  "]}',
    '{"other": []}', '"just a string"', '{"variants": ["a", "b", "c", "' + "x" * 1001 + '"]}',
])
def test_parse_variants_refuses_anything_else(content):
    assert parse_variants(content, 4) is None


def test_the_system_prompt_asks_for_the_requested_count_and_printable_subjects():
    text = system_prompt(4)
    assert '{"variants"' in text and "exactly 4 strings" in text and "2 mm" in text


async def test_the_simulated_writer_keeps_the_users_subject_in_every_variant():
    variants = await SimulatedPromptWriter(latency=0).variants("a red dragon", 4)
    assert len(set(variants)) == 4 and all(v.startswith("a red dragon, ") for v in variants)


def test_simulated_pictures_are_deterministic_per_prompt_and_differ_between_prompts():
    first = render("a red dragon", 1, size=128)
    assert first == render("a red dragon", 1, size=128)
    assert first != render("a blue whale", 1, size=128)
    assert first != render("a red dragon", 2, size=128)
    assert Image.open(io.BytesIO(first)).size == (128, 128)


def _encoded(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, fmt)
    return out.getvalue()


def test_to_png_keeps_png_and_converts_jpeg_and_webp():
    png = _encoded("PNG")
    assert to_png(png) == png
    for fmt in ("JPEG", "WEBP"):
        converted = to_png(_encoded(fmt))
        assert sniff(converted) == "png"


@pytest.mark.parametrize("data", [b"<html>nope</html>", b"", b"\x89PNG\r\n\x1a\n" + b"garbage"])
def test_to_png_refuses_what_is_not_an_image(data):
    with pytest.raises(ProviderError):
        to_png(data)
