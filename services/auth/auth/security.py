"""Secrets of the auth service: login codes, session tokens, e-mail normalisation."""

import hashlib
import hmac
import secrets

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254


class BadEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Validated, lower-cased address; CR/LF and non-ASCII (look-alike) addresses are refused."""
    if any(ch in raw for ch in "\r\n\0"):
        raise BadEmail("E-mail must not contain control characters")
    candidate = raw.strip()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise BadEmail("Invalid e-mail address")
    try:
        result = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise BadEmail("Invalid e-mail address") from None
    return result.normalized.lower()


def new_code(length: int) -> str:
    return str(secrets.randbelow(10**length)).zfill(length)


def hash_code(key: str, email: str, code_id: str, code: str) -> str:
    """HMAC binds the digest to the address and to this code, so a leaked store is useless."""
    message = f"{email}\x00{code_id}\x00{code}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def code_matches(key: str, email: str, code_id: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_code(key, email, code_id, code), stored_hash)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def session_id(token: str) -> str:
    """The stored key of a session and the `session_id` every service sees: sha256 hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_id() -> str:
    return secrets.token_hex(12)


def opaque_key(value: str) -> str:
    """Short digest used in rate-limit keys so the counters hold no addresses."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]
