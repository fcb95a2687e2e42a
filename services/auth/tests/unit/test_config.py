"""Settings: secrets refused in prod, cookie name and flags per profile, admin list."""

import pytest
from pydantic import ValidationError

from auth.config import Settings

REAL = "r" * 48


def test_prod_refuses_the_placeholder_code_hmac_key():
    with pytest.raises(ValidationError, match="CODE_HMAC_KEY"):
        Settings(LUMI_ENV="prod", IDENTITY_SECRET=REAL)


def test_prod_refuses_a_short_code_hmac_key():
    with pytest.raises(ValidationError, match="CODE_HMAC_KEY"):
        Settings(LUMI_ENV="prod", IDENTITY_SECRET=REAL, CODE_HMAC_KEY="short")


def test_prod_accepts_real_secrets_and_uses_a_secure_host_cookie():
    settings = Settings(LUMI_ENV="prod", IDENTITY_SECRET=REAL, CODE_HMAC_KEY="k" * 40)
    assert settings.cookie_secure
    assert settings.session_cookie_name == "__Host-lumi_session"
    assert not settings.codes_visible


@pytest.mark.parametrize("env", ["embedded", "dev"])
def test_embedded_and_dev_use_a_plain_lumi_session_cookie(env):
    settings = Settings(LUMI_ENV=env)
    assert not settings.cookie_secure
    assert settings.session_cookie_name == "lumi_session"
    assert settings.codes_visible


def test_the_cookie_name_follows_the_setting_and_the_secure_flag():
    assert Settings(LUMI_ENV="dev", SESSION_COOKIE_NAME="sid").session_cookie_name == "sid"
    secure = Settings(LUMI_ENV="dev", SESSION_COOKIE_NAME="sid", SESSION_COOKIE_SECURE=True)
    assert secure.session_cookie_name == "__Host-sid"


def test_admin_emails_are_a_case_insensitive_comma_list():
    settings = Settings(LUMI_ENV="test", ADMIN_EMAILS=" A@x.com,b@Y.org ,, ")
    assert settings.admin_emails == {"a@x.com", "b@y.org"}


@pytest.mark.parametrize("length", [3, 9])
def test_the_code_length_is_bounded_to_4_to_8(length):
    with pytest.raises(ValidationError):
        Settings(LUMI_ENV="test", CODE_LENGTH=length)


def test_the_code_lifetime_cannot_exceed_ten_minutes():
    with pytest.raises(ValidationError):
        Settings(LUMI_ENV="test", CODE_TTL_SECONDS=601)
