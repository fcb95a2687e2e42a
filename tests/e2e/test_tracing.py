"""One user action is one trace: gateway -> generation (HTTP) -> modeling (event), on the
in-process broker and on RabbitMQ (FastStream's telemetry middleware on that path)."""

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lumi_embedded.harness import FAST, FINAL, login, task_when
from lumi_embedded.system import running_system
from lumi_shared import tracing

pytestmark = pytest.mark.e2e


def service(span) -> str:
    return span.resource.attributes["service.name"].removeprefix("lumi-")


def tree(spans, root) -> list[str]:
    children: dict[int, list] = {}
    for span in spans:
        if span.parent is not None:
            children.setdefault(span.parent.span_id, []).append(span)
    lines: list[str] = []

    def walk(span, depth: int) -> None:
        lines.append(f"{'  ' * depth}{service(span)}: {span.name} [{span.kind.name}]")
        for child in sorted(children.get(span.context.span_id, []), key=lambda s: s.start_time):
            walk(child, depth + 1)

    walk(root, 0)
    return lines


@pytest.fixture(params=["in-process", pytest.param("rabbitmq", marks=pytest.mark.rabbit)])
def broker(request) -> str | None:
    return request.getfixturevalue("rabbit_url") if request.param == "rabbitmq" else None


async def test_selecting_an_image_is_one_trace_from_the_gateway_to_the_model(tmp_path, broker):
    exporter = InMemorySpanExporter()
    tracing.add_exporter(exporter)
    try:
        async with running_system(tmp_path, overrides=FAST, rabbit_url=broker) as system:
            async with httpx.AsyncClient(base_url=system.url, timeout=10) as client:
                me = await login(client, system.data_dir, "tracer@example.com")
                created = await client.post("/api/tasks", json={"prompt": "a traced fox"},
                                            headers=me)
                task_id = created.json()["data"]["id"]
                await task_when(client, task_id, me,
                                lambda t: t["phase"] == "AWAITING_SELECTION")
                exporter.clear()
                selected = await client.patch(f"/api/tasks/{task_id}",
                                              json={"selectedImageIndex": 1}, headers=me)
                assert selected.status_code == 200, selected.text
                done = await task_when(client, task_id, me, lambda t: t["status"] in FINAL,
                                       timeout=60)
                assert done["status"] == "COMPLETED"
    finally:
        tracing.remove_exporter(exporter)

    spans = exporter.get_finished_spans()
    root = next(s for s in spans if service(s) == "gateway" and s.kind == SpanKind.SERVER
                and s.parent is None and "PATCH" in s.name)
    trace = [s for s in spans if s.context.trace_id == root.context.trace_id]
    lines = tree(trace, root)
    print("\n".join(lines))
    assert len(lines) == len(trace)  # every span of the trace hangs under the request
    assert {"gateway", "generation", "modeling"} <= {service(s) for s in trace}
    kinds = {(service(s), s.kind) for s in trace}
    assert ("gateway", SpanKind.CLIENT) in kinds  # the aiohttp forwarding hop
    assert ("generation", SpanKind.SERVER) in kinds
    assert ("modeling", SpanKind.CONSUMER) in kinds  # ImageSelected, through the outbox
    consumed = next(s for s in trace if service(s) == "modeling" and s.kind == SpanKind.CONSUMER
                    and s.name.startswith("image.selected"))
    by_id = {s.context.span_id: s for s in trace}
    ancestors, span = [], consumed
    while span.parent is not None:
        span = by_id[span.parent.span_id]
        ancestors.append(service(span))
    assert ancestors[0] == "generation" and ancestors[-1] == "gateway"
    if broker:  # FastStream's telemetry middleware: the publish and the delivery, same trace
        names = {(service(s), s.name) for s in trace}
        assert ("generation", "lumi.events.image.selected publish") in names
        assert ("modeling", "lumi.events.image.selected process") in names
