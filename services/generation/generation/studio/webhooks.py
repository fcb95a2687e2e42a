"""Standard Webhooks (standardwebhooks.com) signatures: HMAC-SHA256 over
`{webhook-id}.{webhook-timestamp}.{body}`, base64, sent as `v1,<signature>` (several may be
listed, space-separated, during a secret rotation). Secrets may carry the `whsec_` prefix, in
which case the rest is the base64 key."""

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from lumi_shared.errors import Unauthorized

PREFIX = "whsec_"
MAX_ID_LENGTH = 200


class InvalidSignature(Unauthorized):
    default_message = "Invalid webhook signature"


def secret_key(secret: str) -> bytes:
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX):], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("webhook secret: invalid base64 after whsec_") from None
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def signed_headers(secret: str, msg_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body),
            "content-type": "application/json"}


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: int,
           now: float | None = None) -> str:
    """The webhook id of an authentic, fresh message; `InvalidSignature` (one uniform 401)
    for anything else, whatever was wrong."""
    msg_id = headers.get("webhook-id", "")
    raw_timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not msg_id or len(msg_id) > MAX_ID_LENGTH or not raw_timestamp.isdigit():
        raise InvalidSignature()
    timestamp = int(raw_timestamp)
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        raise InvalidSignature()
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in signatures.split():
        # compare_digest on every candidate: the time taken does not reveal how much matched
        if candidate.startswith("v1,") and hmac.compare_digest(candidate.encode(), expected):
            return msg_id
    raise InvalidSignature()
