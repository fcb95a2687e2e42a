"""The image and model proxy (api-contract §1.7) against a fake upstream on 127.0.0.1.

Acceptance tests inject a fetcher whose address policy admits exactly 127.0.0.1 (the test
names resolve there) and whose transport maps port 80 to the upstream's port; everything else
(allow-lists, scheme, port, redirects, caps) is the production code and the production
settings. The SSRF refusals (reliability-security-plan §3.6) use the production fetcher."""

import asyncio
import io
import ipaddress
import zipfile
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.config import Settings
from gateway.main import create_app
from lumi_shared.fetch import SafeFetcher, address_denied
from lumi_shared.testing import running, serve_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OBJ = b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"
NAMES = {"cdn.myqcloud.com", "img.siliconflow.cn", "models.tencentcos.cn"}
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepted."""

    def __init__(self) -> None:
        self.accepted = 0

    async def handle(self, reader, writer) -> None:
        self.accepted += 1
        writer.close()

    @asynccontextmanager
    async def serving(self):
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            yield self


def upstream(listener_port: int) -> Starlette:
    async def big(request):
        async def chunks():
            for _ in range(64):
                yield b"\x89PNG\r\n\x1a\n" + b"x" * 65536
        headers = {"content-length": "10"} if request.query_params.get("lie") else {}
        return StreamingResponse(chunks(), media_type="image/png", headers=headers)

    files = {
        "/img.png": (PNG, "application/octet-stream"), "/page.png": (b"<html>x</html>", "text/html"),
        "/m/model.obj": (OBJ, "application/octet-stream"), "/m/model.glb": (b"glTF" + b"\0" * 16, "x/y"),
        "/m/mat.mtl": (b"newmtl a\nKd 1 1 1\nmap_Kd -s 1 1 1 tex/diffuse.png\nbump n.png\n", "x/y"),
        "/m/bundle.zip": (zip_of({"readme.txt": b"hi", "out/mesh.obj": OBJ, "b.glb": b"glTF"}), "x/y"),
        "/m/nomodel.zip": (zip_of({"readme.txt": b"hi"}), "x/y"),
        "/m/many.zip": (zip_of({f"{i}.obj": OBJ for i in range(80)}), "x/y"),
        "/m/bomb.zip": (zip_of({"bomb.obj": b"\0" * (8 * 1024 * 1024)}), "x/y"),
        "/m/broken.zip": (b"PK\x03\x04 not really", "x/y"),
    }

    async def serve(request):
        body, kind = files[request.url.path]
        return Response(body, media_type=kind, headers={"set-cookie": "upstream=1"})

    async def slow(request):
        async def drip():
            yield PNG[:8]
            for _ in range(30):
                await asyncio.sleep(0.5)
                yield b"x"
        return StreamingResponse(drip(), media_type="image/png")

    async def missing(request):
        return Response(b"gone", status_code=404)

    def redirect(target):
        async def answer(request):
            return RedirectResponse(target, status_code=302)
        return answer

    return Starlette(routes=[
        *(Route(path, serve) for path in files), Route("/big.png", big),
        Route("/missing.png", missing), Route("/slow.png", slow),
        Route("/to-local.png", redirect(f"http://127.0.0.1:{listener_port}/")),
        Route("/to-metadata.png", redirect("http://169.254.169.254/latest/meta-data/")),
        Route("/to-allowed.png", redirect("http://cdn.myqcloud.com/img.png"))])


class OnePort(httpx.AsyncBaseTransport):
    """Connections to 127.0.0.1:80 go to the upstream's port; nothing else is reachable."""

    def __init__(self, port: int) -> None:
        self.port, self.inner = port, httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "127.0.0.1" and request.url.port in (None, 80)
        request.url = request.url.copy_with(port=self.port)
        return await self.inner.handle_async_request(request)


def loopback_fetcher(port: int, timeout: float = 3) -> SafeFetcher:
    async def resolver(host: str, _port: int) -> list[str]:
        if host not in NAMES:
            raise OSError("unknown test name")
        return ["127.0.0.1"]

    return SafeFetcher(allow_http=True, resolver=resolver, transport=OnePort(port), timeout=timeout,
                       address_policy=lambda a: a != LOOPBACK and address_denied(a))


@pytest.fixture
async def proxy(tmp_path):
    listener = Listener()
    async with listener.serving(), serve_app(upstream(listener.port)) as base:
        port = int(base.rsplit(":", 1)[1])
        settings = Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path, PROXY_IMAGE_MAX_BYTES=1 << 20,
                            PROXY_ZIP_MAX_ENTRIES=64, PROXY_ZIP_MAX_BYTES=4 * 1024 * 1024)
        async with running(create_app(settings, fetcher=loopback_fetcher(port))) as client:
            client.listener = listener
            yield client


async def get(client, kind: str, url: str, **kwargs) -> httpx.Response:
    return await client.get(f"/api/proxy/{kind}", params={"url": url}, **kwargs)


async def test_an_allowed_image_is_served_with_cache_cors_and_its_real_type(proxy):
    answer = await get(proxy, "image", "http://cdn.myqcloud.com/img.png",
                       headers={"cookie": "lumi_session=secret", "authorization": "Bearer t"})
    assert answer.status_code == 200 and answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-length"] == str(len(PNG))
    assert answer.headers["cache-control"] == "public, max-age=31536000"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["access-control-allow-methods"] == "GET, OPTIONS"
    assert answer.headers["access-control-allow-headers"] == "Content-Type"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]
    assert "set-cookie" not in answer.headers


async def test_options_answers_the_cors_headers(proxy):
    for kind in ("image", "model"):
        plain = await proxy.options(f"/api/proxy/{kind}")
        assert plain.status_code == 200 and plain.headers["access-control-allow-origin"] == "*"
        preflight = await proxy.options(f"/api/proxy/{kind}", headers={
            "origin": "https://elsewhere.example", "access-control-request-method": "GET"})
        assert preflight.status_code in (200, 204)
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert preflight.headers["access-control-allow-methods"] == "GET, OPTIONS"


@pytest.mark.parametrize(("path", "kind"), [
    ("m/model.obj", "text/plain"), ("m/model.glb", "model/gltf-binary"), ("img.png", "image/png")])
async def test_model_files_get_their_type_by_extension(proxy, path, kind):
    answer = await get(proxy, "model", f"http://models.tencentcos.cn/{path}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == kind
    assert answer.headers["content-disposition"].startswith("attachment")


async def test_a_zip_serves_its_first_model_entry(proxy):
    answer = await get(proxy, "model", "http://models.tencentcos.cn/m/bundle.zip")
    assert answer.status_code == 200 and answer.content == OBJ
    assert answer.headers["content-type"].startswith("text/plain")
    assert 'filename="mesh.obj"' in answer.headers["content-disposition"]


@pytest.mark.parametrize("name", ["nomodel", "many", "bomb", "broken"])
async def test_bad_zips_are_a_400(proxy, name):
    answer = await get(proxy, "model", f"http://models.tencentcos.cn/m/{name}.zip")
    assert answer.status_code == 400, answer.text
    assert answer.json()["data"]["code"] == "VALIDATION_ERROR"


async def test_mtl_references_point_at_the_proxy(proxy):
    answer = await get(proxy, "model", "http://models.tencentcos.cn/m/mat.mtl")
    lines = answer.text.splitlines()
    sibling = "/api/proxy/model?url=http%3A%2F%2Fmodels.tencentcos.cn%2Fm%2F"
    assert f"map_Kd -s 1 1 1 {sibling}tex%2Fdiffuse.png" in lines
    assert f"bump {sibling}n.png" in lines
    assert "Kd 1 1 1" in lines


async def test_the_allow_list_is_per_endpoint_and_never_a_substring(proxy):
    assert (await get(proxy, "image", "http://img.siliconflow.cn/img.png")).status_code == 200
    for kind, url in [("model", "http://img.siliconflow.cn/img.png"),
                      ("image", "http://models.tencentcos.cn/img.png"),
                      ("image", "http://cdn.myqcloud.com.evil.test/img.png"),
                      ("image", "http://evilmyqcloud.com/img.png"),
                      ("image", "http://evil.test/?x=cdn.myqcloud.com")]:
        answer = await get(proxy, kind, url)
        assert answer.status_code == 403, (kind, url, answer.text)
        assert answer.json()["data"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("url", "status"), [
    (None, 400), ("", 400), ("not a url", 400), ("http://cdn.myqcloud.com:99999/x", 400)])
async def test_missing_or_malformed_urls_are_a_400(proxy, url, status):
    answer = await proxy.get("/api/proxy/image", params={} if url is None else {"url": url})
    assert answer.status_code == status and answer.json()["status"] == "fail"


@pytest.mark.parametrize("path", ["missing.png", "page.png", "big.png", "big.png?lie=1"])
async def test_upstream_failures_wrong_types_and_oversized_bodies_are_a_502(proxy, path):
    answer = await get(proxy, "image", f"http://cdn.myqcloud.com/{path}")
    assert answer.status_code == 502, answer.text
    assert answer.json()["status"] == "error" and answer.json()["code"] == "UPSTREAM_ERROR"


async def test_redirects_are_checked_again_and_internal_targets_never_reached(proxy):
    assert (await get(proxy, "image", "http://cdn.myqcloud.com/to-allowed.png")).status_code == 200
    for path in ("to-local.png", "to-metadata.png"):
        answer = await get(proxy, "image", f"http://cdn.myqcloud.com/{path}")
        assert answer.status_code == 403, answer.text
    assert proxy.listener.accepted == 0


async def test_a_slow_upstream_is_cut_at_the_time_limit(tmp_path):
    listener = Listener()
    async with listener.serving(), serve_app(upstream(listener.port)) as base:
        fetcher = loopback_fetcher(int(base.rsplit(":", 1)[1]), timeout=1.0)
        app = create_app(Settings(LUMI_ENV="test", LUMI_DATA_DIR=tmp_path), fetcher=fetcher)
        async with running(app) as client:
            started = asyncio.get_running_loop().time()
            answer = await get(client, "image", "http://cdn.myqcloud.com/slow.png")
            elapsed = asyncio.get_running_loop().time() - started
    assert answer.status_code == 502 and "timed out" in answer.json()["message"]
    assert 0.9 < elapsed < 2.5
