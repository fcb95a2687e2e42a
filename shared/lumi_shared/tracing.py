"""Traces across services and the broker (OpenTelemetry).

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set or an exporter is registered
(`add_exporter`, e.g. an in-memory one in tests). Each service has its own `TracerProvider`
(resource `service.name = lumi-<service>`), so in embedded mode, where the services share one
process, every span still names the service that made it. What is traced: FastAPI server
spans, httpx (`InternalClient`) and aiohttp (the gateway's forwarding hop) client spans,
FastStream's telemetry middleware on RabbitMQ, and every event: its envelope's `traceparent`
is set when it is written to the outbox or published, and each consumer continues it.
"""

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind

from .contracts import Event

_exporters: list[SpanExporter] = []
_providers: dict[str, TracerProvider] = {}


class _ToRegistered(SpanProcessor):
    """Hands each finished span to the exporters registered at that moment."""

    def on_end(self, span: ReadableSpan) -> None:
        for exporter in list(_exporters):
            exporter.export([span])


def add_exporter(exporter: SpanExporter) -> None:
    _exporters.append(exporter)


def remove_exporter(exporter: SpanExporter) -> None:
    _exporters.remove(exporter)


def provider_for(service: str, endpoint: str | None = None) -> TracerProvider | None:
    """The service's provider while tracing is on (an endpoint or a registered exporter)."""
    provider = _providers.get(service)
    if not (endpoint or _exporters or getattr(provider, "_lumi_otlp", False)):
        return None
    if provider is None:
        provider = TracerProvider(resource=Resource.create({"service.name": f"lumi-{service}"}))
        provider.add_span_processor(_ToRegistered())
        _providers[service] = provider
    if endpoint and not getattr(provider, "_lumi_otlp", False):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
        provider._lumi_otlp = True  # type: ignore[attr-defined]
    return provider


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def stamped(event: Event) -> Event:
    """The event with the current trace in its envelope (unless it carries one already)."""
    if event.traceparent is None and (parent := current_traceparent()):
        return event.model_copy(update={"traceparent": parent})
    return event


@contextlib.contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Run the block inside the trace an envelope carries."""
    if not traceparent:
        yield
        return
    token = otel_context.attach(extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


def traced(subscription: Any, service: str) -> Any:
    """The subscription with its handler in a consumer span continuing the event's trace."""
    provider = provider_for(service)
    if provider is None:
        return subscription
    tracer = provider.get_tracer("lumi.events")
    handler, name = subscription.handler, f"{subscription.event.routing_key} process"

    async def handle(event: Event) -> None:
        parent = extract({"traceparent": event.traceparent}) if event.traceparent else None
        with tracer.start_as_current_span(name, context=parent, kind=SpanKind.CONSUMER,
                                          attributes={"messaging.destination.name":
                                                      subscription.queue,
                                                      "messaging.message.id": event.event_id}):
            await handler(event)

    return replace(subscription, handler=handle)


def tracer(service: str) -> trace.Tracer:
    """A tracer of the service (a no-op one while tracing is off)."""
    provider = provider_for(service)
    return provider.get_tracer("lumi") if provider else trace.NoOpTracer()


def instrument_app(app: Any, service: str, endpoint: str | None) -> None:
    if (provider := provider_for(service, endpoint)) is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=provider,
                                           exclude_spans=["send", "receive"])


def instrument_httpx(client: Any, service: str) -> None:
    if (provider := provider_for(service)) is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=provider)


def aiohttp_trace_configs(service: str) -> list[Any]:
    if (provider := provider_for(service)) is None:
        return []
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config

    return [create_trace_config(tracer_provider=provider)]


def rabbit_middlewares(service: str) -> tuple[Any, ...]:
    if (provider := provider_for(service)) is None:
        return ()
    from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware

    return (RabbitTelemetryMiddleware(tracer_provider=provider),)
