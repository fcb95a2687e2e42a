"""Gateway forwarding overhead: the same trivial endpoint called directly and through the gateway."""

from .common import HEADER, free_port, generator_name, load, start_process, stop_process, wait_http


async def run(seconds: float = 5.0, concurrency: int = 16) -> str:
    service_port, gateway_port = free_port(), free_port()
    service = start_process(["-m", "bench.servers", "trivial", str(service_port)], cpu=0)
    gateway = start_process(["-m", "bench.servers", "gateway", str(gateway_port),
                             f"http://127.0.0.1:{service_port}"], cpu=0)
    try:
        await wait_http(f"http://127.0.0.1:{service_port}/healthz")
        await wait_http(f"http://127.0.0.1:{gateway_port}/healthz")
        path = ["/api/gallery/ping"]
        direct = await load("service directly", f"http://127.0.0.1:{service_port}", path,
                            concurrency=concurrency, seconds=seconds, pids=[service.pid])
        via = await load("through the gateway", f"http://127.0.0.1:{gateway_port}", path,
                         concurrency=concurrency, seconds=seconds,
                         pids=[service.pid, gateway.pid])
    finally:
        stop_process(gateway)
        stop_process(service)
    return "\n".join([
        f"### Gateway forwarding overhead ({concurrency} connections, {seconds:.0f} s each; "
        f"service and gateway on core 0, load from {generator_name()})", "", HEADER,
        direct.row(), via.row(), "",
        f"Median latency added by the gateway hop: {via.p50_ms - direct.p50_ms:.2f} ms."])
