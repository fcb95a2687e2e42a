"""Tencent Cloud API v3 request signing (TC3-HMAC-SHA256), implemented from the documented
steps: canonical request -> string to sign -> derived key -> signature -> Authorization."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def canonical_request(*, host: str, action: str, payload: bytes) -> str:
    headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    return "\n".join(["POST", "/", "", headers, SIGNED_HEADERS, sha256_hex(payload)])


def credential_scope(timestamp: int, service: str) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return f"{date}/{service}/tc3_request"


def string_to_sign(*, timestamp: int, service: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, str(timestamp), credential_scope(timestamp, service),
                      sha256_hex(canonical.encode())])


def signing_key(secret_key: str, date: str, service: str) -> bytes:
    secret_date = _hmac(("TC3" + secret_key).encode(), date)
    secret_service = _hmac(secret_date, service)
    return _hmac(secret_service, "tc3_request")


@dataclass(frozen=True)
class Credentials:
    secret_id: str
    secret_key: str
    token: str | None = None


def sign(*, credentials: Credentials, host: str, service: str, action: str, version: str,
         region: str | None, payload: bytes, timestamp: int) -> dict[str, str]:
    """Headers for one POST of `payload` (the exact bytes that will be sent)."""
    canonical = canonical_request(host=host, action=action, payload=payload)
    to_sign = string_to_sign(timestamp=timestamp, service=service, canonical=canonical)
    date = credential_scope(timestamp, service).split("/", 1)[0]
    signature = hmac.new(signing_key(credentials.secret_key, date, service),
                         to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (f"{ALGORITHM} Credential={credentials.secret_id}/"
                     f"{credential_scope(timestamp, service)}, SignedHeaders={SIGNED_HEADERS}, "
                     f"Signature={signature}")
    headers = {"Authorization": authorization, "Content-Type": CONTENT_TYPE, "Host": host,
               "X-TC-Action": action, "X-TC-Timestamp": str(timestamp),
               "X-TC-Version": version}
    if region:
        headers["X-TC-Region"] = region
    if credentials.token:
        headers["X-TC-Token"] = credentials.token
    return headers
