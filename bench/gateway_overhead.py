"""Gateway forwarding overhead: the same trivial endpoint called directly and through the gateway."""

from .common import HEADER, closed_loop, free_port, start_process, stop_process, wait_http


async def run(seconds: float = 5.0, concurrency: int = 16) -> str:
    service_port, gateway_port = free_port(), free_port()
    service = start_process(["-m", "bench.servers", "trivial", str(service_port)], cpu=0)
    gateway = start_process(["-m", "bench.servers", "gateway", str(gateway_port),
                             f"http://127.0.0.1:{service_port}"], cpu=0)
    try:
        await wait_http(f"http://127.0.0.1:{service_port}/healthz")
        await wait_http(f"http://127.0.0.1:{gateway_port}/healthz")
        direct_url = f"http://127.0.0.1:{service_port}/api/gallery/ping"
        via_url = f"http://127.0.0.1:{gateway_port}/api/gallery/ping"
        direct = await closed_loop("service directly", lambda c: c.get(direct_url),
                                   concurrency=concurrency, seconds=seconds)
        via = await closed_loop("through the gateway", lambda c: c.get(via_url),
                                concurrency=concurrency, seconds=seconds)
    finally:
        stop_process(gateway)
        stop_process(service)
    overhead = via.pct(0.5) - direct.pct(0.5)
    return "\n".join([
        f"### Gateway forwarding overhead ({concurrency} concurrent clients, {seconds:.0f} s each, "
        "servers pinned to core 0, load generator unpinned)", "", HEADER, direct.row(), via.row(),
        "", f"Median added by the gateway: {overhead:.2f} ms per request."])
