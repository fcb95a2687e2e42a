"""Object storage for images and model files: a local folder (embedded/dev) or an S3-compatible
bucket (MinIO, AWS, COS...) behind one interface."""

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any, Protocol

CONTENT_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
    ".glb": "model/gltf-binary", ".gltf": "model/gltf+json", ".obj": "model/obj",
    ".mtl": "model/mtl", ".stl": "model/stl", ".gcode": "text/x-gcode", ".zip": "application/zip",
}


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream")


def _safe_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise ValueError(f"unsafe storage key: {key!r}")
    return key


class ObjectStorage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str | None = None) -> str: ...
    async def get(self, key: str) -> bytes: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    async def copy(self, source: str, target: str) -> None: ...
    async def delete(self, key: str) -> None: ...  # a missing key is not an error
    def url(self, key: str) -> str: ...
    async def ping(self) -> bool: ...


class LocalObjectStorage:
    """Files under `root`; public URLs are `public_base_url/<key>` (served by the gateway)."""

    def __init__(self, root: Path, public_base_url: str) -> None:
        self.root = Path(root)
        self.public_base_url = public_base_url.rstrip("/")

    def path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{_safe_key(key)}"

    def _write(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> str:
        await asyncio.to_thread(self._write, key, data)
        return self.url(key)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def copy(self, source: str, target: str) -> None:
        await asyncio.to_thread(lambda: self._write(target, self.path(source).read_bytes()))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)

    async def delete_prefix(self, prefix: str) -> int:
        target = self.path(prefix.rstrip("/"))
        if target.is_dir():
            count = sum(1 for p in target.rglob("*") if p.is_file())
            await asyncio.to_thread(shutil.rmtree, target, True)
            return count
        if target.is_file():
            target.unlink()
            return 1
        return 0

    async def ping(self) -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        return os.access(self.root, os.W_OK)


class S3ObjectStorage:
    """An S3-compatible bucket through boto3 (blocking calls run in threads).

    Public URLs are `public_base_url/<key>` when configured, else path-style
    `endpoint/bucket/<key>`, else virtual-hosted AWS style. The bucket must be publicly
    readable for those URLs (the 3D provider and the browsers fetch them anonymously).
    """

    def __init__(self, *, bucket: str, endpoint_url: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None,
                 region: str = "us-east-1", public_base_url: str | None = None,
                 client: Any = None) -> None:
        self.bucket, self.endpoint_url, self.region = bucket, endpoint_url, region
        if public_base_url:
            self.public_base_url = public_base_url.rstrip("/")
        elif endpoint_url:
            self.public_base_url = f"{endpoint_url.rstrip('/')}/{bucket}"
        else:
            self.public_base_url = f"https://{bucket}.s3.{region}.amazonaws.com"
        self.client = client or self._client(access_key, secret_key)

    def _client(self, access_key: str | None, secret_key: str | None) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(region_name=self.region, connect_timeout=5, read_timeout=30,
                        retries={"max_attempts": 3, "mode": "standard"},
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"})
        return boto3.client("s3", endpoint_url=self.endpoint_url, aws_access_key_id=access_key,
                            aws_secret_access_key=secret_key, config=config)

    def url(self, key: str) -> str:
        return f"{self.public_base_url}/{_safe_key(key)}"

    async def put(self, key: str, data: bytes, content_type: str | None = None) -> str:
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=_safe_key(key),
                                Body=data, ContentType=content_type or content_type_for(key))
        return self.url(key)

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            answer = self.client.get_object(Bucket=self.bucket, Key=_safe_key(key))
            return answer["Body"].read()

        return await asyncio.to_thread(read)

    async def copy(self, source: str, target: str) -> None:
        await asyncio.to_thread(self.client.copy_object, Bucket=self.bucket, Key=_safe_key(target),
                                CopySource={"Bucket": self.bucket, "Key": _safe_key(source)})

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=_safe_key(key))

    def _delete_prefix(self, prefix: str) -> int:
        deleted, token = 0, None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token:
                kwargs["ContinuationToken"] = token
            page = self.client.list_objects_v2(**kwargs)
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket,
                                           Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
            if not page.get("IsTruncated"):
                return deleted
            token = page.get("NextContinuationToken")

    async def delete_prefix(self, prefix: str) -> int:
        return await asyncio.to_thread(self._delete_prefix, _safe_key(prefix.rstrip("/"))
                                       + ("/" if prefix.endswith("/") else ""))

    async def ping(self) -> bool:
        await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
        return True


def _setting(settings: Any, name: str, default: Any = None) -> Any:
    """Services that declare the S3_* settings use them; the others read the environment."""
    value = getattr(settings, name, None)
    return value if value not in (None, "") else os.environ.get(name) or default


def create_storage(settings) -> ObjectStorage:
    """The object storage selected by `STORAGE_BACKEND`: a local folder under
    `$LUMI_DATA_DIR/files`, or `s3` configured by S3_BUCKET, S3_ENDPOINT, S3_ACCESS_KEY,
    S3_SECRET_KEY, S3_REGION and optionally S3_PUBLIC_BASE_URL."""
    if settings.STORAGE_BACKEND == "local":
        return LocalObjectStorage(settings.LUMI_DATA_DIR / "files", settings.STORAGE_PUBLIC_BASE_URL)
    if settings.STORAGE_BACKEND == "s3":
        bucket = _setting(settings, "S3_BUCKET")
        if not bucket:
            raise ValueError("S3_BUCKET is required when STORAGE_BACKEND=s3")
        return S3ObjectStorage(
            bucket=bucket, endpoint_url=_setting(settings, "S3_ENDPOINT"),
            access_key=_setting(settings, "S3_ACCESS_KEY"),
            secret_key=_setting(settings, "S3_SECRET_KEY"),
            region=_setting(settings, "S3_REGION", "us-east-1"),
            public_base_url=_setting(settings, "S3_PUBLIC_BASE_URL"))
    raise ValueError(f"storage backend {settings.STORAGE_BACKEND!r} is not available")
