"""Code, token and e-mail primitives."""

import math
from collections import Counter

import pytest

from auth.security import (
    BadEmail,
    code_matches,
    hash_code,
    new_code,
    new_session_token,
    normalize_email,
    session_id,
)


@pytest.mark.parametrize("length", [4, 6, 8])
def test_codes_have_the_configured_number_of_digits(length):
    codes = [new_code(length) for _ in range(500)]
    assert all(len(c) == length and c.isdigit() for c in codes)


def test_codes_are_spread_over_every_digit_and_position():
    codes = [new_code(6) for _ in range(20_000)]
    for position in range(6):
        counts = Counter(code[position] for code in codes)
        assert set(counts) == set("0123456789")
        assert max(counts.values()) / min(counts.values()) < 1.3
    assert math.log2(10**6) > 19.9


def test_the_stored_hash_holds_no_plaintext_and_binds_address_and_code_id():
    digest = hash_code("k" * 40, "a@example.com", "id1", "123456")
    assert "123456" not in digest and len(digest) == 64
    assert code_matches("k" * 40, "a@example.com", "id1", "123456", digest)
    assert not code_matches("k" * 40, "b@example.com", "id1", "123456", digest)
    assert not code_matches("k" * 40, "a@example.com", "id2", "123456", digest)
    assert not code_matches("x" * 40, "a@example.com", "id1", "123456", digest)


def test_session_tokens_are_256_bit_url_safe_and_distinct():
    tokens = {new_session_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(len(t) >= 43 for t in tokens)
    token = tokens.pop()
    assert session_id(token) != token and len(session_id(token)) == 64


@pytest.mark.parametrize("raw, expected", [
    ("Ada@Example.COM", "ada@example.com"),
    ("  bob@example.org ", "bob@example.org"),
])
def test_addresses_are_normalized(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "plain", "a@b", "a@example.com\r\nBcc: x@example.com", "a@example.com\n",
    "ädmin@example.com", "x" * 250 + "@example.com", "a@@example.com",
])
def test_bad_addresses_are_refused(raw):
    with pytest.raises(BadEmail):
        normalize_email(raw)
