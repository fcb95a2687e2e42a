"""The S3-compatible storage adapter (shared/lumi_shared/storage.py) against botocore's Stubber."""

import io

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from generation.config import Settings
from lumi_shared.storage import LocalObjectStorage, S3ObjectStorage, create_storage


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://minio.test:9000",
                          aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def storage(client, **kw):
    return S3ObjectStorage(bucket="lumi", endpoint_url="http://minio.test:9000", client=client, **kw)


async def test_put_uploads_with_the_content_type_and_returns_the_public_url(s3):
    client, stub = s3
    stub.add_response("put_object", {}, {"Bucket": "lumi", "Key": "images/t1/0.png",
                                         "Body": b"png", "ContentType": "image/png"})
    url = await storage(client).put("images/t1/0.png", b"png", "image/png")
    assert url == "http://minio.test:9000/lumi/images/t1/0.png"


async def test_get_reads_the_object(s3):
    client, stub = s3
    body = StreamingBody(io.BytesIO(b"data"), 4)
    stub.add_response("get_object", {"Body": body}, {"Bucket": "lumi", "Key": "images/t1/0.png"})
    assert await storage(client).get("images/t1/0.png") == b"data"


async def test_delete_prefix_pages_through_the_listing(s3):
    client, stub = s3
    stub.add_response("list_objects_v2", {"Contents": [{"Key": "images/t1/0.png"},
                                                       {"Key": "images/t1/1.png"}],
                                          "IsTruncated": True, "NextContinuationToken": "n"},
                      {"Bucket": "lumi", "Prefix": "images/t1/", "MaxKeys": 1000})
    stub.add_response("delete_objects", {}, {"Bucket": "lumi", "Delete": ANY})
    stub.add_response("list_objects_v2", {"Contents": [{"Key": "images/t1/2.png"}],
                                          "IsTruncated": False},
                      {"Bucket": "lumi", "Prefix": "images/t1/", "MaxKeys": 1000,
                       "ContinuationToken": "n"})
    stub.add_response("delete_objects", {}, {"Bucket": "lumi", "Delete": ANY})
    assert await storage(client).delete_prefix("images/t1/") == 3


async def test_unsafe_keys_are_refused_before_any_call(s3):
    client, _ = s3
    for key in ("../etc/passwd", "/abs", "images//x", "a\\b"):
        with pytest.raises(ValueError):
            await storage(client).put(key, b"x")


async def test_ping_checks_the_bucket(s3):
    client, stub = s3
    stub.add_response("head_bucket", {}, {"Bucket": "lumi"})
    assert await storage(client).ping()


def test_public_urls_follow_the_configuration(s3):
    client, _ = s3
    assert storage(client, public_base_url="https://cdn.test/x/").url("images/a/0.png") == \
        "https://cdn.test/x/images/a/0.png"
    aws = S3ObjectStorage(bucket="lumi", region="eu-west-1", client=client)
    assert aws.url("images/a/0.png") == "https://lumi.s3.eu-west-1.amazonaws.com/images/a/0.png"


def test_create_storage_selects_s3_from_the_settings(tmp_path):
    settings = Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, STORAGE_BACKEND="s3",
                        S3_BUCKET="lumi", S3_ENDPOINT="http://minio.test:9000",
                        S3_ACCESS_KEY="a", S3_SECRET_KEY="b")
    chosen = create_storage(settings)
    assert isinstance(chosen, S3ObjectStorage)
    assert chosen.url("images/t/0.png") == "http://minio.test:9000/lumi/images/t/0.png"
    assert isinstance(create_storage(Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path)),
                      LocalObjectStorage)


def test_create_storage_needs_a_bucket_for_s3(tmp_path, monkeypatch):
    monkeypatch.delenv("S3_BUCKET", raising=False)
    with pytest.raises(ValueError, match="S3_BUCKET"):
        create_storage(Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, STORAGE_BACKEND="s3"))
