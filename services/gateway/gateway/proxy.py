"""Streaming forwarder to the services: pooled clients, explicit timeouts, hop-by-hop headers
stripped, request body limit enforced while streaming."""

import httpx
import structlog
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from lumi_shared.errors import PayloadTooLarge, UpstreamError, UpstreamTimeout
from lumi_shared.internal import no_cookie_jar

log = structlog.get_logger("lumi.gateway.proxy")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "trailers", "transfer-encoding", "upgrade", "host"}
CREDENTIAL_HEADERS = {"cookie", "authorization"}


class BodyTooLarge(Exception):
    pass


class Upstreams:
    """One pooled httpx client per service."""

    def __init__(self, urls: dict[str, str], *, connect_timeout: float, timeout: float,
                 max_connections: int,
                 transports: dict[str, httpx.AsyncBaseTransport] | None = None) -> None:
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=max_connections // 2)
        self.clients = {
            name: httpx.AsyncClient(
                base_url=url.rstrip("/"), limits=limits, follow_redirects=False,
                cookies=no_cookie_jar(),
                timeout=httpx.Timeout(timeout, connect=connect_timeout),
                transport=(transports or {}).get(name) or None)
            for name, url in urls.items()
        }

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


def forward_headers(request: Request, *, keep_credentials: bool,
                    extra: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    listed = {t.strip().lower() for t in request.headers.get("connection", "").split(",")}
    for key, value in request.headers.items():
        k = key.lower()
        if k in HOP_BY_HOP or k in listed or k.startswith("x-lumi-") or k.startswith("x-forwarded-"):
            continue
        if k in CREDENTIAL_HEADERS and not keep_credentials:
            continue
        out.append((k, value))
    out += list(extra.items())
    return out


def _limited_body(request: Request, limit: int):
    async def stream():
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge()
            yield chunk

    return stream()


async def forward(request: Request, client: httpx.AsyncClient, *, max_body: int,
                  keep_credentials: bool, extra_headers: dict[str, str]) -> Response:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_body:
        raise PayloadTooLarge(f"Request body exceeds {max_body} bytes")
    has_body = request.method not in ("GET", "HEAD", "OPTIONS", "DELETE") or length not in (None, "0")
    upstream_request = client.build_request(
        request.method, request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        headers=forward_headers(request, keep_credentials=keep_credentials, extra=extra_headers),
        content=_limited_body(request, max_body) if has_body else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except BodyTooLarge:
        raise PayloadTooLarge(f"Request body exceeds {max_body} bytes") from None
    except httpx.TimeoutException as exc:
        log.warning("upstream_timeout", upstream=str(client.base_url), error=type(exc).__name__)
        raise UpstreamTimeout() from None
    except httpx.HTTPError as exc:
        if isinstance(exc.__context__, BodyTooLarge):
            raise PayloadTooLarge(f"Request body exceeds {max_body} bytes") from None
        log.warning("upstream_unreachable", upstream=str(client.base_url), error=type(exc).__name__)
        raise UpstreamError("Upstream service unavailable") from None
    headers = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP]
    response = StreamingResponse(_relay(upstream), status_code=upstream.status_code,
                                 background=BackgroundTask(upstream.aclose))
    response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    return response


async def _relay(upstream: httpx.Response):
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.HTTPError as exc:
        # Headers are already sent: the only honest signal left is to cut the stream.
        log.warning("upstream_stream_broken", error=type(exc).__name__)
        raise
