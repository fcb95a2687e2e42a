"""TC3-HMAC-SHA256 signing against the documented example and a step-by-step derivation."""

import hashlib
import hmac

from modeling.providers import tc3

# Tencent's published example (CVM DescribeInstances, 2019-02-25). Its keys are masked in
# the documentation, so the key-independent values are checked against the published ones.
DOC_PAYLOAD = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
               b'"Name": "instance-name"}]}')
DOC_PAYLOAD_HASH = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
DOC_CANONICAL_HASH = "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"


def test_the_canonical_request_matches_the_documented_example():
    canonical = tc3.canonical_request(host="cvm.tencentcloudapi.com",
                                      action="DescribeInstances", payload=DOC_PAYLOAD)
    assert hashlib.sha256(DOC_PAYLOAD).hexdigest() == DOC_PAYLOAD_HASH
    assert canonical == ("POST\n/\n\n"
                         "content-type:application/json; charset=utf-8\n"
                         "host:cvm.tencentcloudapi.com\n"
                         "x-tc-action:describeinstances\n\n"
                         "content-type;host;x-tc-action\n" + DOC_PAYLOAD_HASH)
    assert hashlib.sha256(canonical.encode()).hexdigest() == DOC_CANONICAL_HASH
    assert tc3.string_to_sign(timestamp=1551113065, service="cvm", canonical=canonical) == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n" + DOC_CANONICAL_HASH)


def _h(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def test_the_signature_equals_a_known_answer_derived_step_by_step():
    """Known answer computed by following the documented steps by hand (below) for a
    Hunyuan submit with test credentials; pinned so a regression shows up as a diff."""
    secret_id, secret_key = "AKIDLUMITESTEXAMPLE0000000000000000", "LumiTestSecretKeyExample0000000"
    payload = b'{"ImageUrl":"https://example.com/a.png","ResultFormat":"OBJ","EnablePBR":false}'
    timestamp = 1751328000  # 2025-07-01T00:00:00Z

    # 1. canonical request, 2. string to sign
    payload_hash = hashlib.sha256(payload).hexdigest()
    canonical = ("POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
                 "host:ai3d.tencentcloudapi.com\nx-tc-action:submithunyuanto3drapidjob\n\n"
                 f"content-type;host;x-tc-action\n{payload_hash}")
    to_sign = ("TC3-HMAC-SHA256\n1751328000\n2025-07-01/ai3d/tc3_request\n"
               + hashlib.sha256(canonical.encode()).hexdigest())
    # 3. derived key: HMAC chain over date, service and "tc3_request"
    key = _h(_h(_h(("TC3" + secret_key).encode(), "2025-07-01"), "ai3d"), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()

    headers = tc3.sign(credentials=tc3.Credentials(secret_id, secret_key),
                       host="ai3d.tencentcloudapi.com", service="ai3d",
                       action="SubmitHunyuanTo3DRapidJob", version="2025-05-13",
                       region="ap-guangzhou", payload=payload, timestamp=timestamp)
    assert expected == KNOWN_SIGNATURE
    assert headers["Authorization"] == (
        f"TC3-HMAC-SHA256 Credential={secret_id}/2025-07-01/ai3d/tc3_request, "
        f"SignedHeaders=content-type;host;x-tc-action, Signature={KNOWN_SIGNATURE}")
    assert headers["X-TC-Action"] == "SubmitHunyuanTo3DRapidJob"
    assert headers["X-TC-Version"] == "2025-05-13" and headers["X-TC-Region"] == "ap-guangzhou"
    assert headers["X-TC-Timestamp"] == "1751328000"
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_the_date_of_the_scope_is_the_utc_date_of_the_timestamp():
    assert tc3.credential_scope(1751327999, "ai3d") == "2025-06-30/ai3d/tc3_request"
    assert tc3.credential_scope(1751328000, "ai3d") == "2025-07-01/ai3d/tc3_request"


def test_a_session_token_is_sent_when_present():
    headers = tc3.sign(credentials=tc3.Credentials("id", "key", token="tok"), host="h",
                       service="ai3d", action="A", version="v", region=None, payload=b"{}",
                       timestamp=0)
    assert headers["X-TC-Token"] == "tok" and "X-TC-Region" not in headers


KNOWN_SIGNATURE = "1704e767df6f71ef681228acea88d5ab50e7755c5829f3b545fdb1b0081ae456"
